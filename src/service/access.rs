//! The access decision: who is calling, and whether the permissions of their roles allow an
//! operation. WSO2's permissions form a tree of paths; holding a path grants every path below
//! it (`/permission` grants everything, `/permission/admin/manage/identity` all user and role
//! management). Only grants with the action `ui.execute` count, as Carbon's authorization
//! handler asks for that action.

use std::sync::Arc;

use super::catalogue::Operation;

/// The action Carbon's authorization handler checks.
pub const EXECUTE_ACTION: &str = "ui.execute";

/// A caller whose credentials were verified, with the permissions their roles grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's user name.
    pub name: String,
    /// Resource paths granted with `ui.execute` by any of the caller's roles (shared: a cached
    /// caller is handed to every request of a busy client).
    pub permissions: Arc<[String]>,
    /// The label of the API token the caller presented, when it came with one (audit events
    /// name it).
    pub token: Option<Arc<str>>,
}

/// Whether holding `granted` grants `required`: the same path or an ancestor of it, compared
/// segment by segment and case-sensitively (a trailing `/` is ignored).
fn grants(granted: &str, required: &str) -> bool {
    let granted = granted.trim_end_matches('/');
    !granted.is_empty()
        && required
            .strip_prefix(granted)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The access decision: may a caller holding `permissions` call `operation`?
pub fn is_authorized(permissions: &[String], operation: Operation) -> bool {
    grants_path(permissions, operation.spec().permission)
}

/// Whether `permissions` grant the path `required`.
pub fn grants_path(permissions: &[String], required: &str) -> bool {
    permissions.iter().any(|p| grants(p, required))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::catalogue::SERVICE_NAME;
    use crate::service::CATALOGUE;

    fn held(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn ancestors_grant_and_siblings_do_not() {
        assert!(grants("/permission", "/permission/admin/manage/identity"));
        assert!(grants(
            "/permission/admin/manage/",
            "/permission/admin/manage/identity/usermgt/update"
        ));
        assert!(grants(
            "/permission/admin/manage/identity",
            "/permission/admin/manage/identity"
        ));
        assert!(!grants(
            "/permission/admin/manage/identity/usermgt",
            "/permission/admin/manage/identity"
        ));
        assert!(!grants(
            "/permission/admin/manage/ident",
            "/permission/admin/manage/identity"
        ));
        assert!(!grants("/Permission", "/permission/admin"));
        assert!(!grants("/", "/permission"));
    }

    /// The whole table: every operation against the three roles of the permission matrix.
    #[test]
    fn decision_table() {
        let admin = held(&["/permission"]);
        let user_manager = held(&["/permission/admin/manage/identity/usermgt"]);
        let helpdesk = held(&["/permission/admin/manage/identity/usermgt/view"]);
        for spec in CATALOGUE
            .iter()
            .filter(|s| s.service().name == SERVICE_NAME)
        {
            let op = spec.operation;
            assert!(is_authorized(&admin, op), "admin may call {}", spec.name);
            let usermgt = spec.permission.contains("/usermgt/");
            assert_eq!(
                is_authorized(&user_manager, op),
                usermgt,
                "user manager: {}",
                spec.name
            );
            let view = spec.permission.ends_with("/usermgt/view");
            assert_eq!(
                is_authorized(&helpdesk, op),
                view,
                "helpdesk: {}",
                spec.name
            );
            assert!(!is_authorized(&[], op), "nobody: {}", spec.name);
        }
        assert!(is_authorized(
            &held(&["/permission/admin/manage/identity"]),
            Operation::IsExistingUser
        ));
        assert!(!is_authorized(&user_manager, Operation::IsExistingUser));
        assert!(is_authorized(&helpdesk, Operation::GetUserClaimValues));
        assert!(!is_authorized(&helpdesk, Operation::ListUsers));
    }
}
