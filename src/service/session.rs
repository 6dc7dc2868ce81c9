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

use std::collections::{HashMap, VecDeque};
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
    password_set_at_ms: i64,
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
    /// When the user's password was set, as verified (a session opened from the hit ends
    /// when it changes).
    pub password_set_at_ms: i64,
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
            password_set_at_ms: entry.password_set_at_ms,
        })
    }

    /// Remember credentials that were just verified, with when the password was set.
    pub fn insert(
        &self,
        user: &UserName,
        password: &Password,
        caller: &Caller,
        password_set_at_ms: i64,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let entry = Entry {
            digest: self.digest(user, password),
            caller: caller.clone(),
            password_set_at_ms,
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

/// Most live login sessions; beyond it the one idle longest is dropped.
const MAX_SESSIONS: usize = 10_000;

/// A login session (Carbon's servlet session behind `JSESSIONID`): whose it is, and the
/// password it was opened with, so a password change ends it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's name as it logged in.
    pub user: String,
    key: String,
    /// When the user's password was set at login (ms since the epoch); a session whose user
    /// has another password since is over.
    pub password_set_at_ms: i64,
    last_used: Instant,
}

/// A new session id: 128 bits from the thread's CSPRNG (ChaCha, seeded and reseeded from the
/// OS; a Basic request opens a session every time, so no system call per id).
fn new_session_id() -> u128 {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    u128::from_le_bytes(bytes)
}

/// A session id as the `JSESSIONID` cookie carries it: 32 upper-case hex digits, as Tomcat
/// writes them.
fn session_cookie_value(id: u128) -> String {
    format!("{id:032X}")
}

/// The id a cookie value names, if it has the form of one.
fn parse_session_id(value: &str) -> Option<u128> {
    if value.len() != 32 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(value, 16).ok()
}

/// Session ids are uniformly random: their low bits are the hash (no SipHash per request).
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, id: u128) {
        self.0 = id as u64;
    }
}

type ById = HashMap<u128, Session, std::hash::BuildHasherDefault<IdHasher>>;

/// Live sessions by id. Ids are 128 random bits (never derived from a password); a session
/// ends when idle longer than its timeout, at logout, or when its user's password changes, the
/// account locks or is deleted (checked at every use, so changes by other processes count).
pub struct SessionRegistry {
    idle_timeout: Duration,
    sessions: Mutex<Sessions>,
}

/// The sessions by id, and their ids in the order they were opened: the oldest are looked at
/// first when idle ones are swept or one must make room, so opening a session costs O(1)
/// amortised however many are live (a Basic request opens one every time).
#[derive(Default)]
struct Sessions {
    by_id: ById,
    opened: VecDeque<u128>,
}

