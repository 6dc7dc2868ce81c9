//! Typed requests: each operation's parameters, validated and converted from [`Params`].

use super::catalogue::Operation;
use super::params::Params;
use super::ServiceError;
use crate::store::{
    ClaimUri, ClaimValue, CreateRoleRequest, CreateUserRequest, Password, Permission, ProfileName,
    RoleName, UserFilter, UserName,
};

/// One decoded operation call.
#[derive(Debug)]
pub enum Request {
    /// Check a user's password.
    Authenticate {
        user: UserName,
        credential: Password,
    },
    /// One claim of a user.
    GetUserClaimValue {
        user: UserName,
        claim: ClaimUri,
        profile: ProfileName,
    },
    /// Members of a role.
    GetUserListOfRole { role: RoleName },
    /// Whether the store refuses writes.
    IsReadOnly,
    /// A user changes their own password.
    UpdateCredential {
        user: UserName,
        new: Password,
        old: Password,
    },
    /// Set one claim.
    SetUserClaimValue {
        user: UserName,
        claim: ClaimValue,
        profile: ProfileName,
    },
    /// Selected claims of a user as ClaimValue pairs.
    GetUserClaimValuesForClaims {
        user: UserName,
        claims: Vec<ClaimUri>,
        profile: ProfileName,
    },
    /// Remove several claims.
    DeleteUserClaimValues {
        user: UserName,
        claims: Vec<ClaimUri>,
        profile: ProfileName,
    },
    /// Remove one claim.
    DeleteUserClaimValue {
        user: UserName,
        claim: ClaimUri,
        profile: ProfileName,
    },
    /// Whether a user exists.
    IsExistingUser { user: UserName },
    /// An administrator sets a password.
    UpdateCredentialByAdmin { user: UserName, new: Password },
    /// All roles.
    GetRoleNames,
    /// The tenant of this store.
    GetTenantId,
    /// Store properties as key/value pairs.
    GetProperties,
    /// Numeric id of a user.
    GetUserId { user: UserName },
    /// Every profile in use.
    GetAllProfileNames,
    /// When a user's password expires.
    GetPasswordExpirationTime { user: UserName },
    /// Delete a role.
    DeleteRole { role: RoleName },
    /// User names matching a filter.
    ListUsers {
        filter: UserFilter,
        max_items: Option<i32>,
    },
    /// Delete a user.
    DeleteUser { user: UserName },
    /// Roles of a user.
    GetRoleListOfUser { user: UserName },
    /// Whether a role exists.
    IsExistingRole { role: RoleName },
    /// Rename a role.
    UpdateRoleName { role: RoleName, new_name: RoleName },
    /// Change the roles of a user.
    UpdateRoleListOfUser {
        user: UserName,
        deleted: Vec<RoleName>,
        added: Vec<RoleName>,
    },
    /// All claims of a user as Claim objects.
    GetUserClaimValues {
        user: UserName,
        profile: ProfileName,
    },
    /// `Internal/` roles.
    GetHybridRoles,
    /// Create a user.
    AddUser(CreateUserRequest),
    /// Create a role.
    AddRole(CreateRoleRequest),
    /// Change the members of a role.
    UpdateUserListOfRole {
        role: RoleName,
        deleted: Vec<UserName>,
        added: Vec<UserName>,
    },
    /// Tenant of a user (this store's tenant, or none for an unknown user).
    GetTenantIdOfUser { user: Option<UserName> },
    /// Set several claims.
    SetUserClaimValues {
        user: UserName,
        claims: Vec<ClaimValue>,
        profile: ProfileName,
    },
    /// Profiles of a user.
    GetProfileNames { user: UserName },
    /// Append one value to a multi-valued claim (no duplicate check).
    AddUserClaimValue {
        user: UserName,
        claim: ClaimValue,
        profile: ProfileName,
    },
    /// Append values to multi-valued claims, skipping values already present.
    AddUserClaimValues {
        user: UserName,
        claims: Vec<ClaimValue>,
        profile: ProfileName,
    },
    /// Users with a given claim value.
    GetUserList {
        claim: ClaimUri,
        value: String,
        profile: ProfileName,
    },
}

pub(super) fn lookup_user(params: &Params, name: &str) -> Result<UserName, ServiceError> {
    Ok(UserName::lookup(params.text(name).unwrap_or(""))?)
}

pub(super) fn lookup_role(params: &Params, name: &str) -> Result<RoleName, ServiceError> {
    Ok(RoleName::lookup(params.text(name).unwrap_or(""))?)
}

