//! A short-lived cache of verified HTTP Basic credentials, so a script's stream of calls does
//! not pay one argon2 verification per request. Entries hold a keyed BLAKE2b MAC of the
//! password (the key is random per process, so nothing stored can be replayed or cracked
//! offline), are compared in constant time, expire after a TTL, and are dropped as soon as a
//! request changes the user's password, lock or disable claims, or roles.
//!
//! An entry in use is verified again in the background once three quarters of its TTL have
//! passed, so a busy client never finds it expired: otherwise every connection of that client
//! would queue for argon2 at once (behind any login load) each time the TTL ran out. The bound
//! stays the same: nothing is trusted longer than the TTL after its last verification.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::access::Caller;
use crate::store::{Password, UserName};

/// Most cached callers; beyond it the cache starts over (admin APIs have few callers).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    digest: [u8; 32],
    caller: Caller,
    expires: Instant,
    refresh_at: Instant,
    refreshing: bool,
}

/// A cache hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedCaller {
    /// Who called.
    pub caller: Caller,
    /// The entry is due for its background re-verification and this hit is the one to start
    /// it (at most one per entry).
    pub refresh_due: bool,
}

/// Verified credentials, by user-name key.
pub struct CredentialCache {
    key: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl CredentialCache {
    /// A cache whose entries live `ttl`; a zero TTL disables caching.
    pub fn new(ttl: Duration) -> Self {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self {
            key,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn digest(&self, user: &UserName, password: &Password) -> [u8; 32] {
        password.keyed_digest(&self.key, user.key().as_bytes())
    }

    /// The caller, when these exact credentials were verified within the TTL.
    pub fn get(&self, user: &UserName, password: &Password) -> Option<CachedCaller> {
        if self.ttl.is_zero() {
            return None;
        }
        let digest = self.digest(user, password);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get_mut(user.key())?;
        let now = Instant::now();
        let same: bool = entry.digest.ct_eq(&digest).into();
        if !same || entry.expires <= now {
            return None;
        }
        let refresh_due = !entry.refreshing && entry.refresh_at <= now;
        entry.refreshing |= refresh_due;
        Some(CachedCaller {
            caller: entry.caller.clone(),
            refresh_due,
        })
    }

    /// Remember credentials that were just verified.
    pub fn insert(&self, user: &UserName, password: &Password, caller: &Caller) {
        if self.ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let entry = Entry {
            digest: self.digest(user, password),
            caller: caller.clone(),
            expires: now + self.ttl,
            refresh_at: now + self.ttl * 3 / 4,
            refreshing: false,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(user.key().to_string(), entry);
    }

    /// Forget one user's verified credentials.
    pub fn forget(&self, user_key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(user_key);
    }

    /// Forget everyone's.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            name: "admin".into(),
            permissions: vec!["/permission".into()],
        }
    }

    #[test]
    fn only_the_same_password_hits_and_entries_expire_or_are_forgotten() {
        let cache = CredentialCache::new(Duration::from_millis(50));
        let user = UserName::lookup("Admin").unwrap();
        let right = Password::new("right-pw".into());
        cache.insert(&user, &right, &caller());
        assert_eq!(
            cache.get(&user, &right).map(|hit| hit.caller),
            Some(caller())
        );
        assert_eq!(cache.get(&user, &Password::new("wrong-pw".into())), None);
        cache.forget(user.key());
        assert_eq!(cache.get(&user, &right), None);
        cache.insert(&user, &right, &caller());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&user, &right), None, "expired");
    }

    #[test]
    fn one_hit_after_three_quarters_of_the_ttl_starts_the_refresh() {
        let cache = CredentialCache::new(Duration::from_millis(80));
        let user = UserName::lookup("admin").unwrap();
        let pw = Password::new("pw-pw-pw".into());
        cache.insert(&user, &pw, &caller());
        assert!(!cache.get(&user, &pw).unwrap().refresh_due);
        std::thread::sleep(Duration::from_millis(65));
        assert!(
            cache.get(&user, &pw).unwrap().refresh_due,
            "due after 60 ms"
        );
        assert!(!cache.get(&user, &pw).unwrap().refresh_due, "only once");
        cache.insert(&user, &pw, &caller());
        assert!(
            !cache.get(&user, &pw).unwrap().refresh_due,
            "a new verification restarts"
        );
    }

    #[test]
    fn zero_ttl_disables() {
        let cache = CredentialCache::new(Duration::ZERO);
        let user = UserName::lookup("admin").unwrap();
        let pw = Password::new("pw-pw-pw".into());
        cache.insert(&user, &pw, &caller());
        assert_eq!(cache.get(&user, &pw), None);
    }
}
