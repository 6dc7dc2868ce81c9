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

/// The faultstring WSO2 writes for `error` raised by `operation`. The admin services pass
/// user-core errors through unchanged, so their calls read as the user-core call they make.
pub fn fault_text(set: MessageSet, error: &ServiceError, operation: Operation) -> String {
    match error {
        ServiceError::Store(store) => store_text(set, store, user_core_call(operation)),
        other => other.to_string(),
    }
}

/// The RemoteUserStoreManagerService operation whose user-core call an admin operation makes.
fn user_core_call(operation: Operation) -> Operation {
    use Operation as Op;
    match operation {
        Op::AdminAddUser | Op::BulkImportUsers => Op::AddUser,
        Op::AdminAddRole | Op::AddInternalRole => Op::AddRole,
        Op::AdminDeleteRole => Op::DeleteRole,
        Op::AdminDeleteUser | Op::IdentityDeleteUser => Op::DeleteUser,
        Op::ChangePassword | Op::ResetUserPassword => Op::UpdateCredentialByAdmin,
        Op::ChangePasswordByUser | Op::ChangeUserPassword => Op::UpdateCredential,
        other => other,
    }
}

/// Refusals the admin services write in their own words, before or instead of the user core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The anonymous user, or the everyone role where it cannot be changed.
    InvalidData,
    /// updateUsersOfRole on an admin-permission role by anyone but the realm admin.
    AdminRoleMembers,
    /// updateUsersOfRole removing the caller from a role.
    RemoveYourself(String),
    /// addRemoveUsersOfRole on an admin-permission role by anyone but the realm admin.
    AdminRoleMembersPrivilege,
    /// addRemoveUsersOfRole removing the admin user from the admin role.
    RemoveAdminFromAdminRole,
    /// addRemoveRolesOfUser removing the admin user from the admin role.
    RemoveAdminFromAdminRoleOfUser,
    /// Putting a user in an admin-permission role, by anyone but the realm admin.
    AddToAdminRole,
    /// Taking a user with admin permission out of an admin-permission role.
    RemoveFromAdminRole,
    /// addUser with an admin-permission role, by anyone but the realm admin.
    AssignAdminRole,
    /// Deleting the admin user, by anyone else.
    DeleteAdminUser,
    /// Deleting a user with admin permission, by anyone but the realm admin.
    DeleteAdminPermissionUser,
    /// changePassword on oneself.
    PasswordWithoutOld,
    /// changePassword on the admin user, by anyone else.
    ChangeAdminPassword,
    /// changePassword on a user with admin permission, by anyone but the realm admin.
    ChangeAdminPermissionPassword,
    /// changePasswordByUser with a wrong old password or an unknown user.
    WrongCurrentPassword,
    /// addRole without a name, or with a reserved one.
    ReservedRoleName,
    /// A role with admin permission created by anyone but the realm admin.
    CreateAdminRole,
    /// A role with admin permission deleted by anyone but the realm admin.
    DeleteAdminRole,
    /// A role with admin permission renamed by anyone but the realm admin.
    RenameAdminRole,
    /// setRoleUIPermission on the admin role.
    AdminUiPermissions,
    /// setRoleUIPermission granting admin paths, by anyone but the realm admin.
    AssignAdminPermission,
    /// bulkImportUsers without a file.
    RequiredData,
    /// bulkImportUsers with a file that is not CSV.
    UnsupportedFormat,
    /// bulkImportUsers rows that could not be added (their user names).
    BulkImportFailed(Vec<String>),
    /// UserProfileMgtService on another user's profile without the permission.
    NotAuthorized,
    /// UserProfileMgtService without a user or profile name.
    InvalidInput,
    /// deleteUserProfile of the default profile.
    DeleteDefaultProfile,
    /// RemoteAuthorizationManagerService without a resource or action.
    InvalidDataProvided,
    /// updateUserIdentityClaims on an identity claim.
    IdentityClaim,
    /// A Java method that failed on an absent argument (Axis2's generic text).
    MethodFailed(&'static str),
    /// An association that could not be made (empty or taken).
    AssociateFailed { user: String, idp: String },
    /// An association that could not be removed.
    DissociateFailed { user: String, idp: String },
    /// setChallengeQuestionsOfUser with no challenge.
    NoChallenges,
    /// Two challenges of one question set.
    DuplicateChallenge,
    /// A challenge whose question is not in the catalogue.
    UnregisteredChallenge(String),
    /// Another user's challenges read without the permission.
    ChallengesConfidential { caller: String, user: String },
    /// Another user's challenges set without the permission.
    ChallengesElevation { caller: String, user: String },
}

