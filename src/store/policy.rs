//! Account-security policy: credential format rules and brute-force locking, configured by the
//! operator and enforced by the store so every entry point (SOAP operation or HTTP Basic) obeys
//! the same rules.

use std::time::Duration;

use regex::Regex;

use super::{Password, RoleName, StoreError, UserName};

/// Identity claims WSO2 keeps in the default profile to describe an account's security state.
pub mod claims {
    /// `true` while the account is locked (by an administrator, or by failed logins).
    pub const ACCOUNT_LOCKED: &str = "http://wso2.org/claims/identity/accountLocked";
    /// `true` while the account is disabled by an administrator.
    pub const ACCOUNT_DISABLED: &str = "http://wso2.org/claims/identity/accountDisabled";
    /// When a failed-login lock ends, in ms since the epoch; absent for an administrator's lock.
    pub const UNLOCK_TIME: &str = "http://wso2.org/claims/identity/unlockTime";
    /// Consecutive failed logins since the last success or lock.
    pub const FAILED_LOGIN_ATTEMPTS: &str = "http://wso2.org/claims/identity/failedLoginAttempts";
    /// How many failed-login locks happened since the last success (grows the lock time).
    pub const FAILED_LOGIN_LOCKOUT_COUNT: &str =
        "http://wso2.org/claims/identity/failedLoginLockoutCount";
    /// The user's UUID, set at creation (scripts read it after addUser; SCIM's `id`).
    pub const USER_ID: &str = "http://wso2.org/claims/userid";
    /// The user name as a claim; addUser refuses one naming someone else.
    pub const USERNAME: &str = "http://wso2.org/claims/username";
    /// `true` when the user must change the password (addUser's requirePasswordChange).
    pub const ADMIN_FORCED_PASSWORD_RESET: &str =
        "http://wso2.org/claims/identity/adminForcedPasswordReset";

    /// When the user last logged in (ms since the epoch; recorded at most once a minute).
    pub const LAST_LOGIN_TIME: &str = "http://wso2.org/claims/identity/lastLoginTime";

    /// What the login machinery keeps (lock counters, the last login): readable one by one,
    /// but left out of a user's claim listing (getUserClaimValues), where they would look like
    /// profile data.
    pub fn is_bookkeeping(uri: &str) -> bool {
        [
            UNLOCK_TIME,
            FAILED_LOGIN_ATTEMPTS,
            FAILED_LOGIN_LOCKOUT_COUNT,
            LAST_LOGIN_TIME,
        ]
        .contains(&uri)
    }
}

/// Brute-force protection, named after WSO2's `[identity_mgt.account_locking]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockPolicy {
    /// Consecutive failures that lock the account; 0 disables locking.
    pub allowed_failed_attempts: u32,
    /// Length of the first lock.
    pub unlock_after: Duration,
    /// Each further lock (without a success in between) lasts this many times longer.
    pub increment_ratio: u32,
    /// Upper bound of a lock's length.
    pub max_unlock_after: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        Self {
            allowed_failed_attempts: 5,
            unlock_after: Duration::from_secs(300),
            increment_ratio: 2,
            max_unlock_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl LockPolicy {
    /// How long the `n`-th consecutive lock (0-based) lasts.
    pub fn lock_duration(&self, previous_locks: u32) -> Duration {
        let factor = u64::from(self.increment_ratio.max(1)).saturating_pow(previous_locks);
        let ms = (self.unlock_after.as_millis() as u64).saturating_mul(factor);
        Duration::from_millis(ms).min(self.max_unlock_after)
    }
}

/// Format rules for new user names, role names and passwords (WSO2's `UsernameJavaRegEx`,
/// `RolenameJavaRegEx` and `PasswordJavaRegEx`; the defaults are WSO2's).
#[derive(Debug, Clone)]
pub struct CredentialPolicy {
    username: Regex,
    password: Regex,
    rolename: Regex,
    password_explanation: Option<String>,
}

/// The patterns and texts a [`CredentialPolicy`] is built from, as configured.
#[derive(Debug, Clone, Copy)]
pub struct PolicyPatterns<'a> {
    /// New user names must match.
    pub username: &'a str,
    /// New passwords must match.
    pub password: &'a str,
    /// New role names (outside `Internal/` and `Application/`) must match.
    pub rolename: &'a str,
    /// What a password breaking the pattern is told (WSO2's `PasswordJavaRegExViolationErrorMsg`).
    pub password_explanation: Option<&'a str>,
}

