//! Bulk import and export: the fast path for seeding and backing up large stores. Rows are
//! written in batched transactions, each row inside a savepoint so one bad row is reported and
//! skipped without losing the rest of its batch.

use std::collections::{BTreeMap, HashMap};

use argon2::password_hash::PasswordHash;

use super::{
    insert_role, insert_user, new_user_id, role_id, touch_role, Arg, Conn, Database, Dialect,
    SqlStore,
};
use crate::store::names::{check_claim_value, DEFAULT_PROFILE};
use crate::store::policy::claims;
use crate::store::schemes::{LegacyHash, StoredCredential};
use crate::store::{
    ClaimValue, Password, ProfileName, RoleName, StoreError, StoreResult, UserName,
};

/// How an imported user's password arrives.
#[derive(Debug)]
pub enum ImportCredential {
    /// Plaintext: checked against the policy and hashed with the configured parameters.
    Password(Password),
    /// A stored credential as `export` writes it: an argon2 PHC string, or a wrapped or
    /// tagged legacy hash (see [`crate::store::schemes`]), stored as is (upgraded to the
    /// configured argon2id at the next login).
    Hash(String),
    /// Another system's hash: wrapped under argon2id (`wrap`, the default), or stored tagged.
    Legacy {
        /// The hash.
        hash: LegacyHash,
        /// Store argon2id over it rather than the hash itself.
        wrap: bool,
    },
    /// No password at all (an account of the source that had none): no password verifies
    /// until an administrator sets one.
    NoPassword,
    /// A plaintext password another system kept (WSO2's PLAIN_TEXT digest): hashed with
    /// argon2id as it is, without the password policy, which it was never checked against.
    Migrated(Password),
}

/// What `password_hash` holds for an account without a password: no scheme reads it, so
/// every login fails (after the decoy's hashing, as for a wrong password).
pub const NO_PASSWORD: &str = "!";

/// One user of an import file.
#[derive(Debug)]
pub struct ImportedUser {
    /// Line in the source file, for error reports.
    pub line: usize,
    /// The account name.
    pub user: UserName,
    /// Its password or hash.
    pub credential: ImportCredential,
    /// Roles; missing ones are created.
    pub roles: Vec<RoleName>,
    /// Claims with their profile.
    pub claims: Vec<(ProfileName, ClaimValue)>,
}

/// One user as export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedUser {
    /// The account name.
    pub name: String,
    /// Its credential as stored: an argon2 PHC string, or a wrapped or tagged legacy hash
    /// (never a plaintext).
    pub password_hash: String,
    /// Its roles (`Internal/everyone` is implicit and left out).
    pub roles: Vec<String>,
    /// Claims by profile, then by URI.
    pub claims: BTreeMap<String, BTreeMap<String, String>>,
}

/// A row that was skipped, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line in the source file.
    pub line: usize,
    /// The reason, safe to print (no secrets).
    pub reason: String,
    /// The user exists already (a re-run of an import): nothing wrong with the row.
    pub already_present: bool,
}

impl RejectedRow {
    /// A row skipped for `reason`.
    pub fn new(line: usize, reason: impl Into<String>) -> Self {
        Self {
            line,
            reason: reason.into(),
            already_present: false,
        }
    }
}

fn check_stored(stored: &str) -> Result<(), StoreError> {
    match StoredCredential::parse(stored) {
        Some(StoredCredential::Argon2(phc)) => PasswordHash::new(phc).map(|_| ()).map_err(|_| {
            StoreError::InvalidInput("password_hash is not an argon2 PHC string".to_string())
        }),
        Some(_) => Ok(()),
        None if stored == NO_PASSWORD => Ok(()),
        None => Err(StoreError::InvalidInput(
            "password_hash is neither an argon2 PHC string nor a wrapped or legacy hash"
                .to_string(),
        )),
    }
}

/// Put a new user in roles with one statement (a round trip saved per role on a networked
/// database).
fn insert_memberships(tx: &dyn Conn, user_id: i64, role_ids: &[i64]) -> StoreResult<()> {
    if role_ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..role_ids.len())
        .map(|i| format!("(?1, ?{})", i + 2))
        .collect();
    let sql = format!(
        "INSERT INTO user_roles (user_id, role_id) VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    );
    let mut args: Vec<Arg<'_>> = vec![user_id.into()];
    args.extend(role_ids.iter().map(|id| Arg::Int(*id)));
    tx.execute(&sql, &args)?;
    Ok(())
}

/// A new user's claims, by (profile, URI), with one statement.
fn insert_claims(
    tx: &dyn Conn,
    user_id: i64,
    values: &BTreeMap<(&str, &str), &str>,
) -> StoreResult<()> {
    let rows: Vec<String> = (0..values.len())
        .map(|i| format!("(?1, ?{}, ?{}, ?{})", 3 * i + 2, 3 * i + 3, 3 * i + 4))
        .collect();
    let sql = format!(
        "INSERT INTO user_claims (user_id, profile, claim_uri, value) VALUES {}",
        rows.join(", ")
    );
    let mut args: Vec<Arg<'_>> = vec![user_id.into()];
    for ((profile, uri), value) in values {
        args.extend([Arg::Text(profile), Arg::Text(uri), Arg::Text(value)]);
    }
    tx.execute(&sql, &args)?;
    Ok(())
}

