//! What the Carbon admin services beside RemoteUserStoreManagerService keep: permission rules
//! of roles and of single users on any resource and action (RemoteAuthorizationManagerService),
//! federated-account associations (UserProfileMgtService) and challenge questions
//! (UserIdentityManagementAdminService).

use super::{Password, RoleName, StoreResult, UserName};

/// Whose rule: a role's or a single user's.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A role.
    Role(&'a RoleName),
    /// A user (rules WSO2 keeps in `UM_USER_PERMISSION`).
    User(&'a UserName),
}

/// Which of a subject's rules to remove.
#[derive(Debug, Clone, Copy)]
pub enum RuleScope<'a> {
    /// The rule on this resource with this action.
    One {
        /// The resource path.
        resource: &'a str,
        /// The action.
        action: &'a str,
    },
    /// Every rule with this action.
    Action(&'a str),
    /// Every rule.
    All,
}

/// A rule as stored: on a resource, with an action, granting or denying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// The role or user name holding it.
    pub holder: String,
    /// The resource path.
    pub resource: String,
    /// The action.
    pub action: String,
    /// A grant, or a denial.
    pub allowed: bool,
}

/// A user's answer to one challenge question.
#[derive(Debug)]
pub struct UserChallenge {
    /// The question set's id (a claim URI such as `http://wso2.org/claims/challengeQuestion1`).
    pub set_id: String,
    /// The question asked.
    pub question: String,
    /// The answer (stored hashed).
    pub answer: Password,
    /// Its position.
    pub order: i64,
}

/// A stored challenge of a user; the answer is only ever a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChallenge {
    /// The question set's id.
    pub set_id: String,
    /// The question.
    pub question: String,
    /// The answer's hash.
    pub answer_hash: String,
    /// Its position.
    pub order: i64,
}

/// A question of the tenant's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeQuestion {
    /// The question set it belongs to.
    pub set_id: String,
    /// The question.
    pub question: String,
    /// Its position.
    pub order: i64,
    /// Whether it is offered to users.
    pub promoted: bool,
}

/// The admin services' own records.
pub trait AdminBackend {
    /// Add or replace a subject's rule on `resource` for `action`: a grant or a denial.
    fn set_rule(
        &self,
        subject: Subject<'_>,
        resource: &str,
        action: &str,
        allowed: bool,
    ) -> StoreResult<()>;
    /// Remove rules of a subject (grants and denials).
    fn clear_rules(&self, subject: Subject<'_>, scope: RuleScope<'_>) -> StoreResult<()>;
    /// Remove every rule of every role and user on `resource`.
    fn clear_resource(&self, resource: &str) -> StoreResult<()>;
    /// Every rule of roles (`roles`) or of users (not `roles`) with `action`, on `resource` or,
    /// when given, also on its ancestors.
    fn rules_on(
        &self,
        roles: bool,
        resources: &[&str],
        action: &str,
    ) -> StoreResult<Vec<StoredRule>>;
    /// A subject's own rules with `action` (a role's, or a user's direct ones).
    fn rules_of(&self, subject: Subject<'_>, action: &str) -> StoreResult<Vec<StoredRule>>;
    /// Move every rule of role `from` to role `to` (kept once).
    fn move_role_rules(&self, from: &RoleName, to: &RoleName) -> StoreResult<()>;

    /// Associate a federated account (identity provider, its user id) with a user.
    fn associate(&self, user: &UserName, idp: &str, associated_id: &str) -> StoreResult<()>;
    /// Remove an association; one that does not exist is ignored.
    fn dissociate(&self, user: &UserName, idp: &str, associated_id: &str) -> StoreResult<()>;
    /// A user's associations as (identity provider, associated id), sorted.
    fn associations_of(&self, user: &UserName) -> StoreResult<Vec<(String, String)>>;
    /// The user a federated account is associated with.
    fn associated_user(&self, idp: &str, associated_id: &str) -> StoreResult<Option<String>>;

    /// Replace a user's challenge answers (hashed here).
    fn set_challenges(&self, user: &UserName, challenges: &[UserChallenge]) -> StoreResult<()>;
    /// A user's challenges, by position.
    fn challenges_of(&self, user: &UserName) -> StoreResult<Vec<StoredChallenge>>;
    /// Replace the tenant's question catalogue.
    fn set_challenge_questions(&self, questions: &[ChallengeQuestion]) -> StoreResult<()>;
    /// The tenant's question catalogue, by set and position.
    fn challenge_questions(&self) -> StoreResult<Vec<ChallengeQuestion>>;
}
