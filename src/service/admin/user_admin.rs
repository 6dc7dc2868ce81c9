//! UserAdmin: the management console's back end for users and roles. Its lists are
//! FlaggedNames ending in a pagination tail; several of its guards trust only the realm's
//! admin user (README, "The other Carbon admin services").

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{flagged, matches_filter, sort_names, tail, text};
use crate::service::access::{self, Caller};
use crate::service::bean::Bean;
use crate::service::catalogue::Operation;
use crate::service::dispatch::{super_tenant_name, Reply, Service};
use crate::service::faults::Refusal;
use crate::service::params::Params;
use crate::service::request::{
    claim_values, lookup_role, lookup_roles, lookup_user, lookup_users, password, profile,
};
use crate::service::ServiceError;
use crate::store::admin::Subject;
use crate::store::names::{EVERYONE_ROLE, PRIMARY_DOMAIN_NAME};
use crate::store::{
    AuthOutcome, ClaimUri, ClaimValue, CreateRoleRequest, CreateUserRequest, Password, Permission,
    ProfileName, Protected, RoleName, StoreError, UserFilter, UserName,
};

/// The user WSO2 reserves for anonymous access; UserAdmin refuses to touch it.
const ANONYMOUS_USER: &str = "wso2.anonymous.user";
/// Paths only the realm admin may grant.
const ADMIN_PATHS: [&str; 6] = [
    "/permission/admin",
    "/permission/admin/",
    "/permission",
    "/permission/",
    "/permission/protected",
    "/permission/protected/",
];

fn refused(refusal: Refusal) -> ServiceError {
    ServiceError::Refused(refusal)
}

fn limit(params: &Params) -> Result<i32, ServiceError> {
    Ok(params.int("limit")?.unwrap_or(0))
}

