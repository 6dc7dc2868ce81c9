//! The embedded default backend: one SQLite file in WAL mode, one writer connection and a small
//! pool of readers. Every multi-row write runs in one IMMEDIATE transaction; passwords are hashed
//! before the writer lock is taken so slow hashing never blocks other writers.

mod bulk;
mod migrations;
mod query;
mod readers;

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use super::names::{check_claim_value, DEFAULT_PROFILE, EVERYONE_ROLE};
use super::password::{HashParams, Password, PasswordHasher};
use super::policy::{claims, ClaimDialect, CredentialPolicy, LockPolicy};
use super::{
    sort_like_java, AccountLock, AccountStatus, AppendRule, AuthOutcome, ClaimBackend, ClaimUri,
    ClaimValue, CreateRoleRequest, CreateUserRequest, LoginHandler, Permission, ProfileName,
    Protected, RoleBackend, RoleChange, RoleName, RoleRecord, StoreError, StoreResult, TextMatch,
    UserBackend, UserFilter, UserLookup, UserName, UserOrder, UserQuery, UserRecord, UserStore,
    UserView,
};

pub use bulk::{ExportedUser, ImportCredential, ImportedUser, RejectedRow};
pub use migrations::SCHEMA_VERSION;
use readers::ReaderPool;
pub use readers::WATCH_INTERVAL;

/// Page cache of the writer connection, in KiB (large transactions must not spill pages).
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings the SQLite store needs at open time.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// argon2id cost parameters for new hashes.
    pub hash_params: HashParams,
    /// The bootstrap administrator, protected from deletion and from leaving the admin role.
    pub admin_user: UserName,
    /// The administrator's role: holds `/permission`, cannot be deleted or renamed.
    pub admin_role: RoleName,
    /// Brute-force locking.
    pub lock_policy: LockPolicy,
    /// Format rules for new user names, role names and passwords.
    pub credential_policy: CredentialPolicy,
    /// The claim URIs users may hold.
    pub claim_dialect: ClaimDialect,
    /// How hard each commit is pushed to disk.
    pub durability: Durability,
}

/// SQLite's `synchronous` setting for the writer, in the terms an operator decides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `FULL`: an acknowledged write survives a power loss (one fsync per commit).
    #[default]
    Full,
    /// `NORMAL`: survives a crash of the process, may lose the last commits on power loss.
    Normal,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// What [`SqliteStore::ensure_admin_user`] did on start-up.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminBootstrap {
    /// Users already existed; nothing was created.
    AlreadyPresent,
    /// The admin user was created with the password supplied by the operator.
    Created,
    /// The admin user was created with this generated password, to be shown once.
    CreatedWithGeneratedPassword(String),
}

/// The SQLite implementation of [`UserStore`].
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: ReaderPool,
    hasher: PasswordHasher,
    admin_user: UserName,
    admin_role: RoleName,
    lock_policy: LockPolicy,
    credential_policy: CredentialPolicy,
    claim_dialect: ClaimDialect,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// SQLite keeps allocation statistics behind one process-wide mutex taken on every
/// allocation; nothing here reads them, so they are switched off before the first connection.
fn disable_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config may only run before SQLite initialises; the Once runs it
        // before this process opens its first connection. A failure keeps the default.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            );
        }
    });
}