/// A row as a dry run checks it: a password is taken as some argon2 hash and a legacy hash is
/// stored tagged, so that nothing is hashed for a transaction that is rolled back.
fn without_hashing(mut row: ImportedUser) -> ImportedUser {
    row.credential = match row.credential {
        ImportCredential::Password(_) | ImportCredential::Migrated(_) => {
            ImportCredential::Hash(DRY_RUN_HASH.to_string())
        }
        ImportCredential::Legacy { hash, .. } => ImportCredential::Legacy { hash, wrap: false },
        other => other,
    };
    row
}

/// An argon2id hash of nothing in particular, for a dry run's rows with a password.
const DRY_RUN_HASH: &str =
    "$argon2id$v=19$m=8,t=1,p=1$ZHJ5cnVuZHJ5cnVu$ZHJ5cnVuZHJ5cnVuZHJ5cnVuZHJ5cnVuZHJ5cnVu";

/// A row whose checks passed and whose password is hashed, ready to insert.
struct ReadyRow {
    row: ImportedUser,
    hash: String,
}

impl<D: Database> SqlStore<D> {
    fn prepare_row(&self, mut row: ImportedUser) -> Result<ReadyRow, RejectedRow> {
        let reject = |line, e: StoreError| RejectedRow::new(line, e.to_string());
        let line = row.line;
        self.credential_policy
            .check_username(&row.user)
            .map_err(|e| reject(line, e))?;
        for (_, claim) in &row.claims {
            check_claim_value(&claim.uri, &claim.value).map_err(|e| reject(line, e))?;
            self.claim_dialect
                .check(claim.uri.as_str())
                .map_err(|e| reject(line, e))?;
        }
        let credential =
            std::mem::replace(&mut row.credential, ImportCredential::Hash(String::new()));
        let hash = self
            .stored_credential(credential)
            .map_err(|e| reject(line, e))?;
        Ok(ReadyRow { row, hash })
    }

    /// What `password_hash` holds for an imported credential: hashed, wrapped or checked.
    fn stored_credential(&self, credential: ImportCredential) -> StoreResult<String> {
        Ok(match credential {
            ImportCredential::Hash(stored) => {
                check_stored(&stored)?;
                stored
            }
            ImportCredential::Password(password) => self.hash_new_password(&password)?,
            ImportCredential::Legacy { hash, wrap: true } => self.hasher.wrap(&hash)?,
            ImportCredential::Legacy { hash, wrap: false } => hash.to_stored(),
            ImportCredential::NoPassword => NO_PASSWORD.to_string(),
            ImportCredential::Migrated(password) => self.hasher.hash(&password)?,
        })
    }

    /// Give an existing account an imported credential (the realm's admin taking over the
    /// admin's password of the system it replaces).
    pub fn replace_credential(
        &self,
        user: &UserName,
        credential: ImportCredential,
    ) -> StoreResult<()> {
        let hash = self.stored_credential(credential)?;
        self.db.write(|tx| {
            let id = super::user_id(tx, user)?;
            super::set_password_hash(tx, id, &hash)
        })
    }

