//! WSO2's fault texts: the one table that says what each error reads like on the wire, in the
//! two message sets clients match (today's kernel with error codes, and kernel 4.4's without).
//! The texts and the order they are checked in follow carbon-kernel's user core and
//! identity-user-ws (contract §9, §10).

use super::catalogue::Operation;
use super::ServiceError;
use crate::store::{NameKind, Protected, StoreError};

/// Which of WSO2's message sets faults are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum MessageSet {
    /// carbon-kernel 4.12 (IS 5.10 and later): `<code> - <text>`.
    #[default]
    #[serde(rename = "current")]
    Current,
    /// carbon-kernel 4.4 (IS 5.1 to 5.9): the same texts without codes; user-exists as IS 5.x
    /// deployments answer it, the form deployed clients compare.
    #[serde(rename = "kernel-4.4")]
    Kernel44,
}

/// The domain WSO2 names in user-not-found texts (the primary store's `DomainName`).
const DOMAIN: &str = "PRIMARY";

/// A text with its WSO2 error code, written per message set.
fn coded(set: MessageSet, code: &str, text: &str) -> String {
    match set {
        MessageSet::Current => format!("{code} - {text}"),
        MessageSet::Kernel44 => text.to_string(),
    }
}

fn protected_text(set: MessageSet, protected: Protected) -> String {
    let (code, text) = match protected {
        Protected::DeleteLoggedInUser => ("37001", "LoggedInUser Cannot delete logged in user"),
        Protected::DeleteAdminUser => ("37002", "AdminUserCannot delete admin user"),
        Protected::DeleteAdminRole => ("31804", "Cannot delete admin role"),
        Protected::DeleteEveryoneRole => ("31805", "Cannot delete everyone role"),
        Protected::UpdateAdminRole => ("30010", "Cannot update admin role"),
        Protected::UpdateEveryoneRole => ("30009", "Cannot update everyone role"),
        Protected::RemoveAdminFromAdminRole => (
            "30008",
            "RemoveAdminUser Cannot remove Admin user from Admin role",
        ),
        // No SOAP operation renames a user; SCIM reports it in its own words.
        Protected::RenameAdminUser => ("30010", "Cannot rename admin user"),
    };
    coded(set, code, text)
}

fn store_text(set: MessageSet, error: &StoreError, operation: Operation) -> String {
    use Operation as Op;
    match error {
        StoreError::UserExists(user) => match set {
            MessageSet::Current => format!(
                "30004 - UserAlreadyExistingUsername {user} already exists in the system. Please pick another username."
            ),
            MessageSet::Kernel44 => {
                "UserAlreadyExisting:Username already exists in the system. Please pick another username."
                    .to_string()
            }
        },
        // The one place WSO2 formats this code without spaces around the dash.
        StoreError::UserNotFound(user) if operation == Op::UpdateCredentialByAdmin => match set {
            MessageSet::Current => {
                format!("30007-UserNotFound: User {user} does not exist in: {DOMAIN}")
            }
            MessageSet::Kernel44 => format!("UserNotFound: User {user} does not exist in: {DOMAIN}"),
        },
        StoreError::UserNotFound(user) => coded(
            set,
            "30007",
            &format!("UserNotFound: User {user} does not exist in: {DOMAIN}"),
        ),
        StoreError::WrongOldCredential => coded(
            set,
            "30006",
            "PasswordInvalid Old credential does not match with the existing credentials.",
        ),
        StoreError::PasswordPolicy { regex, explanation } => {
            let pattern_text = || {
                coded(
                    set,
                    "30003",
                    &format!("Credential is not valid. Credential must be a non null string with following format, {regex}"),
                )
            };
            match (operation, explanation) {
                (Op::UpdateCredential, Some(why)) => coded(
                    set,
                    "35001",
                    &format!("Un-expected error during pre update credential, {why}"),
                ),
                (Op::UpdateCredentialByAdmin, Some(why)) => coded(
                    set,
                    "36001",
                    &format!("Un-expected error during pre update credential by admin, {why}"),
                ),
                _ => pattern_text(),
            }
        }
        StoreError::UsernamePolicy { name, regex } => coded(
            set,
            "31301",
            &format!("Username {name} is not valid. User name must be a non null string with following format, {regex}"),
        ),
        StoreError::RolenamePolicy { name, regex } => coded(
            set,
            "30011",
            &format!("InvalidRole Role name {name} is not valid. Role name must be a non null string with following format, {regex}"),
        ),
        StoreError::RoleExists(role) => coded(
            set,
            "30012",
            &format!("RoleExistingRole name: {role} exists in the system. Please pick another role name."),
        ),
        StoreError::MissingName(NameKind::Role) if operation == Op::AddRole => {
            coded(set, "31704", "Cannot add role with empty role name")
        }
        StoreError::RoleNotFound(role) if operation == Op::AddUser => {
            match role.split_once('/') {
                Some((domain, name)) if domain.eq_ignore_ascii_case("Internal") => {
                    coded(set, "31303", &format!("Internal role does not exist : {name}"))
                }
                _ => coded(set, "31304", &format!("External role does not exist : {role}")),
            }
        }
        StoreError::RoleNotFound(_) if operation == Op::DeleteRole => {
            coded(set, "31806", "Cannot delete non-existing role")
        }
        StoreError::Protected(protected) => protected_text(set, *protected),
        StoreError::UnknownClaim(uri) => coded(set, "30005", &format!("Claim URI is invalid, {uri}")),
        other => other.to_string(),
    }
}

/// The faultstring WSO2 writes for `error` raised by `operation`.
pub fn fault_text(set: MessageSet, error: &ServiceError, operation: Operation) -> String {
    match error {
        ServiceError::Store(store) => store_text(set, store, operation),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(set: MessageSet, error: StoreError, op: Operation) -> String {
        fault_text(set, &ServiceError::Store(error), op)
    }

    #[test]
    fn current_texts_carry_codes_and_kernel_44_texts_do_not() {
        let exists = || StoreError::UserExists("bob".into());
        assert_eq!(
            text(MessageSet::Current, exists(), Operation::AddUser),
            "30004 - UserAlreadyExistingUsername bob already exists in the system. Please pick another username."
        );
        assert_eq!(
            text(MessageSet::Kernel44, exists(), Operation::AddUser),
            "UserAlreadyExisting:Username already exists in the system. Please pick another username."
        );
        let missing = || StoreError::UserNotFound("bob".into());
        assert_eq!(
            text(MessageSet::Current, missing(), Operation::DeleteUser),
            "30007 - UserNotFound: User bob does not exist in: PRIMARY"
        );
        assert_eq!(
            text(
                MessageSet::Current,
                missing(),
                Operation::UpdateCredentialByAdmin
            ),
            "30007-UserNotFound: User bob does not exist in: PRIMARY"
        );
        assert_eq!(
            text(
                MessageSet::Current,
                StoreError::RoleNotFound("Internal/x".into()),
                Operation::AddUser
            ),
            "31303 - Internal role does not exist : x"
        );
        assert_eq!(
            text(
                MessageSet::Kernel44,
                StoreError::Protected(Protected::DeleteAdminRole),
                Operation::DeleteRole
            ),
            "Cannot delete admin role"
        );
    }
}
