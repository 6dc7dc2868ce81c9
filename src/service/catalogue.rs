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
        !matches!(self, FieldType::Int | FieldType::Boolean)
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
