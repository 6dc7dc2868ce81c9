//! The operation catalogue: the one table that says which operations exist, what their input
//! elements are (name, type, order, cardinality) and what they return. Request decoding, dispatch
//! and the WSDL are all driven from it, so the contract has a single source of truth.

/// Target namespace of the service and of its wrapper elements.
pub const SERVICE_NAMESPACE: &str = "http://service.ws.um.carbon.wso2.org";
/// Namespace of `ClaimValue` (claimURI, value).
pub const COMMON_NAMESPACE: &str = "http://common.mgt.user.carbon.wso2.org/xsd";
/// Namespace that declares the fields of `Claim`, `Permission`, `Tenant` and `UserStoreException`.
pub const API_NAMESPACE: &str = "http://api.user.carbon.wso2.org/xsd";
/// Namespace of the `Claim` type that getUserClaimValues returns.
pub const CLAIM_NAMESPACE: &str = "http://claim.core.user.carbon.wso2.org/xsd";
/// Namespace of the `Permission` and `UserStoreException` types used in messages.
pub const CORE_NAMESPACE: &str = "http://core.user.carbon.wso2.org/xsd";
/// Namespace of the `Tenant` type that getProperties takes.
pub const TENANT_NAMESPACE: &str = "http://tenant.core.user.carbon.wso2.org/xsd";
/// The service name, also the last segment of every endpoint path.
pub const SERVICE_NAME: &str = "RemoteUserStoreManagerService";

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
    /// Namespace the type (and, elementFormDefault being qualified, its own fields) lives in.
    pub namespace: &'static str,
    /// Type name.
    pub name: &'static str,
    /// The type it extends without adding fields, if any.
    pub base: Option<&'static ComplexType>,
    /// Fields in sequence order.
    pub fields: &'static [TypeField],
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

/// `UserStoreException` as declared in the API namespace (no fields).
pub static API_USER_STORE_EXCEPTION: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "UserStoreException",
    base: None,
    fields: &[],
};

/// `Claim`: what getUserClaimValues returns, field by field.
pub static API_CLAIM: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Claim",
    base: None,
    fields: &[
        field("claimUri", XsdType::String),
        field("description", XsdType::String),
        field("dialectURI", XsdType::String),
        field("displayOrder", XsdType::Int),
        field("displayTag", XsdType::String),
        field("regEx", XsdType::String),
        field("required", XsdType::Boolean),
        field("supportedByDefault", XsdType::Boolean),
        field("value", XsdType::String),
    ],
};

/// `Tenant`, the (ignored) input of getProperties.
pub static API_TENANT: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Tenant",
    base: None,
    fields: &[
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
        field("realmConfig", XsdType::Complex(&API_REALM_CONFIGURATION)),
    ],
};

