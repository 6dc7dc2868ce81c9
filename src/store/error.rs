use thiserror::Error;

use super::names::NameKind;

/// A built-in invariant an operation would break. Each is one of WSO2's refusals, with its own
/// fault text (`service::faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protected {
    /// deleteUser of the realm's admin user.
    DeleteAdminUser,
    /// deleteUser of the caller itself.
    DeleteLoggedInUser,
    /// deleteRole of the admin role.
    DeleteAdminRole,
    /// deleteRole of the everyone role.
    DeleteEveryoneRole,
    /// Renaming the admin role, or another role to its name.
    UpdateAdminRole,
    /// Renaming the everyone role or another role to its name, or changing its members.
    UpdateEveryoneRole,
    /// Removing the admin user from the admin role.
    RemoveAdminFromAdminRole,
    /// Renaming the realm's admin user (`[realm] admin_user` names it).
    RenameAdminUser,
}

impl std::fmt::Display for Protected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protected::DeleteAdminUser => "the admin user cannot be deleted",
            Protected::DeleteLoggedInUser => "a user cannot delete itself",
            Protected::DeleteAdminRole => "the admin role cannot be deleted",
            Protected::DeleteEveryoneRole => "the everyone role cannot be deleted",
            Protected::UpdateAdminRole => "the admin role cannot be renamed or replaced",
            Protected::UpdateEveryoneRole => "the everyone role cannot be renamed or changed",
            Protected::RemoveAdminFromAdminRole => {
                "the admin user cannot be removed from the admin role"
            }
            Protected::RenameAdminUser => "the admin user cannot be renamed",
        })
    }
}

/// Everything a user-store call can fail with. The wording clients see over SOAP comes from
/// WSO2's fault table (`service::faults`); these messages are for the CLI and logs. None
/// contains a secret.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A name element was absent or blank.
    #[error("a {0} is required")]
    MissingName(NameKind),
    /// A new name breaks a structural rule (whitespace, `/`, length) the pattern let through.
    #[error("{kind} '{name}' is not valid: {rule}")]
    InvalidName {
        /// User or role.
        kind: NameKind,
        /// The rejected name.
        name: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A new user name does not match `realm.username_regex`.
    #[error("Username {name} is not valid. User name must be a non null string with following format, {regex}")]
    UsernamePolicy {
        /// The rejected name.
        name: String,
        /// The pattern it must match.
        regex: String,
    },
    /// A new role name does not match `realm.rolename_regex`.
    #[error("Role name {name} is not valid. Role name must be a non null string with following format, {regex}")]
    RolenamePolicy {
        /// The rejected name.
        name: String,
        /// The pattern it must match.
        regex: String,
    },
    /// A new password does not match `realm.password_regex` (the password itself is never kept).
    #[error("Credential is not valid. Credential must be a non null string with following format, {regex}")]
    PasswordPolicy {
        /// The pattern it must match.
        regex: String,
        /// The operator's explanation of the pattern (WSO2's `PasswordJavaRegExViolationErrorMsg`).
        explanation: Option<String>,
    },
    /// addUser with a taken name.
    #[error("Username {0} already exists in the system. Please pick another username.")]
    UserExists(String),
    /// The named user does not exist.
    #[error("User {0} does not exist in: PRIMARY")]
    UserNotFound(String),
    /// addRole or updateRoleName with a taken name.
    #[error("Role name: {0} exists in the system. Please pick another role name.")]
    RoleExists(String),
    /// The named role does not exist.
    #[error("Role {0} does not exist in the user store.")]
    RoleNotFound(String),
    /// updateCredential with a wrong old password.
    #[error("Old credential does not match with the existing credentials.")]
    WrongOldCredential,
    /// An operation that would break a built-in invariant.
    #[error("{0}")]
    Protected(Protected),
    /// A claim URI outside the claim dialect.
    #[error("Claim URI is invalid, {0}")]
    UnknownClaim(String),
    /// addUser whose `http://wso2.org/claims/username` claim names someone else.
    #[error("Username and the username claim value should be same.")]
    UsernameClaimMismatch,
    /// The account changed since the version a conditional write expected.
    #[error("the account changed meanwhile (now at version {0})")]
    VersionChanged(i64),
    /// A value outside what the store accepts.
    #[error("{0}")]
    InvalidInput(String),
    /// The database was written by a newer build.
    #[error("database schema version {found} is newer than this build supports ({supported}); upgrade userstore")]
    SchemaTooNew {
        /// Version in the file.
        found: usize,
        /// Newest version this build knows.
        supported: usize,
    },
    /// The database failed; details go to the log, not to the client.
    #[error("internal user store error")]
    Database(#[from] DatabaseError),
    /// The operating system refused a resource the store needs (a thread, a file).
    #[error("internal user store error")]
    System(#[from] std::io::Error),
    /// Hashing failed (bad parameters or an internal fault).
    #[error("internal user store error: password hashing failed")]
    Hashing,
}

/// A failure of the database itself: kept for the log and the admin CLI, never shown to remote
/// clients.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// SQLite refused or failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed, or the connection broke.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
    /// No connection to the database could be had in time.
    #[error("{0}")]
    Unavailable(String),
    /// The transaction a write shared with others (SQLite's group commit) did not commit, so
    /// this write, done in it, is not in the database either.
    #[error("the shared transaction this write was part of failed: {0}")]
    SharedCommitFailed(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.into())
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Database(e.into())
    }
}