pub(super) fn run(
    service: &Service,
    caller: &Caller,
    operation: Operation,
    params: &Params,
) -> Result<Reply, ServiceError> {
    use Operation as Op;
    let store = &*service.store;
    Ok(match operation {
        Op::AdminListUsers => {
            let Some(filter) = params.text("filter") else {
                return Err(ServiceError::NullArgument {
                    method: "listUsers",
                    arg_types: &["class java.lang.String", "int"],
                });
            };
            let limit = service.list_limit(params.int("limit")?);
            if limit == 0 {
                Reply::Texts(Vec::new())
            } else {
                Reply::Texts(store.list_users(&UserFilter::from_request(Some(filter)), limit)?)
            }
        }
        Op::ListAllUsers => {
            Reply::Beans(all_users(service, text(params, "filter"), limit(params)?)?)
        }
        Op::ListAllUsersWithPermission => {
            let permission = text(params, "permission").unwrap_or("");
            let mut beans = all_users(service, text(params, "filter"), limit(params)?)?;
            let tail = beans.pop();
            let mut kept = Vec::with_capacity(beans.len());
            for bean in beans {
                let name = bean.get_text("itemName").unwrap_or("").to_string();
                if user_may(service, &name, permission)? {
                    kept.push(bean);
                }
            }
            kept.extend(tail);
            Reply::Beans(kept)
        }
        Op::ListUserByClaim => Reply::Beans(users_by_claim(service, params, true)?),
        Op::ListUserByClaimWithPermission => {
            let permission = text(params, "permission").unwrap_or("");
            let mut kept = Vec::new();
            for bean in users_by_claim(service, params, false)? {
                if user_may(service, bean.get_text("itemName").unwrap_or(""), permission)? {
                    kept.push(bean);
                }
            }
            Reply::Beans(kept)
        }
        Op::GetAllRolesNames | Op::GetAllSharedRoleNames => {
            Reply::Beans(all_roles(service, text(params, "filter"), limit(params)?)?)
        }
        Op::GetAllPermittedRoleNames => {
            let permission = text(params, "permission").unwrap_or("");
            let mut beans = all_roles(service, text(params, "filter"), limit(params)?)?;
            let tail = beans.pop();
            let mut kept = Vec::with_capacity(beans.len());
            for bean in beans {
                let role = RoleName::lookup(bean.get_text("itemName").unwrap_or(""))?;
                let rules = store.rules_of(Subject::Role(&role), access::EXECUTE_ACTION)?;
                if access::grants_path(&super::as_rules(&rules), permission) {
                    kept.push(bean);
                }
            }
            kept.extend(tail);
            Reply::Beans(kept)
        }
        Op::GetRolesOfUser => Reply::Beans(roles_of_user(
            service,
            text(params, "userName").unwrap_or(""),
            text(params, "filter"),
            limit(params)?,
        )?),
        Op::GetRolesOfCurrentUser => {
            Reply::Beans(roles_of_user(service, &caller.name, Some("*"), -1)?)
        }
        Op::GetUsersOfRole => Reply::Beans(users_of_role(service, params)?),
        Op::UpdateUsersOfRole => {
            let role = lookup_role(params, "roleName")?;
            guard_role_members(service, caller, &role, Refusal::AdminRoleMembers)?;
            let members = member_keys(service, &role)?;
            let is_member = |user: &UserName| members.iter().any(|m| m == user.key());
            let (mut added, mut deleted) = (Vec::new(), Vec::new());
            for item in params.records("userList") {
                let name = item.get("itemName").unwrap_or("").trim();
                if name.is_empty() || name == ANONYMOUS_USER {
                    continue;
                }
                let user = UserName::lookup(name)?;
                match (item.flag("selected"), is_member(&user)) {
                    (true, false) => added.push(user),
                    (false, true) => {
                        if !service.is_realm_admin(caller)
                            && UserName::lookup(&caller.name).is_ok_and(|c| c.key() == user.key())
                        {
                            return Err(refused(Refusal::RemoveYourself(role.to_string())));
                        }
                        deleted.push(user)
                    }
                    _ => {}
                }
            }
            store.update_users_of_role(&role, &deleted, &added)?;
            Reply::Void
        }
        Op::AddRemoveUsersOfRole => {
            let role = lookup_role(params, "roleName")?;
            guard_role_members(service, caller, &role, Refusal::AdminRoleMembersPrivilege)?;
            let (admin, admin_role) = store.realm_admin();
            let members = member_keys(service, &role)?;
            let added: Vec<UserName> = lookup_users(params, "newUsers")?
                .into_iter()
                .filter(|u| !members.contains(&u.key().to_string()))
                .collect();
            let deleted: Vec<UserName> = lookup_users(params, "deletedUsers")?
                .into_iter()
                .filter(|u| members.contains(&u.key().to_string()))
                .collect();
            if role.key() == admin_role.key() && deleted.iter().any(|u| u.key() == admin.key()) {
                return Err(refused(Refusal::RemoveAdminFromAdminRole));
            }
            store.update_users_of_role(&role, &deleted, &added)?;
            Reply::Void
        }
        Op::AddRemoveRolesOfUser => {
            let user = named_user(params)?;
            let added = lookup_roles(params, "newRoles")?;
            let deleted = lookup_roles(params, "deletedRoles")?;
            if deleted
                .iter()
                .any(|r| r.key() == RoleName::everyone().key())
            {
                return Err(refused(Refusal::InvalidData));
            }
            guard_role_change(service, caller, &user, &added, &deleted)?;
            store.update_roles_of_user(&user, &deleted, &added)?;
            Reply::Void
        }
        Op::UpdateRolesOfUser => {
            let user = named_user(params)?;
            if params.records("newRoleList").is_empty() && params.texts("newRoleList").is_empty() {
                return Ok(Reply::Void);
            }
            let wanted = lookup_roles(params, "newRoleList")?;
            let current: Vec<RoleName> = store
                .roles_of_user(&user)?
                .iter()
                .map(|r| RoleName::lookup(r))
                .collect::<Result<_, _>>()?;
            let added: Vec<RoleName> = wanted
                .iter()
                .filter(|w| !current.iter().any(|c| c.key() == w.key()))
                .cloned()
                .collect();
            let deleted: Vec<RoleName> = current
                .into_iter()
                .filter(|c| {
                    c.key() != RoleName::everyone().key()
                        && !wanted.iter().any(|w| w.key() == c.key())
                })
                .collect();
            guard_role_change(service, caller, &user, &added, &deleted)?;
            store.update_roles_of_user(&user, &deleted, &added)?;
            Reply::Void
        }
        Op::AdminAddUser => {
            let roles = lookup_roles(params, "roles")?;
            if !service.is_realm_admin(caller) {
                for role in &roles {
                    if service.is_admin_role(role)? {
                        return Err(refused(Refusal::AssignAdminRole));
                    }
                }
            }
            let name = params.text("userName").unwrap_or("");
            let user = match UserName::lookup(name) {
                Ok(user) => user,
                Err(StoreError::MissingName(_)) => {
                    return Err(store.credential_policy().username_violation("null").into())
                }
                Err(e) => return Err(e.into()),
            };
            store.add_user(CreateUserRequest {
                user,
                password: password(params, "password"),
                roles,
                claims: claim_values(params, "claims")?,
                profile: profile(params, "profileName")?,
                require_password_change: false,
            })?;
            Reply::Void
        }
        Op::AdminDeleteUser => {
            let user = lookup_user(params, "userName")?;
            if !service.is_realm_admin(caller) {
                if service.is_admin_user(user.as_str()) {
                    return Err(refused(Refusal::DeleteAdminUser));
                }
                if service.has_admin_permission(&user)? {
                    return Err(refused(Refusal::DeleteAdminPermissionUser));
                }
            }
            if UserName::lookup(&caller.name).is_ok_and(|c| c.key() == user.key()) {
                return Err(StoreError::Protected(Protected::DeleteLoggedInUser).into());
            }
            store.delete_user(&user)?;
            Reply::Void
        }
        Op::ChangePassword => {
            let user = lookup_user(params, "userName")?;
            if UserName::lookup(&caller.name).is_ok_and(|c| c.key() == user.key()) {
                return Err(refused(Refusal::PasswordWithoutOld));
            }
            if !service.is_realm_admin(caller) {
                if service.is_admin_user(user.as_str()) {
                    return Err(refused(Refusal::ChangeAdminPassword));
                }
                if service.has_admin_permission(&user)? {
                    return Err(refused(Refusal::ChangeAdminPermissionPassword));
                }
            }
            store.update_credential_by_admin(&user, &password(params, "newPassword"))?;
            Reply::Void
        }
        Op::ChangePasswordByUser => {
            let name = super_tenant_name(params.text("userName").unwrap_or("").trim());
            let user =
                UserName::lookup(name).map_err(|_| refused(Refusal::WrongCurrentPassword))?;
            // Open to callers without credentials, so the old password is checked as a login
            // is: a wrong one counts towards the lock, and a locked or disabled account cannot
            // change its password here (one that must change it may).
            let old = password(params, "oldPassword");
            match store.authenticate(&user, &old)? {
                AuthOutcome::Success | AuthOutcome::PasswordChangeRequired => {}
                _ => return Err(refused(Refusal::WrongCurrentPassword)),
            }
            match store.update_credential(&user, &password(params, "newPassword"), &old) {
                Err(StoreError::WrongOldCredential | StoreError::UserNotFound(_)) => {
                    return Err(refused(Refusal::WrongCurrentPassword))
                }
                other => other?,
            }
            Reply::Void
        }
        Op::AdminAddRole | Op::AddInternalRole => {
            let Some(raw) = text(params, "roleName").filter(|r| !r.is_empty()) else {
                return Err(refused(Refusal::ReservedRoleName));
            };
            let name = if operation == Op::AddInternalRole
                && !["Internal/", "Application/"]
                    .iter()
                    .any(|p| raw.len() > p.len() && raw[..p.len()].eq_ignore_ascii_case(p))
            {
                format!("Internal/{raw}")
            } else {
                raw.to_string()
            };
            if name.eq_ignore_ascii_case(EVERYONE_ROLE) {
                return Err(refused(Refusal::ReservedRoleName));
            }
            let paths: Vec<&str> = params
                .texts("permissions")
                .into_iter()
                .map(str::trim)
                .collect();
            if !service.is_realm_admin(caller) && paths.iter().any(|p| ADMIN_PATHS.contains(p)) {
                return Err(refused(Refusal::CreateAdminRole));
            }
            store.add_role(CreateRoleRequest {
                role: RoleName::new_role(&name)?,
                users: lookup_users(params, "userList")?,
                permissions: ui_permissions(&paths),
                external_id: None,
                id: None,
            })?;
            Reply::Void
        }
        Op::AdminDeleteRole => {
            let role = lookup_role(params, "roleName")?;
            if !service.is_realm_admin(caller) && service.is_admin_role(&role)? {
                return Err(refused(Refusal::DeleteAdminRole));
            }
            store.delete_role(&role)?;
            Reply::Void
        }
        Op::AdminUpdateRoleName => {
            let role = lookup_role(params, "roleName")?;
            if !service.is_realm_admin(caller) && service.is_admin_role(&role)? {
                return Err(refused(Refusal::RenameAdminRole));
            }
            store.rename_role(&role, &lookup_role(params, "newRoleName")?)?;
            Reply::Void
        }
        Op::GetRolePermissions => {
            let role = lookup_role(params, "roleName")?;
            let rules = store.rules_of(Subject::Role(&role), access::EXECUTE_ACTION)?;
            let held = super::as_rules(&rules);
            let extra: Vec<&str> = rules.iter().map(|r| r.resource.as_str()).collect();
            Reply::Bean(Some(permission_tree(&extra, &|path| {
                access::grants_path(&held, path)
            })))
        }
        Op::GetAllUiPermissions => Reply::Bean(Some(permission_tree(&[], &|_| false))),
        Op::SetRoleUiPermission => {
            let role = lookup_role(params, "roleName")?;
            let (_, admin_role) = store.realm_admin();
            if role.key() == admin_role.key() {
                return Err(refused(Refusal::AdminUiPermissions));
            }
            let raw: Vec<&str> = params
                .texts("rawResources")
                .into_iter()
                .map(str::trim)
                .collect();
            if !service.is_realm_admin(caller) && raw.iter().any(|p| ADMIN_PATHS.contains(p)) {
                return Err(refused(Refusal::AssignAdminPermission));
            }
            let optimized: Vec<&str> = raw
                .iter()
                .copied()
                .filter(|p| !p.is_empty())
                .filter(|p| !raw.iter().any(|other| other != p && is_below(p, other)))
                .collect();
            let current = store.role_permissions(&role)?;
            let removed: Vec<Permission> = current
                .into_iter()
                .filter(|p| p.action == access::EXECUTE_ACTION)
                .collect();
            store.update_role_permissions(&role, &ui_permissions(&optimized), &removed)?;
            Reply::Void
        }
        Op::GetUserRealmInfo => Reply::Bean(Some(realm_info(service, caller))),
        Op::IsSharedRolesEnabled | Op::HasMultipleUserStores => Reply::Boolean(false),
        Op::BulkImportUsers => {
            bulk_import(service, params)?;
            Reply::Void
        }
        other => return Err(super::elsewhere(other)),
    })
}