/// The default user-name rule: WSO2's (`^[\S]{3,30}$`) with room for the user names SCIM
/// clients send (Microsoft Entra's documented ones are 46 characters; UPNs and e-mail
/// addresses are often longer than 30), up to the store's own limit of 100.
pub const DEFAULT_USERNAME_REGEX: &str = r"^[\S]{3,100}$";
/// WSO2's default password rule.
pub const DEFAULT_PASSWORD_REGEX: &str = r"^[\S]{5,30}$";
/// The default role-name rule: WSO2's (`^[\S]{3,30}$`) with spaces between words, as SCIM
/// clients name groups ("Sales Team"), up to 100 characters.
pub const DEFAULT_ROLENAME_REGEX: &str = r"^[\S ]{3,100}$";
/// WSO2's explanation of its default password rule.
pub const DEFAULT_PASSWORD_EXPLANATION: &str =
    "Password length should be within 5 to 30 characters";

impl Default for PolicyPatterns<'static> {
    fn default() -> Self {
        Self {
            username: DEFAULT_USERNAME_REGEX,
            password: DEFAULT_PASSWORD_REGEX,
            rolename: DEFAULT_ROLENAME_REGEX,
            password_explanation: Some(DEFAULT_PASSWORD_EXPLANATION),
        }
    }
}

impl Default for CredentialPolicy {
    fn default() -> Self {
        Self::new(PolicyPatterns::default()).expect("default patterns compile")
    }
}

impl CredentialPolicy {
    /// Compile the patterns; the error names which one is wrong (`username`, `password`,
    /// `rolename`).
    pub fn new(patterns: PolicyPatterns<'_>) -> Result<Self, String> {
        let compile = |what: &str, pattern: &str| {
            Regex::new(pattern).map_err(|e| format!("invalid {what} pattern: {e}"))
        };
        Ok(Self {
            username: compile("username", patterns.username)?,
            password: compile("password", patterns.password)?,
            rolename: compile("rolename", patterns.rolename)?,
            password_explanation: patterns
                .password_explanation
                .filter(|e| !e.trim().is_empty())
                .map(str::to_string),
        })
    }

    /// The username pattern, as getUserRealmInfo reports it.
    pub fn username_regex(&self) -> &str {
        self.username.as_str()
    }

    /// The password pattern.
    pub fn password_regex(&self) -> &str {
        self.password.as_str()
    }

    /// The role-name pattern.
    pub fn rolename_regex(&self) -> &str {
        self.rolename.as_str()
    }

    /// A new account's name must match the username pattern.
    pub fn check_username(&self, user: &UserName) -> Result<(), StoreError> {
        // A secondary store's domain is not part of the name the pattern rules, as in WSO2.
        if self.username.is_match(user.local_part()) {
            return Ok(());
        }
        Err(self.username_violation(user.as_str()))
    }

    /// The error for a user name that breaks the pattern (`null` for an absent one, as WSO2
    /// writes it).
    pub fn username_violation(&self, name: &str) -> StoreError {
        StoreError::UsernamePolicy {
            name: name.to_string(),
            regex: self.username.as_str().to_string(),
        }
    }

    /// A new role's name must match the role-name pattern; hybrid roles (`Internal/`,
    /// `Application/`) are exempt, as WSO2 creates them without the check.
    pub fn check_rolename(&self, role: &RoleName) -> Result<(), StoreError> {
        if role.is_hybrid_domain() || self.rolename.is_match(role.as_str()) {
            return Ok(());
        }
        Err(StoreError::RolenamePolicy {
            name: role.to_string(),
            regex: self.rolename.as_str().to_string(),
        })
    }

