//! The operation catalogue: the one table that says which operations exist, what their input
//! elements are (name, type, order, cardinality) and what they return. Request decoding, dispatch
//! and the WSDL are all driven from it, so the contract has a single source of truth.

/// Target namespace of the service and of its wrapper elements.
pub const SERVICE_NAMESPACE: &str = "http://service.ws.um.carbon.wso2.org";
/// Namespace of `ClaimValue` (claimURI, value).
pub const COMMON_NAMESPACE: &str = "http://common.mgt.user.carbon.wso2.org/xsd";
/// Namespace of the current contract's `ClaimDTO` and `PermissionDTO`.
pub const DAO_NAMESPACE: &str = "http://dao.service.ws.um.carbon.wso2.org/xsd";
/// Namespace that declares `Tenant`, `RealmConfiguration` and `UserStoreException` (and, in the
/// Carbon 4.0 contract, the fields of `Claim` and `Permission`).
pub const API_NAMESPACE: &str = "http://api.user.carbon.wso2.org/xsd";
/// Namespace of the Carbon 4.0 `Claim` type that getUserClaimValues returned.
pub const CLAIM_NAMESPACE: &str = "http://claim.core.user.carbon.wso2.org/xsd";
/// Namespace of `UserStoreException` (and the Carbon 4.0 `Permission`) as messages use them.
pub const CORE_NAMESPACE: &str = "http://core.user.carbon.wso2.org/xsd";
/// Namespace of the `Tenant` type that getProperties takes.
pub const TENANT_NAMESPACE: &str = "http://tenant.core.user.carbon.wso2.org/xsd";
/// The service name, also the last segment of every endpoint path.
pub const SERVICE_NAME: &str = "RemoteUserStoreManagerService";
/// Target namespace of Carbon's AuthenticationAdmin service.
pub const AUTHENTICATION_NAMESPACE: &str = "http://authentication.services.core.carbon.wso2.org";
/// Namespace of Carbon's `AuthenticationException`.
pub const COMMON_CORE_NAMESPACE: &str = "http://common.core.carbon.wso2.org/xsd";

/// A SOAP service this server exposes at `/services/<name>`.
#[derive(Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The service name, the endpoint path's last segment and the WSDL's service name.
    pub name: &'static str,
    /// Target namespace of its wrapper elements.
    pub namespace: &'static str,
    /// The name of its declared fault element and message.
    pub fault_name: &'static str,
    /// The exception type the fault element holds.
    pub fault_type: &'static ComplexType,
}

/// RemoteUserStoreManagerService, the user-store admin API.
pub static USER_STORE_SERVICE: ServiceInfo = ServiceInfo {
    name: SERVICE_NAME,
    namespace: SERVICE_NAMESPACE,
    fault_name: "RemoteUserStoreManagerServiceUserStoreException",
    fault_type: &USER_STORE_EXCEPTION,
};

/// Carbon's AuthenticationAdmin: the login that Java stubs and WSO2's samples call first, for a
/// session cookie.
pub static AUTHENTICATION_ADMIN: ServiceInfo = ServiceInfo {
    name: "AuthenticationAdmin",
    namespace: AUTHENTICATION_NAMESPACE,
    fault_name: "AuthenticationAdminAuthenticationException",
    fault_type: &AUTHENTICATION_EXCEPTION,
};

/// An XML Schema type a complex type's field can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XsdType {
    /// `xs:string`.
    String,
    /// `xs:int`.
    Int,
    /// `xs:long`.
    Long,
    /// `xs:boolean`.
    Boolean,
    /// `xs:date`.
    Date,
    /// Another complex type of the contract.
    Complex(&'static ComplexType),
}

impl XsdType {
    /// Axis2 marks reference types nillable and primitives not.
    pub fn is_nillable(self) -> bool {
        !matches!(self, XsdType::Int | XsdType::Long | XsdType::Boolean)
    }
}