/// The name keys of a role's members, to compare requested users with.
fn member_keys(service: &Service, role: &RoleName) -> Result<Vec<String>, ServiceError> {
    Ok(service
        .store
        .users_of_role(role)?
        .iter()
        .filter_map(|m| UserName::lookup(m).ok().map(|u| u.key().to_string()))
        .collect())
}

/// The user an operation names, refusing the anonymous user as WSO2 does.
fn named_user(params: &Params) -> Result<UserName, ServiceError> {
    if text(params, "userName") == Some(ANONYMOUS_USER) {
        return Err(refused(Refusal::InvalidData));
    }
    lookup_user(params, "userName")
}

/// Whether `user` may do `permission` (the realm admin always may).
fn user_may(service: &Service, user: &str, permission: &str) -> Result<bool, ServiceError> {
    if service.is_admin_user(user) {
        return Ok(true);
    }
    let user = UserName::lookup(user)?;
    Ok(access::grants_path(
        &service
            .store
            .permissions_of_user(&user, access::EXECUTE_ACTION)?,
        permission,
    ))
}

/// The permissions UserAdmin grants a role: each path with `ui.execute`.
fn ui_permissions(paths: &[&str]) -> Vec<Permission> {
    paths
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| Permission {
            resource_id: p.to_string(),
            action: access::EXECUTE_ACTION.to_string(),
        })
        .collect()
}

