//! The store's rules over any SQL [`Database`]: naming and password policies, hashing, the
//! lockout state machine, the protected built-in roles, claims and memberships, written once
//! for every backend. A backend (`sqlite`, `postgres`) only opens connections, runs
//! transactions and migrates its schema. Passwords are hashed before a write transaction
//! starts, so slow hashing never holds a writer.

mod admin;
mod bulk;
pub mod conn;
mod copy;
mod query;
mod tokens;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::names::{check_claim_value, DEFAULT_PROFILE, EVERYONE_ROLE};
use super::password::{HashParams, Password, PasswordHasher};
use super::policy::{claims, ClaimDialect, CredentialPolicy, LockPolicy};
use super::schemes::StoredCredential;
use super::{
    sort_like_java, AccountLock, AccountStatus, AccountUpdate, AppendRule, AuthOutcome,
    ClaimBackend, ClaimUri, ClaimValue, CreateRoleRequest, CreateUserRequest, GroupOrder,
    GroupQuery, LoginHandler, Permission, PermissionRule, ProfileName, Protected, RoleBackend,
    RoleChange, RoleName, RoleRecord, StoreAdmin, StoreError, StoreResult, UserBackend, UserFilter,
    UserLookup, UserName, UserOrder, UserQuery, UserRecord, UserStore, UserView,
};
pub use bulk::{ExportedUser, ImportCredential, ImportedUser, RejectedRow};
use conn::args_of;
pub use conn::{Arg, Conn, Database, Dialect, Row, Value};
pub use copy::{copy_store, CopyReport};

/// The rules every backend shares, fixed at open time.
#[derive(Debug, Clone)]
pub struct StoreOptions {
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
}

/// What [`SqlStore::ensure_admin_user`] did on start-up.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminBootstrap {
    /// Users already existed; nothing was created.
    AlreadyPresent,
    /// The admin user was created with the password supplied by the operator.
    Created,
    /// The admin user was created with this generated password, to be shown once.
    CreatedWithGeneratedPassword(String),
}

/// [`UserStore`] over a SQL database.
pub struct SqlStore<D> {
    db: D,
    hasher: PasswordHasher,
    admin_user: UserName,
    admin_role: RoleName,
    lock_policy: LockPolicy,
    credential_policy: CredentialPolicy,
    claim_dialect: ClaimDialect,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A WSO2 wildcard (`*` any run of characters; `?` one character where `single` says so, as
/// WSO2 turns it into SQL's `_` for user names) as the dialect's pattern, everything else
/// literal: a GLOB pattern for SQLite, a LIKE pattern with `\` escapes for PostgreSQL.
fn wildcard_pattern(dialect: Dialect, wildcard: &str, single: bool) -> String {
    let mut pattern = String::with_capacity(wildcard.len() + 4);
    for c in wildcard.chars() {
        match (dialect, c) {
            (Dialect::Sqlite, '*') => pattern.push('*'),
            (Dialect::Sqlite, '?') if single => pattern.push('?'),
            (Dialect::Sqlite, '?') => pattern.push_str("[?]"),
            (Dialect::Sqlite, '[') => pattern.push_str("[[]"),
            (Dialect::Postgres, '*') => pattern.push('%'),
            (Dialect::Postgres, '?') if single => pattern.push('_'),
            (Dialect::Postgres, '%' | '_' | '\\') => {
                pattern.push('\\');
                pattern.push(c);
            }
            (_, other) => pattern.push(other),
        }
    }
    pattern
}

/// The range of keys a WSO2 wildcard can match, for an index to scan: its literal start (what
/// precedes the first `*`, or `?` where `single`) and the least string above every string that
/// starts with it. `None` when the pattern starts with a wildcard.
fn wildcard_key_range(wildcard: &str, single: bool) -> Option<(String, String)> {
    let end = wildcard
        .find(|c| c == '*' || (single && c == '?'))
        .unwrap_or(wildcard.len());
    let start = &wildcard[..end];
    // Bump the last character that has a successor; what follows it no longer matters.
    let mut upper: Vec<char> = start.chars().collect();
    while let Some(last) = upper.pop() {
        let successor = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = successor {
            upper.push(next);
            return Some((start.to_string(), upper.into_iter().collect()));
        }
    }
    None
}

fn sort_case_insensitively(names: &mut [String]) {
    names.sort_by_cached_key(|n| n.to_lowercase());
}

fn user_id(tx: &dyn Conn, user: &UserName) -> StoreResult<i64> {
    tx.int(
        "SELECT id FROM users WHERE name_key = ?1",
        &[user.key().into()],
    )?
    .ok_or_else(|| StoreError::UserNotFound(user.to_string()))
}

fn role_id(tx: &dyn Conn, role: &RoleName) -> StoreResult<i64> {
    tx.int(
        "SELECT id FROM roles WHERE name_key = ?1",
        &[role.key().into()],
    )?
    .ok_or_else(|| StoreError::RoleNotFound(role.to_string()))
}

fn insert_role(
    tx: &dyn Conn,
    role: &RoleName,
    uuid: Option<&str>,
    external_id: Option<&str>,
) -> StoreResult<i64> {
    if tx.exists(
        "SELECT 1 FROM roles WHERE name_key = ?1",
        &[role.key().into()],
    )? {
        return Err(StoreError::RoleExists(role.to_string()));
    }
    if let Some(uuid) = uuid {
        if tx.exists("SELECT 1 FROM roles WHERE uuid = ?1", &[uuid.into()])? {
            return Err(StoreError::InvalidInput(format!(
                "another role has the id {uuid}"
            )));
        }
    }
    let uuid = uuid.map_or_else(new_user_id, str::to_string);
    tx.int(
        "INSERT INTO roles (name, name_key, created_at, modified_at, uuid, external_id)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5) RETURNING id",
        &[
            role.as_str().into(),
            role.key().into(),
            now_ms().into(),
            uuid.as_str().into(),
            external_id.into(),
        ],
    )?
    .ok_or_else(|| StoreError::RoleNotFound(role.to_string()))
}

/// A new account row with its password hash; its id. The unique name_key is the duplicate
/// check, also against other nodes' inserts.
fn insert_user(tx: &dyn Conn, user: &UserName, hash: &str) -> StoreResult<i64> {
    tx.int(
        "INSERT INTO users
             (name, name_key, password_hash, password_changed_at, created_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?4)
         ON CONFLICT (name_key) DO NOTHING RETURNING id",
        &[
            user.as_str().into(),
            user.key().into(),
            hash.into(),
            now_ms().into(),
        ],
    )?
    .ok_or_else(|| StoreError::UserExists(user.to_string()))
}

/// What a stored credential is, for operators (see [`StoredCredential::describe`]).
fn scheme_of(stored: &str) -> String {
    match StoredCredential::parse(stored) {
        Some(credential) => credential.describe(),
        None if stored == bulk::NO_PASSWORD => "none".to_string(),
        None => "unreadable".to_string(),
    }
}

/// Give account `uid` (now `old`) the name `new`: the unique name_key refuses a name another
/// account has; a stored `username` claim follows. Other nodes hear of the old name too.
fn rename_user(tx: &dyn Conn, uid: i64, old: &UserName, new: &UserName) -> StoreResult<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute(
            "SELECT pg_notify(?1, ?2)",
            &[USER_CHANGES_CHANNEL.into(), old.key().into()],
        )?;
    }
    if !name_free(tx, "users", uid, new.key())? {
        return Err(StoreError::UserExists(new.to_string()));
    }
    tx.execute(
        "UPDATE users SET name = ?1, name_key = ?2 WHERE id = ?3",
        &[new.as_str().into(), new.key().into(), uid.into()],
    )?;
    tx.execute(
        "UPDATE user_claims SET value = ?1 WHERE user_id = ?2 AND claim_uri = ?3",
        &[new.as_str().into(), uid.into(), claims::USERNAME.into()],
    )?;
    Ok(())
}

