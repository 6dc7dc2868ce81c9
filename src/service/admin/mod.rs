//! The Carbon admin services beside RemoteUserStoreManagerService: UserAdmin,
//! RemoteAuthorizationManagerService, UserProfileMgtService and
//! UserIdentityManagementAdminService. Each reads its operation's parameters (already checked
//! against the catalogue), applies WSO2's rules and calls the same store traits as every other
//! front end, so an account locked here is locked everywhere.

mod authorization;
mod identity_mgt;
mod profile;
mod user_admin;

use super::access::{self, Caller, PermissionRule};
use super::bean::Bean;
use super::catalogue::{
    Operation, OutputType, AUTHORIZATION_SERVICE, IDENTITY_MGT_SERVICE, PROFILE_SERVICE,
};
use super::dispatch::{Reply, Service};
use super::params::Params;
use super::ServiceError;
use crate::store::admin::StoredRule;
use crate::store::{RoleName, StoreError, UserName};

/// The admin path holding which makes a user or role an administrator in UserAdmin's guards.
const ADMIN_PERMISSION: &str = "/permission/admin";

impl Service {
    /// Run one operation of an admin service for `caller`, after the access decision.
    pub(super) fn call_admin(
        &self,
        caller: &Caller,
        operation: Operation,
        params: &Params,
    ) -> Result<Reply, ServiceError> {
        let spec = operation.spec();
        params.validate(spec)?;
        let result = if std::ptr::eq(spec.service, &AUTHORIZATION_SERVICE) {
            authorization::run(self, operation, params)
        } else if std::ptr::eq(spec.service, &PROFILE_SERVICE) {
            profile::run(self, caller, operation, params)
        } else if std::ptr::eq(spec.service, &IDENTITY_MGT_SERVICE) {
            identity_mgt::run(self, caller, operation, params)
        } else {
            user_admin::run(self, caller, operation, params)
        };
        // A write may change anyone's password, lock or permissions: verified credentials
        // are checked afresh.
        if matches!(spec.output, None | Some(OutputType::Void)) {
            self.credentials.clear();
        }
        // A void operation WSO2 publishes in-only is answered 202, whatever its handler says.
        match result {
            Ok(Reply::Void) if spec.output.is_none() => Ok(Reply::Accepted),
            other => other,
        }
    }

    /// Whether `caller` is the realm's admin user (UserAdmin trusts no one else with the
    /// admin-protected actions, whatever their roles).
    fn is_realm_admin(&self, caller: &Caller) -> bool {
        self.is_admin_user(&caller.name)
    }

    fn is_admin_user(&self, name: &str) -> bool {
        let (admin, _) = self.store.realm_admin();
        UserName::lookup(name).is_ok_and(|u| u.key() == admin.key())
    }

    /// Whether `role` is the admin role or its rules grant the admin permission.
    fn is_admin_role(&self, role: &RoleName) -> Result<bool, ServiceError> {
        let (_, admin_role) = self.store.realm_admin();
        if role.key() == admin_role.key() {
            return Ok(true);
        }
        match self.store.rules_of(
            crate::store::admin::Subject::Role(role),
            access::EXECUTE_ACTION,
        ) {
            Ok(rules) => Ok(access::grants_path(&as_rules(&rules), ADMIN_PERMISSION)),
            Err(StoreError::RoleNotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `user` holds the admin permission through any rule.
    fn has_admin_permission(&self, user: &UserName) -> Result<bool, ServiceError> {
        match self.store.permissions_of_user(user, access::EXECUTE_ACTION) {
            Ok(rules) => Ok(access::grants_path(&rules, ADMIN_PERMISSION)),
            Err(StoreError::UserNotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// The error for an operation dispatched to a service it does not belong to (never, while
/// `call_admin` dispatches by the catalogue's service).
fn elsewhere(operation: Operation) -> ServiceError {
    ServiceError::BadRequest(format!(
        "{} is an operation of {}",
        operation.name(),
        operation.spec().service.name
    ))
}

/// Stored rules of one holder as the access decision reads them.
fn as_rules(rules: &[StoredRule]) -> Vec<PermissionRule> {
    rules
        .iter()
        .map(|r| PermissionRule {
            role: 1,
            resource_id: r.resource.clone(),
            allowed: r.allowed,
        })
        .collect()
}

/// Whether `name` matches a WSO2 filter, case-insensitively: `*` any run of characters, `?`
/// one character, everything else itself.
fn matches_filter(pattern: &str, name: &str) -> bool {
    fn matches(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => matches(&p[1..], n) || (!n.is_empty() && matches(p, &n[1..])),
            (Some('?'), Some(_)) => matches(&p[1..], &n[1..]),
            (Some(a), Some(b)) => {
                a.to_lowercase().eq(b.to_lowercase()) && matches(&p[1..], &n[1..])
            }
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches(&p, &n)
}

/// A parameter's text, trimmed; absent or nil gives `None`.
fn text<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.text(name).map(str::trim)
}

/// A FlaggedName for a user or role called `name`: editable, not selected.
fn flagged(name: &str) -> Bean {
    Bean::new()
        .text("itemName", name)
        .text("itemDisplayName", name)
        .flag("editable", true)
}

/// The pagination tail UserAdmin appends to its lists: `itemName` says whether the primary
/// store's list hit its maximum.
fn tail(truncated: bool) -> Bean {
    Bean::new()
        .text("itemName", truncated.to_string())
        .text("itemDisplayName", "")
}

/// Names sorted case-insensitively, as UserAdmin sorts its FlaggedName lists.
fn sort_names(names: &mut [String]) {
    names.sort_by_cached_key(|n| n.to_lowercase());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_like_wso2() {
        assert!(matches_filter("*", "anything"));
        assert!(matches_filter("user*", "User3"));
        assert!(matches_filter("u?er1", "user1"));
        assert!(!matches_filter("user", "user1"));
        assert!(matches_filter("*_subscriber", "csp_subscriber"));
    }
}
