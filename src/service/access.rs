//! The access decision: who is calling, and whether the permissions of their roles allow an
//! operation. WSO2's permissions form a tree of paths; holding a path grants every path below
//! it (`/permission` grants everything, `/permission/admin/manage/identity` all user and role
//! management). A role may also be denied a path (a WSO2 denial moved in): for each role the
//! nearest rule on the path's way to the root decides, and the caller may when any role may.
//! Only rules with the action `ui.execute` count, as Carbon's authorization handler asks for
//! that action.

use std::sync::Arc;

use super::catalogue::Operation;
pub use crate::store::PermissionRule;

/// The action Carbon's authorization handler checks.
pub const EXECUTE_ACTION: &str = "ui.execute";

/// A caller whose credentials were verified, with the permissions their roles grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's user name.
    pub name: String,
    /// The rules with `ui.execute` of the caller's roles (shared: a cached caller is handed to
    /// every request of a busy client).
    pub permissions: Arc<[PermissionRule]>,
    /// The label of the API token the caller presented, when it came with one (audit events
    /// name it).
    pub token: Option<Arc<str>>,
}

impl Caller {
    /// Nobody in particular: the caller of an operation open without credentials
    /// (changePasswordByUser), holding no permission.
    pub fn anonymous() -> Self {
        Self {
            name: String::new(),
            permissions: Vec::new().into(),
            token: None,
        }
    }
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

/// The access decision: may a caller holding `permissions` call `operation`? When the
/// operation names several paths (`a,b`), any one of them is enough, as Carbon's
/// AuthorizationHandler reads them; an operation that names none is open to every caller.
pub fn is_authorized(permissions: &[PermissionRule], operation: Operation) -> bool {
    let required = operation.spec().permission;
    required.is_empty()
        || required
            .split(',')
            .any(|path| grants_path(permissions, path))
}

/// Whether `permissions` grant the path `required`: for some role, the nearest of its rules on
/// the path (the longest that covers it) is a grant.
pub fn grants_path(permissions: &[PermissionRule], required: &str) -> bool {
    let depth = |rule: &PermissionRule| rule.resource_id.trim_end_matches('/').len();
    let covering = || {
        permissions
            .iter()
            .filter(|r| grants(&r.resource_id, required))
    };
    // A role grants when one of its allowances is nearer than all of its
    // denials; at one depth, a denial wins.
    covering().filter(|g| g.allowed).any(|allowance| {
        !covering().any(|denial| {
            !denial.allowed && denial.role == allowance.role && depth(denial) >= depth(allowance)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::catalogue::SERVICE_NAME;
    use crate::service::CATALOGUE;

    fn held(paths: &[&str]) -> Vec<PermissionRule> {
        paths
            .iter()
            .map(|p| PermissionRule::granted(1, p))
            .collect()
    }

    #[test]
    fn the_nearest_rule_of_each_role_decides() {
        let delete = "/permission/admin/manage/identity/usermgt/delete";
        let view = "/permission/admin/manage/identity/usermgt/view";
        let mut engineers = held(&["/permission/admin/manage/identity/usermgt"]);
        engineers.push(PermissionRule::denied(1, delete));
        assert!(grants_path(&engineers, view));
        assert!(!grants_path(&engineers, delete));
        assert!(!grants_path(&engineers, &format!("{delete}/more")));
        // Another role's grant is not undone by this role's denial.
        engineers.push(PermissionRule::granted(2, delete));
        assert!(grants_path(&engineers, delete));
        // A denial alone grants nothing; at one path a denial wins.
        assert!(!grants_path(
            &[PermissionRule::denied(1, "/permission")],
            view
        ));
        assert!(!grants_path(
            &[
                PermissionRule::granted(1, view),
                PermissionRule::denied(1, view)
            ],
            view
        ));
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