/// Whether row `id` of `table` (`users` or `roles`) may take the name whose key is `key`:
/// no other row holds it (the unique name_key would refuse it).
fn name_free(tx: &dyn Conn, table: &str, id: i64, key: &str) -> StoreResult<bool> {
    let holder = tx.int(
        &format!("SELECT id FROM {table} WHERE name_key = ?1"),
        &[key.into()],
    )?;
    Ok(holder.is_none_or(|other| other == id))
}

/// Refuse a change made against another version of row `id` of `table` (`users` or `roles`)
/// than the current one (SCIM's If-Match); `None` asks for no check.
fn expect_version(tx: &dyn Conn, table: &str, id: i64, expected: Option<i64>) -> StoreResult<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let current = tx
        .int(
            &format!("SELECT version FROM {table} WHERE id = ?1"),
            &[id.into()],
        )?
        .unwrap_or(0);
    if current != expected {
        return Err(StoreError::VersionChanged(current));
    }
    Ok(())
}

/// Record that an account changed: its modification time and version move on.
fn touch_user(tx: &dyn Conn, user_id: i64) -> StoreResult<()> {
    tx.execute(
        "UPDATE users SET modified_at = ?1, version = version + 1 WHERE id = ?2",
        &[now_ms().into(), user_id.into()],
    )?;
    announce_user_change(tx, user_id)
}

/// The PostgreSQL channel on which every node hears which accounts changed: the payload is a
/// name key, or empty when a role's permissions or existence changed (any caller may be
/// affected).
pub const USER_CHANGES_CHANNEL: &str = "userstore_user_changed";

/// Tell the other nodes sharing the database that an account changed, at commit (PostgreSQL's
/// NOTIFY; SQLite's readers notice any commit by themselves).
fn announce_user_change(tx: &dyn Conn, user_id: i64) -> StoreResult<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute(
            "SELECT pg_notify(?1, name_key) FROM users WHERE id = ?2",
            &[USER_CHANGES_CHANNEL.into(), user_id.into()],
        )?;
    }
    Ok(())
}

/// Tell the other nodes that what roles grant changed, so any account may be affected.
fn announce_role_change(tx: &dyn Conn) -> StoreResult<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute("SELECT pg_notify(?1, '')", &[USER_CHANGES_CHANNEL.into()])?;
    }
    Ok(())
}

/// Record that a role's members changed: its modification time and version (its ETag) move on.
fn touch_role(tx: &dyn Conn, role_id: i64) -> StoreResult<()> {
    tx.execute(
        "UPDATE roles SET modified_at = ?1, version = version + 1 WHERE id = ?2",
        &[now_ms().into(), role_id.into()],
    )?;
    Ok(())
}

/// Put a user in a role (kept once); the role's version counts the change.
fn add_membership(tx: &dyn Conn, user_id: i64, role_id: i64) -> StoreResult<()> {
    insert_membership(tx, user_id, role_id)?;
    touch_role(tx, role_id)
}

/// The membership row alone, for bulk imports that count each role's change once.
fn insert_membership(tx: &dyn Conn, user_id: i64, role_id: i64) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO user_roles (user_id, role_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        &[user_id.into(), role_id.into()],
    )?;
    Ok(())
}

fn remove_membership(tx: &dyn Conn, user_id: i64, role_id: i64) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM user_roles WHERE user_id = ?1 AND role_id = ?2",
        &[user_id.into(), role_id.into()],
    )?;
    touch_role(tx, role_id)
}

fn upsert_claims(
    tx: &dyn Conn,
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
    tx: &dyn Conn,
    user_id: i64,
    profile: &str,
    uri: &str,
    value: &str,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO user_claims (user_id, profile, claim_uri, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, profile, claim_uri) DO UPDATE SET value = excluded.value",
        &[user_id.into(), profile.into(), uri.into(), value.into()],
    )?;
    Ok(())
}

/// Remove claims of one profile.
fn delete_claims(tx: &dyn Conn, user_id: i64, profile: &str, uris: &[&str]) -> StoreResult<()> {
    for uri in uris {
        tx.execute(
            "DELETE FROM user_claims WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
            &[user_id.into(), profile.into(), (*uri).into()],
        )?;
    }
    Ok(())
}

/// Remove identity claims from the default profile.
fn clear_claims(tx: &dyn Conn, user_id: i64, uris: &[&str]) -> StoreResult<()> {
    delete_claims(tx, user_id, DEFAULT_PROFILE, uris)
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
    must_change_password: bool,
    password_changed_at_ms: i64,
    /// WSO2's `identity/lastLoginTime`, when one was recorded.
    last_login_ms: Option<i64>,
}

/// A login records its time (WSO2's `identity/lastLoginTime`) only when the recorded one is at
/// least this old, so a client that logs in on every call does not make every login a write.
const LAST_LOGIN_RESOLUTION_MS: i64 = 60 * 1000;