/// One field of a complex type, in sequence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeField {
    /// Element local name.
    pub name: &'static str,
    /// Element type.
    pub ty: XsdType,
    /// `maxOccurs="unbounded"`.
    pub repeated: bool,
}

impl TypeField {
    /// Every reference-typed field of these Axis2 types is nillable; primitives are not.
    pub fn is_nillable(&self) -> bool {
        self.ty.is_nillable()
    }
}

/// A complex type of the contract (the data-model classes WSO2 exposes through Axis2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplexType {
    /// Namespace the type lives in.
    pub namespace: &'static str,
    /// Type name.
    pub name: &'static str,
    /// The type it extends without adding fields, if any.
    pub base: Option<&'static ComplexType>,
    /// Fields in sequence order.
    pub fields: &'static [TypeField],
}

impl ComplexType {
    /// The fields of this type or, for an extension, of its base (Axis2's beans add none).
    pub fn all_fields(&self) -> &'static [TypeField] {
        match self.base {
            Some(base) => base.all_fields(),
            None => self.fields,
        }
    }

    /// The namespace the fields are qualified in (the base's, for an extension).
    pub fn field_namespace(&self) -> &'static str {
        match self.base {
            Some(base) => base.field_namespace(),
            None => self.namespace,
        }
    }
}

const fn field(name: &'static str, ty: XsdType) -> TypeField {
    TypeField {
        name,
        ty,
        repeated: false,
    }
}

const fn fields_of(name: &'static str, ty: XsdType) -> TypeField {
    TypeField {
        name,
        ty,
        repeated: true,
    }
}

const fn extension(namespace: &'static str, base: &'static ComplexType) -> ComplexType {
    ComplexType {
        namespace,
        name: base.name,
        base: Some(base),
        fields: &[],
    }
}

/// The fields of a claim as getUserClaimValues reports it (`ClaimDTO`, or Carbon 4.0's `Claim`).
const CLAIM_FIELDS: &[TypeField] = &[
    field("claimUri", XsdType::String),
    field("description", XsdType::String),
    field("dialectURI", XsdType::String),
    field("displayOrder", XsdType::Int),
    field("displayTag", XsdType::String),
    field("regEx", XsdType::String),
    field("required", XsdType::Boolean),
    field("supportedByDefault", XsdType::Boolean),
    field("value", XsdType::String),
];

/// The fields of a permission addRole takes (`PermissionDTO`, or Carbon 4.0's `Permission`).
const PERMISSION_FIELDS: &[TypeField] = &[
    field("action", XsdType::String),
    field("resourceId", XsdType::String),
];

const fn tenant_fields(realm: &'static ComplexType) -> [TypeField; 11] {
    [
        field("active", XsdType::Boolean),
        field("adminFirstName", XsdType::String),
        field("adminFullName", XsdType::String),
        field("adminLastName", XsdType::String),
        field("adminName", XsdType::String),
        field("adminPassword", XsdType::String),
        field("createdDate", XsdType::Date),
        field("domain", XsdType::String),
        field("email", XsdType::String),
        field("id", XsdType::Int),
        field("realmConfig", XsdType::Complex(realm)),
    ]
}

/// `UserStoreException` as declared in the API namespace (no fields).
pub static API_USER_STORE_EXCEPTION: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "UserStoreException",
    base: None,
    fields: &[],
};

/// `ClaimValue` (claimURI, value): claims of addUser/setUserClaimValues and
/// getUserClaimValuesForClaims' result.
pub static CLAIM_VALUE: ComplexType = ComplexType {
    namespace: COMMON_NAMESPACE,
    name: "ClaimValue",
    base: None,
    fields: &[
        field("claimURI", XsdType::String),
        field("value", XsdType::String),
    ],
};

/// `ArrayOfString`, one row of getProperties' result.
pub static ARRAY_OF_STRING: ComplexType = ComplexType {
    namespace: SERVICE_NAMESPACE,
    name: "ArrayOfString",
    base: None,
    fields: &[fields_of("array", XsdType::String)],
};

