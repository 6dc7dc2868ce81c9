//! The operation catalogue: the one table that says which operations exist, what their input
//! elements are (name, type, order, cardinality) and what they return, for every service this
//! server speaks. Request decoding, dispatch, permissions and the WSDLs are all driven from it,
//! so each contract has a single source of truth.

mod admin_types;
pub use admin_types::*;

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
    /// Namespace of its wrapper elements.
    pub namespace: &'static str,
    /// The WSDL's target namespace (UserAdmin's differs from its elements' namespace).
    pub wsdl_namespace: &'static str,
    /// The name of its declared fault element and message.
    pub fault_name: &'static str,
    /// The exception type the fault element holds.
    pub fault_type: &'static ComplexType,
}

/// RemoteUserStoreManagerService, the user-store admin API.
pub static USER_STORE_SERVICE: ServiceInfo = ServiceInfo {
    name: SERVICE_NAME,
    namespace: SERVICE_NAMESPACE,
    wsdl_namespace: SERVICE_NAMESPACE,
    fault_name: "RemoteUserStoreManagerServiceUserStoreException",
    fault_type: &USER_STORE_EXCEPTION,
};

/// Carbon's AuthenticationAdmin: the login that Java stubs and WSO2's samples call first, for a
/// session cookie.
pub static AUTHENTICATION_ADMIN: ServiceInfo = ServiceInfo {
    name: "AuthenticationAdmin",
    namespace: AUTHENTICATION_NAMESPACE,
    wsdl_namespace: AUTHENTICATION_NAMESPACE,
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
    /// `xs:base64Binary`.
    Base64,
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

/// Contracts are statics: one is equal only to itself.
impl PartialEq for Contract {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Contract {}

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
            std::ptr::eq(spec.service, self.service) && spec.is_published_in(self.version)
        })
    }

    /// The operation of this service whose wrapper element is called `local`.
    pub fn operation_named(&self, local: &str) -> Option<Operation> {
        CATALOGUE
            .iter()
            .find(|spec| spec.name == local && std::ptr::eq(spec.service, self.service))
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
    /// `xs:base64Binary`, nillable.
    Base64,
    /// `ClaimValue` (claimURI, value), nillable.
    ClaimValue,
    /// `PermissionDTO` (Carbon 4.0: `Permission`) with action and resourceId, nillable.
    Permission,
    /// `Tenant`, nillable; accepted and ignored (single-tenant store).
    Tenant,
    /// UserAdmin's `FlaggedName`.
    FlaggedName,
    /// UserProfileMgtService's `UserProfileDTO` (with its `UserFieldDTO` fields).
    UserProfile,
    /// UserIdentityManagementAdminService's `UserIdentityClaimDTO`.
    IdentityClaim,
    /// UserIdentityManagementAdminService's `UserChallengesDTO`.
    Challenge,
    /// UserIdentityManagementAdminService's `ChallengeQuestionDTO`.
    ChallengeQuestion,
}