fn open_connection(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    disable_memory_statistics();
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Turn a WSO2 wildcard into a GLOB pattern that matches everything else literally: `*` is
/// any run of characters, and `?` one character where `single` says so (user-name filters, as
/// WSO2 turns it into SQL's `_`).
fn glob_pattern(wildcard: &str, single: bool) -> String {
    let mut glob = String::with_capacity(wildcard.len() + 4);
    for c in wildcard.chars() {
        match c {
            '*' => glob.push('*'),
            '?' if single => glob.push('?'),
            '?' => glob.push_str("[?]"),
            '[' => glob.push_str("[[]"),
            other => glob.push(other),
        }
    }
    glob
}

fn sort_case_insensitively(names: &mut [String]) {
    names.sort_by_cached_key(|n| n.to_lowercase());
}

fn user_id(tx: &Connection, user: &UserName) -> StoreResult<i64> {
    tx.prepare_cached("SELECT id FROM users WHERE name_key = ?1")?
        .query_row([user.key()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::UserNotFound(user.to_string()))
}

fn role_id(tx: &Connection, role: &RoleName) -> StoreResult<i64> {
    tx.prepare_cached("SELECT id FROM roles WHERE name_key = ?1")?
        .query_row([role.key()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::RoleNotFound(role.to_string()))
}

fn insert_role(
    tx: &Transaction<'_>,
    role: &RoleName,
    external_id: Option<&str>,
) -> StoreResult<i64> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM roles WHERE name_key = ?1")?
        .exists([role.key()])?;
    if exists {
        return Err(StoreError::RoleExists(role.to_string()));
    }
    tx.prepare_cached(
        "INSERT INTO roles (name, name_key, created_at, modified_at, uuid, external_id)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
    )?
    .execute(params![
        role.as_str(),
        role.key(),
        now_ms(),
        new_user_id(),
        external_id
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Record that an account changed: its modification time and version move on.
fn touch_user(tx: &Connection, user_id: i64) -> StoreResult<()> {
    tx.prepare_cached("UPDATE users SET modified_at = ?1, version = version + 1 WHERE id = ?2")?
        .execute(params![now_ms(), user_id])?;
    Ok(())
}

fn add_membership(tx: &Transaction<'_>, user_id: i64, role_id: i64) -> StoreResult<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO user_roles (user_id, role_id) VALUES (?1, ?2)")?
        .execute([user_id, role_id])?;
    Ok(())
}

fn remove_membership(tx: &Transaction<'_>, user_id: i64, role_id: i64) -> StoreResult<()> {
    tx.prepare_cached("DELETE FROM user_roles WHERE user_id = ?1 AND role_id = ?2")?
        .execute([user_id, role_id])?;
    Ok(())
}

fn upsert_claims(
    tx: &Transaction<'_>,
    user_id: i64,
    values: &[ClaimValue],
    profile: &ProfileName,
) -> StoreResult<()> {
    if !values.is_empty() {
        touch_user(tx, user_id)?;
    }
    for claim in values {
        check_claim_value(&claim.uri, &claim.value)?;
        set_claim(
            tx,
            user_id,
            profile.as_str(),
            claim.uri.as_str(),
            &claim.value,
        )?;
        if profile.as_str() != DEFAULT_PROFILE || claim.uri.as_str() != claims::ACCOUNT_LOCKED {
            continue;
        }
        if is_true(&claim.value) {
            // An administrator's lock lasts until an administrator lifts it, even when a
            // failed-login lock with an end time was in place.
            clear_claims(tx, user_id, &[claims::UNLOCK_TIME])?;
        } else {
            // An administrator's unlock also clears what failed logins left behind.
            clear_claims(
                tx,
                user_id,
                &[
                    claims::UNLOCK_TIME,
                    claims::FAILED_LOGIN_ATTEMPTS,
                    claims::FAILED_LOGIN_LOCKOUT_COUNT,
                ],
            )?;
        }
    }
    Ok(())
}

fn is_true(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// Insert or replace one claim value.
fn set_claim(
    tx: &Connection,
    user_id: i64,
    profile: &str,
    uri: &str,
    value: &str,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO user_claims (user_id, profile, claim_uri, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, profile, claim_uri) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![user_id, profile, uri, value])?;
    Ok(())
}

/// Remove identity claims from the default profile.
fn clear_claims(tx: &Connection, user_id: i64, uris: &[&str]) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(
        "DELETE FROM user_claims WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
    )?;
    for uri in uris {
        stmt.execute(params![user_id, DEFAULT_PROFILE, uri])?;
    }
    Ok(())
}

/// What a login needs to know about an account, read in one query.
struct LoginState {
    id: i64,
    hash: String,
    locked: bool,
    unlock_time_ms: Option<i64>,
    disabled: bool,
    failed_attempts: u32,
    lockout_count: u32,
}

impl LoginState {
    /// The lock in force now: by an administrator (no unlock time) or by failed logins not yet
    /// expired.
    fn lock(&self, now_ms: i64) -> Option<AccountLock> {
        match (self.locked, self.unlock_time_ms) {
            (false, _) => None,
            (true, None) => Some(AccountLock::ByAdministrator),
            (true, Some(until)) if until > now_ms => Some(AccountLock::UntilMs(until)),
            (true, Some(_)) => None,
        }
    }

    fn is_locked(&self, now_ms: i64) -> bool {
        self.lock(now_ms).is_some()
    }

    /// A failed-login lock that has run out and should be cleared.
    fn has_expired_lock(&self, now_ms: i64) -> bool {
        self.locked && self.unlock_time_ms.is_some_and(|until| until <= now_ms)
    }
}

fn login_state(conn: &Connection, user: &UserName) -> StoreResult<Option<LoginState>> {
    let Some((id, hash)) = conn
        .prepare_cached("SELECT id, password_hash FROM users WHERE name_key = ?1")?
        .query_row([user.key()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let mut state = LoginState {
        id,
        hash,
        locked: false,
        unlock_time_ms: None,
        disabled: false,
        failed_attempts: 0,
        lockout_count: 0,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT claim_uri, value FROM user_claims
         WHERE user_id = ?1 AND profile = ?2 AND claim_uri IN (?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut rows = stmt.query(params![
        id,
        DEFAULT_PROFILE,
        claims::ACCOUNT_LOCKED,
        claims::ACCOUNT_DISABLED,
        claims::UNLOCK_TIME,
        claims::FAILED_LOGIN_ATTEMPTS,
        claims::FAILED_LOGIN_LOCKOUT_COUNT
    ])?;
    while let Some(row) = rows.next()? {
        let uri: String = row.get(0)?;
        let value: String = row.get(1)?;
        let number = || value.trim().parse().unwrap_or(0);
        match uri.as_str() {
            claims::ACCOUNT_LOCKED => state.locked = is_true(&value),
            claims::ACCOUNT_DISABLED => state.disabled = is_true(&value),
            claims::UNLOCK_TIME => state.unlock_time_ms = value.trim().parse().ok(),
            claims::FAILED_LOGIN_ATTEMPTS => state.failed_attempts = number(),
            claims::FAILED_LOGIN_LOCKOUT_COUNT => state.lockout_count = number(),
            _ => {}
        }
    }
    Ok(Some(state))
}

/// Store a new password hash; the user no longer has to change the password.
fn set_password_hash(tx: &Transaction<'_>, user_id: i64, hash: &str) -> StoreResult<()> {
    tx.prepare_cached(
        "UPDATE users SET password_hash = ?1, password_changed_at = ?2 WHERE id = ?3",
    )?
    .execute(params![hash, now_ms(), user_id])?;
    touch_user(tx, user_id)?;
    clear_claims(tx, user_id, &[claims::ADMIN_FORCED_PASSWORD_RESET])
}

fn user_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        password_changed_at_ms: r.get(2)?,
        created_at_ms: r.get(3)?,
        modified_at_ms: r.get(4)?,
        version: r.get(5)?,
    })
}

fn role_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RoleRecord> {
    Ok(RoleRecord {
        name: r.get(0)?,
        id: r.get(1)?,
        created_at_ms: r.get(2)?,
        modified_at_ms: r.get(3)?,
        external_id: r.get(4)?,
        version: r.get(5)?,
    })
}

/// The account named `name`.
fn record_by_name(conn: &Connection, name: &UserName) -> StoreResult<Option<UserRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, password_changed_at, created_at, modified_at, version
             FROM users WHERE name_key = ?1",
        )?
        .query_row([name.key()], user_record)
        .optional()?)
}

/// The account whose UUID claim is `id`.
fn record_by_id(conn: &Connection, id: &str) -> StoreResult<Option<UserRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT u.id, u.name, u.password_changed_at, u.created_at, u.modified_at, u.version
             FROM user_claims c JOIN users u ON u.id = c.user_id
             WHERE c.claim_uri = ?1 AND c.profile = ?2 AND c.value = ?3",
        )?
        .query_row(params![claims::USER_ID, DEFAULT_PROFILE, id], user_record)
        .optional()?)
}