/// `UserStoreException` in the core namespace, the fault element's content.
pub static USER_STORE_EXCEPTION: ComplexType = extension(CORE_NAMESPACE, &API_USER_STORE_EXCEPTION);

/// Carbon's `AuthenticationException`, AuthenticationAdmin's fault content (no fields).
pub static AUTHENTICATION_EXCEPTION: ComplexType = ComplexType {
    namespace: COMMON_CORE_NAMESPACE,
    name: "AuthenticationException",
    base: None,
    fields: &[],
};

/// `ClaimDTO`, what getUserClaimValues returns in the current contract.
pub static CLAIM_DTO: ComplexType = ComplexType {
    namespace: DAO_NAMESPACE,
    name: "ClaimDTO",
    base: None,
    fields: CLAIM_FIELDS,
};

/// `PermissionDTO`, what addRole takes in the current contract.
pub static PERMISSION_DTO: ComplexType = ComplexType {
    namespace: DAO_NAMESPACE,
    name: "PermissionDTO",
    base: None,
    fields: PERMISSION_FIELDS,
};

/// `RealmConfiguration` of the current contract (nested in `Tenant`, and in itself).
pub static API_REALM_CONFIGURATION: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "RealmConfiguration",
    base: None,
    fields: &[
        field("addAdmin", XsdType::String),
        field("adminPassword", XsdType::String),
        field("adminRoleName", XsdType::String),
        field("adminUserName", XsdType::String),
        field("authorizationManagerClass", XsdType::String),
        fields_of("authzProperties", XsdType::String),
        field("description", XsdType::String),
        field("everyOneRoleName", XsdType::String),
        fields_of("multipleCredentialProps", XsdType::String),
        field("passwordsExternallyManaged", XsdType::Boolean),
        field("persistedTimestamp", XsdType::Date),
        field("primary", XsdType::Boolean),
        field("realmClassName", XsdType::String),
        fields_of("realmProperties", XsdType::String),
        field(
            "secondaryRealmConfig",
            XsdType::Complex(&API_REALM_CONFIGURATION),
        ),
        field("tenantId", XsdType::Int),
        field("userStoreClass", XsdType::String),
        fields_of("userStoreProperties", XsdType::String),
    ],
};

/// `Tenant` of the current contract, the (ignored) input of getProperties.
pub static API_TENANT: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Tenant",
    base: None,
    fields: &tenant_fields(&API_REALM_CONFIGURATION),
};

/// `Tenant` in the tenant namespace, as messages reference it.
pub static TENANT: ComplexType = extension(TENANT_NAMESPACE, &API_TENANT);

/// Carbon 4.0's `Claim` fields, declared in the API namespace.
pub static CARBON40_API_CLAIM: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Claim",
    base: None,
    fields: CLAIM_FIELDS,
};

/// Carbon 4.0's `Permission` fields, declared in the API namespace.
pub static CARBON40_API_PERMISSION: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Permission",
    base: None,
    fields: PERMISSION_FIELDS,
};

/// Carbon 4.0's `RealmConfiguration` (without the fields later releases added).
pub static CARBON40_API_REALM_CONFIGURATION: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "RealmConfiguration",
    base: None,
    fields: &[
        field("adminPassword", XsdType::String),
        field("adminRoleName", XsdType::String),
        field("adminUserName", XsdType::String),
        field("authorizationManagerClass", XsdType::String),
        fields_of("authzProperties", XsdType::String),
        field("everyOneRoleName", XsdType::String),
        field("passwordsExternallyManaged", XsdType::Boolean),
        field("persistedTimestamp", XsdType::Date),
        field("realmClassName", XsdType::String),
        fields_of("realmProperties", XsdType::String),
        field("tenantId", XsdType::Int),
        field("userStoreClass", XsdType::String),
        fields_of("userStoreProperties", XsdType::String),
    ],
};