/// `RealmConfiguration`, nested in `Tenant`.
pub static API_REALM_CONFIGURATION: ComplexType = ComplexType {
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

/// `Permission` (action, resourceId), the input of addRole.
pub static API_PERMISSION: ComplexType = ComplexType {
    namespace: API_NAMESPACE,
    name: "Permission",
    base: None,
    fields: &[
        field("action", XsdType::String),
        field("resourceId", XsdType::String),
    ],
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

/// `Tenant` in the tenant namespace, as messages reference it.
pub static TENANT: ComplexType = extension(TENANT_NAMESPACE, &API_TENANT);
/// `UserStoreException` in the core namespace, the fault element's content.
pub static USER_STORE_EXCEPTION: ComplexType = extension(CORE_NAMESPACE, &API_USER_STORE_EXCEPTION);
/// `Permission` in the core namespace, as addRole references it.
pub static PERMISSION: ComplexType = extension(CORE_NAMESPACE, &API_PERMISSION);
/// `Claim` in the claim namespace, as getUserClaimValues references it.
pub static CLAIM: ComplexType = extension(CLAIM_NAMESPACE, &API_CLAIM);

/// Every complex type, grouped by schema in the reference WSDL's order.
pub static COMPLEX_TYPES: &[&ComplexType] = &[
    &API_USER_STORE_EXCEPTION,
    &API_CLAIM,
    &API_TENANT,
    &API_REALM_CONFIGURATION,
    &API_PERMISSION,
    &CLAIM_VALUE,
    &ARRAY_OF_STRING,
    &TENANT,
    &USER_STORE_EXCEPTION,
    &PERMISSION,
    &CLAIM,
];

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
    /// `Permission` (action, resourceId), nillable.
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
        self.xsd().is_nillable()
    }

    /// The schema type of the element.
    pub fn xsd(self) -> XsdType {
        match self {
            FieldType::String => XsdType::String,
            FieldType::Int => XsdType::Int,
            FieldType::Boolean => XsdType::Boolean,
            FieldType::ClaimValue => XsdType::Complex(&CLAIM_VALUE),
            FieldType::Permission => XsdType::Complex(&PERMISSION),
            FieldType::Tenant => XsdType::Complex(&TENANT),
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
    /// Repeated `Claim`.
    ClaimArray,
    /// Repeated `ArrayOfString` (each a list of `array` strings).
    StringTable,
}

impl OutputType {
    /// The schema type of each `<return>` element.
    pub fn xsd(self) -> XsdType {
        match self {
            OutputType::Boolean => XsdType::Boolean,
            OutputType::Int => XsdType::Int,
            OutputType::Long => XsdType::Long,
            OutputType::String | OutputType::StringArray => XsdType::String,
            OutputType::ClaimValueArray => XsdType::Complex(&CLAIM_VALUE),
            OutputType::ClaimArray => XsdType::Complex(&CLAIM),
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

    /// The SOAPAction the reference WSDL gives this operation.
    pub fn soap_action(&self) -> String {
        format!("urn:{}", self.name)
    }
}

macro_rules! operations {
    ($($variant:ident = $name:literal [$($field:ident : $ty:ident $($rep:ident)?),*] -> $out:tt;)*) => {
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
            },)*
        ];
    };
    (@repeated) => { false };
    (@repeated many) => { true };
    (@output none) => { None };
    (@output $out:ident) => { Some(OutputType::$out) };
}

operations! {
    Authenticate = "authenticate" [userName: String, credential: String] -> Boolean;
    GetUserClaimValue = "getUserClaimValue" [userName: String, claim: String, profileName: String] -> String;
    GetUserListOfRole = "getUserListOfRole" [roleName: String] -> StringArray;
    IsReadOnly = "isReadOnly" [] -> Boolean;
    UpdateCredential = "updateCredential" [userName: String, newCredential: String, oldCredential: String] -> none;
    SetUserClaimValue = "setUserClaimValue" [userName: String, claimURI: String, claimValue: String, profileName: String] -> none;
    GetUserClaimValuesForClaims = "getUserClaimValuesForClaims" [userName: String, claims: String many, profileName: String] -> ClaimValueArray;
    DeleteUserClaimValues = "deleteUserClaimValues" [userName: String, claims: String many, profileName: String] -> none;
    DeleteUserClaimValue = "deleteUserClaimValue" [userName: String, claimURI: String, profileName: String] -> none;
    IsExistingUser = "isExistingUser" [userName: String] -> Boolean;
    UpdateCredentialByAdmin = "updateCredentialByAdmin" [userName: String, newCredential: String] -> none;
    GetRoleNames = "getRoleNames" [] -> StringArray;
    GetTenantId = "getTenantId" [] -> Int;
    GetProperties = "getProperties" [tenant: Tenant] -> StringTable;
    GetUserId = "getUserId" [username: String] -> Int;
    GetAllProfileNames = "getAllProfileNames" [] -> StringArray;
    GetPasswordExpirationTime = "getPasswordExpirationTime" [username: String] -> Long;
    DeleteRole = "deleteRole" [roleName: String] -> none;
    ListUsers = "listUsers" [filter: String, maxItemLimit: Int] -> StringArray;
    DeleteUser = "deleteUser" [userName: String] -> none;
    GetRoleListOfUser = "getRoleListOfUser" [userName: String] -> StringArray;
    IsExistingRole = "isExistingRole" [roleName: String] -> Boolean;
    UpdateRoleName = "updateRoleName" [roleName: String, newRoleName: String] -> none;
    UpdateRoleListOfUser = "updateRoleListOfUser" [userName: String, deletedRoles: String many, newRoles: String many] -> none;
    GetUserClaimValues = "getUserClaimValues" [userName: String, profileName: String] -> ClaimArray;
    GetHybridRoles = "getHybridRoles" [] -> StringArray;
    AddUser = "addUser" [userName: String, credential: String, roleList: String many, claims: ClaimValue many, profileName: String, requirePasswordChange: Boolean] -> none;
    AddRole = "addRole" [roleName: String, userList: String many, permissions: Permission many] -> none;
    UpdateUserListOfRole = "updateUserListOfRole" [roleName: String, deletedUsers: String many, newUsers: String many] -> none;
    GetTenantIdOfUser = "getTenantIdofUser" [username: String] -> Int;
    SetUserClaimValues = "setUserClaimValues" [userName: String, claims: ClaimValue many, profileName: String] -> none;
    GetProfileNames = "getProfileNames" [userName: String] -> StringArray;
    GetUserList = "getUserList" [claimUri: String, claimValue: String, profile: String] -> StringArray;
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
        assert_eq!(CATALOGUE.len(), 33);
        for (index, spec) in CATALOGUE.iter().enumerate() {
            assert_eq!(spec.operation as usize, index, "{}", spec.name);
            assert_eq!(Operation::from_name(spec.name), Some(spec.operation));
        }
    }
}
