//! RemoteAuthorizationManagerService: the permission tree's rules of roles and of single users,
//! on any resource and action. Its writes are in-only (HTTP 202).

use super::{as_rules, text};
use crate::service::access;
use crate::service::catalogue::Operation;
use crate::service::dispatch::{Reply, Service};
use crate::service::faults::Refusal;
use crate::service::params::Params;
use crate::service::request::{lookup_role, lookup_user};
use crate::service::ServiceError;
use crate::store::admin::{RuleScope, StoredRule, Subject};
use crate::store::{RoleName, StoreError, UserName};

/// A resource id without a `;version:N` suffix, as WSO2 strips it.
fn resource(params: &Params) -> Option<&str> {
    text(params, "resourceId").map(|r| r.split(";version:").next().unwrap_or(r))
}

/// The resource and action of a rule-setting call, both required.
fn rule_target(params: &Params) -> Result<(&str, &str), ServiceError> {
    match (resource(params), text(params, "action")) {
        (Some(r), Some(a)) if !r.is_empty() && !a.is_empty() => Ok((r, a)),
        _ => Err(ServiceError::Refused(Refusal::InvalidDataProvided)),
    }
}

/// `path` and each of its ancestors (`/a/b/c`, `/a/b`, `/a`), with and without a trailing `/`.
fn with_ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = path.trim_end_matches('/').to_string();
    while !current.is_empty() {
        out.push(current.clone());
        out.push(format!("{current}/"));
        match current.rfind('/') {
            Some(cut) => current.truncate(cut),
            None => break,
        }
    }
    out
}