/// Carbon 4.0's `Tenant` fields.
pub static CARBON40_API_TENANT: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Tenant",
    base: None,
    fields: &tenant_fields(&CARBON40_API_REALM_CONFIGURATION),
};

/// Carbon 4.0's `Tenant` in the tenant namespace.
pub static CARBON40_TENANT: ComplexType = extension(TENANT_NAMESPACE, &CARBON40_API_TENANT);
/// Carbon 4.0's `Permission` in the core namespace, as addRole referenced it.
pub static CARBON40_PERMISSION: ComplexType = extension(CORE_NAMESPACE, &CARBON40_API_PERMISSION);
/// Carbon 4.0's `Claim` in the claim namespace, as getUserClaimValues referenced it.
pub static CARBON40_CLAIM: ComplexType = extension(CLAIM_NAMESPACE, &CARBON40_API_CLAIM);

/// Which of WSO2's two published contracts the service serves and answers in. The operations
/// and their element names are the same; the claim and permission types (and the realm
/// configuration nested in getProperties' input) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum WsdlVersion {
    /// The WSDL current WSO2 releases publish: 35 operations, `ClaimDTO`, `PermissionDTO`.
    #[default]
    #[serde(rename = "current")]
    Current,
    /// The Carbon 4.0-era WSDL: 32 operations, `Claim`, `Permission`.
    #[serde(rename = "carbon-4.0")]
    Carbon40,
}

/// Everything about one contract version that the codec and the WSDL generator need.
#[derive(Debug)]
pub struct Contract {
    /// The service it describes.
    pub service: &'static ServiceInfo,
    /// Which version this is.
    pub version: WsdlVersion,
    /// The schemas in WSO2's document order, each with the prefix replies and the WSDL bind it
    /// to (`ns` for the service namespace).
    pub schemas: &'static [(&'static str, &'static str)],
    /// Every complex type, by schema.
    pub complex_types: &'static [&'static ComplexType],
    /// The type of getUserClaimValues' items.
    pub claim: &'static ComplexType,
    /// The type of addRole's permissions.
    pub permission: &'static ComplexType,
    /// The type of getProperties' tenant.
    pub tenant: &'static ComplexType,
}

/// The current contract. Its reply prefixes are the IS 5.x ones real parsers match literally
/// (`ax2730:claimUri`).
pub static CURRENT_CONTRACT: Contract = Contract {
    service: &USER_STORE_SERVICE,
    version: WsdlVersion::Current,
    schemas: &[
        (DAO_NAMESPACE, "ax2730"),
        (API_NAMESPACE, "ax2725"),
        (COMMON_NAMESPACE, "ax2728"),
        (SERVICE_NAMESPACE, "ns"),
        (TENANT_NAMESPACE, "ax2732"),
        (CORE_NAMESPACE, "ax2724"),
    ],
    complex_types: &[
        &CLAIM_DTO,
        &PERMISSION_DTO,
        &API_USER_STORE_EXCEPTION,
        &API_TENANT,
        &API_REALM_CONFIGURATION,
        &CLAIM_VALUE,
        &ARRAY_OF_STRING,
        &TENANT,
        &USER_STORE_EXCEPTION,
    ],
    claim: &CLAIM_DTO,
    permission: &PERMISSION_DTO,
    tenant: &TENANT,
};