/// The items of a repeated name parameter; empty items (`<newRoles/>`, which SOAP tools
/// leave in their templates) name nothing and are skipped.
fn name_items<'a>(params: &'a Params, name: &str) -> impl Iterator<Item = &'a str> {
    params
        .texts(name)
        .into_iter()
        .filter(|item| !item.trim().is_empty())
}

pub(super) fn lookup_users(params: &Params, name: &str) -> Result<Vec<UserName>, ServiceError> {
    Ok(name_items(params, name)
        .map(UserName::lookup)
        .collect::<Result<_, _>>()?)
}

pub(super) fn lookup_roles(params: &Params, name: &str) -> Result<Vec<RoleName>, ServiceError> {
    Ok(name_items(params, name)
        .map(RoleName::lookup)
        .collect::<Result<_, _>>()?)
}

pub(super) fn profile(params: &Params, name: &str) -> Result<ProfileName, ServiceError> {
    Ok(ProfileName::from_request(params.text(name))?)
}

fn claim_uri(params: &Params, name: &str) -> Result<ClaimUri, ServiceError> {
    Ok(ClaimUri::parse(params.text(name).unwrap_or(""))?)
}

fn claim_uris(params: &Params, name: &str) -> Result<Vec<ClaimUri>, ServiceError> {
    Ok(params
        .texts(name)
        .into_iter()
        .map(ClaimUri::parse)
        .collect::<Result<_, _>>()?)
}

