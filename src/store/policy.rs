//! Account-security policy: credential format rules and brute-force locking, configured by the
//! operator and enforced by the store so every entry point (SOAP operation or HTTP Basic) obeys
//! the same rules.

use std::time::Duration;

use regex::Regex;

use super::{Password, StoreError, UserName};

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
    /// `true` when the user must change the password (addUser's requirePasswordChange).
    pub const ADMIN_FORCED_PASSWORD_RESET: &str =
        "http://wso2.org/claims/identity/adminForcedPasswordReset";

    /// Counters the lock machinery keeps: readable one by one, but left out of a user's claim
    /// listing (getUserClaimValues), where they would look like profile data.
    pub fn is_bookkeeping(uri: &str) -> bool {
        [
            UNLOCK_TIME,
            FAILED_LOGIN_ATTEMPTS,
            FAILED_LOGIN_LOCKOUT_COUNT,
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

/// Format rules for new user names and passwords (WSO2's `UsernameJavaRegEx` and
/// `PasswordJavaRegEx`; defaults are WSO2's).
#[derive(Debug, Clone)]
pub struct CredentialPolicy {
    username: Regex,
    password: Regex,
}

/// WSO2's default user-name rule.
pub const DEFAULT_USERNAME_REGEX: &str = r"^[\S]{3,30}$";
/// WSO2's default password rule.
pub const DEFAULT_PASSWORD_REGEX: &str = r"^[\S]{5,30}$";

impl Default for CredentialPolicy {
    fn default() -> Self {
        Self::new(DEFAULT_USERNAME_REGEX, DEFAULT_PASSWORD_REGEX).expect("default patterns compile")
    }
}

impl CredentialPolicy {
    /// Compile the two patterns; the error names which one is wrong.
    pub fn new(username: &str, password: &str) -> Result<Self, String> {
        let compile = |what: &str, pattern: &str| {
            Regex::new(pattern).map_err(|e| format!("invalid {what} pattern: {e}"))
        };
        Ok(Self {
            username: compile("username", username)?,
            password: compile("password", password)?,
        })
    }

    /// A new account's name must match the username pattern.
    pub fn check_username(&self, user: &UserName) -> Result<(), StoreError> {
        if self.username.is_match(user.as_str()) {
            return Ok(());
        }
        Err(StoreError::PolicyViolation(format!(
            "Username {user} is not valid. User name must be a non null string with following format, {}",
            self.username.as_str()
        )))
    }

    /// A new password must match the password pattern. The message names the rule, never the
    /// password.
    pub fn check_password(&self, password: &Password) -> Result<(), StoreError> {
        password.check_length()?;
        if password.matches(&self.password) {
            return Ok(());
        }
        Err(StoreError::PolicyViolation(format!(
            "Credential not valid. Credential must be a non null string with following format, {}",
            self.password.as_str()
        )))
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
    }
}