/// The Carbon 4.0 contract, for stubs generated from that era's WSDL.
pub static CARBON40_CONTRACT: Contract = Contract {
    service: &USER_STORE_SERVICE,
    version: WsdlVersion::Carbon40,
    schemas: &[
        (API_NAMESPACE, "ax2435"),
        (COMMON_NAMESPACE, "ax2438"),
        (SERVICE_NAMESPACE, "ns"),
        (TENANT_NAMESPACE, "ax2445"),
        (CORE_NAMESPACE, "ax2434"),
        (CLAIM_NAMESPACE, "ax2442"),
    ],
    complex_types: &[
        &API_USER_STORE_EXCEPTION,
        &CARBON40_API_CLAIM,
        &CARBON40_API_TENANT,
        &CARBON40_API_REALM_CONFIGURATION,
        &CARBON40_API_PERMISSION,
        &CLAIM_VALUE,
        &ARRAY_OF_STRING,
        &CARBON40_TENANT,
        &USER_STORE_EXCEPTION,
        &CARBON40_PERMISSION,
        &CARBON40_CLAIM,
    ],
    claim: &CARBON40_CLAIM,
    permission: &CARBON40_PERMISSION,
    tenant: &CARBON40_TENANT,
};

/// AuthenticationAdmin's contract (one version).
pub static AUTHENTICATION_CONTRACT: Contract = Contract {
    service: &AUTHENTICATION_ADMIN,
    version: WsdlVersion::Current,
    schemas: &[
        (COMMON_CORE_NAMESPACE, "ax2140"),
        (AUTHENTICATION_NAMESPACE, "ns"),
    ],
    complex_types: &[&AUTHENTICATION_EXCEPTION],
    claim: &CLAIM_DTO,
    permission: &PERMISSION_DTO,
    tenant: &TENANT,
};

impl WsdlVersion {
    /// This version's contract.
    pub fn contract(self) -> &'static Contract {
        match self {
            WsdlVersion::Current => &CURRENT_CONTRACT,
            WsdlVersion::Carbon40 => &CARBON40_CONTRACT,
        }
    }

    /// The name used in config and file names.
    pub fn label(self) -> &'static str {
        match self {
            WsdlVersion::Current => "current",
            WsdlVersion::Carbon40 => "carbon-4.0",
        }
    }
}

impl Contract {
    /// The prefix this contract binds `namespace` to.
    pub fn prefix_of(&self, namespace: &str) -> &'static str {
        self.schemas
            .iter()
            .find(|(ns, _)| *ns == namespace)
            .map(|(_, prefix)| *prefix)
            .expect("every contract namespace has a prefix")
    }

    /// The operations this contract publishes, in catalogue order.
    pub fn operations(&self) -> impl Iterator<Item = &'static OperationSpec> + '_ {
        CATALOGUE.iter().filter(move |spec| {
            std::ptr::eq(spec.service(), self.service) && spec.is_published_in(self.version)
        })
    }

    /// The operation of this service whose wrapper element is called `local`.
    pub fn operation_named(&self, local: &str) -> Option<Operation> {
        CATALOGUE
            .iter()
            .find(|spec| spec.name == local && std::ptr::eq(spec.service(), self.service))
            .map(|spec| spec.operation)
    }
}

/// The XML type of an input element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `xs:string`, nillable.
    String,
    /// `xs:int`.
    Int,
    /// `xs:boolean`.
    Boolean,
    /// `ClaimValue` (claimURI, value), nillable.
    ClaimValue,
    /// `PermissionDTO` (Carbon 4.0: `Permission`) with action and resourceId, nillable.
    Permission,
    /// `Tenant`, nillable; accepted and ignored (single-tenant store).
    Tenant,
}

impl FieldType {
    /// Whether the element is a complex type with child elements.
    pub fn is_complex(self) -> bool {
        matches!(
            self,
            FieldType::ClaimValue | FieldType::Permission | FieldType::Tenant
        )
    }

    /// Whether the WSDL marks the element `nillable="true"` (every reference type is).
    pub fn is_nillable(self) -> bool {
        !matches!(self, FieldType::Int | FieldType::Boolean)
    }

    /// The schema type of the element in `contract`.
    pub fn xsd(self, contract: &Contract) -> XsdType {
        match self {
            FieldType::String => XsdType::String,
            FieldType::Int => XsdType::Int,
            FieldType::Boolean => XsdType::Boolean,
            FieldType::ClaimValue => XsdType::Complex(&CLAIM_VALUE),
            FieldType::Permission => XsdType::Complex(contract.permission),
            FieldType::Tenant => XsdType::Complex(contract.tenant),
        }
    }
}