/// The resources `rules` make authorized (each granted path the rules still allow), under
/// `root` when given, without those whose ancestor is listed.
fn allowed_resources(rules: &[crate::store::PermissionRule], root: Option<&str>) -> Vec<String> {
    let mut granted: Vec<String> = rules
        .iter()
        .filter(|r| r.allowed && access::grants_path(rules, &r.resource_id))
        .map(|r| r.resource_id.clone())
        .filter(|r| root.is_none_or(|root| r.contains(root)))
        .collect();
    granted.sort();
    granted.dedup();
    let kept: Vec<String> = granted
        .iter()
        .filter(|p| {
            !granted.iter().any(|other| {
                let other = other.trim_end_matches('/');
                *p != other
                    && p.strip_prefix(other)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .cloned()
        .collect();
    kept
}

/// Holders of `rules`, each once, in order.
fn holders(rules: &[StoredRule], allowed: bool) -> Vec<String> {
    let mut names: Vec<String> = rules
        .iter()
        .filter(|r| r.allowed == allowed)
        .map(|r| r.holder.clone())
        .collect();
    names.dedup();
    names
}

pub(super) fn run(
    service: &Service,
    operation: Operation,
    params: &Params,
) -> Result<Reply, ServiceError> {
    use Operation as Op;
    let store = &*service.store;
    let action = || text(params, "action").unwrap_or(access::EXECUTE_ACTION);
    Ok(match operation {
        Op::IsUserAuthorized => {
            let Some(resource) = resource(params) else {
                return Err(ServiceError::Refused(Refusal::MethodFailed(
                    "isUserAuthorized",
                )));
            };
            let name = text(params, "userName").unwrap_or("");
            if service.is_admin_user(name) {
                return Ok(Reply::Boolean(true));
            }
            let user = UserName::lookup(name)?;
            match store.permissions_of_user(&user, action()) {
                Ok(rules) => Reply::Boolean(access::grants_path(&rules, resource)),
                Err(StoreError::UserNotFound(_)) => Reply::Boolean(false),
                Err(e) => return Err(e.into()),
            }
        }
        Op::IsRoleAuthorized => {
            let role = lookup_role(params, "roleName")?;
            let resource = resource(params).unwrap_or("");
            match store.rules_of(Subject::Role(&role), action()) {
                Ok(rules) => Reply::Boolean(access::grants_path(&as_rules(&rules), resource)),
                Err(StoreError::RoleNotFound(_)) => Reply::Boolean(false),
                Err(e) => return Err(e.into()),
            }
        }
        Op::AuthorizeRole | Op::DenyRole => {
            let (resource, action) = rule_target(params)?;
            let role = lookup_role(params, "roleName")?;
            store.set_rule(
                Subject::Role(&role),
                resource,
                action,
                operation == Op::AuthorizeRole,
            )?;
            Reply::Accepted
        }
        Op::AuthorizeUser | Op::DenyUser => {
            let (resource, action) = rule_target(params)?;
            let user = lookup_user(params, "userName")?;
            store.set_rule(
                Subject::User(&user),
                resource,
                action,
                operation == Op::AuthorizeUser,
            )?;
            Reply::Accepted
        }
        Op::ClearRoleAuthorization => {
            let (resource, action) = rule_target(params)?;
            let role = lookup_role(params, "roleName")?;
            store.clear_rules(Subject::Role(&role), RuleScope::One { resource, action })?;
            Reply::Accepted
        }
        Op::ClearUserAuthorization => {
            let (resource, action) = rule_target(params)?;
            let user = lookup_user(params, "userName")?;
            store.clear_rules(Subject::User(&user), RuleScope::One { resource, action })?;
            Reply::Accepted
        }
        Op::ClearAllRoleAuthorization => {
            let role = lookup_role(params, "roleName")?;
            store.clear_rules(Subject::Role(&role), RuleScope::All)?;
            Reply::Accepted
        }
        Op::ClearAllUserAuthorization => {
            let user = lookup_user(params, "userName")?;
            store.clear_rules(Subject::User(&user), RuleScope::All)?;
            Reply::Accepted
        }
        Op::ClearRoleActionOnAllResources => {
            let role = lookup_role(params, "roleName")?;
            store.clear_rules(Subject::Role(&role), RuleScope::Action(action()))?;
            Reply::Accepted
        }
        Op::ClearResourceAuthorizations => {
            let Some(resource) = resource(params).filter(|r| !r.is_empty()) else {
                return Err(ServiceError::Refused(Refusal::InvalidDataProvided));
            };
            store.clear_resource(resource)?;
            Reply::Accepted
        }
        Op::ResetPermissionOnUpdateRole => {
            let role = lookup_role(params, "roleName")?;
            let new_role = lookup_role(params, "newRoleName")?;
            // A rename moves the rules with the role; rules left under the old name (a role
            // re-created) move to the new one.
            if store.role_exists(&role)? && store.role_exists(&new_role)? {
                store.move_role_rules(&role, &new_role)?;
            }
            Reply::Accepted
        }
        Op::RefreshAllowedRolesForResource => Reply::Accepted,
        Op::GetAllowedRolesForResource => {
            let resource = resource(params).unwrap_or("");
            let paths = with_ancestors(resource);
            let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
            let rules = store.rules_on(true, &paths, action())?;
            let mut allowed = Vec::new();
            for role in holders(&rules, true) {
                let own: Vec<StoredRule> =
                    rules.iter().filter(|r| r.holder == role).cloned().collect();
                if access::grants_path(&as_rules(&own), resource) {
                    allowed.push(role);
                }
            }
            Reply::Texts(allowed)
        }
        Op::GetDeniedRolesForResource => {
            let resource = resource(params).unwrap_or("");
            Reply::Texts(holders(
                &store.rules_on(true, &[resource], action())?,
                false,
            ))
        }
        Op::GetExplicitlyAllowedUsersForResource | Op::GetExplicitlyDeniedUsersForResource => {
            let resource = resource(params).unwrap_or("");
            let rules = store.rules_on(false, &[resource], action())?;
            Reply::Texts(holders(
                &rules,
                operation == Op::GetExplicitlyAllowedUsersForResource,
            ))
        }
        Op::GetAllowedUiResourcesForUser => {
            let user = lookup_user(params, "userName")?;
            let rules = match store.permissions_of_user(&user, access::EXECUTE_ACTION) {
                Err(StoreError::UserNotFound(_)) => Vec::new(),
                rules => rules?,
            };
            let root = text(params, "permissionRootPath").filter(|r| !r.is_empty());
            Reply::Texts(allowed_resources(&rules, root))
        }
        Op::GetAllowedUiResourcesForRole => {
            let role: RoleName = lookup_role(params, "roleName")?;
            let rules = store.rules_of(Subject::Role(&role), access::EXECUTE_ACTION)?;
            let root = text(params, "permissionRootPath").filter(|r| !r.is_empty());
            Reply::Texts(allowed_resources(&as_rules(&rules), root))
        }
        other => return Err(super::elsewhere(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_are_listed_both_ways() {
        let paths = with_ancestors("/permission/admin/login");
        assert!(paths.contains(&"/permission/admin".to_string()));
        assert!(paths.contains(&"/permission/".to_string()));
    }
}