/// Whether `path` lies strictly below `ancestor`.
fn is_below(path: &str, ancestor: &str) -> bool {
    let ancestor = ancestor.trim_end_matches('/');
    !ancestor.is_empty()
        && path
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
}

/// Refuse changing the members of the everyone role, or of an admin-permission role unless the
/// caller is the realm admin.
fn guard_role_members(
    service: &Service,
    caller: &Caller,
    role: &RoleName,
    admin_refusal: Refusal,
) -> Result<(), ServiceError> {
    if role.key() == RoleName::everyone().key() {
        return Err(refused(Refusal::InvalidData));
    }
    if !service.is_realm_admin(caller) && service.is_admin_role(role)? {
        return Err(refused(admin_refusal));
    }
    Ok(())
}

/// UserAdmin's guards on changing a user's roles.
fn guard_role_change(
    service: &Service,
    caller: &Caller,
    user: &UserName,
    added: &[RoleName],
    deleted: &[RoleName],
) -> Result<(), ServiceError> {
    let (admin, admin_role) = service.store.realm_admin();
    if user.key() == admin.key() && deleted.iter().any(|r| r.key() == admin_role.key()) {
        return Err(refused(Refusal::RemoveAdminFromAdminRoleOfUser));
    }
    if service.is_realm_admin(caller) {
        return Ok(());
    }
    let user_is_admin = service.has_admin_permission(user)?;
    for role in added {
        if role.key() == admin_role.key() || (!user_is_admin && service.is_admin_role(role)?) {
            return Err(refused(Refusal::AddToAdminRole));
        }
    }
    if user_is_admin {
        for role in deleted {
            if service.is_admin_role(role)? {
                return Err(refused(Refusal::RemoveFromAdminRole));
            }
        }
    }
    Ok(())
}