/// How long a required password change leaves the old password working: WSO2's JDBC store
/// refuses the login once the flag is older than 24 hours.
const PASSWORD_CHANGE_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

impl LoginState {
    /// A required password change whose day of grace has passed.
    fn password_change_overdue(&self, now_ms: i64) -> bool {
        self.must_change_password && self.password_changed_at_ms < now_ms - PASSWORD_CHANGE_GRACE_MS
    }

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

fn login_state(conn: &dyn Conn, user: &UserName) -> StoreResult<Option<LoginState>> {
    let Some((id, hash, password_changed_at_ms)) = conn.row(
        "SELECT id, password_hash, password_changed_at FROM users WHERE name_key = ?1",
        &[user.key().into()],
        |r| Ok((r.int(0)?, r.text(1)?, r.int(2)?)),
    )?
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
        must_change_password: false,
        password_changed_at_ms,
        last_login_ms: None,
    };
    conn.query(
        "SELECT claim_uri, value FROM user_claims
         WHERE user_id = ?1 AND profile = ?2 AND claim_uri IN (?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            id.into(),
            DEFAULT_PROFILE.into(),
            claims::ACCOUNT_LOCKED.into(),
            claims::ACCOUNT_DISABLED.into(),
            claims::UNLOCK_TIME.into(),
            claims::FAILED_LOGIN_ATTEMPTS.into(),
            claims::FAILED_LOGIN_LOCKOUT_COUNT.into(),
            claims::ADMIN_FORCED_PASSWORD_RESET.into(),
            claims::LAST_LOGIN_TIME.into(),
        ],
        &mut |row| {
            let uri = row.text(0)?;
            let value = row.text(1)?;
            let number = || value.trim().parse().unwrap_or(0);
            match uri.as_str() {
                claims::ACCOUNT_LOCKED => state.locked = is_true(&value),
                claims::ACCOUNT_DISABLED => state.disabled = is_true(&value),
                claims::UNLOCK_TIME => state.unlock_time_ms = value.trim().parse().ok(),
                claims::FAILED_LOGIN_ATTEMPTS => state.failed_attempts = number(),
                claims::FAILED_LOGIN_LOCKOUT_COUNT => state.lockout_count = number(),
                claims::ADMIN_FORCED_PASSWORD_RESET => state.must_change_password = is_true(&value),
                claims::LAST_LOGIN_TIME => state.last_login_ms = value.trim().parse().ok(),
                _ => {}
            }
            Ok(true)
        },
    )?;
    Ok(Some(state))
}

/// Store a new password hash; the user no longer has to change the password.
fn set_password_hash(tx: &dyn Conn, user_id: i64, hash: &str) -> StoreResult<()> {
    tx.execute(
        "UPDATE users SET password_hash = ?1, password_changed_at = ?2 WHERE id = ?3",
        &[hash.into(), now_ms().into(), user_id.into()],
    )?;
    touch_user(tx, user_id)?;
    clear_claims(tx, user_id, &[claims::ADMIN_FORCED_PASSWORD_RESET])
}

fn user_record(r: &dyn Row) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: r.int(0)?,
        name: r.text(1)?,
        password_changed_at_ms: r.int(2)?,
        created_at_ms: r.int(3)?,
        modified_at_ms: r.int(4)?,
        version: r.int(5)?,
    })
}

fn role_record(r: &dyn Row) -> StoreResult<RoleRecord> {
    Ok(RoleRecord {
        name: r.text(0)?,
        id: r.text(1)?,
        created_at_ms: r.int(2)?,
        modified_at_ms: r.int(3)?,
        external_id: r.opt_text(4)?,
        version: r.int(5)?,
    })
}

/// The account named `name`.
fn record_by_name(conn: &dyn Conn, name: &UserName) -> StoreResult<Option<UserRecord>> {
    conn.row(
        "SELECT id, name, password_changed_at, created_at, modified_at, version
         FROM users WHERE name_key = ?1",
        &[name.key().into()],
        user_record,
    )
}

/// The account whose UUID claim is `id`.
fn record_by_id(conn: &dyn Conn, id: &str) -> StoreResult<Option<UserRecord>> {
    conn.row(
        "SELECT u.id, u.name, u.password_changed_at, u.created_at, u.modified_at, u.version
         FROM user_claims c JOIN users u ON u.id = c.user_id
         WHERE c.claim_uri = ?1 AND c.profile = ?2 AND c.value = ?3",
        &[claims::USER_ID.into(), DEFAULT_PROFILE.into(), id.into()],
        user_record,
    )
}

/// Account `uid`'s claims in `profile`, by URI.
/// A claim as stored: its URI and value.
fn stored_claim(uri: &str, value: String) -> StoreResult<ClaimValue> {
    Ok(ClaimValue {
        uri: ClaimUri::parse(uri)?,
        value,
    })
}

fn claims_of(conn: &dyn Conn, uid: i64, profile: &str) -> StoreResult<Vec<ClaimValue>> {
    conn.rows(
        "SELECT claim_uri, value FROM user_claims
         WHERE user_id = ?1 AND profile = ?2 ORDER BY claim_uri",
        &[uid.into(), profile.into()],
        |r| stored_claim(&r.text(0)?, r.text(1)?),
    )
}

/// The columns [`role_record`] reads, for a `roles r` in the query; a macro so that the
/// fixed queries are literals, not formatted on every call.
macro_rules! role_columns {
    () => {
        "r.name, r.uuid, r.created_at, r.modified_at, r.external_id, r.version"
    };
}

/// Account `uid`'s roles with their ids, in name order (sorted here: an account has a few, and
/// an ORDER BY made SQLite build a sorter on every SCIM read of a user).
fn role_records_of(conn: &dyn Conn, uid: i64) -> StoreResult<Vec<RoleRecord>> {
    let mut roles = conn.rows(
        concat!(
            "SELECT ",
            role_columns!(),
            " FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ?1"
        ),
        &[uid.into()],
        role_record,
    )?;
    roles.sort_by_cached_key(|role| role.name.to_lowercase());
    Ok(roles)
}