/// One input element of an operation, in WSDL sequence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Element local name.
    pub name: &'static str,
    /// Element type.
    pub ty: FieldType,
    /// `maxOccurs="unbounded"` when true, otherwise at most once.
    pub repeated: bool,
}

/// What an operation returns inside `<ns:return>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// One `xs:boolean`.
    Boolean,
    /// One `xs:int`.
    Int,
    /// One `xs:long`.
    Long,
    /// One nillable `xs:string`.
    String,
    /// Repeated `xs:string`.
    StringArray,
    /// Repeated `ClaimValue`.
    ClaimValueArray,
    /// Repeated `ClaimDTO` (Carbon 4.0: `Claim`).
    ClaimArray,
    /// Repeated `ArrayOfString` (each a list of `array` strings).
    StringTable,
}

impl OutputType {
    /// The schema type of each `<return>` element in `contract`.
    pub fn xsd(self, contract: &Contract) -> XsdType {
        match self {
            OutputType::Boolean => XsdType::Boolean,
            OutputType::Int => XsdType::Int,
            OutputType::Long => XsdType::Long,
            OutputType::String | OutputType::StringArray => XsdType::String,
            OutputType::ClaimValueArray => XsdType::Complex(&CLAIM_VALUE),
            OutputType::ClaimArray => XsdType::Complex(contract.claim),
            OutputType::StringTable => XsdType::Complex(&ARRAY_OF_STRING),
        }
    }

    /// Whether `<return>` repeats.
    pub fn is_array(self) -> bool {
        !matches!(
            self,
            OutputType::Boolean | OutputType::Int | OutputType::Long | OutputType::String
        )
    }
}

/// The full description of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// Which operation this is.
    pub operation: Operation,
    /// Element name of the request wrapper, also the SOAPAction suffix (`urn:{name}`).
    pub name: &'static str,
    /// Input elements in order.
    pub input: &'static [Field],
    /// `None` for in-only operations (answered with HTTP 202 and no body).
    pub output: Option<OutputType>,
    /// The permission WSO2's services.xml requires for it (its `AuthorizationAction`).
    pub permission: &'static str,
}

impl OperationSpec {
    /// The input element called `name`, if the operation has one.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.input.iter().find(|f| f.name == name)
    }

    /// Reads that neither hash nor write: cheap enough to run on the async executor.
    pub fn is_cheap_read(&self) -> bool {
        self.output.is_some() && self.operation != Operation::Authenticate
    }

    /// Operations that run argon2 (check or set a password): its memory, not the database,
    /// bounds how many may run at once.
    pub fn hashes(&self) -> bool {
        matches!(
            self.operation,
            Operation::Authenticate
                | Operation::AddUser
                | Operation::UpdateCredential
                | Operation::UpdateCredentialByAdmin
                | Operation::Login
        )
    }

    /// The service the operation belongs to.
    pub fn service(&self) -> &'static ServiceInfo {
        match self.operation {
            Operation::Login | Operation::Logout => &AUTHENTICATION_ADMIN,
            _ => &USER_STORE_SERVICE,
        }
    }

    /// Whether `version`'s WSDL has this operation: the Carbon 4.0 one lacks the three that
    /// later releases added.
    pub fn is_published_in(&self, version: WsdlVersion) -> bool {
        version == WsdlVersion::Current
            || !matches!(
                self.operation,
                Operation::GetUserList
                    | Operation::AddUserClaimValue
                    | Operation::AddUserClaimValues
            )
    }

    /// The SOAPAction the reference WSDL gives this operation.
    pub fn soap_action(&self) -> String {
        format!("urn:{}", self.name)
    }
}