    /// Check and hash rows on every core; plaintext passwords make this the slow part.
    fn prepare_rows(&self, rows: Vec<ImportedUser>) -> (Vec<ReadyRow>, Vec<RejectedRow>) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = rows.len().div_ceil(threads).max(1);
        let mut chunks: Vec<Vec<ImportedUser>> = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            chunks.push(rows.by_ref().take(chunk).collect());
        }
        let results: Vec<Vec<Result<ReadyRow, RejectedRow>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|part| {
                    scope.spawn(move || part.into_iter().map(|r| self.prepare_row(r)).collect())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let (mut ready, mut rejected) = (Vec::new(), Vec::new());
        for result in results.into_iter().flatten() {
            match result {
                Ok(row) => ready.push(row),
                Err(reject) => rejected.push(reject),
            }
        }
        (ready, rejected)
    }

    /// Import one batch in one transaction. Missing roles are created; rows that fail
    /// (invalid, duplicate) are returned and skipped. A dry run does all of it, legacy hashes
    /// stored tagged instead of wrapped (no hashing), and rolls the transaction back.
    pub fn import_batch(
        &self,
        rows: Vec<ImportedUser>,
        dry_run: bool,
    ) -> StoreResult<Vec<RejectedRow>> {
        let rows = if dry_run {
            rows.into_iter().map(without_hashing).collect()
        } else {
            rows
        };
        let (ready, mut rejected) = self.prepare_rows(rows);
        let mut rolled_back = None;
        let written = self.db.write(|tx| {
            let mut failed = Vec::new();
            let mut role_ids: HashMap<String, i64> = HashMap::new();
            for ReadyRow { row, hash } in &ready {
                tx.execute("SAVEPOINT import_row", &[])?;
                match self.import_row(tx, row, hash, &mut role_ids) {
                    Ok(()) => {
                        tx.execute("RELEASE import_row", &[])?;
                    }
                    Err(e) => {
                        tx.execute("ROLLBACK TO import_row", &[])?;
                        tx.execute("RELEASE import_row", &[])?;
                        if let StoreError::Database(db) = &e {
                            tracing::warn!(line = row.line, error = %db, "import row failed");
                        }
                        failed.push(RejectedRow {
                            line: row.line,
                            reason: e.to_string(),
                            already_present: matches!(e, StoreError::UserExists(_)),
                        });
                    }
                }
            }
            // Each role's members changed once per batch, however many joined it.
            for id in role_ids.values() {
                touch_role(tx, *id)?;
            }
            if dry_run {
                rolled_back = Some(failed);
                return Err(StoreError::InvalidInput("a dry run writes nothing".into()));
            }
            if tx.dialect() == Dialect::Postgres {
                // Fresh statistics, so that the planner uses the indexes from the first request
                // on, not after autovacuum gets round to the new rows.
                tx.execute("ANALYZE users, roles, user_roles, user_claims", &[])?;
            }
            Ok(failed)
        });
        let failed = match (written, rolled_back) {
            (Ok(failed), _) => failed,
            (Err(_), Some(failed)) if dry_run => failed,
            (Err(e), _) => return Err(e),
        };
        rejected.extend(failed);
        rejected.sort_by_key(|r| r.line);
        Ok(rejected)
    }

    /// Insert one checked row; `role_ids` remembers the roles found or made so far.
    fn import_row(
        &self,
        tx: &dyn Conn,
        row: &ImportedUser,
        hash: &str,
        role_ids: &mut HashMap<String, i64>,
    ) -> StoreResult<()> {
        let user_id = insert_user(tx, &row.user, hash)?;
        let mut memberships = Vec::new();
        for role in row
            .roles
            .iter()
            .filter(|r| r.key() != RoleName::everyone().key())
        {
            let role_id = match role_ids.get(role.key()) {
                Some(id) => *id,
                None => {
                    let id = match insert_role(tx, role, None, None) {
                        Ok(id) => id,
                        Err(StoreError::RoleExists(_)) => role_id(tx, role)?,
                        Err(e) => return Err(e),
                    };
                    role_ids.insert(role.key().to_string(), id);
                    id
                }
            };
            memberships.push(role_id);
        }
        insert_memberships(tx, user_id, &memberships)?;
        // The row's claims, the last of a repeated one winning, and a new UUID unless it has one.
        let mut values: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        for (profile, claim) in &row.claims {
            values.insert((profile.as_str(), claim.uri.as_str()), &claim.value);
        }
        let uuid = new_user_id();
        values
            .entry((DEFAULT_PROFILE, claims::USER_ID))
            .or_insert(&uuid);
        insert_claims(tx, user_id, &values)
    }

    /// Every user, in creation order, with hash, roles and claims, from one snapshot; `sink`
    /// returns false to stop.
    pub fn export_users(&self, mut sink: impl FnMut(ExportedUser) -> bool) -> StoreResult<usize> {
        /// Users read per query, so that no backend holds the whole store in memory.
        const PAGE: i64 = 1000;
        self.db.read(|conn| {
            let mut count = 0;
            let mut after = 0i64;
            loop {
                let page = conn.rows(
                    "SELECT id, name, password_hash FROM users WHERE id > ?1 ORDER BY id LIMIT ?2",
                    &[after.into(), PAGE.into()],
                    |r| Ok((r.int(0)?, r.text(1)?, r.text(2)?)),
                )?;
                let Some(last) = page.last() else {
                    return Ok(count);
                };
                after = last.0;
                for (id, name, password_hash) in page {
                    let mut exported = ExportedUser {
                        name,
                        password_hash,
                        roles: conn.texts(
                            "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                             WHERE ur.user_id = ?1 ORDER BY r.name_key",
                            &[id.into()],
                        )?,
                        claims: BTreeMap::new(),
                    };
                    conn.query(
                        "SELECT profile, claim_uri, value FROM user_claims WHERE user_id = ?1
                         ORDER BY profile, claim_uri",
                        &[id.into()],
                        &mut |c| {
                            exported
                                .claims
                                .entry(c.text(0)?)
                                .or_default()
                                .insert(c.text(1)?, c.text(2)?);
                            Ok(true)
                        },
                    )?;
                    count += 1;
                    if !sink(exported) {
                        return Ok(count);
                    }
                }
            }
        })
    }
}