impl FieldType {
    /// Whether the element is a complex type with child elements.
    pub fn is_complex(self) -> bool {
        !matches!(
            self,
            FieldType::String | FieldType::Int | FieldType::Boolean | FieldType::Base64
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
            FieldType::Base64 => XsdType::Base64,
            FieldType::ClaimValue => XsdType::Complex(&CLAIM_VALUE),
            FieldType::Permission => XsdType::Complex(contract.permission),
            FieldType::Tenant => XsdType::Complex(contract.tenant),
            FieldType::FlaggedName => XsdType::Complex(&FLAGGED_NAME),
            FieldType::UserProfile => XsdType::Complex(&USER_PROFILE_DTO),
            FieldType::IdentityClaim => XsdType::Complex(&USER_IDENTITY_CLAIM_DTO),
            FieldType::Challenge => XsdType::Complex(&USER_CHALLENGES_DTO),
            FieldType::ChallengeQuestion => XsdType::Complex(&CHALLENGE_QUESTION_DTO),
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
    /// Nothing, but answered (a void method Axis2 runs in-out): HTTP 200 and a response
    /// element whose `return` is nil; its WSDL output message has no part.
    Void,
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
    /// One bean of this type (nil when absent).
    Bean(&'static ComplexType),
    /// Repeated beans of this type.
    Beans(&'static ComplexType),
}

impl OutputType {
    /// The schema type of each `<return>` element in `contract`.
    pub fn xsd(self, contract: &Contract) -> XsdType {
        match self {
            OutputType::Boolean => XsdType::Boolean,
            OutputType::Int => XsdType::Int,
            OutputType::Long => XsdType::Long,
            OutputType::Void | OutputType::String | OutputType::StringArray => XsdType::String,
            OutputType::ClaimValueArray => XsdType::Complex(&CLAIM_VALUE),
            OutputType::ClaimArray => XsdType::Complex(contract.claim),
            OutputType::StringTable => XsdType::Complex(&ARRAY_OF_STRING),
            OutputType::Bean(ty) | OutputType::Beans(ty) => XsdType::Complex(ty),
        }
    }

    /// Whether `<return>` repeats.
    pub fn is_array(self) -> bool {
        matches!(
            self,
            OutputType::StringArray
                | OutputType::ClaimValueArray
                | OutputType::ClaimArray
                | OutputType::StringTable
                | OutputType::Beans(_)
        )
    }
}

/// The full description of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// Which operation this is.
    pub operation: Operation,
    /// The service it belongs to.
    pub service: &'static ServiceInfo,
    /// Element name of the request wrapper, also the SOAPAction suffix (`urn:{name}`).
    pub name: &'static str,
    /// Input elements in order.
    pub input: &'static [Field],
    /// `None` for in-only operations (answered with HTTP 202 and no body).
    pub output: Option<OutputType>,
    /// The permission WSO2's services.xml requires for it (its `AuthorizationAction`): one
    /// path, or several separated by `,` of which any one is enough; empty for operations
    /// anyone may call.
    pub permission: &'static str,
}

impl OperationSpec {
    /// The input element called `name`, if the operation has one.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.input.iter().find(|f| f.name == name)
    }

    /// Reads that neither hash nor write: cheap enough to run on the async executor.
    pub fn is_cheap_read(&self) -> bool {
        !matches!(self.output, None | Some(OutputType::Void))
            && self.operation != Operation::Authenticate
            && !self.hashes()
    }

    /// Operations that run argon2 (check or set a password): its memory, not the database,
    /// bounds how many may run at once.
    pub fn hashes(&self) -> bool {
        use Operation as Op;
        matches!(
            self.operation,
            Op::Authenticate
                | Op::AddUser
                | Op::UpdateCredential
                | Op::UpdateCredentialByAdmin
                | Op::Login
                | Op::AdminAddUser
                | Op::ChangePassword
                | Op::ChangePasswordByUser
                | Op::BulkImportUsers
                | Op::ResetUserPassword
                | Op::ChangeUserPassword
                | Op::SetChallengeQuestionsOfUser
        )
    }

    /// Whether the caller must be authenticated: UserAdmin's changePasswordByUser checks the
    /// old password itself (`DoAuthentication=false`).
    pub fn needs_authentication(&self) -> bool {
        self.operation != Operation::ChangePasswordByUser
    }

    /// The service the operation belongs to.
    pub fn service(&self) -> &'static ServiceInfo {
        self.service
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
/// UserAdmin's service-level permission, for its operations without their own.
const USERMGT_OR_ROLEMGT: &str =
    "/permission/admin/manage/identity/usermgt,/permission/admin/manage/identity/rolemgt";
const ROLEMGT_OR_USERMGT_VIEW: &str =
    "/permission/admin/manage/identity/rolemgt/view,/permission/admin/manage/identity/usermgt/view";
const ROLEMGT_OR_USERMGT_UPDATE: &str =
    "/permission/admin/manage/identity/rolemgt/update,/permission/admin/manage/identity/usermgt/update";
const USERSTORE_CONFIG_VIEW: &str = "/permission/admin/manage/identity/userstore/config/view";
const ASSOCIATION_CREATE: &str = "/permission/admin/manage/identity/user/association/create";
const ASSOCIATION_DELETE: &str = "/permission/admin/manage/identity/user/association/delete";
const ASSOCIATION_VIEW: &str = "/permission/admin/manage/identity/user/association/view";
const IDENTITYMGT_VIEW: &str = "/permission/admin/manage/identity/identitymgt/view";
const IDENTITYMGT_UPDATE: &str = "/permission/admin/manage/identity/identitymgt/update";
const IDENTITYMGT_DELETE: &str = "/permission/admin/manage/identity/identitymgt/delete";
/// What AuthenticationAdmin.login requires of the user it logs in.
pub const ADMIN_LOGIN: &str = "/permission/admin/login";
/// Logging out needs only the session being ended; changePasswordByUser not even that.
const NO_PERMISSION: &str = "";

macro_rules! operations {
    ($($service:ident { $($variant:ident = $name:literal [$($field:ident : $ty:ident $($rep:ident)?),*] -> $out:tt, $permission:ident;)* })*) => {
        /// Every operation of every service, named after what it does (UserAdmin's and the
        /// identity service's namesakes of RemoteUserStoreManagerService's carry a prefix).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*)*
        }

        /// The catalogue, each service in its reference WSDL's order; index =
        /// `Operation as usize`.
        pub static CATALOGUE: &[OperationSpec] = &[
            $($(OperationSpec {
                operation: Operation::$variant,
                service: &$service,
                name: $name,
                input: &[$(Field {
                    name: stringify!($field),
                    ty: FieldType::$ty,
                    repeated: operations!(@repeated $($rep)?),
                }),*],
                output: operations!(@output $out),
                permission: $permission,
            },)*)*
        ];
    };
    (@repeated) => { false };
    (@repeated many) => { true };
    (@output none) => { None };
    (@output ($kind:ident $ty:ident)) => { Some(OutputType::$kind(&$ty)) };
    (@output $out:ident) => { Some(OutputType::$out) };
}

operations! {
    USER_STORE_SERVICE {
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
    }
    AUTHENTICATION_ADMIN {
        Login = "login" [username: String, password: String, remoteAddress: String] -> Boolean, ADMIN_LOGIN;
        Logout = "logout" [] -> none, NO_PERMISSION;
    }
    USER_ADMIN {
        GetUsersOfRole = "getUsersOfRole" [roleName: String, filter: String, limit: Int] -> (Beans FLAGGED_NAME), USERMGT_VIEW;
        GetAllPermittedRoleNames = "getAllPermittedRoleNames" [filter: String, permission: String, limit: Int] -> (Beans FLAGGED_NAME), USERMGT_OR_ROLEMGT;
        AdminAddUser = "addUser" [userName: String, password: String, roles: String many, claims: ClaimValue many, profileName: String] -> Void, USERMGT_CREATE;
        AddRemoveUsersOfRole = "addRemoveUsersOfRole" [roleName: String, newUsers: String many, deletedUsers: String many] -> none, ROLEMGT_OR_USERMGT_UPDATE;
        ChangePasswordByUser = "changePasswordByUser" [userName: String, oldPassword: String, newPassword: String] -> Void, NO_PERMISSION;
        IsSharedRolesEnabled = "isSharedRolesEnabled" [] -> Boolean, ROLEMGT_OR_USERMGT_VIEW;
        ListUserByClaim = "listUserByClaim" [claimValue: ClaimValue, filter: String, maxLimit: Int] -> (Beans FLAGGED_NAME), USERMGT_LIST;
        GetRolesOfUser = "getRolesOfUser" [userName: String, filter: String, limit: Int] -> (Beans FLAGGED_NAME), ROLEMGT_OR_USERMGT_VIEW;
        UpdateUsersOfRole = "updateUsersOfRole" [roleName: String, userList: FlaggedName many] -> Void, ROLEMGT_UPDATE;
        ListAllUsers = "listAllUsers" [filter: String, limit: Int] -> (Beans FLAGGED_NAME), USERMGT_LIST;
        GetAllUiPermissions = "getAllUIPermissions" [] -> (Bean UI_PERMISSION_NODE), ROLEMGT_VIEW;
        HasMultipleUserStores = "hasMultipleUserStores" [] -> Boolean, USERSTORE_CONFIG_VIEW;
        UpdateRolesOfUser = "updateRolesOfUser" [userName: String, newRoleList: String many] -> none, ROLEMGT_OR_USERMGT_UPDATE;
        GetAllSharedRoleNames = "getAllSharedRoleNames" [filter: String, limit: Int] -> (Beans FLAGGED_NAME), ROLEMGT_VIEW;
        SetRoleUiPermission = "setRoleUIPermission" [roleName: String, rawResources: String many] -> none, ROLEMGT_UPDATE;
        GetRolePermissions = "getRolePermissions" [roleName: String] -> (Bean UI_PERMISSION_NODE), ROLEMGT_VIEW;
        GetRolesOfCurrentUser = "getRolesOfCurrentUser" [] -> (Beans FLAGGED_NAME), ADMIN_LOGIN;
        ListUserByClaimWithPermission = "listUserByClaimWithPermission" [claimValue: ClaimValue, filter: String, permission: String, maxLimit: Int] -> (Beans FLAGGED_NAME), USERMGT_OR_ROLEMGT;
        AdminDeleteRole = "deleteRole" [roleName: String] -> none, ROLEMGT_DELETE;
        AddRemoveRolesOfUser = "addRemoveRolesOfUser" [userName: String, newRoles: String many, deletedRoles: String many] -> none, ROLEMGT_OR_USERMGT_UPDATE;
        AddInternalRole = "addInternalRole" [roleName: String, userList: String many, permissions: String many] -> none, ROLEMGT_CREATE;
        ChangePassword = "changePassword" [userName: String, newPassword: String] -> Void, USERMGT_UPDATE;
        ListAllUsersWithPermission = "listAllUsersWithPermission" [filter: String, permission: String, limit: Int] -> (Beans FLAGGED_NAME), USERMGT_OR_ROLEMGT;
        GetUserRealmInfo = "getUserRealmInfo" [] -> (Bean USER_REALM_INFO), ADMIN_LOGIN;
        AdminListUsers = "listUsers" [filter: String, limit: Int] -> StringArray, USERMGT_LIST;
        AdminDeleteUser = "deleteUser" [userName: String] -> Void, USERMGT_DELETE;
        GetAllRolesNames = "getAllRolesNames" [filter: String, limit: Int] -> (Beans FLAGGED_NAME), ROLEMGT_VIEW;
        AdminUpdateRoleName = "updateRoleName" [roleName: String, newRoleName: String] -> none, ROLEMGT_UPDATE;
        AdminAddRole = "addRole" [roleName: String, userList: String many, permissions: String many, isSharedRole: Boolean] -> none, ROLEMGT_CREATE;
        BulkImportUsers = "bulkImportUsers" [userStoreDomain: String, fileName: String, handler: Base64, defaultPassword: String] -> none, USERMGT_CREATE;
    }
    AUTHORIZATION_SERVICE {
        DenyUser = "denyUser" [userName: String, resourceId: String, action: String] -> none, IDENTITY;
        GetAllowedUiResourcesForUser = "getAllowedUIResourcesForUser" [userName: String, permissionRootPath: String] -> StringArray, IDENTITY;
        ResetPermissionOnUpdateRole = "resetPermissionOnUpdateRole" [roleName: String, newRoleName: String] -> none, IDENTITY;
        RefreshAllowedRolesForResource = "refreshAllowedRolesForResource" [resourceId: String] -> none, IDENTITY;
        AuthorizeRole = "authorizeRole" [roleName: String, resourceId: String, action: String] -> none, IDENTITY;
        DenyRole = "denyRole" [roleName: String, resourceId: String, action: String] -> none, IDENTITY;
        ClearRoleActionOnAllResources = "clearRoleActionOnAllResources" [roleName: String, action: String] -> none, IDENTITY;
        IsUserAuthorized = "isUserAuthorized" [userName: String, resourceId: String, action: String] -> Boolean, IDENTITY;
        GetAllowedUiResourcesForRole = "getAllowedUIResourcesForRole" [roleName: String, permissionRootPath: String] -> StringArray, IDENTITY;
        GetExplicitlyDeniedUsersForResource = "getExplicitlyDeniedUsersForResource" [resourceId: String, action: String] -> StringArray, IDENTITY;
        AuthorizeUser = "authorizeUser" [userName: String, resourceId: String, action: String] -> none, IDENTITY;
        ClearRoleAuthorization = "clearRoleAuthorization" [roleName: String, resourceId: String, action: String] -> none, IDENTITY;
        ClearAllUserAuthorization = "clearAllUserAuthorization" [userName: String] -> none, IDENTITY;
        ClearUserAuthorization = "clearUserAuthorization" [userName: String, resourceId: String, action: String] -> none, IDENTITY;
        GetAllowedRolesForResource = "getAllowedRolesForResource" [resourceId: String, action: String] -> StringArray, IDENTITY;
        ClearResourceAuthorizations = "clearResourceAuthorizations" [resourceId: String] -> none, IDENTITY;
        GetDeniedRolesForResource = "getDeniedRolesForResource" [resourceId: String, action: String] -> StringArray, IDENTITY;
        IsRoleAuthorized = "isRoleAuthorized" [roleName: String, resourceId: String, action: String] -> Boolean, IDENTITY;
        GetExplicitlyAllowedUsersForResource = "getExplicitlyAllowedUsersForResource" [resourceId: String, action: String] -> StringArray, IDENTITY;
        ClearAllRoleAuthorization = "clearAllRoleAuthorization" [roleName: String] -> none, IDENTITY;
    }
    PROFILE_SERVICE {
        RemoveAssociateId = "removeAssociateID" [idpID: String, associatedID: String] -> none, ADMIN_LOGIN;
        GetProfileFieldsForInternalStore = "getProfileFieldsForInternalStore" [] -> (Bean USER_PROFILE_DTO), USERSTORE_CONFIG_VIEW;
        IsAddProfileEnabledForDomain = "isAddProfileEnabledForDomain" [domain: String] -> Boolean, USERSTORE_CONFIG_VIEW;
        GetUserProfiles = "getUserProfiles" [username: String] -> (Beans USER_PROFILE_DTO), ADMIN_LOGIN;
        IsAddProfileEnabled = "isAddProfileEnabled" [] -> Boolean, USERSTORE_CONFIG_VIEW;
        ProfileIsReadOnlyUserStore = "isReadOnlyUserStore" [] -> Boolean, USERSTORE_CONFIG_VIEW;
        GetUserProfile = "getUserProfile" [username: String, profileName: String] -> (Bean USER_PROFILE_DTO), ADMIN_LOGIN;
        SetUserProfile = "setUserProfile" [username: String, profile: UserProfile] -> none, ADMIN_LOGIN;
        AssociateId = "associateID" [idpID: String, associatedID: String] -> none, ADMIN_LOGIN;
        DeleteUserProfile = "deleteUserProfile" [username: String, profileName: String] -> none, ADMIN_LOGIN;
        GetNameAssociatedWith = "getNameAssociatedWith" [idpID: String, associatedID: String] -> String, ASSOCIATION_VIEW;
        AssociateIdForUser = "associateIDForUser" [username: String, idpID: String, associatedID: String] -> Void, ASSOCIATION_CREATE;
        RemoveAssociateIdForUser = "removeAssociateIDForUser" [username: String, idpID: String, associatedID: String] -> Void, ASSOCIATION_DELETE;
        GetAssociatedIds = "getAssociatedIDs" [] -> (Beans ASSOCIATED_ACCOUNT_DTO), ADMIN_LOGIN;
        GetAssociatedIdsForUser = "getAssociatedIDsForUser" [username: String] -> (Beans ASSOCIATED_ACCOUNT_DTO), ASSOCIATION_VIEW;
    }
    IDENTITY_MGT_SERVICE {
        GetAllChallengeQuestions = "getAllChallengeQuestions" [] -> (Beans CHALLENGE_QUESTION_DTO), ADMIN_LOGIN;
        GetChallengeQuestionsOfUser = "getChallengeQuestionsOfUser" [userName: String] -> (Beans USER_CHALLENGES_DTO), ADMIN_LOGIN;
        DisableUserAccount = "disableUserAccount" [userName: String, notificationType: String] -> Void, IDENTITYMGT_UPDATE;
        IdentityIsReadOnlyUserStore = "isReadOnlyUserStore" [userName: String, tenantDomain: String] -> Boolean, IDENTITYMGT_VIEW;
        UpdateUserIdentityClaims = "updateUserIdentityClaims" [userIdentityClaims: IdentityClaim many] -> Void, ADMIN_LOGIN;
        SetChallengeQuestionsOfUser = "setChallengeQuestionsOfUser" [userName: String, challengesDTOs: Challenge many] -> Void, ADMIN_LOGIN;
        IdentityDeleteUser = "deleteUser" [userName: String] -> Void, IDENTITYMGT_DELETE;
        GetAllPromotedUserChallenge = "getAllPromotedUserChallenge" [] -> (Beans USER_CHALLENGES_SET_DTO), IDENTITYMGT_VIEW;
        SetChallengeQuestions = "setChallengeQuestions" [challengeQuestionDTOs: ChallengeQuestion many] -> Void, IDENTITYMGT_VIEW;
        GetAllUserIdentityClaims = "getAllUserIdentityClaims" [] -> (Beans USER_IDENTITY_CLAIM_DTO), ADMIN_LOGIN;
        UnlockUserAccount = "unlockUserAccount" [userName: String, notificationType: String] -> Void, IDENTITYMGT_UPDATE;
        ResetUserPassword = "resetUserPassword" [userName: String, newPassword: String] -> Void, IDENTITYMGT_UPDATE;
        EnableUserAccount = "enableUserAccount" [userName: String, notificationType: String] -> Void, IDENTITYMGT_UPDATE;
        LockUserAccount = "lockUserAccount" [userName: String] -> Void, IDENTITYMGT_UPDATE;
        ChangeUserPassword = "changeUserPassword" [newPassword: String, oldPassword: String] -> Void, ADMIN_LOGIN;
    }
}

impl Operation {
    /// This operation's catalogue entry.
    pub fn spec(self) -> &'static OperationSpec {
        &CATALOGUE[self as usize]
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
        assert_eq!(CATALOGUE.len(), 37 + 30 + 20 + 15 + 15);
        assert_eq!(AUTHENTICATION_CONTRACT.operations().count(), 2);
        assert_eq!(CURRENT_CONTRACT.operations().count(), 35);
        assert_eq!(CARBON40_CONTRACT.operations().count(), 32);
        assert_eq!(USER_ADMIN_CONTRACT.operations().count(), 30);
        assert_eq!(AUTHORIZATION_CONTRACT.operations().count(), 20);
        assert_eq!(PROFILE_CONTRACT.operations().count(), 15);
        assert_eq!(IDENTITY_MGT_CONTRACT.operations().count(), 15);
        for (index, spec) in CATALOGUE.iter().enumerate() {
            assert_eq!(spec.operation as usize, index, "{}", spec.name);
            let contract = [
                &CURRENT_CONTRACT,
                &AUTHENTICATION_CONTRACT,
                &USER_ADMIN_CONTRACT,
                &AUTHORIZATION_CONTRACT,
                &PROFILE_CONTRACT,
                &IDENTITY_MGT_CONTRACT,
            ]
            .into_iter()
            .find(|c| std::ptr::eq(c.service, spec.service))
            .expect("every service has a contract");
            assert_eq!(contract.operation_named(spec.name), Some(spec.operation));
        }
    }
}