/// listAllUsers: matching users as FlaggedNames, sorted, then the tail.
fn all_users(
    service: &Service,
    filter: Option<&str>,
    limit: i32,
) -> Result<Vec<Bean>, ServiceError> {
    let max = service.list_limit(None);
    let limit = service.list_limit(Some(limit));
    let mut names = if limit == 0 {
        Vec::new()
    } else {
        service
            .store
            .list_users(&UserFilter::from_request(filter), limit)?
    };
    sort_names(&mut names);
    let truncated = names.len() >= max;
    let mut beans: Vec<Bean> = names.iter().map(|n| flagged(n)).collect();
    beans.push(tail(truncated));
    Ok(beans)
}

/// listUserByClaim: users with the claim value (filter and limit ignored, as WSO2 ignores
/// them); a tail only when someone matched.
fn users_by_claim(
    service: &Service,
    params: &Params,
    with_tail: bool,
) -> Result<Vec<Bean>, ServiceError> {
    let Some(claim) = params.records("claimValue").into_iter().next() else {
        return Ok(Vec::new());
    };
    let (Some(uri), Some(value)) = (claim.get("claimURI"), claim.get("value")) else {
        return Ok(Vec::new());
    };
    let uri = ClaimUri::parse(uri)?;
    let mut names =
        service
            .store
            .users_with_claim(&uri, value, &ProfileName::from_request(None)?)?;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    sort_names(&mut names);
    let mut beans: Vec<Bean> = names.iter().map(|n| flagged(n)).collect();
    if with_tail {
        beans.push(Bean::new().text("itemName", "false").text("domainName", ""));
    }
    Ok(beans)
}

/// The part of a role name after its domain.
fn local_part(role: &str) -> &str {
    role.split_once('/').map_or(role, |(_, rest)| rest)
}

/// getAllRolesNames: store roles matching the filter (at most `limit`), then every hybrid role
/// whose name after `Internal/` matches, sorted, then the tail.
fn all_roles(
    service: &Service,
    filter: Option<&str>,
    limit: i32,
) -> Result<Vec<Bean>, ServiceError> {
    let filter = filter.filter(|f| !f.is_empty()).unwrap_or("*");
    let hybrid_filter = local_part(filter);
    let max = service.list_limit(None);
    let limit = service.list_limit(Some(limit));
    let mut external = Vec::new();
    let mut hybrid = Vec::new();
    for role in service.store.role_names()? {
        let parsed = RoleName::lookup(&role)?;
        if parsed.is_hybrid_domain() {
            if matches_filter(hybrid_filter, local_part(&role)) {
                hybrid.push(role);
            }
        } else if matches_filter(filter, &role) && external.len() < limit {
            external.push(role);
        }
    }
    let truncated = external.len() >= max;
    let mut beans: Vec<(String, Bean)> = external
        .into_iter()
        .map(|r| {
            let bean = flagged(&r).text("roleType", "External");
            (r, bean)
        })
        .chain(hybrid.into_iter().map(|r| {
            let kind = r.split_once('/').map_or("Internal", |(d, _)| d).to_string();
            let bean = flagged(&r).text("roleType", kind);
            (r, bean)
        }))
        .collect();
    beans.sort_by_cached_key(|(name, _)| name.to_lowercase());
    let mut out: Vec<Bean> = beans.into_iter().map(|(_, b)| b).collect();
    out.push(tail(truncated));
    Ok(out)
}