/// Account `uid`'s claims in `profile`, by URI.
fn claims_of(conn: &Connection, uid: i64, profile: &str) -> StoreResult<Vec<ClaimValue>> {
    let rows = conn
        .prepare_cached(
            "SELECT claim_uri, value FROM user_claims
             WHERE user_id = ?1 AND profile = ?2 ORDER BY claim_uri",
        )?
        .query_map(params![uid, profile], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(uri, value)| {
            Ok(ClaimValue {
                uri: ClaimUri::parse(&uri)?,
                value,
            })
        })
        .collect()
}

/// The columns [`role_record`] reads, for a `roles r` in the query; a macro so that the
/// fixed queries are literals, not formatted on every call.
macro_rules! role_columns {
    () => {
        "r.name, r.uuid, r.created_at, r.modified_at, r.external_id, r.version"
    };
}

/// Account `uid`'s roles with their ids, in name order.
fn role_records_of(conn: &Connection, uid: i64) -> StoreResult<Vec<RoleRecord>> {
    Ok(conn
        .prepare_cached(concat!(
            "SELECT ",
            role_columns!(),
            " FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = ?1 ORDER BY r.name_key"
        ))?
        .query_map([uid], role_record)?
        .collect::<Result<Vec<_>, _>>()?)
}

fn query_names(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names = stmt
        .query_map(params, |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path`, migrate it, and make sure the built-in
    /// roles exist.
    pub fn open(path: &Path, options: SqliteOptions) -> StoreResult<Self> {
        let hasher = PasswordHasher::new(options.hash_params).map_err(|e| {
            StoreError::InvalidInput(format!("invalid password hashing parameters: {e}"))
        })?;
        let mut writer = open_connection(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", options.durability.pragma())?;
        // Large write transactions (bulk import, big role updates) must not spill dirty pages
        // to the WAL statement by statement; the cache only grows to what writes touch.
        writer.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        // Savepoint and statement journals in memory, not in a temp file written page by page.
        writer.pragma_update(None, "temp_store", "MEMORY")?;
        migrations::migrate(&mut writer)?;
        let store = Self {
            writer: Mutex::new(writer),
            readers: ReaderPool::new(path)?,
            hasher,
            admin_user: options.admin_user,
            admin_role: options.admin_role,
            lock_policy: options.lock_policy,
            credential_policy: options.credential_policy,
            claim_dialect: options.claim_dialect,
        };
        store.write(|tx| {
            for role in [&store.admin_role, &RoleName::everyone()] {
                match insert_role(tx, role, None) {
                    Ok(_) | Err(StoreError::RoleExists(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            // The admin role holds the root of the permission tree, as in WSO2.
            let admin_role = role_id(tx, &store.admin_role)?;
            grant_permissions(tx, admin_role, &[Permission::root()])
        })?;
        Ok(store)
    }

    /// On a database with no users, create the admin user in the admin role, with `provided` as
    /// its password or else a generated one that is returned to be shown once.
    pub fn ensure_admin_user(&self, provided: Option<Password>) -> StoreResult<AdminBootstrap> {
        let any_user = self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM users LIMIT 1")?
                .exists([])?)
        })?;
        if any_user {
            return Ok(AdminBootstrap::AlreadyPresent);
        }
        let (password, outcome) = match provided {
            Some(p) => (p, AdminBootstrap::Created),
            None => {
                let generated = generate_password();
                (
                    Password::new(generated.clone()),
                    AdminBootstrap::CreatedWithGeneratedPassword(generated),
                )
            }
        };
        password.check_length()?;
        self.add_user(CreateUserRequest {
            user: self.admin_user.clone(),
            password,
            roles: vec![self.admin_role.clone()],
            claims: Vec::new(),
            profile: ProfileName::default(),
            require_password_change: false,
        })?;
        Ok(outcome)
    }

    /// Run `f` in an IMMEDIATE transaction on the writer connection; commit on Ok.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        // The wait covers this process's other writers and, inside BEGIN IMMEDIATE, other
        // processes (the admin CLI) holding the database's write lock.
        let waiting = Instant::now();
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        metrics::histogram!(super::metrics::POOL_WAIT, "connection" => "writer")
            .record(waiting.elapsed());
        let value = f(&tx)?;
        tx.commit()?;
        self.readers.committed();
        Ok(value)
    }

    /// Run `f` on a pooled read-only connection, in a snapshot that includes every write this
    /// process has committed (and other processes' within [`WATCH_INTERVAL`]).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let waiting = Instant::now();
        self.readers.read(|conn| {
            metrics::histogram!(super::metrics::POOL_WAIT, "connection" => "reader")
                .record(waiting.elapsed());
            f(conn)
        })
    }

    /// WSO2's refusal when `role` is the admin or the everyone role: `admin` and `everyone`
    /// say which refusal applies to each.
    fn protect_builtin_role(
        &self,
        role: &RoleName,
        admin: Protected,
        everyone: Protected,
    ) -> StoreResult<()> {
        if role.key() == self.admin_role.key() {
            return Err(StoreError::Protected(admin));
        }
        if role.key() == RoleName::everyone().key() {
            return Err(StoreError::Protected(everyone));
        }
        Ok(())
    }

    fn protect_admin_membership(&self, user: &UserName, role: &RoleName) -> StoreResult<()> {
        if user.key() == self.admin_user.key() && role.key() == self.admin_role.key() {
            return Err(StoreError::Protected(Protected::RemoveAdminFromAdminRole));
        }
        Ok(())
    }

    /// Claims must be in the dialect, checked before anything is written.
    fn check_claims(&self, claims: &[ClaimValue]) -> StoreResult<()> {
        claims
            .iter()
            .try_for_each(|c| self.claim_dialect.check(c.uri.as_str()))
    }

    fn stored_hash(&self, user: &UserName) -> StoreResult<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT password_hash FROM users WHERE name_key = ?1")?
                .query_row([user.key()], |r| r.get(0))
                .optional()?)
        })
    }

    fn hash_new_password(&self, password: &Password) -> StoreResult<String> {
        self.credential_policy.check_password(password)?;
        self.hasher.hash(password)
    }

    /// Count a failed login; lock the account when the policy's limit is reached.
    fn record_failed_login(&self, state: &LoginState, now: i64) -> StoreResult<()> {
        let policy = &self.lock_policy;
        let locked_now = self.write(|tx| {
            if state.has_expired_lock(now) {
                clear_claims(tx, state.id, &[claims::ACCOUNT_LOCKED, claims::UNLOCK_TIME])?;
            }
            if policy.allowed_failed_attempts == 0 {
                return Ok(false);
            }
            // Count in SQL so concurrent failures are never lost.
            let attempts: i64 = tx
                .prepare_cached(
                    "INSERT INTO user_claims (user_id, profile, claim_uri, value) VALUES (?1, ?2, ?3, '1')
                     ON CONFLICT (user_id, profile, claim_uri)
                     DO UPDATE SET value = CAST(value AS INTEGER) + 1
                     RETURNING CAST(value AS INTEGER)",
                )?
                .query_row(
                    params![state.id, DEFAULT_PROFILE, claims::FAILED_LOGIN_ATTEMPTS],
                    |r| r.get(0),
                )?;
            if attempts >= i64::from(policy.allowed_failed_attempts) {
                let until = now + policy.lock_duration(state.lockout_count).as_millis() as i64;
                let lockouts = (state.lockout_count + 1).to_string();
                set_claim(tx, state.id, DEFAULT_PROFILE, claims::ACCOUNT_LOCKED, "true")?;
                set_claim(tx, state.id, DEFAULT_PROFILE, claims::UNLOCK_TIME, &until.to_string())?;
                set_claim(tx, state.id, DEFAULT_PROFILE, claims::FAILED_LOGIN_LOCKOUT_COUNT, &lockouts)?;
                clear_claims(tx, state.id, &[claims::FAILED_LOGIN_ATTEMPTS])?;
                return Ok(true);
            }
            Ok(false)
        })?;
        if locked_now {
            metrics::counter!(super::metrics::LOCKOUTS).increment(1);
        }
        Ok(())
    }

    /// After a successful login: reset failure counters, clear an expired lock and upgrade the
    /// hash to the configured parameters. Writes only when something changes.
    fn record_successful_login(
        &self,
        state: &LoginState,
        password: &Password,
        now: i64,
    ) -> StoreResult<()> {
        let rehash = self.hasher.needs_rehash(&state.hash);
        let expired_lock = state.has_expired_lock(now);
        let counters = state.failed_attempts > 0 || state.lockout_count > 0;
        if !rehash && !counters && !expired_lock {
            return Ok(());
        }
        let new_hash = if rehash {
            Some(self.hasher.hash(password)?)
        } else {
            None
        };
        self.write(|tx| {
            let mut cleared = vec![
                claims::FAILED_LOGIN_ATTEMPTS,
                claims::FAILED_LOGIN_LOCKOUT_COUNT,
            ];
            if expired_lock {
                cleared.extend([claims::ACCOUNT_LOCKED, claims::UNLOCK_TIME]);
            }
            clear_claims(tx, state.id, &cleared)?;
            if let Some(hash) = &new_hash {
                // Same password, stronger hash: the password-change time stays as it was.
                tx.prepare_cached("UPDATE users SET password_hash = ?1 WHERE id = ?2")?
                    .execute(params![hash, state.id])?;
            }
            Ok(())
        })
    }
}

/// A random password for the first admin: 24 characters from an unambiguous alphabet.
/// A random (version 4) UUID: the user id WSO2 keeps in `http://wso2.org/claims/userid`, and a
/// role's id.
pub(crate) fn new_user_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn generate_password() -> String {
    super::password::generate_password()
}

impl LoginHandler for SqliteStore {
    fn authenticate(&self, user: &UserName, password: &Password) -> StoreResult<AuthOutcome> {
        let outcome = self.check_login(user, password)?;
        if !outcome.is_success() {
            metrics::counter!(super::metrics::AUTH_FAILURES, "reason" => outcome.label())
                .increment(1);
        }
        Ok(outcome)
    }

    fn account_status(&self, user: &UserName) -> StoreResult<Option<AccountStatus>> {
        let state = self.read(|conn| login_state(conn, user))?;
        Ok(state.map(|state| AccountStatus {
            lock: state.lock(now_ms()),
            disabled: state.disabled,
            failed_attempts: state.failed_attempts,
        }))
    }
}

impl SqliteStore {
    fn check_login(&self, user: &UserName, password: &Password) -> StoreResult<AuthOutcome> {
        let state = self.read(|conn| login_state(conn, user))?;
        // Always hash (the decoy for unknown users) before looking at the account's state, so
        // unknown, locked and disabled accounts take as long as a wrong password.
        let verified = password.check_length().is_ok()
            && self
                .hasher
                .verify(password, state.as_ref().map(|s| s.hash.as_str()));
        let Some(state) = state else {
            return Ok(AuthOutcome::UnknownUser);
        };
        let now = now_ms();
        if state.disabled {
            return Ok(AuthOutcome::Disabled);
        }
        if state.is_locked(now) {
            return Ok(AuthOutcome::Locked);
        }
        if verified {
            self.record_successful_login(&state, password, now)?;
            Ok(AuthOutcome::Success)
        } else {
            self.record_failed_login(&state, now)?;
            Ok(AuthOutcome::BadCredentials)
        }
    }
}

impl UserBackend for SqliteStore {
    fn add_user(&self, request: CreateUserRequest) -> StoreResult<()> {
        // WSO2's order: username claim, name pattern, password pattern, existing user, roles,
        // claim URIs.
        let names_someone_else = request.claims.iter().any(|c| {
            c.uri.as_str() == claims::USERNAME
                && UserName::lookup(&c.value).map_or(true, |n| n.key() != request.user.key())
        });
        if names_someone_else {
            return Err(StoreError::UsernameClaimMismatch);
        }
        self.credential_policy.check_username(&request.user)?;
        UserName::new_account(request.user.as_str())?;
        let hash = self.hash_new_password(&request.password)?;
        self.write(|tx| {
            let taken = tx
                .prepare_cached("SELECT 1 FROM users WHERE name_key = ?1")?
                .exists([request.user.key()])?;
            if taken {
                return Err(StoreError::UserExists(request.user.to_string()));
            }
            let now = now_ms();
            tx.prepare_cached(
                "INSERT INTO users
                     (name, name_key, password_hash, password_changed_at, created_at, modified_at)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?4)",
            )?
            .execute(params![
                request.user.as_str(),
                request.user.key(),
                hash,
                now
            ])?;
            let id = tx.last_insert_rowid();
            if request.require_password_change {
                set_claim(
                    tx,
                    id,
                    DEFAULT_PROFILE,
                    claims::ADMIN_FORCED_PASSWORD_RESET,
                    "true",
                )?;
            }
            set_claim(tx, id, DEFAULT_PROFILE, claims::USER_ID, &new_user_id())?;
            for role in &request.roles {
                if role.key() == RoleName::everyone().key() {
                    continue;
                }
                add_membership(tx, id, role_id(tx, role)?)?;
            }
            self.check_claims(&request.claims)?;
            upsert_claims(tx, id, &request.claims, &request.profile)
        })
    }

    fn delete_user(&self, user: &UserName) -> StoreResult<()> {
        if user.key() == self.admin_user.key() {
            return Err(StoreError::Protected(Protected::DeleteAdminUser));
        }
        self.write(|tx| {
            let id = user_id(tx, user)?;
            tx.prepare_cached("DELETE FROM users WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
    }

    fn find_user(&self, user: &UserName) -> StoreResult<Option<UserRecord>> {
        self.read(|conn| record_by_name(conn, user))
    }

    fn find_user_by_id(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        self.read(|conn| record_by_id(conn, id))
    }

    fn user_view(&self, user: UserLookup<'_>) -> StoreResult<Option<UserView>> {
        self.read(|conn| {
            // One snapshot for the three reads: a reader's statements share its transaction.
            let record = match user {
                UserLookup::Name(name) => record_by_name(conn, name)?,
                UserLookup::Id(id) => record_by_id(conn, id)?,
            };
            let Some(record) = record else {
                return Ok(None);
            };
            let claims = claims_of(conn, record.id, DEFAULT_PROFILE)?;
            let roles = role_records_of(conn, record.id)?;
            Ok(Some(UserView {
                record,
                claims,
                roles,
            }))
        })
    }

    fn query_users(
        &self,
        query: &UserQuery,
        order: &UserOrder,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(usize, Vec<String>)> {
        let mut sql = String::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        query::compile(query, &mut sql, &mut values);
        let mut page = values.clone();
        let order_by = query::order_by(order, &mut page);
        page.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        page.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
        self.read(|conn| {
            // The count and the page from the reader's one snapshot.
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM users u WHERE {sql}"))?
                .query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?;
            let names = conn
                .prepare_cached(&format!(
                    "SELECT u.name FROM users u WHERE {sql} ORDER BY {order_by} LIMIT ? OFFSET ?"
                ))?
                .query_map(rusqlite::params_from_iter(page.iter()), |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok((usize::try_from(total).unwrap_or(0), names))
        })
    }

    fn list_users(&self, filter: &UserFilter, limit: usize) -> StoreResult<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut names = self.read(|conn| match filter {
            UserFilter::All => query_names(
                conn,
                "SELECT name FROM users ORDER BY name_key LIMIT ?1",
                [limit],
            ),
            UserFilter::Wildcard(pattern) => query_names(
                conn,
                "SELECT name FROM users WHERE name_key GLOB ?1 ORDER BY name_key LIMIT ?2",
                params![glob_pattern(&pattern.to_lowercase(), true), limit],
            ),
            UserFilter::OtherDomain => Ok(Vec::new()),
        })?;
        sort_like_java(&mut names);
        Ok(names)
    }

    fn update_credential(
        &self,
        user: &UserName,
        new: &Password,
        old: &Password,
    ) -> StoreResult<()> {
        let stored = self.stored_hash(user)?;
        let old_matches = self.hasher.verify(old, stored.as_deref());
        if stored.is_none() {
            return Err(StoreError::UserNotFound(user.to_string()));
        }
        if !old_matches {
            return Err(StoreError::WrongOldCredential);
        }
        let hash = self.hash_new_password(new)?;
        self.write(|tx| {
            let id = user_id(tx, user)?;
            set_password_hash(tx, id, &hash)
        })
    }

    fn update_credential_by_admin(&self, user: &UserName, new: &Password) -> StoreResult<()> {
        // Fail fast for unknown users before spending a hash on them.
        self.find_user(user)?
            .ok_or_else(|| StoreError::UserNotFound(user.to_string()))?;
        let hash = self.hash_new_password(new)?;
        self.write(|tx| {
            let id = user_id(tx, user)?;
            set_password_hash(tx, id, &hash)
        })
    }
}

impl RoleBackend for SqliteStore {
    fn add_role(&self, request: CreateRoleRequest) -> StoreResult<()> {
        self.credential_policy.check_rolename(&request.role)?;
        RoleName::new_role(request.role.as_str())?;
        self.write(|tx| {
            let id = insert_role(tx, &request.role, request.external_id.as_deref())?;
            for user in &request.users {
                add_membership(tx, user_id(tx, user)?, id)?;
            }
            grant_permissions(tx, id, &request.permissions)
        })
    }

    fn delete_role(&self, role: &RoleName) -> StoreResult<()> {
        self.protect_builtin_role(
            role,
            Protected::DeleteAdminRole,
            Protected::DeleteEveryoneRole,
        )?;
        self.write(|tx| {
            let id = role_id(tx, role)?;
            tx.prepare_cached("DELETE FROM roles WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
    }

    fn role_exists(&self, role: &RoleName) -> StoreResult<bool> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM roles WHERE name_key = ?1")?
                .exists([role.key()])?)
        })
    }

    fn change_role(&self, role: &RoleName, change: RoleChange) -> StoreResult<()> {
        if role.key() == RoleName::everyone().key()
            && (!change.add.is_empty() || !change.remove.is_empty())
        {
            return Err(StoreError::Protected(Protected::UpdateEveryoneRole));
        }
        if let Some(new_name) = &change.new_name {
            for name in [role, new_name] {
                self.protect_builtin_role(
                    name,
                    Protected::UpdateAdminRole,
                    Protected::UpdateEveryoneRole,
                )?;
            }
            self.credential_policy.check_rolename(new_name)?;
            RoleName::new_role(new_name.as_str())?;
        }
        for user in &change.remove {
            self.protect_admin_membership(user, role)?;
        }
        self.write(|tx| {
            let id = role_id(tx, role)?;
            if let Some(expected) = change.expected_version {
                let current: i64 = tx
                    .prepare_cached("SELECT version FROM roles WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                if current != expected {
                    return Err(StoreError::VersionChanged(current));
                }
            }
            if let Some(new_name) = &change.new_name {
                let clash: Option<i64> = tx
                    .prepare_cached("SELECT id FROM roles WHERE name_key = ?1")?
                    .query_row([new_name.key()], |r| r.get(0))
                    .optional()?;
                if clash.is_some_and(|other| other != id) {
                    return Err(StoreError::RoleExists(new_name.to_string()));
                }
                tx.prepare_cached("UPDATE roles SET name = ?1, name_key = ?2 WHERE id = ?3")?
                    .execute(params![new_name.as_str(), new_name.key(), id])?;
            }
            if let Some(external_id) = &change.external_id {
                tx.prepare_cached("UPDATE roles SET external_id = ?1 WHERE id = ?2")?
                    .execute(params![external_id, id])?;
            }
            for user in &change.remove {
                let uid = user_id(tx, user)?;
                remove_membership(tx, uid, id)?;
                touch_user(tx, uid)?;
            }
            for user in &change.add {
                let uid = user_id(tx, user)?;
                add_membership(tx, uid, id)?;
                touch_user(tx, uid)?;
            }
            tx.prepare_cached(
                "UPDATE roles SET modified_at = ?1, version = version + 1 WHERE id = ?2",
            )?
            .execute(params![now_ms(), id])?;
            Ok(())
        })
    }

    fn role_names(&self) -> StoreResult<Vec<String>> {
        // WSO2's order: the store's own roles, then the hybrid (Internal/, Application/) ones.
        self.read(|conn| {
            query_names(
                conn,
                "SELECT name FROM roles
                 ORDER BY (name_key LIKE 'internal/%' OR name_key LIKE 'application/%'), name_key",
                [],
            )
        })
    }

    fn roles_of_user(&self, user: &UserName) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            let id = user_id(conn, user)?;
            let mut names = query_names(
                conn,
                "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                 WHERE ur.user_id = ?1",
                [id],
            )?;
            names.push(EVERYONE_ROLE.to_string());
            sort_case_insensitively(&mut names);
            Ok(names)
        })
    }

    fn users_of_role(&self, role: &RoleName) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            let id = role_id(conn, role)?;
            if role.key() == RoleName::everyone().key() {
                return query_names(conn, "SELECT name FROM users ORDER BY name_key", []);
            }
            query_names(
                conn,
                "SELECT u.name FROM user_roles ur JOIN users u ON u.id = ur.user_id
                 WHERE ur.role_id = ?1 ORDER BY u.name_key",
                [id],
            )
        })
    }

    fn members_with_ids(&self, role: &RoleName) -> StoreResult<Vec<(String, String)>> {
        self.read(|conn| {
            let id = role_id(conn, role)?;
            let rows = conn
                .prepare_cached(
                    "SELECT COALESCE(c.value, ''), u.name FROM user_roles ur
                     JOIN users u ON u.id = ur.user_id
                     LEFT JOIN user_claims c
                       ON c.user_id = u.id AND c.claim_uri = ?2 AND c.profile = ?3
                     WHERE ur.role_id = ?1 ORDER BY u.name_key",
                )?
                .query_map(params![id, claims::USER_ID, DEFAULT_PROFILE], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn update_roles_of_user(
        &self,
        user: &UserName,
        deleted: &[RoleName],
        added: &[RoleName],
    ) -> StoreResult<()> {
        let everyone = RoleName::everyone();
        if deleted
            .iter()
            .chain(added)
            .any(|r| r.key() == everyone.key())
        {
            return Err(StoreError::Protected(Protected::UpdateEveryoneRole));
        }
        for role in deleted {
            self.protect_admin_membership(user, role)?;
        }
        self.write(|tx| {
            let uid = user_id(tx, user)?;
            for role in deleted {
                remove_membership(tx, uid, role_id(tx, role)?)?;
            }
            for role in added {
                add_membership(tx, uid, role_id(tx, role)?)?;
            }
            touch_user(tx, uid)
        })
    }

    fn is_user_in_role(&self, user: &UserName, role: &RoleName) -> StoreResult<bool> {
        self.read(|conn| {
            let uid = user_id(conn, user)?;
            if role.key() == RoleName::everyone().key() {
                return Ok(true);
            }
            Ok(conn
                .prepare_cached(
                    "SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                     WHERE ur.user_id = ?1 AND r.name_key = ?2",
                )?
                .exists(params![uid, role.key()])?)
        })
    }

    fn role_record(&self, role: &RoleName) -> StoreResult<Option<RoleRecord>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(concat!(
                    "SELECT ",
                    role_columns!(),
                    " FROM roles r WHERE r.name_key = ?1"
                ))?
                .query_row([role.key()], role_record)
                .optional()?)
        })
    }

    fn find_role_by_id(&self, id: &str) -> StoreResult<Option<RoleRecord>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(concat!(
                    "SELECT ",
                    role_columns!(),
                    " FROM roles r WHERE r.uuid = ?1"
                ))?
                .query_row([id], role_record)
                .optional()?)
        })
    }

    fn query_groups(
        &self,
        name: Option<&TextMatch>,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(usize, Vec<RoleRecord>)> {
        let mut condition = String::from(
            "r.name_key NOT LIKE 'internal/%' AND r.name_key NOT LIKE 'application/%'",
        );
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(m) = name {
            condition.push_str(" AND ");
            condition.push_str(&query::role_name_condition(m, &mut values));
        }
        self.read(|conn| {
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM roles r WHERE {condition}"))?
                .query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?;
            let mut page = values.clone();
            page.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
            page.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {} FROM roles r WHERE {condition}
                 ORDER BY r.name_key LIMIT ? OFFSET ?",
                role_columns!()
            ))?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(page.iter()), role_record)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((usize::try_from(total).unwrap_or(0), rows))
        })
    }

    fn permissions_of_user(&self, user: &UserName, action: &str) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            let uid = user_id(conn, user)?;
            query_names(
                conn,
                "SELECT DISTINCT p.resource_id FROM role_permissions p
                 WHERE p.action = ?2
                   AND (p.role_id IN (SELECT role_id FROM user_roles WHERE user_id = ?1)
                        OR p.role_id = (SELECT id FROM roles WHERE name_key = ?3))
                 ORDER BY p.resource_id",
                params![uid, action, RoleName::everyone().key()],
            )
        })
    }

    fn role_permissions(&self, role: &RoleName) -> StoreResult<Vec<Permission>> {
        self.read(|conn| {
            let id = role_id(conn, role)?;
            let mut stmt = conn.prepare_cached(
                "SELECT resource_id, action FROM role_permissions WHERE role_id = ?1
                 ORDER BY resource_id, action",
            )?;
            let rows = stmt
                .query_map([id], |r| {
                    Ok(Permission {
                        resource_id: r.get(0)?,
                        action: r.get(1)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn update_role_permissions(
        &self,
        role: &RoleName,
        added: &[Permission],
        removed: &[Permission],
    ) -> StoreResult<()> {
        self.write(|tx| {
            let id = role_id(tx, role)?;
            let mut revoke = tx.prepare_cached(
                "DELETE FROM role_permissions WHERE role_id = ?1 AND resource_id = ?2 AND action = ?3",
            )?;
            for p in removed {
                revoke.execute(params![id, p.resource_id, p.action])?;
            }
            grant_permissions(tx, id, added)
        })
    }
}

/// Grant permissions to a role (already held ones are kept once).
fn grant_permissions(
    tx: &Transaction<'_>,
    role_id: i64,
    permissions: &[Permission],
) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO role_permissions (role_id, resource_id, action) VALUES (?1, ?2, ?3)",
    )?;
    for permission in permissions {
        stmt.execute(params![role_id, permission.resource_id, permission.action])?;
    }
    Ok(())
}

impl ClaimBackend for SqliteStore {
    fn claim_value(
        &self,
        user: &UserName,
        uri: &ClaimUri,
        profile: &ProfileName,
    ) -> StoreResult<Option<String>> {
        self.read(|conn| {
            let uid = user_id(conn, user)?;
            Ok(conn
                .prepare_cached(
                    "SELECT value FROM user_claims
                     WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
                )?
                .query_row(params![uid, profile.as_str(), uri.as_str()], |r| r.get(0))
                .optional()?)
        })
    }

    fn claim_values(&self, user: &UserName, profile: &ProfileName) -> StoreResult<Vec<ClaimValue>> {
        self.read(|conn| {
            let uid = user_id(conn, user)?;
            claims_of(conn, uid, profile.as_str())
        })
    }

    fn set_claim_values(
        &self,
        user: &UserName,
        claims: &[ClaimValue],
        profile: &ProfileName,
    ) -> StoreResult<()> {
        self.check_claims(claims)?;
        self.write(|tx| {
            let uid = user_id(tx, user)?;
            upsert_claims(tx, uid, claims, profile)
        })
    }

    fn update_claims(
        &self,
        user: &UserName,
        set: &[ClaimValue],
        remove: &[ClaimUri],
        profile: &ProfileName,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        self.check_claims(set)?;
        self.write(|tx| {
            let uid = user_id(tx, user)?;
            if let Some(expected) = expected_version {
                let version: i64 = tx
                    .prepare_cached("SELECT version FROM users WHERE id = ?1")?
                    .query_row([uid], |r| r.get(0))?;
                if version != expected {
                    return Err(StoreError::VersionChanged(version));
                }
            }
            let mut stmt = tx.prepare_cached(
                "DELETE FROM user_claims WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
            )?;
            for uri in remove {
                stmt.execute(params![uid, profile.as_str(), uri.as_str()])?;
            }
            touch_user(tx, uid)?;
            upsert_claims(tx, uid, set, profile)
        })
    }

    fn append_claim_values(
        &self,
        user: &UserName,
        claims: &[ClaimValue],
        profile: &ProfileName,
        rule: AppendRule,
    ) -> StoreResult<()> {
        self.check_claims(claims)?;
        self.write(|tx| {
            let uid = user_id(tx, user)?;
            for claim in claims {
                let existing: Option<String> = tx
                    .prepare_cached(
                        "SELECT value FROM user_claims
                         WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
                    )?
                    .query_row(params![uid, profile.as_str(), claim.uri.as_str()], |r| {
                        r.get(0)
                    })
                    .optional()?;
                if let Some(value) = rule.append(existing.as_deref(), &claim.value) {
                    let merged = ClaimValue {
                        uri: claim.uri.clone(),
                        value,
                    };
                    upsert_claims(tx, uid, std::slice::from_ref(&merged), profile)?;
                }
            }
            Ok(())
        })
    }

    fn delete_claim_values(
        &self,
        user: &UserName,
        uris: &[ClaimUri],
        profile: &ProfileName,
    ) -> StoreResult<()> {
        self.write(|tx| {
            let uid = user_id(tx, user)?;
            let mut stmt = tx.prepare_cached(
                "DELETE FROM user_claims WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
            )?;
            for uri in uris {
                stmt.execute(params![uid, profile.as_str(), uri.as_str()])?;
            }
            touch_user(tx, uid)
        })
    }

    fn users_with_claim(
        &self,
        uri: &ClaimUri,
        value: &str,
        profile: &ProfileName,
    ) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            query_names(
                conn,
                "SELECT u.name FROM user_claims c JOIN users u ON u.id = c.user_id
                 WHERE c.claim_uri = ?1 AND c.profile = ?2 AND c.value GLOB ?3
                 ORDER BY u.name_key",
                params![uri.as_str(), profile.as_str(), glob_pattern(value, false)],
            )
        })
    }

    fn profile_names_of_user(&self, user: &UserName) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            let uid = user_id(conn, user)?;
            let names = query_names(
                conn,
                "SELECT DISTINCT profile FROM user_claims WHERE user_id = ?1",
                [uid],
            )?;
            Ok(with_default_profile(names))
        })
    }

    fn all_profile_names(&self) -> StoreResult<Vec<String>> {
        self.read(|conn| {
            let names = query_names(conn, "SELECT DISTINCT profile FROM user_claims", [])?;
            Ok(with_default_profile(names))
        })
    }
}

fn with_default_profile(mut names: Vec<String>) -> Vec<String> {
    let default = ProfileName::default();
    if !names.iter().any(|n| n == default.as_str()) {
        names.push(default.as_str().to_string());
    }
    names.sort();
    names
}

impl UserStore for SqliteStore {
    fn credential_policy(&self) -> &CredentialPolicy {
        &self.credential_policy
    }

    fn check_ready(&self) -> StoreResult<()> {
        self.read(|conn| {
            conn.prepare_cached("SELECT count(*) FROM roles")?
                .query_row([], |r| r.get::<_, i64>(0))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_escapes_everything_but_star() {
        assert_eq!(glob_pattern("a*b?c[d]", false), "a*b[?]c[[]d]");
        assert_eq!(glob_pattern("a*b?c", true), "a*b?c");
    }
}