    /// A new password must match the password pattern. The error names the rule, never the
    /// password.
    pub fn check_password(&self, password: &Password) -> Result<(), StoreError> {
        if !password.matches(&self.password) {
            return Err(StoreError::PasswordPolicy {
                regex: self.password.as_str().to_string(),
                explanation: self.password_explanation.clone(),
            });
        }
        password.check_length()
    }
}

/// The claim URIs users may have: WSO2's default local dialect (`http://wso2.org/claims`, as
/// carbon's claim-config ships it) plus those the operator adds, or any URI at all.
#[derive(Debug, Clone)]
pub struct ClaimDialect {
    extra: Vec<String>,
    allow_any: bool,
}

/// WSO2's default local claims (`http://wso2.org/claims/...`): the whole local dialect of IS 7's
/// claim-config.xml (carbon-identity-framework's, `local` the locale among them), by the part
/// after the dialect,
/// and the ones userstore adds for SCIM attributes WSO2 has no claim for (`addresses.home.*`,
/// `addresses.other.*`, `division`, `manager`, phone numbers of type fax, pager and
/// other; README "Connecting Microsoft Entra ID and Okta"; `identity/requiredActions`, where
/// Keycloak's pending required actions come across).
pub const DEFAULT_LOCAL_CLAIMS: &[&str] = &[
    "active",
    "addresses",
    "addresses.formatted",
    "addresses.home.country",
    "addresses.home.formatted",
    "addresses.home.locality",
    "addresses.home.postalCode",
    "addresses.home.region",
    "addresses.home.streetAddress",
    "addresses.locality",
    "addresses.other.country",
    "addresses.other.formatted",
    "addresses.other.locality",
    "addresses.other.postalCode",
    "addresses.other.region",
    "addresses.other.streetAddress",
    "challengeQuestion1",
    "challengeQuestion2",
    "challengeQuestionUris",
    "costCenter",
    "country",
    "created",
    "department",
    "displayName",
    "division",
    "dob",
    "emailaddress",
    "emails",
    "emails.home",
    "emails.other",
    "emails.work",
    "entitlements",
    "extendedDisplayName",
    "extendedExternalId",
    "extendedRef",
    "externalid",
    "formattedName",
    "fullname",
    "gender",
    "givenname",
    "groups",
    "gtalk",
    "honorificPrefix",
    "honorificSuffix",
    "im",
    "lastname",
    "local",
    "locality",
    "location",
    "manager",
    "middleName",
    "mobile",
    "modified",
    "nickname",
    "oneTimePassword",
    "organization",
    "otherphone",
    "phoneNumbers",
    "phoneNumbers.fax",
    "phoneNumbers.home",
    "phoneNumbers.mobile",
    "phoneNumbers.other",
    "phoneNumbers.pager",
    "phoneNumbers.work",
    "photos",
    "photourl",
    "postalcode",
    "preferredLanguage",
    "primaryChallengeQuestion",
    "region",
    "resourceType",
    "role",
    "skype",
    "stateorprovince",
    "streetaddress",
    "telephone",
    "thumbnail",
    "timeZone",
    "title",
    "url",
    "userid",
    "username",
    "userprincipal",
    "userType",
    "websiteurl",
    "x509Certificates",
    "identity/accountConfirmedTime",
    "identity/accountDisabled",
    "identity/accountLocked",
    "identity/accountState",
    "identity/adminForcedPasswordReset",
    "identity/askPassword",
    "identity/backupCodeEnabled",
    "identity/backupCodes",
    "identity/emailaddress.pendingValue",
    "identity/emailotp_disabled",
    "identity/emailVerified",
    "identity/enabledAuthenticators",
    "identity/failedBackupCodeAttempts",
    "identity/failedEmailOtpAttempts",
    "identity/failedLoginAttempts",
    "identity/failedLoginAttemptsBeforeSuccess",
    "identity/failedLoginLockoutCount",
    "identity/failedPasswordRecoveryAttempts",
    "identity/failedSmsOtpAttempts",
    "identity/failedTotpAttempts",
    "identity/isLiteUser",
    "identity/isReadOnlyUser",
    "identity/lastLoginTime",
    "identity/lastLogonTime",
    "identity/lastPasswordUpdateTime",
    "identity/lockedReason",
    "identity/mobileNumber.pendingValue",
    "identity/phoneVerified",
    "identity/preferredChannel",
    "identity/requiredActions",
    "identity/secretkey",
    "identity/smsotp_disabled",
    "identity/tenantAdminAskPassword",
    "identity/totpEnabled",
    "identity/unlockTime",
    "identity/userSourceId",
    "identity/verifyEmail",
    "identity/verifyMobile",
    "identity/verifySecretkey",
];