/// A bound for LIMIT and OFFSET.
fn bound(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<D: Database> SqlStore<D> {
    /// The store over `db` (already migrated), with the built-in roles made sure of.
    pub fn new(db: D, options: StoreOptions) -> StoreResult<Self> {
        let hasher = PasswordHasher::new(options.hash_params).map_err(|e| {
            StoreError::InvalidInput(format!("invalid password hashing parameters: {e}"))
        })?;
        let store = Self {
            db,
            hasher,
            admin_user: options.admin_user,
            admin_role: options.admin_role,
            lock_policy: options.lock_policy,
            credential_policy: options.credential_policy,
            claim_dialect: options.claim_dialect,
        };
        store.db.write(|tx| {
            for role in [&store.admin_role, &RoleName::everyone()] {
                match insert_role(tx, role, None, None) {
                    Ok(_) | Err(StoreError::RoleExists(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            // The admin role holds the root of the permission tree, as in WSO2.
            let admin_role = role_id(tx, &store.admin_role)?;
            add_role_rules(tx, GRANTS, admin_role, &[Permission::root()])
        })?;
        Ok(store)
    }

    /// On a database with no users, create the admin user in the admin role, with `provided` as
    /// its password or else a generated one that is returned to be shown once.
    pub fn ensure_admin_user(&self, provided: Option<Password>) -> StoreResult<AdminBootstrap> {
        let any_user = self
            .db
            .read(|conn| conn.exists("SELECT 1 FROM users LIMIT 1", &[]))?;
        if any_user {
            return Ok(AdminBootstrap::AlreadyPresent);
        }
        let (password, outcome) = match provided {
            Some(p) => (p, AdminBootstrap::Created),
            None => {
                let generated = super::password::generate_password();
                (
                    Password::new(generated.clone()),
                    AdminBootstrap::CreatedWithGeneratedPassword(generated),
                )
            }
        };
        password.check_length()?;
        let created = self.add_user(CreateUserRequest {
            user: self.admin_user.clone(),
            password,
            roles: vec![self.admin_role.clone()],
            claims: Vec::new(),
            profile: ProfileName::default(),
            require_password_change: false,
        });
        match created {
            Ok(()) => Ok(outcome),
            // Another node starting on the same empty database got there first.
            Err(StoreError::UserExists(_)) => Ok(AdminBootstrap::AlreadyPresent),
            Err(e) => Err(e),
        }
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
        self.db.read(|conn| {
            conn.row(
                "SELECT password_hash FROM users WHERE name_key = ?1",
                &[user.key().into()],
                |r| r.text(0),
            )
        })
    }

    fn hash_new_password(&self, password: &Password) -> StoreResult<String> {
        self.credential_policy.check_password(password)?;
        self.hasher.hash(password)
    }

    /// Count a failed login; lock the account when the policy's limit is reached.
    fn record_failed_login(&self, state: &LoginState, now: i64) -> StoreResult<()> {
        let policy = &self.lock_policy;
        let locked_now = self.db.write(|tx| {
            if state.has_expired_lock(now) {
                clear_claims(tx, state.id, &[claims::ACCOUNT_LOCKED, claims::UNLOCK_TIME])?;
            }
            if policy.allowed_failed_attempts == 0 {
                return Ok(false);
            }
            // Count in SQL so concurrent failures are never lost.
            let attempts = tx
                .int(
                    "INSERT INTO user_claims (user_id, profile, claim_uri, value)
                     VALUES (?1, ?2, ?3, '1')
                     ON CONFLICT (user_id, profile, claim_uri)
                     DO UPDATE SET value = CAST(CAST(user_claims.value AS BIGINT) + 1 AS TEXT)
                     RETURNING CAST(value AS BIGINT)",
                    &[
                        state.id.into(),
                        DEFAULT_PROFILE.into(),
                        claims::FAILED_LOGIN_ATTEMPTS.into(),
                    ],
                )?
                .unwrap_or(1);
            if attempts >= i64::from(policy.allowed_failed_attempts) {
                let until = now + policy.lock_duration(state.lockout_count).as_millis() as i64;
                let lockouts = (state.lockout_count + 1).to_string();
                let id = state.id;
                set_claim(tx, id, DEFAULT_PROFILE, claims::ACCOUNT_LOCKED, "true")?;
                set_claim(
                    tx,
                    id,
                    DEFAULT_PROFILE,
                    claims::UNLOCK_TIME,
                    &until.to_string(),
                )?;
                set_claim(
                    tx,
                    id,
                    DEFAULT_PROFILE,
                    claims::FAILED_LOGIN_LOCKOUT_COUNT,
                    &lockouts,
                )?;
                clear_claims(tx, id, &[claims::FAILED_LOGIN_ATTEMPTS])?;
                announce_user_change(tx, id)?;
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
        let record_time = state
            .last_login_ms
            .is_none_or(|last| now - last >= LAST_LOGIN_RESOLUTION_MS);
        if !rehash && !counters && !expired_lock && !record_time {
            return Ok(());
        }
        let new_hash = if rehash {
            Some(self.hasher.hash(password)?)
        } else {
            None
        };
        self.db.write(|tx| {
            let mut cleared = vec![
                claims::FAILED_LOGIN_ATTEMPTS,
                claims::FAILED_LOGIN_LOCKOUT_COUNT,
            ];
            if expired_lock {
                cleared.extend([claims::ACCOUNT_LOCKED, claims::UNLOCK_TIME]);
            }
            clear_claims(tx, state.id, &cleared)?;
            if record_time {
                set_claim(
                    tx,
                    state.id,
                    DEFAULT_PROFILE,
                    claims::LAST_LOGIN_TIME,
                    &now.to_string(),
                )?;
            }
            if let Some(hash) = &new_hash {
                // Same password, stronger hash: the password-change time stays as it was.
                tx.execute(
                    "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                    &[hash.into(), state.id.into()],
                )?;
            }
            Ok(())
        })
    }

    fn check_login(&self, user: &UserName, password: &Password) -> StoreResult<AuthOutcome> {
        let state = self.db.read(|conn| login_state(conn, user))?;
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
        if verified && state.password_change_overdue(now) {
            // Only the right password learns this, as in WSO2 (which does not check the
            // password at all then; a wrong one here still counts towards the lock).
            return Ok(AuthOutcome::PasswordChangeRequired);
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

impl<D: Database> LoginHandler for SqlStore<D> {
    fn authenticate(&self, user: &UserName, password: &Password) -> StoreResult<AuthOutcome> {
        let outcome = self.check_login(user, password)?;
        if !outcome.is_success() {
            metrics::counter!(super::metrics::AUTH_FAILURES, "reason" => outcome.label())
                .increment(1);
        }
        Ok(outcome)
    }

    fn account_status(&self, user: &UserName) -> StoreResult<Option<AccountStatus>> {
        let state = self.db.read(|conn| login_state(conn, user))?;
        Ok(state.map(|state| AccountStatus {
            lock: state.lock(now_ms()),
            disabled: state.disabled,
            failed_attempts: state.failed_attempts,
        }))
    }
}

impl<D: Database> UserBackend for SqlStore<D> {
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
        self.db.write(|tx| {
            let id = insert_user(tx, &request.user, &hash)?;
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
        self.db.write(|tx| {
            let id = user_id(tx, user)?;
            announce_user_change(tx, id)?;
            // The memberships go with the user; each of its roles counts the change.
            tx.execute(
                "UPDATE roles SET modified_at = ?1, version = version + 1
                 WHERE id IN (SELECT role_id FROM user_roles WHERE user_id = ?2)",
                &[now_ms().into(), id.into()],
            )?;
            tx.execute("DELETE FROM users WHERE id = ?1", &[id.into()])?;
            Ok(())
        })
    }

    fn find_user(&self, user: &UserName) -> StoreResult<Option<UserRecord>> {
        self.db.read(|conn| record_by_name(conn, user))
    }

    fn user_exists(&self, user: &UserName) -> StoreResult<bool> {
        self.db.read(|conn| {
            conn.int(
                "SELECT 1 FROM users WHERE name_key = ?1",
                &[user.key().into()],
            )
            .map(|found| found.is_some())
        })
    }

    fn find_user_by_id(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        self.db.read(|conn| record_by_id(conn, id))
    }

    fn user_view(&self, user: UserLookup<'_>) -> StoreResult<Option<UserView>> {
        self.db.read(|conn| {
            // One snapshot for the three reads.
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
        self.db.read(|conn| {
            let dialect = conn.dialect();
            let mut sql = String::new();
            let mut values = Vec::new();
            query::compile(dialect, query, &mut sql, &mut values);
            let mut page = values.clone();
            let order_by = query::order_by(dialect, order, &mut page);
            page.push(Value::Int(bound(limit)));
            page.push(Value::Int(bound(offset)));
            // The count and the page from one snapshot.
            let total = conn
                .int(
                    &format!("SELECT COUNT(*) FROM users u WHERE {sql}"),
                    &args_of(&values),
                )?
                .unwrap_or(0);
            let names = conn.texts(
                &format!(
                    "SELECT u.name FROM users u WHERE {sql} ORDER BY {order_by} LIMIT ? OFFSET ?"
                ),
                &args_of(&page),
            )?;
            Ok((usize::try_from(total).unwrap_or(0), names))
        })
    }

    fn list_users(&self, filter: &UserFilter, limit: usize) -> StoreResult<Vec<String>> {
        let limit = bound(limit);
        // The primary store's users are the names without a domain.
        let (wildcard, primary_only) = match filter {
            UserFilter::All => (None, false),
            UserFilter::Wildcard(wildcard) => (Some(wildcard), false),
            UserFilter::Primary(wildcard) => (wildcard.as_ref(), true),
        };
        let primary = if primary_only {
            " AND name_key NOT LIKE '%/%'"
        } else {
            ""
        };
        let mut names = self.db.read(|conn| match wildcard {
            None => conn.texts(
                &format!("SELECT name FROM users WHERE 1 = 1{primary} ORDER BY name_key LIMIT ?1"),
                &[limit.into()],
            ),
            Some(wildcard) => {
                let wildcard = wildcard.to_lowercase();
                let pattern = wildcard_pattern(conn.dialect(), &wildcard, true);
                // The pattern's literal start bounds the index scan. SQLite would find that
                // range itself, but only by planning the statement again for each pattern bound
                // to it (a sixth of a listUsers profile); `GLOB (?1 || '')` keeps it from trying.
                let range = wildcard_key_range(&wildcard, true);
                let matching = match (conn.dialect(), range.is_some()) {
                    (Dialect::Sqlite, true) => {
                        "name_key >= ?2 AND name_key < ?3 AND name_key GLOB (?1 || '')"
                    }
                    (Dialect::Sqlite, false) => "name_key GLOB (?1 || '')",
                    (Dialect::Postgres, true) => {
                        "name_key >= ?2 AND name_key < ?3 AND name_key LIKE ?1 ESCAPE '\\'"
                    }
                    (Dialect::Postgres, false) => "name_key LIKE ?1 ESCAPE '\\'",
                };
                let limit_at = if range.is_some() { 4 } else { 2 };
                let sql = format!(
                    "SELECT name FROM users WHERE {matching}{primary}
                     ORDER BY name_key LIMIT ?{limit_at}"
                );
                let mut args: Vec<Arg<'_>> = vec![pattern.as_str().into()];
                if let Some((from, below)) = &range {
                    args.extend([Arg::Text(from), Arg::Text(below)]);
                }
                args.push(limit.into());
                conn.texts(&sql, &args)
            }
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
        self.db.write(|tx| {
            let id = user_id(tx, user)?;
            set_password_hash(tx, id, &hash)
        })
    }

    fn update_credential_by_admin(&self, user: &UserName, new: &Password) -> StoreResult<()> {
        // Fail fast for unknown users before spending a hash on them.
        self.find_user(user)?
            .ok_or_else(|| StoreError::UserNotFound(user.to_string()))?;
        let hash = self.hash_new_password(new)?;
        self.db.write(|tx| {
            let id = user_id(tx, user)?;
            set_password_hash(tx, id, &hash)
        })
    }
}

impl<D: Database> RoleBackend for SqlStore<D> {
    fn add_role(&self, request: CreateRoleRequest) -> StoreResult<()> {
        self.credential_policy.check_rolename(&request.role)?;
        RoleName::new_role(request.role.as_str())?;
        self.db.write(|tx| {
            let id = insert_role(
                tx,
                &request.role,
                request.id.as_deref(),
                request.external_id.as_deref(),
            )?;
            for user in &request.users {
                insert_membership(tx, user_id(tx, user)?, id)?;
            }
            add_role_rules(tx, GRANTS, id, &request.permissions)
        })
    }

    fn delete_role(&self, role: &RoleName) -> StoreResult<()> {
        self.protect_builtin_role(
            role,
            Protected::DeleteAdminRole,
            Protected::DeleteEveryoneRole,
        )?;
        self.db.write(|tx| {
            let id = role_id(tx, role)?;
            tx.execute("DELETE FROM roles WHERE id = ?1", &[id.into()])?;
            announce_role_change(tx)
        })
    }

    fn role_exists(&self, role: &RoleName) -> StoreResult<bool> {
        self.db.read(|conn| {
            conn.exists(
                "SELECT 1 FROM roles WHERE name_key = ?1",
                &[role.key().into()],
            )
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
        self.db.write(|tx| {
            let id = role_id(tx, role)?;
            expect_version(tx, "roles", id, change.expected_version)?;
            if let Some(new_name) = &change.new_name {
                if !name_free(tx, "roles", id, new_name.key())? {
                    return Err(StoreError::RoleExists(new_name.to_string()));
                }
                tx.execute(
                    "UPDATE roles SET name = ?1, name_key = ?2 WHERE id = ?3",
                    &[new_name.as_str().into(), new_name.key().into(), id.into()],
                )?;
                announce_role_change(tx)?;
            }
            if let Some(external_id) = &change.external_id {
                tx.execute(
                    "UPDATE roles SET external_id = ?1 WHERE id = ?2",
                    &[external_id.as_deref().into(), id.into()],
                )?;
            }
            for user in &change.remove {
                let uid = user_id(tx, user)?;
                tx.execute(
                    "DELETE FROM user_roles WHERE user_id = ?1 AND role_id = ?2",
                    &[uid.into(), id.into()],
                )?;
                touch_user(tx, uid)?;
            }
            for user in &change.add {
                let uid = user_id(tx, user)?;
                insert_membership(tx, uid, id)?;
                touch_user(tx, uid)?;
            }
            // One change of the role, however many members moved.
            touch_role(tx, id)
        })
    }

    fn role_names(&self) -> StoreResult<Vec<String>> {
        // WSO2's order: the store's own roles, then the hybrid (Internal/, Application/) ones.
        self.db.read(|conn| {
            conn.texts(
                "SELECT name FROM roles
                 ORDER BY (name_key LIKE 'internal/%' OR name_key LIKE 'application/%'), name_key",
                &[],
            )
        })
    }

    fn roles_of_user(&self, user: &UserName) -> StoreResult<Vec<String>> {
        // One statement: no row is no user, a NULL name no roles besides everyone's.
        let rows = self.db.read(|conn| {
            conn.rows(
                "SELECT r.name FROM users u
                 LEFT JOIN user_roles ur ON ur.user_id = u.id
                 LEFT JOIN roles r ON r.id = ur.role_id
                 WHERE u.name_key = ?1",
                &[user.key().into()],
                |r| r.opt_text(0),
            )
        })?;
        if rows.is_empty() {
            return Err(StoreError::UserNotFound(user.to_string()));
        }
        let mut names: Vec<String> = rows.into_iter().flatten().collect();
        names.push(EVERYONE_ROLE.to_string());
        sort_case_insensitively(&mut names);
        Ok(names)
    }

    fn users_of_role(&self, role: &RoleName) -> StoreResult<Vec<String>> {
        self.db.read(|conn| {
            let id = role_id(conn, role)?;
            if role.key() == RoleName::everyone().key() {
                return conn.texts("SELECT name FROM users ORDER BY name_key", &[]);
            }
            conn.texts(
                "SELECT u.name FROM user_roles ur JOIN users u ON u.id = ur.user_id
                 WHERE ur.role_id = ?1 ORDER BY u.name_key",
                &[id.into()],
            )
        })
    }

    fn members_with_ids(&self, role: &RoleName) -> StoreResult<Vec<(String, String)>> {
        self.db.read(|conn| {
            let id = role_id(conn, role)?;
            conn.rows(
                "SELECT COALESCE(c.value, ''), u.name FROM user_roles ur
                 JOIN users u ON u.id = ur.user_id
                 LEFT JOIN user_claims c
                   ON c.user_id = u.id AND c.claim_uri = ?2 AND c.profile = ?3
                 WHERE ur.role_id = ?1 ORDER BY u.name_key",
                &[id.into(), claims::USER_ID.into(), DEFAULT_PROFILE.into()],
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
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
        self.db.write(|tx| {
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
        self.db.read(|conn| {
            let uid = user_id(conn, user)?;
            if role.key() == RoleName::everyone().key() {
                return Ok(true);
            }
            conn.exists(
                "SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                 WHERE ur.user_id = ?1 AND r.name_key = ?2",
                &[uid.into(), role.key().into()],
            )
        })
    }

    fn role_record(&self, role: &RoleName) -> StoreResult<Option<RoleRecord>> {
        self.db.read(|conn| {
            conn.row(
                concat!(
                    "SELECT ",
                    role_columns!(),
                    " FROM roles r WHERE r.name_key = ?1"
                ),
                &[role.key().into()],
                role_record,
            )
        })
    }

    fn find_role_by_id(&self, id: &str) -> StoreResult<Option<RoleRecord>> {
        self.db.read(|conn| {
            conn.row(
                concat!(
                    "SELECT ",
                    role_columns!(),
                    " FROM roles r WHERE r.uuid = ?1"
                ),
                &[id.into()],
                role_record,
            )
        })
    }

    fn query_groups(
        &self,
        query: &GroupQuery,
        order: GroupOrder,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(usize, Vec<RoleRecord>)> {
        let order_by = query::group_order_by(order);
        self.db.read(|conn| {
            let mut condition = String::from(
                "r.name_key NOT LIKE 'internal/%' AND r.name_key NOT LIKE 'application/%' AND ",
            );
            let mut values = Vec::new();
            query::compile_group(conn.dialect(), query, &mut condition, &mut values);
            let total = conn
                .int(
                    &format!("SELECT COUNT(*) FROM roles r WHERE {condition}"),
                    &args_of(&values),
                )?
                .unwrap_or(0);
            let mut page = values.clone();
            page.push(Value::Int(bound(limit)));
            page.push(Value::Int(bound(offset)));
            let rows = conn.rows(
                &format!(
                    "SELECT {} FROM roles r WHERE {condition}
                     ORDER BY {order_by} LIMIT ? OFFSET ?",
                    role_columns!()
                ),
                &args_of(&page),
                role_record,
            )?;
            Ok((usize::try_from(total).unwrap_or(0), rows))
        })
    }

    fn permissions_of_user(
        &self,
        user: &UserName,
        action: &str,
    ) -> StoreResult<Vec<PermissionRule>> {
        self.db.read(|conn| {
            let uid = user_id(conn, user)?;
            conn.rows(
                "SELECT p.role_id, p.resource_id, 1 FROM role_permissions p
                 WHERE p.action = ?2
                   AND (p.role_id IN (SELECT role_id FROM user_roles WHERE user_id = ?1)
                        OR p.role_id = (SELECT id FROM roles WHERE name_key = ?3))
                 UNION ALL
                 SELECT d.role_id, d.resource_id, 0 FROM role_permission_denials d
                 WHERE d.action = ?2
                   AND (d.role_id IN (SELECT role_id FROM user_roles WHERE user_id = ?1)
                        OR d.role_id = (SELECT id FROM roles WHERE name_key = ?3))
                 UNION ALL
                 SELECT 0, u.resource_id, u.allowed FROM user_permissions u
                 WHERE u.user_id = ?1 AND u.action = ?2
                 ORDER BY 2, 1",
                &[uid.into(), action.into(), RoleName::everyone().key().into()],
                |r| {
                    Ok(PermissionRule {
                        role: r.int(0)?,
                        resource_id: r.text(1)?,
                        allowed: r.int(2)? == 1,
                    })
                },
            )
        })
    }

    fn deny_role_permissions(&self, role: &RoleName, denied: &[Permission]) -> StoreResult<()> {
        self.db.write(|tx| {
            let id = role_id(tx, role)?;
            add_role_rules(tx, DENIALS, id, denied)?;
            touch_role(tx, id)?;
            announce_role_change(tx)
        })
    }

    fn role_denials(&self, role: &RoleName) -> StoreResult<Vec<Permission>> {
        self.db.read(|conn| role_rules(conn, DENIALS, role))
    }

    fn role_permissions(&self, role: &RoleName) -> StoreResult<Vec<Permission>> {
        self.db.read(|conn| role_rules(conn, GRANTS, role))
    }

    fn update_role_permissions(
        &self,
        role: &RoleName,
        added: &[Permission],
        removed: &[Permission],
    ) -> StoreResult<()> {
        self.db.write(|tx| {
            let id = role_id(tx, role)?;
            for p in removed {
                tx.execute(
                    "DELETE FROM role_permissions
                     WHERE role_id = ?1 AND resource_id = ?2 AND action = ?3",
                    &[id.into(), (&p.resource_id).into(), (&p.action).into()],
                )?;
            }
            add_role_rules(tx, GRANTS, id, added)?;
            announce_role_change(tx)
        })
    }
}

/// The table of the rules a role is granted, and the table of those it is denied.
pub(super) const GRANTS: &str = "role_permissions";
pub(super) const DENIALS: &str = "role_permission_denials";

/// Add `rules` to a role's `table` (GRANTS or DENIALS); rules it already has are kept once.
fn add_role_rules(
    tx: &dyn Conn,
    table: &str,
    role_id: i64,
    rules: &[Permission],
) -> StoreResult<()> {
    let insert = format!(
        "INSERT INTO {table} (role_id, resource_id, action) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING"
    );
    for rule in rules {
        tx.execute(
            &insert,
            &[
                role_id.into(),
                (&rule.resource_id).into(),
                (&rule.action).into(),
            ],
        )?;
    }
    Ok(())
}

/// A role's rules in `table` (GRANTS or DENIALS), in order.
fn role_rules(conn: &dyn Conn, table: &str, role: &RoleName) -> StoreResult<Vec<Permission>> {
    let id = role_id(conn, role)?;
    conn.rows(
        &format!(
            "SELECT resource_id, action FROM {table} WHERE role_id = ?1
             ORDER BY resource_id, action"
        ),
        &[id.into()],
        |r| {
            Ok(Permission {
                resource_id: r.text(0)?,
                action: r.text(1)?,
            })
        },
    )
}

fn claim_of(conn: &dyn Conn, uid: i64, profile: &str, uri: &str) -> StoreResult<Option<String>> {
    conn.row(
        "SELECT value FROM user_claims WHERE user_id = ?1 AND profile = ?2 AND claim_uri = ?3",
        &[uid.into(), profile.into(), uri.into()],
        |r| r.text(0),
    )
}

impl<D: Database> ClaimBackend for SqlStore<D> {
    fn claim_value(
        &self,
        user: &UserName,
        uri: &ClaimUri,
        profile: &ProfileName,
    ) -> StoreResult<Option<String>> {
        // One statement for the user and the claim, as this is the commonest read: no row means
        // no such user, a NULL value no such claim.
        self.db.read(|conn| {
            conn.row(
                "SELECT c.value FROM users u
                 LEFT JOIN user_claims c
                   ON c.user_id = u.id AND c.profile = ?2 AND c.claim_uri = ?3
                 WHERE u.name_key = ?1",
                &[
                    user.key().into(),
                    profile.as_str().into(),
                    uri.as_str().into(),
                ],
                |r| r.opt_text(0),
            )?
            .ok_or_else(|| StoreError::UserNotFound(user.to_string()))
        })
    }

    fn claim_values(&self, user: &UserName, profile: &ProfileName) -> StoreResult<Vec<ClaimValue>> {
        // One statement, as for claim_value: no row is no user, a NULL claim no claims.
        let rows = self.db.read(|conn| {
            conn.rows(
                "SELECT c.claim_uri, c.value FROM users u
                 LEFT JOIN user_claims c ON c.user_id = u.id AND c.profile = ?2
                 WHERE u.name_key = ?1 ORDER BY c.claim_uri",
                &[user.key().into(), profile.as_str().into()],
                |r| Ok((r.opt_text(0)?, r.opt_text(1)?)),
            )
        })?;
        if rows.is_empty() {
            return Err(StoreError::UserNotFound(user.to_string()));
        }
        rows.into_iter()
            .filter_map(|(uri, value)| Some((uri?, value?)))
            .map(|(uri, value)| stored_claim(&uri, value))
            .collect()
    }

    fn set_claim_values(
        &self,
        user: &UserName,
        claims: &[ClaimValue],
        profile: &ProfileName,
    ) -> StoreResult<()> {
        self.check_claims(claims)?;
        self.db.write(|tx| {
            let uid = user_id(tx, user)?;
            upsert_claims(tx, uid, claims, profile)
        })
    }

    fn update_account(&self, user: &UserName, update: AccountUpdate<'_>) -> StoreResult<()> {
        self.check_claims(update.set)?;
        if let Some(new_name) = update.new_name {
            if user.key() == self.admin_user.key() && new_name.key() != user.key() {
                return Err(StoreError::Protected(Protected::RenameAdminUser));
            }
            self.credential_policy.check_username(new_name)?;
            UserName::new_account(new_name.as_str())?;
        }
        let removed: Vec<&str> = update.remove.iter().map(ClaimUri::as_str).collect();
        self.db.write(|tx| {
            let uid = user_id(tx, user)?;
            expect_version(tx, "users", uid, update.expected_version)?;
            if let Some(new_name) = update.new_name {
                rename_user(tx, uid, user, new_name)?;
            }
            delete_claims(tx, uid, update.profile.as_str(), &removed)?;
            touch_user(tx, uid)?;
            upsert_claims(tx, uid, update.set, update.profile)
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
        self.db.write(|tx| {
            let uid = user_id(tx, user)?;
            for claim in claims {
                let existing = claim_of(tx, uid, profile.as_str(), claim.uri.as_str())?;
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
        let removed: Vec<&str> = uris.iter().map(ClaimUri::as_str).collect();
        self.db.write(|tx| {
            let uid = user_id(tx, user)?;
            delete_claims(tx, uid, profile.as_str(), &removed)?;
            touch_user(tx, uid)
        })
    }

    fn users_with_claim(
        &self,
        uri: &ClaimUri,
        value: &str,
        profile: &ProfileName,
    ) -> StoreResult<Vec<String>> {
        self.db.read(|conn| {
            let dialect = conn.dialect();
            let sql = match dialect {
                Dialect::Sqlite => {
                    "SELECT u.name FROM user_claims c JOIN users u ON u.id = c.user_id
                     WHERE c.claim_uri = ?1 AND c.profile = ?2 AND c.value GLOB ?3
                     ORDER BY u.name_key"
                }
                Dialect::Postgres => {
                    "SELECT u.name FROM user_claims c JOIN users u ON u.id = c.user_id
                     WHERE c.claim_uri = ?1 AND c.profile = ?2 AND c.value LIKE ?3 ESCAPE '\\'
                     ORDER BY u.name_key"
                }
            };
            let pattern = wildcard_pattern(dialect, value, false);
            conn.texts(
                sql,
                &[
                    uri.as_str().into(),
                    profile.as_str().into(),
                    pattern.as_str().into(),
                ],
            )
        })
    }

    fn profile_names_of_user(&self, user: &UserName) -> StoreResult<Vec<String>> {
        self.db.read(|conn| {
            let uid = user_id(conn, user)?;
            let names = conn.texts(
                "SELECT DISTINCT profile FROM user_claims WHERE user_id = ?1",
                &[uid.into()],
            )?;
            Ok(with_default_profile(names))
        })
    }

    fn all_profile_names(&self) -> StoreResult<Vec<String>> {
        self.db.read(|conn| {
            let names = conn.texts("SELECT DISTINCT profile FROM user_claims", &[])?;
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

impl<D: Database> UserStore for SqlStore<D> {
    fn credential_policy(&self) -> &CredentialPolicy {
        &self.credential_policy
    }

    fn realm_admin(&self) -> (&UserName, &RoleName) {
        (&self.admin_user, &self.admin_role)
    }

    fn check_ready(&self) -> StoreResult<()> {
        self.db
            .read(|conn| conn.int("SELECT count(*) FROM roles", &[]).map(drop))
    }

    fn reads_in_place(&self) -> bool {
        self.db.reads_in_place()
    }

    fn writes_share_commits(&self) -> bool {
        self.db.writes_share_commits()
    }

    fn watch_outside_changes(&self, listener: super::ChangeListener) {
        self.db.watch_outside_changes(listener);
    }
}

impl<D: Database> StoreAdmin for SqlStore<D> {
    fn ensure_admin_user(&self, provided: Option<Password>) -> StoreResult<AdminBootstrap> {
        SqlStore::ensure_admin_user(self, provided)
    }

    fn import_batch(
        &self,
        rows: Vec<ImportedUser>,
        dry_run: bool,
    ) -> StoreResult<Vec<RejectedRow>> {
        SqlStore::import_batch(self, rows, dry_run)
    }

    fn export_users(&self, sink: &mut dyn FnMut(ExportedUser) -> bool) -> StoreResult<usize> {
        SqlStore::export_users(self, sink)
    }

    fn replace_credential(&self, user: &UserName, credential: ImportCredential) -> StoreResult<()> {
        SqlStore::replace_credential(self, user, credential)
    }

    fn credential_scheme(&self, user: &UserName) -> StoreResult<Option<String>> {
        Ok(self.stored_hash(user)?.map(|stored| scheme_of(&stored)))
    }

    fn credential_schemes(&self) -> StoreResult<Vec<(String, usize)>> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        self.db.read(|conn| {
            conn.query("SELECT password_hash FROM users", &[], &mut |row| {
                *counts.entry(scheme_of(&row.text(0)?)).or_default() += 1;
                Ok(true)
            })
        })?;
        Ok(counts.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_everything_else_literally() {
        let sqlite = |w, single| wildcard_pattern(Dialect::Sqlite, w, single);
        assert_eq!(sqlite("a*b?c[d]", false), "a*b[?]c[[]d]");
        assert_eq!(sqlite("a*b?c", true), "a*b?c");
        let postgres = |w, single| wildcard_pattern(Dialect::Postgres, w, single);
        assert_eq!(postgres("a*b?c%_\\", false), "a%b?c\\%\\_\\\\");
        assert_eq!(postgres("a*b?c", true), "a%b_c");
    }

    #[test]
    fn a_wildcard_key_range_holds_every_key_the_pattern_matches() {
        let range = |w, single| wildcard_key_range(w, single);
        assert_eq!(
            range("user0012*", true),
            Some(("user0012".into(), "user0013".into()))
        );
        assert_eq!(range("ab?c", true), Some(("ab".into(), "ac".into())));
        assert_eq!(range("ab?c", false), Some(("ab?c".into(), "ab?d".into())));
        assert_eq!(range("exact", true), Some(("exact".into(), "exacu".into())));
        assert_eq!(range("*tail", true), None);
        assert_eq!(range("", true), None);
        // A character without a successor gives way to the one before it.
        assert_eq!(
            range("a\u{10FFFF}*", true),
            Some(("a\u{10FFFF}".into(), "b".into()))
        );
        assert_eq!(
            range("\u{D7FF}*", true),
            Some(("\u{D7FF}".into(), "\u{E000}".into()))
        );
        assert_eq!(range("\u{10FFFF}*", true), None);
    }
}