/// The permission tree's node for identity management; holding it grants every operation.
pub const IDENTITY: &str = "/permission/admin/manage/identity";
const USERMGT_CREATE: &str = "/permission/admin/manage/identity/usermgt/create";
const USERMGT_VIEW: &str = "/permission/admin/manage/identity/usermgt/view";
const USERMGT_UPDATE: &str = "/permission/admin/manage/identity/usermgt/update";
const USERMGT_DELETE: &str = "/permission/admin/manage/identity/usermgt/delete";
const USERMGT_LIST: &str = "/permission/admin/manage/identity/usermgt/list";
const ROLEMGT_CREATE: &str = "/permission/admin/manage/identity/rolemgt/create";
const ROLEMGT_VIEW: &str = "/permission/admin/manage/identity/rolemgt/view";
const ROLEMGT_UPDATE: &str = "/permission/admin/manage/identity/rolemgt/update";
const ROLEMGT_DELETE: &str = "/permission/admin/manage/identity/rolemgt/delete";
const USERPROFILE_VIEW: &str = "/permission/admin/manage/identity/userprofile/view";
/// What AuthenticationAdmin.login requires of the user it logs in.
pub const ADMIN_LOGIN: &str = "/permission/admin/login";
/// Logging out needs only the session being ended.
const NO_PERMISSION: &str = "";

macro_rules! operations {
    ($($variant:ident = $name:literal [$($field:ident : $ty:ident $($rep:ident)?),*] -> $out:tt, $permission:ident;)*) => {
        /// Every operation of RemoteUserStoreManagerService.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        /// The catalogue, in the reference WSDL's order; index = `Operation as usize`.
        pub static CATALOGUE: &[OperationSpec] = &[
            $(OperationSpec {
                operation: Operation::$variant,
                name: $name,
                input: &[$(Field {
                    name: stringify!($field),
                    ty: FieldType::$ty,
                    repeated: operations!(@repeated $($rep)?),
                }),*],
                output: operations!(@output $out),
                permission: $permission,
            },)*
        ];
    };
    (@repeated) => { false };
    (@repeated many) => { true };
    (@output none) => { None };
    (@output $out:ident) => { Some(OutputType::$out) };
}