/// getRolesOfUser: with `limit` 0 the user's roles matching the filter; otherwise every role
/// matching it, `selected` marking the user's.
fn roles_of_user(
    service: &Service,
    name: &str,
    filter: Option<&str>,
    limit: i32,
) -> Result<Vec<Bean>, ServiceError> {
    let filter = filter.filter(|f| !f.is_empty()).unwrap_or("*");
    let user = UserName::lookup(super_tenant_name(name))?;
    let held = match service.store.roles_of_user(&user) {
        Err(StoreError::UserNotFound(_)) => vec![EVERYONE_ROLE.to_string()],
        roles => roles?,
    };
    let holds = |role: &str| held.iter().any(|h| h.eq_ignore_ascii_case(role));
    let mut beans: Vec<(String, Bean)> = Vec::new();
    if limit == 0 {
        for role in &held {
            if matches_filter(local_part(filter), local_part(role)) || matches_filter(filter, role)
            {
                beans.push((role.clone(), flagged(role).flag("selected", true)));
            }
        }
    } else {
        for role in service.store.role_names()? {
            let hybrid = RoleName::lookup(&role)?.is_hybrid_domain();
            let matched = if hybrid {
                matches_filter(local_part(filter), local_part(&role))
            } else {
                matches_filter(filter, &role)
            };
            if matched {
                let mut bean = flagged(&role).flag("selected", holds(&role));
                if hybrid {
                    bean = bean.text("domainName", "Internal");
                }
                beans.push((role, bean));
            }
        }
    }
    beans.sort_by_cached_key(|(name, _)| name.to_lowercase());
    let mut out: Vec<Bean> = beans.into_iter().map(|(_, b)| b).collect();
    out.push(tail(false));
    Ok(out)
}

/// getUsersOfRole: with `limit` 0 the members matching the filter; otherwise the users
/// matching it, `selected` marking members.
fn users_of_role(service: &Service, params: &Params) -> Result<Vec<Bean>, ServiceError> {
    let role = lookup_role(params, "roleName")?;
    let filter = text(params, "filter")
        .filter(|f| !f.is_empty())
        .unwrap_or("*");
    let members = service.store.users_of_role(&role)?;
    let mut names: Vec<(String, bool)> = if limit(params)? == 0 {
        members
            .iter()
            .filter(|m| matches_filter(filter, m))
            .map(|m| (m.clone(), true))
            .collect()
    } else {
        let limit = service.list_limit(Some(limit(params)?));
        // The users of the role's own store, as WSO2 searches them: a PRIMARY role's with
        // `/filter`, a secondary store's `DOMAIN/role` with `DOMAIN/filter`; a hybrid role may
        // hold anyone's, and a filter naming its domain says itself where to search.
        let scoped = match role.as_str().split_once('/') {
            _ if role.is_hybrid_domain() || filter.contains('/') => filter.to_string(),
            Some((domain, _)) => format!("{domain}/{filter}"),
            None => format!("/{filter}"),
        };
        service
            .store
            .list_users(&UserFilter::from_request(Some(&scoped)), limit)?
            .into_iter()
            .map(|u| {
                let member = members.iter().any(|m| m.eq_ignore_ascii_case(&u));
                (u, member)
            })
            .collect()
    };
    names.sort_by_cached_key(|(name, _)| name.to_lowercase());
    let mut out: Vec<Bean> = names
        .iter()
        .map(|(n, selected)| flagged(n).flag("selected", *selected))
        .collect();
    out.push(tail(false));
    Ok(out)
}

/// The UI permission tree: the nodes Carbon's console knows, plus `extra` paths a role holds,
/// each `selected` where `selected` says so (a selected node's subtree is selected too, as the
/// decision inherits).
pub(super) fn permission_tree(extra: &[&str], selected: &dyn Fn(&str) -> bool) -> Bean {
    let mut paths: Vec<String> = UI_PERMISSIONS.iter().map(|(p, _)| p.to_string()).collect();
    for path in extra {
        let path = path.trim_end_matches('/');
        let mut prefix = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(segment);
            if !paths.contains(&prefix) {
                paths.push(prefix.clone());
            }
        }
    }
    paths.sort();
    fn node(path: &str, paths: &[String], selected: &dyn Fn(&str) -> bool) -> Bean {
        let children: Vec<Bean> = paths
            .iter()
            .filter(|p| {
                p.strip_prefix(path)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            })
            .map(|p| node(p, paths, selected))
            .collect();
        let display = UI_PERMISSIONS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| {
                let last = path.rsplit('/').next().unwrap_or(path);
                let mut chars = last.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            });
        let resource = if path == "/permission" {
            "/permission/".to_string()
        } else {
            path.to_string()
        };
        let mut bean = Bean::new()
            .text("displayName", display)
            .text("resourcePath", resource)
            .flag("selected", selected(path));
        if !children.is_empty() {
            bean = bean.beans("nodeList", children);
        }
        bean
    }
    let mut root = node("/permission", &paths, selected);
    root = root.text("displayName", "All Permissions");
    root
}