impl SessionRegistry {
    /// Sessions that end after `idle_timeout` without a request.
    pub fn new(idle_timeout: Duration) -> Self {
        Self {
            idle_timeout,
            sessions: Mutex::new(Sessions::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open a session for `user`; returns its id, for the `JSESSIONID` cookie.
    pub fn open(&self, user: &UserName, password_set_at_ms: i64) -> String {
        let id = new_session_id();
        let now = Instant::now();
        let mut sessions = self.lock();
        let Sessions { by_id, opened } = &mut *sessions;
        // Drop, from the oldest, ids whose session ended or went idle, and beyond the bound the
        // oldest live one.
        while let Some(front) = opened.front() {
            let stale = by_id
                .get(front)
                .is_none_or(|s| now.duration_since(s.last_used) >= self.idle_timeout);
            if !stale && by_id.len() < MAX_SESSIONS {
                break;
            }
            if let Some(front) = opened.pop_front() {
                by_id.remove(&front);
            }
        }
        by_id.insert(
            id,
            Session {
                user: user.to_string(),
                key: user.key().to_string(),
                password_set_at_ms,
                last_used: now,
            },
        );
        opened.push_back(id);
        // Ids of sessions closed behind a live one wait in the queue; compact it when they
        // outnumber the bound (rarely, so still O(1) amortised).
        if opened.len() > 2 * MAX_SESSIONS {
            opened.retain(|id| by_id.contains_key(id));
        }
        drop(sessions);
        session_cookie_value(id)
    }

    /// The live session `id`, marked as used now.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let id = parse_session_id(id)?;
        let now = Instant::now();
        let mut sessions = self.lock();
        let session = sessions.by_id.get_mut(&id)?;
        if now.duration_since(session.last_used) >= self.idle_timeout {
            sessions.by_id.remove(&id);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// End session `id`.
    pub fn close(&self, id: &str) {
        if let Some(id) = parse_session_id(id) {
            self.lock().by_id.remove(&id);
        }
    }

    /// End every session of the user with this name key.
    pub fn close_all_of(&self, user_key: &str) {
        self.lock().by_id.retain(|_, s| s.key != user_key);
    }

    /// End every session.
    pub fn clear(&self) {
        let mut sessions = self.lock();
        sessions.by_id.clear();
        sessions.opened.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            name: "admin".into(),
            permissions: vec![crate::store::PermissionRule::granted(1, "/permission")].into(),
            token: None,
        }
    }

    #[test]
    fn only_the_same_password_hits_and_entries_expire_or_are_forgotten() {
        let cache = CredentialCache::new(Duration::from_millis(50));
        let user = UserName::lookup("Admin").unwrap();
        let right = Password::new("right-pw".into());
        cache.insert(&user, &right, &caller(), 0);
        assert_eq!(
            cache.get(&user, &right).map(|hit| hit.caller),
            Some(caller())
        );
        assert_eq!(cache.get(&user, &Password::new("wrong-pw".into())), None);
        cache.forget(user.key());
        assert_eq!(cache.get(&user, &right), None);
        cache.insert(&user, &right, &caller(), 0);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&user, &right), None, "expired");
    }

    #[test]
    fn one_hit_after_three_quarters_of_the_ttl_starts_the_refresh() {
        let cache = CredentialCache::new(Duration::from_millis(80));
        let user = UserName::lookup("admin").unwrap();
        let pw = Password::new("pw-pw-pw".into());
        cache.insert(&user, &pw, &caller(), 0);
        assert!(!cache.get(&user, &pw).unwrap().refresh_due);
        std::thread::sleep(Duration::from_millis(65));
        assert!(
            cache.get(&user, &pw).unwrap().refresh_due,
            "due after 60 ms"
        );
        assert!(!cache.get(&user, &pw).unwrap().refresh_due, "only once");
        cache.insert(&user, &pw, &caller(), 0);
        assert!(
            !cache.get(&user, &pw).unwrap().refresh_due,
            "a new verification restarts"
        );
    }

    #[test]
    fn sessions_have_random_ids_and_end_when_idle_or_closed() {
        let registry = SessionRegistry::new(Duration::from_millis(50));
        let alice = UserName::lookup("Alice").unwrap();
        let a = registry.open(&alice, 1);
        let b = registry.open(&alice, 1);
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(registry.touch(&a).unwrap().user, "Alice");
        registry.close(&a);
        assert!(registry.touch(&a).is_none());
        registry.close_all_of("alice");
        assert!(registry.touch(&b).is_none());
        let c = registry.open(&UserName::lookup("bob").unwrap(), 1);
        std::thread::sleep(Duration::from_millis(60));
        assert!(registry.touch(&c).is_none(), "idle too long");
    }

    #[test]
    fn sessions_stay_bounded_and_the_oldest_make_room() {
        let registry = SessionRegistry::new(Duration::from_secs(60));
        let user = UserName::lookup("bob").unwrap();
        let first = registry.open(&user, 0);
        let closed = registry.open(&user, 0);
        registry.close(&closed);
        for _ in 0..MAX_SESSIONS + 5 {
            registry.open(&user, 0);
        }
        let sessions = registry.lock();
        assert!(sessions.by_id.len() <= MAX_SESSIONS);
        assert!(sessions.opened.len() <= 2 * MAX_SESSIONS);
        assert!(
            !sessions
                .by_id
                .contains_key(&parse_session_id(&first).unwrap()),
            "the oldest made room"
        );
    }

    #[test]
    fn zero_ttl_disables() {
        let cache = CredentialCache::new(Duration::ZERO);
        let user = UserName::lookup("admin").unwrap();
        let pw = Password::new("pw-pw-pw".into());
        cache.insert(&user, &pw, &caller(), 0);
        assert_eq!(cache.get(&user, &pw), None);
    }
}