operations! {
    Authenticate = "authenticate" [userName: String, credential: String] -> Boolean, IDENTITY;
    GetUserList = "getUserList" [claimUri: String, claimValue: String, profile: String] -> StringArray, USERMGT_LIST;
    GetUserClaimValue = "getUserClaimValue" [userName: String, claim: String, profileName: String] -> String, USERMGT_VIEW;
    GetUserListOfRole = "getUserListOfRole" [roleName: String] -> StringArray, ROLEMGT_VIEW;
    IsReadOnly = "isReadOnly" [] -> Boolean, USERMGT_VIEW;
    UpdateCredential = "updateCredential" [userName: String, newCredential: String, oldCredential: String] -> none, USERMGT_UPDATE;
    SetUserClaimValue = "setUserClaimValue" [userName: String, claimURI: String, claimValue: String, profileName: String] -> none, USERMGT_UPDATE;
    GetUserClaimValuesForClaims = "getUserClaimValuesForClaims" [userName: String, claims: String many, profileName: String] -> ClaimValueArray, USERMGT_VIEW;
    DeleteUserClaimValues = "deleteUserClaimValues" [userName: String, claims: String many, profileName: String] -> none, USERMGT_DELETE;
    DeleteUserClaimValue = "deleteUserClaimValue" [userName: String, claimURI: String, profileName: String] -> none, USERMGT_DELETE;
    IsExistingUser = "isExistingUser" [userName: String] -> Boolean, IDENTITY;
    UpdateCredentialByAdmin = "updateCredentialByAdmin" [userName: String, newCredential: String] -> none, USERMGT_UPDATE;
    GetRoleNames = "getRoleNames" [] -> StringArray, USERMGT_VIEW;
    GetTenantId = "getTenantId" [] -> Int, USERMGT_VIEW;
    GetProperties = "getProperties" [tenant: Tenant] -> StringTable, USERMGT_VIEW;
    GetUserId = "getUserId" [username: String] -> Int, USERMGT_VIEW;
    GetAllProfileNames = "getAllProfileNames" [] -> StringArray, USERPROFILE_VIEW;
    GetPasswordExpirationTime = "getPasswordExpirationTime" [username: String] -> Long, USERMGT_VIEW;
    DeleteRole = "deleteRole" [roleName: String] -> none, ROLEMGT_DELETE;
    ListUsers = "listUsers" [filter: String, maxItemLimit: Int] -> StringArray, USERMGT_LIST;
    DeleteUser = "deleteUser" [userName: String] -> none, USERMGT_DELETE;
    GetRoleListOfUser = "getRoleListOfUser" [userName: String] -> StringArray, ROLEMGT_VIEW;
    IsExistingRole = "isExistingRole" [roleName: String] -> Boolean, ROLEMGT_VIEW;
    UpdateRoleName = "updateRoleName" [roleName: String, newRoleName: String] -> none, ROLEMGT_UPDATE;
    UpdateRoleListOfUser = "updateRoleListOfUser" [userName: String, deletedRoles: String many, newRoles: String many] -> none, USERMGT_UPDATE;
    GetUserClaimValues = "getUserClaimValues" [userName: String, profileName: String] -> ClaimArray, USERMGT_VIEW;
    GetHybridRoles = "getHybridRoles" [] -> StringArray, ROLEMGT_VIEW;
    AddUserClaimValues = "addUserClaimValues" [userName: String, claims: ClaimValue many, profileName: String] -> none, USERMGT_UPDATE;
    AddUser = "addUser" [userName: String, credential: String, roleList: String many, claims: ClaimValue many, profileName: String, requirePasswordChange: Boolean] -> none, USERMGT_CREATE;
    AddRole = "addRole" [roleName: String, userList: String many, permissions: Permission many] -> none, ROLEMGT_CREATE;
    UpdateUserListOfRole = "updateUserListOfRole" [roleName: String, deletedUsers: String many, newUsers: String many] -> none, ROLEMGT_UPDATE;
    GetTenantIdOfUser = "getTenantIdofUser" [username: String] -> Int, USERMGT_VIEW;
    SetUserClaimValues = "setUserClaimValues" [userName: String, claims: ClaimValue many, profileName: String] -> none, USERMGT_UPDATE;
    AddUserClaimValue = "addUserClaimValue" [userName: String, claimURI: String, claimValue: String, profileName: String] -> none, USERMGT_UPDATE;
    GetProfileNames = "getProfileNames" [userName: String] -> StringArray, USERPROFILE_VIEW;
    Login = "login" [username: String, password: String, remoteAddress: String] -> Boolean, ADMIN_LOGIN;
    Logout = "logout" [] -> none, NO_PERMISSION;
}

impl Operation {
    /// This operation's catalogue entry.
    pub fn spec(self) -> &'static OperationSpec {
        &CATALOGUE[self as usize]
    }

    /// Look an operation up by its wrapper element's local name (case-sensitive, as in XML).
    pub fn from_name(name: &str) -> Option<Operation> {
        CATALOGUE
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.operation)
    }

    /// The wrapper element name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_index_matches_operation() {
        assert_eq!(CATALOGUE.len(), 37);
        assert_eq!(AUTHENTICATION_CONTRACT.operations().count(), 2);
        assert_eq!(CURRENT_CONTRACT.operations().count(), 35);
        assert_eq!(CARBON40_CONTRACT.operations().count(), 32);
        for (index, spec) in CATALOGUE.iter().enumerate() {
            assert_eq!(spec.operation as usize, index, "{}", spec.name);
            assert_eq!(Operation::from_name(spec.name), Some(spec.operation));
        }
    }
}