/// The permission nodes of Carbon's management console that user administration uses, with
/// their display names.
const UI_PERMISSIONS: &[(&str, &str)] = &[
    ("/permission", "All Permissions"),
    ("/permission/admin", "Admin"),
    ("/permission/admin/configure", "Configure"),
    ("/permission/admin/configure/security", "Security"),
    ("/permission/admin/login", "Login"),
    ("/permission/admin/manage", "Manage"),
    ("/permission/admin/manage/identity", "Identity"),
    (
        "/permission/admin/manage/identity/identitymgt",
        "Identity Management",
    ),
    (
        "/permission/admin/manage/identity/identitymgt/delete",
        "Delete",
    ),
    (
        "/permission/admin/manage/identity/identitymgt/update",
        "Update",
    ),
    ("/permission/admin/manage/identity/identitymgt/view", "View"),
    (
        "/permission/admin/manage/identity/rolemgt",
        "Role Management",
    ),
    ("/permission/admin/manage/identity/rolemgt/create", "Create"),
    ("/permission/admin/manage/identity/rolemgt/delete", "Delete"),
    ("/permission/admin/manage/identity/rolemgt/update", "Update"),
    ("/permission/admin/manage/identity/rolemgt/view", "View"),
    ("/permission/admin/manage/identity/user", "User"),
    (
        "/permission/admin/manage/identity/user/association",
        "Association",
    ),
    (
        "/permission/admin/manage/identity/user/association/create",
        "Create",
    ),
    (
        "/permission/admin/manage/identity/user/association/delete",
        "Delete",
    ),
    (
        "/permission/admin/manage/identity/user/association/view",
        "View",
    ),
    (
        "/permission/admin/manage/identity/usermgt",
        "User Management",
    ),
    ("/permission/admin/manage/identity/usermgt/create", "Create"),
    ("/permission/admin/manage/identity/usermgt/delete", "Delete"),
    ("/permission/admin/manage/identity/usermgt/list", "List"),
    ("/permission/admin/manage/identity/usermgt/update", "Update"),
    ("/permission/admin/manage/identity/usermgt/view", "View"),
    (
        "/permission/admin/manage/identity/userprofile",
        "User Profile",
    ),
    (
        "/permission/admin/manage/identity/userprofile/delete",
        "Delete",
    ),
    ("/permission/admin/manage/identity/userprofile/view", "View"),
    ("/permission/admin/manage/identity/userstore", "User Store"),
    (
        "/permission/admin/manage/identity/userstore/config",
        "Configuration",
    ),
    (
        "/permission/admin/manage/identity/userstore/config/view",
        "View",
    ),
    ("/permission/admin/monitor", "Monitor"),
    ("/permission/protected", "Protected"),
];

/// Paths any one of which lets a caller see the realm's admin names and claims.
const REALM_DETAIL_PATHS: [&str; 5] = [
    "/permission/admin/manage/identity",
    "/permission/admin/manage/identity/usermgt/users",
    "/permission/admin/manage/identity/usermgt/passwords",
    "/permission/admin/manage/identity/usermgt/view",
    "/permission/admin/manage/identity/rolemgt/view",
];