/// The local claim dialect.
pub const LOCAL_DIALECT: &str = "http://wso2.org/claims/";

impl Default for ClaimDialect {
    fn default() -> Self {
        Self::new(Vec::new(), false)
    }
}

impl ClaimDialect {
    /// WSO2's local claims plus `extra` (full URIs), or every URI when `allow_any`.
    pub fn new(extra: Vec<String>, allow_any: bool) -> Self {
        Self { extra, allow_any }
    }

    /// Whether users may hold claim `uri`.
    pub fn contains(&self, uri: &str) -> bool {
        self.allow_any
            || uri
                .strip_prefix(LOCAL_DIALECT)
                .is_some_and(|local| DEFAULT_LOCAL_CLAIMS.contains(&local))
            || self.extra.iter().any(|e| e == uri)
    }

    /// `Ok` when `uri` is in the dialect, else WSO2's invalid-claim error.
    pub fn check(&self, uri: &str) -> Result<(), StoreError> {
        if self.contains(uri) {
            Ok(())
        } else {
            Err(StoreError::UnknownClaim(uri.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_durations_grow_and_are_capped() {
        let policy = LockPolicy {
            allowed_failed_attempts: 3,
            unlock_after: Duration::from_secs(10),
            increment_ratio: 3,
            max_unlock_after: Duration::from_secs(60),
        };
        assert_eq!(policy.lock_duration(0), Duration::from_secs(10));
        assert_eq!(policy.lock_duration(1), Duration::from_secs(30));
        assert_eq!(policy.lock_duration(2), Duration::from_secs(60));
        assert_eq!(policy.lock_duration(40), Duration::from_secs(60));
    }

    #[test]
    fn default_policy_follows_wso2() {
        let policy = CredentialPolicy::default();
        assert!(policy
            .check_password(&Password::new("abcde".into()))
            .is_ok());
        let short = policy
            .check_password(&Password::new("abcd".into()))
            .unwrap_err();
        assert!(short.to_string().contains(r"^[\S]{5,30}$"));
        assert!(!short.to_string().contains("abcd"));
        assert!(policy
            .check_password(&Password::new("with space".into()))
            .is_err());
        assert!(policy
            .check_username(&UserName::new_account("ab").unwrap())
            .is_err());
        assert!(policy
            .check_username(&UserName::new_account("abc").unwrap())
            .is_ok());
        assert!(policy
            .check_rolename(&RoleName::new_role("ab").unwrap())
            .is_err());
        assert!(policy
            .check_rolename(&RoleName::new_role("Internal/ab").unwrap())
            .is_ok());
    }

    #[test]
    fn claim_dialect_is_wso2s_local_claims_plus_extras() {
        let dialect = ClaimDialect::new(vec!["urn:example:badge".into()], false);
        assert!(dialect.contains("http://wso2.org/claims/givenname"));
        assert!(dialect.contains("urn:example:badge"));
        assert!(!dialect.contains("http://wso2.org/claims/shoesize"));
        assert!(!dialect.contains("email"));
        assert!(ClaimDialect::new(Vec::new(), true).contains("anything"));
    }
}
