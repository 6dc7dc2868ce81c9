use thiserror::Error;

use super::names::NameKind;

/// Everything a user-store call can fail with. Messages are shown to SOAP clients as the fault
/// string, so they name the problem as WSO2 does and never contain a secret.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A name element was absent or blank.
    #[error("a {0} is required")]
    MissingName(NameKind),
    /// A new name breaks the naming rules.
    #[error("{kind} '{name}' is not valid: {rule}")]
    InvalidName {
        /// User or role.
        kind: NameKind,
        /// The rejected name.
        name: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// addUser with a taken name.
    #[error("Username '{0}' already exists in the system. Please pick another username.")]
    UserExists(String),
    /// The named user does not exist.
    #[error("User '{0}' does not exist in the user store.")]
    UserNotFound(String),
    /// addRole or updateRoleName with a taken name.
    #[error("Role name '{0}' already exists in the system. Please pick another role name.")]
    RoleExists(String),
    /// The named role does not exist.
    #[error("Role '{0}' does not exist in the user store.")]
    RoleNotFound(String),
    /// updateCredential with a wrong old password.
    #[error("Old credential does not match with the existing credentials.")]
    WrongOldCredential,
    /// An operation that would break a built-in invariant (admin user, admin or everyone role).
    #[error("{0}")]
    Forbidden(String),
    /// A new user name or password breaks the configured policy.
    #[error("{0}")]
    PolicyViolation(String),
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
    Database(#[from] rusqlite::Error),
    /// Hashing failed (bad parameters or an internal fault).
    #[error("internal user store error: password hashing failed")]
    Hashing,
}