impl Refusal {
    /// The text WSO2's service writes (trailing space and misspellings included).
    pub fn text(&self) -> String {
        match self {
            Refusal::InvalidData => "Invalid data".into(),
            Refusal::AdminRoleMembers => "Can not add or remove user from Admin permission role".into(),
            Refusal::RemoveYourself(role) => format!("Can not remove yourself from role : {role}"),
            Refusal::AdminRoleMembersPrivilege => "You do not have the required privilege to add or remove user from a admin role".into(),
            Refusal::RemoveAdminFromAdminRole => "Can not remove Admin user from Admin role".into(),
            Refusal::RemoveAdminFromAdminRoleOfUser => "Can not remove admin user from admin role".into(),
            Refusal::AddToAdminRole => "Can not add users to Admin permission role".into(),
            Refusal::RemoveFromAdminRole => "Can not remove users from Admin role".into(),
            Refusal::AssignAdminRole => "You do not have the required privilege to assign a user to a role which has admin permission.".into(),
            Refusal::DeleteAdminUser => "You do not have the required privilege to delete the admin user".into(),
            Refusal::DeleteAdminPermissionUser => "You do not have the required privilege to delete a user who has admin permission".into(),
            Refusal::PasswordWithoutOld => "An attempt to change password with out providing old password".into(),
            Refusal::ChangeAdminPassword => "You do not have the required privilege to change the password of admin user".into(),
            Refusal::ChangeAdminPermissionPassword => "You do not have the required privilege to change the password of a user with admin permission".into(),
            Refusal::WrongCurrentPassword => "The current password you entered is incorrect. ".into(),
            Refusal::ReservedRoleName => "Role name is reserved by the system.".into(),
            Refusal::CreateAdminRole => "You do not have the required privilege to create a role with admin permission".into(),
            Refusal::DeleteAdminRole => "You do not have the required privilege to delete a role with admin permission".into(),
            Refusal::RenameAdminRole => "You do not have the required privilege to rename a role with admin permission".into(),
            Refusal::AdminUiPermissions => "UI permissions of Admin is not allowed to change".into(),
            Refusal::AssignAdminPermission => "Can not assign Admin for permission role".into(),
            Refusal::RequiredData => "Required data not provided".into(),
            Refusal::UnsupportedFormat => "Unsupported format".into(),
            Refusal::BulkImportFailed(users) => format!(
                "Error occurred while importing users: {} could not be added ({})",
                users.len(),
                users.join(", ")
            ),
            Refusal::NotAuthorized => "You are not authorized to perform this action.".into(),
            Refusal::InvalidInput => "Invalid input parameters".into(),
            Refusal::DeleteDefaultProfile => "Cannot delete default profile".into(),
            Refusal::InvalidDataProvided => "Invalid data provided".into(),
            Refusal::MethodFailed(method) => format!("Exception occurred while trying to invoke service method {method}"),
            Refusal::AssociateFailed { user, idp } => format!("Error while creating association for user: {user}, with federated IdP: {idp}, in tenant: carbon.super"),
            Refusal::DissociateFailed { user, idp } => format!("Error while removing association with federated IdP: {idp} for user: {user} in tenant: carbon.super"),
            Refusal::IdentityClaim => "Updates to the identity claims of http://wso2.org/claims/identity are not allowed".into(),
            Refusal::NoChallenges => "no challenges provided by user".into(),
            Refusal::DuplicateChallenge => "Error while validating user challenges, because these can't be more than one security challenges for one claim uri".into(),
            Refusal::UnregisteredChallenge(user) => format!("Error while persisting user challenges for user : {user}, because these user challengers are not registered with the tenant"),
            Refusal::ChallengesConfidential { caller, user } => format!("Unauthorized access!! Possible violation of confidentiality. User {caller} trying to get challenge questions for user {user}"),
            Refusal::ChallengesElevation { caller, user } => format!("Unauthorized access!! Possible elevation of privilege attack. User {caller} trying to change challenge questions for user {user}"),
        }
    }
}

/// UserIdentityManagementAdminService's summary of any failure of `operation` on `user`: the
/// service hides the cause.
pub fn identity_summary(operation: Operation, user: &str) -> String {
    use Operation as Op;
    match operation {
        Op::LockUserAccount => format!("Error occurred while trying to lock the account {user}"),
        Op::UnlockUserAccount => format!("Error occurred while unlocking account for: {user}"),
        Op::DisableUserAccount => {
            format!("Error occurred while trying to disable the account {user}")
        }
        Op::EnableUserAccount => format!("Error occurred while enabling account for: {user}"),
        Op::ResetUserPassword => format!("Error occurred while resetting password for: {user}"),
        Op::IdentityDeleteUser => format!("Error occured while deleting user : {user}"),
        Op::ChangeUserPassword => format!("Error while resetting the password for: {user}"),
        Op::UpdateUserIdentityClaims => {
            format!("Error while updating identity recovery data for : {user}")
        }
        Op::GetAllUserIdentityClaims => "Error while getting user identity claims".into(),
        Op::IdentityIsReadOnlyUserStore => "Error while retrieving user store manager".into(),
        Op::GetAllChallengeQuestions => "Error while loading user challenge questions".into(),
        Op::GetAllPromotedUserChallenge => "Error while loading user challenges".into(),
        Op::SetChallengeQuestions => "Error while persisting user challenges".into(),
        Op::GetChallengeQuestionsOfUser => {
            format!("Error while retrieving user challenges for user : {user}")
        }
        _ => format!("Error while persisting user challenges for user : {user}"),
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