pub(super) fn claim_values(params: &Params, name: &str) -> Result<Vec<ClaimValue>, ServiceError> {
    params
        .records(name)
        .into_iter()
        .map(|record| {
            Ok(ClaimValue {
                uri: ClaimUri::parse(record.get("claimURI").unwrap_or(""))?,
                value: record.get("value").unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// The `claimURI` / `claimValue` pair of setUserClaimValue and addUserClaimValue.
fn single_claim(params: &Params) -> Result<ClaimValue, ServiceError> {
    Ok(ClaimValue {
        uri: claim_uri(params, "claimURI")?,
        value: params.text("claimValue").unwrap_or("").to_string(),
    })
}

fn permissions(params: &Params, name: &str) -> Vec<Permission> {
    params
        .records(name)
        .into_iter()
        .filter_map(|record| {
            // WSO2 skips entries without a resource and reads a missing action as `read`.
            let resource_id = record.get("resourceId").unwrap_or("").trim();
            let action = record.get("action").unwrap_or("").trim();
            (!resource_id.is_empty()).then(|| Permission {
                resource_id: resource_id.to_string(),
                action: if action.is_empty() { "read" } else { action }.to_string(),
            })
        })
        .collect()
}

pub(super) fn password(params: &Params, name: &str) -> Password {
    Password::new(params.text(name).unwrap_or("").to_string())
}

/// How Java names `String` in WSO2's reflection error texts.
const JAVA_STRING: &str = "class java.lang.String";

/// Whose cached credentials a request may have made stale.
#[derive(Debug, PartialEq, Eq)]
pub enum Sessions {
    /// Nobody's: the request cannot change a caller's password, lock state or roles.
    Unchanged,
    /// These users' (name keys).
    Of(Vec<String>),
    /// Everyone's.
    All,
}

impl Request {
    /// Requests that change a user's password, lock or disable claims or roles (or try to, as a
    /// failed authenticate may lock the account) make that user's cached credentials stale.
    pub fn invalidated_sessions(&self) -> Sessions {
        let keys =
            |users: &[&UserName]| Sessions::Of(users.iter().map(|u| u.key().to_string()).collect());
        match self {
            Request::Authenticate { user, .. }
            | Request::UpdateCredential { user, .. }
            | Request::UpdateCredentialByAdmin { user, .. }
            | Request::SetUserClaimValue { user, .. }
            | Request::SetUserClaimValues { user, .. }
            | Request::AddUserClaimValue { user, .. }
            | Request::AddUserClaimValues { user, .. }
            | Request::DeleteUserClaimValue { user, .. }
            | Request::DeleteUserClaimValues { user, .. }
            | Request::DeleteUser { user }
            | Request::UpdateRoleListOfUser { user, .. } => keys(&[user]),
            // New members gain the role's permissions.
            Request::AddRole(create) => {
                let users: Vec<&UserName> = create.users.iter().collect();
                keys(&users)
            }
            Request::UpdateUserListOfRole { deleted, added, .. } => {
                let users: Vec<&UserName> = deleted.iter().chain(added).collect();
                keys(&users)
            }
            // Built-in roles cannot be renamed or deleted, but a stale admin flag must never
            // survive a role change, so these start over.
            Request::DeleteRole { .. } | Request::UpdateRoleName { .. } => Sessions::All,
            _ => Sessions::Unchanged,
        }
    }

    /// What the request acts on, for the audit log: `user:NAME`, `role:NAME` or `-`.
    pub fn target(&self) -> String {
        let user = |u: &UserName| format!("user:{u}");
        let role = |r: &RoleName| format!("role:{r}");
        match self {
            Request::Authenticate { user: u, .. }
            | Request::GetUserClaimValue { user: u, .. }
            | Request::UpdateCredential { user: u, .. }
            | Request::SetUserClaimValue { user: u, .. }
            | Request::GetUserClaimValuesForClaims { user: u, .. }
            | Request::DeleteUserClaimValues { user: u, .. }
            | Request::DeleteUserClaimValue { user: u, .. }
            | Request::IsExistingUser { user: u }
            | Request::UpdateCredentialByAdmin { user: u, .. }
            | Request::GetUserId { user: u }
            | Request::GetPasswordExpirationTime { user: u }
            | Request::DeleteUser { user: u }
            | Request::GetRoleListOfUser { user: u }
            | Request::UpdateRoleListOfUser { user: u, .. }
            | Request::GetUserClaimValues { user: u, .. }
            | Request::SetUserClaimValues { user: u, .. }
            | Request::AddUserClaimValue { user: u, .. }
            | Request::AddUserClaimValues { user: u, .. }
            | Request::GetProfileNames { user: u } => user(u),
            Request::AddUser(create) => user(&create.user),
            Request::GetUserListOfRole { role: r }
            | Request::DeleteRole { role: r }
            | Request::IsExistingRole { role: r }
            | Request::UpdateRoleName { role: r, .. }
            | Request::UpdateUserListOfRole { role: r, .. } => role(r),
            Request::AddRole(create) => role(&create.role),
            Request::IsReadOnly
            | Request::GetRoleNames
            | Request::GetTenantId
            | Request::GetProperties
            | Request::GetAllProfileNames
            | Request::ListUsers { .. }
            | Request::GetHybridRoles
            | Request::GetTenantIdOfUser { .. }
            | Request::GetUserList { .. } => "-".to_string(),
        }
    }

    /// Validate `params` against the catalogue entry of `operation` and build the typed request.
    pub fn decode(operation: Operation, params: &Params) -> Result<Request, ServiceError> {
        params.validate(operation.spec())?;
        use Operation as Op;
        Ok(match operation {
            Op::Login | Op::Logout => {
                return Err(ServiceError::BadRequest(format!(
                    "{} is an operation of AuthenticationAdmin, served at /services/AuthenticationAdmin",
                    operation.name()
                )))
            }
            Op::Authenticate => Request::Authenticate {
                user: lookup_user(params, "userName")?,
                credential: password(params, "credential"),
            },
            Op::GetUserClaimValue => Request::GetUserClaimValue {
                user: lookup_user(params, "userName")?,
                claim: claim_uri(params, "claim")?,
                profile: profile(params, "profileName")?,
            },
            Op::GetUserListOfRole => Request::GetUserListOfRole {
                role: lookup_role(params, "roleName")?,
            },
            Op::IsReadOnly => Request::IsReadOnly,
            Op::UpdateCredential => Request::UpdateCredential {
                user: lookup_user(params, "userName")?,
                new: password(params, "newCredential"),
                old: password(params, "oldCredential"),
            },
            Op::SetUserClaimValue => Request::SetUserClaimValue {
                user: lookup_user(params, "userName")?,
                claim: single_claim(params)?,
                profile: profile(params, "profileName")?,
            },
            Op::AddUserClaimValue => Request::AddUserClaimValue {
                user: lookup_user(params, "userName")?,
                claim: single_claim(params)?,
                profile: profile(params, "profileName")?,
            },
            Op::AddUserClaimValues => Request::AddUserClaimValues {
                user: lookup_user(params, "userName")?,
                claims: claim_values(params, "claims")?,
                profile: profile(params, "profileName")?,
            },
            Op::GetUserClaimValuesForClaims => Request::GetUserClaimValuesForClaims {
                user: lookup_user(params, "userName")?,
                claims: claim_uris(params, "claims")?,
                profile: profile(params, "profileName")?,
            },
            Op::DeleteUserClaimValues => Request::DeleteUserClaimValues {
                user: lookup_user(params, "userName")?,
                claims: claim_uris(params, "claims")?,
                profile: profile(params, "profileName")?,
            },
            Op::DeleteUserClaimValue => Request::DeleteUserClaimValue {
                user: lookup_user(params, "userName")?,
                claim: claim_uri(params, "claimURI")?,
                profile: profile(params, "profileName")?,
            },
            Op::IsExistingUser => Request::IsExistingUser {
                user: lookup_user(params, "userName")?,
            },
            Op::UpdateCredentialByAdmin => Request::UpdateCredentialByAdmin {
                user: lookup_user(params, "userName")?,
                new: password(params, "newCredential"),
            },
            Op::GetRoleNames => Request::GetRoleNames,
            Op::GetTenantId => Request::GetTenantId,
            Op::GetProperties => Request::GetProperties,
            Op::GetUserId => Request::GetUserId {
                user: lookup_user(params, "username")?,
            },
            Op::GetAllProfileNames => Request::GetAllProfileNames,
            Op::GetPasswordExpirationTime => Request::GetPasswordExpirationTime {
                user: lookup_user(params, "username")?,
            },
            Op::DeleteRole => Request::DeleteRole {
                role: lookup_role(params, "roleName")?,
            },
            Op::ListUsers => Request::ListUsers {
                filter: match params.text("filter") {
                    Some(filter) => UserFilter::from_request(Some(filter)),
                    None => {
                        return Err(ServiceError::NullArgument {
                            method: "listUsers",
                            arg_types: &[JAVA_STRING, "int"],
                        })
                    }
                },
                max_items: params.int("maxItemLimit")?,
            },
            Op::DeleteUser => Request::DeleteUser {
                user: lookup_user(params, "userName")?,
            },
            Op::GetRoleListOfUser => Request::GetRoleListOfUser {
                user: lookup_user(params, "userName")?,
            },
            Op::IsExistingRole => Request::IsExistingRole {
                role: lookup_role(params, "roleName")?,
            },
            Op::UpdateRoleName => Request::UpdateRoleName {
                role: lookup_role(params, "roleName")?,
                new_name: lookup_role(params, "newRoleName")?,
            },
            Op::UpdateRoleListOfUser => Request::UpdateRoleListOfUser {
                user: lookup_user(params, "userName")?,
                deleted: lookup_roles(params, "deletedRoles")?,
                added: lookup_roles(params, "newRoles")?,
            },
            Op::GetUserClaimValues => Request::GetUserClaimValues {
                user: lookup_user(params, "userName")?,
                profile: profile(params, "profileName")?,
            },
            Op::GetHybridRoles => Request::GetHybridRoles,
            Op::AddUser => Request::AddUser(CreateUserRequest {
                user: lookup_user(params, "userName")?,
                password: password(params, "credential"),
                roles: lookup_roles(params, "roleList")?,
                claims: claim_values(params, "claims")?,
                profile: profile(params, "profileName")?,
                require_password_change: params.boolean("requirePasswordChange")?.unwrap_or(false),
            }),
            Op::AddRole => Request::AddRole(CreateRoleRequest {
                role: lookup_role(params, "roleName")?,
                users: lookup_users(params, "userList")?,
                permissions: permissions(params, "permissions"),
                external_id: None,
                id: None,
            }),
            Op::UpdateUserListOfRole => Request::UpdateUserListOfRole {
                role: lookup_role(params, "roleName")?,
                deleted: lookup_users(params, "deletedUsers")?,
                added: lookup_users(params, "newUsers")?,
            },
            Op::GetTenantIdOfUser => Request::GetTenantIdOfUser {
                user: UserName::lookup(params.text("username").unwrap_or("")).ok(),
            },
            Op::SetUserClaimValues => Request::SetUserClaimValues {
                user: lookup_user(params, "userName")?,
                claims: claim_values(params, "claims")?,
                profile: profile(params, "profileName")?,
            },
            Op::GetProfileNames => Request::GetProfileNames {
                user: lookup_user(params, "userName")?,
            },
            Op::GetUserList
                if params.text("claimUri").is_none() || params.text("claimValue").is_none() =>
            {
                return Err(ServiceError::NullArgument {
                    method: "getUserList",
                    arg_types: &[JAVA_STRING, JAVA_STRING, JAVA_STRING],
                })
            }
            Op::GetUserList => Request::GetUserList {
                claim: claim_uri(params, "claimUri")?,
                value: params.text("claimValue").unwrap_or("").to_string(),
                profile: profile(params, "profile")?,
            },
            // The other admin services run through `Service::call_admin`.
            other => {
                return Err(ServiceError::BadRequest(format!(
                    "{} is an operation of {}, served at /services/{}",
                    other.name(),
                    other.spec().service.name,
                    other.spec().service.name
                )))
            }
        })
    }
}