/// getUserRealmInfo: one primary store; admin names and claims only for callers who may see
/// users or roles.
fn realm_info(service: &Service, caller: &Caller) -> Bean {
    let store = &*service.store;
    let (admin, admin_role) = store.realm_admin();
    let policy = store.credential_policy();
    let store_info = Bean::new()
        .flag("bulkImportSupported", true)
        .flag("caseSensitiveUsername", false)
        .text("domainName", PRIMARY_DOMAIN_NAME)
        .text("passwordRegEx", policy.password_regex())
        .text("roleNameRegEx", policy.rolename_regex())
        .text("userNameRegEx", policy.username_regex())
        .flag("readGroupsEnabled", true)
        .flag("readOnly", store.is_read_only())
        .flag("writeGroupsEnabled", !store.is_read_only());
    let mut info = Bean::new()
        .flag("bulkImportSupported", true)
        .texts("domainNames", vec![PRIMARY_DOMAIN_NAME.to_string()])
        .flag("enableUIPageCache", true)
        .int("maxItemsPerUIPage", 15)
        .int("maxUIPagesInCache", 6)
        .flag("multipleUserStore", false)
        .bean("primaryUserStoreInfo", store_info.clone())
        .beans("userStoresInfo", vec![store_info]);
    if REALM_DETAIL_PATHS
        .iter()
        .any(|p| access::grants_path(&caller.permissions, p))
    {
        let mut claims: Vec<String> = super::profile::PROFILE_FIELDS
            .iter()
            .map(|f| format!("http://wso2.org/claims/{}", f.claim))
            .collect();
        claims.sort();
        let required: Vec<String> = super::profile::PROFILE_FIELDS
            .iter()
            .filter(|f| f.required)
            .map(|f| format!("http://wso2.org/claims/{}", f.claim))
            .collect();
        info = info
            .text("adminRole", admin_role.as_str())
            .text("adminUser", admin.as_str())
            .text("everyOneRole", EVERYONE_ROLE)
            .texts("defaultUserClaims", claims.clone())
            .texts("requiredUserClaims", required)
            .texts("userClaims", claims);
    }
    info
}

/// bulkImportUsers: a CSV file (`UserName,Password,claimURI=value,...` per line, an optional
/// header line first); an empty password takes `defaultPassword`. Every row is tried; the rows
/// that could not be added are named in the fault.
fn bulk_import(service: &Service, params: &Params) -> Result<(), ServiceError> {
    let (Some(file), Some(handler)) = (text(params, "fileName"), text(params, "handler")) else {
        return Err(refused(Refusal::RequiredData));
    };
    if !file.to_ascii_lowercase().ends_with(".csv") {
        return Err(refused(Refusal::UnsupportedFormat));
    }
    let content: String = handler.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD
        .decode(content)
        .map_err(|e| ServiceError::BadRequest(format!("handler is not base64: {e}")))?;
    let default_password = params.text("defaultPassword").unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut failed = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let row = row.map_err(|e| ServiceError::BadRequest(format!("unreadable CSV: {e}")))?;
        let name = row.get(0).unwrap_or("").trim();
        if name.is_empty() || (index == 0 && name.eq_ignore_ascii_case("UserName")) {
            continue;
        }
        let given = row.get(1).unwrap_or("").trim();
        let password = if given.is_empty() {
            default_password
        } else {
            given
        };
        let claims: Result<Vec<ClaimValue>, StoreError> = row
            .iter()
            .skip(2)
            .filter_map(|cell| cell.split_once('='))
            .map(|(uri, value)| {
                Ok(ClaimValue {
                    uri: ClaimUri::parse(uri.trim())?,
                    value: value.trim().to_string(),
                })
            })
            .collect();
        let added = claims.and_then(|claims| {
            service.store.add_user(CreateUserRequest {
                user: UserName::new_account(name)?,
                password: Password::new(password.to_string()),
                roles: Vec::new(),
                claims,
                profile: ProfileName::from_request(None)?,
                require_password_change: false,
            })
        });
        if let Err(e) = added {
            tracing::warn!(user = name, error = %e, "bulk import row refused");
            failed.push(name.to_string());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(refused(Refusal::BulkImportFailed(failed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_their_ancestors_are_recognised() {
        assert!(is_below("/permission/admin/login", "/permission/admin"));
        assert!(is_below("/permission/admin/login", "/permission/"));
        assert!(!is_below("/permission/admin", "/permission/admin"));
        assert!(!is_below("/permission/administer", "/permission/admin"));
    }

    #[test]
    fn the_tree_selects_what_is_held_and_below() {
        let tree = permission_tree(&["/testpermission/x"], &|p| {
            p.starts_with("/permission/admin")
        });
        assert_eq!(tree.get_text("resourcePath"), Some("/permission/"));
        assert_eq!(tree.get_text("displayName"), Some("All Permissions"));
        assert!(!tree.get_flag("selected"));
    }
}
