//! Schema migrations, versioned with SQLite's `user_version`. Each entry runs once, in order, in
//! its own transaction; never edit an entry that has shipped, append a new one.

use rusqlite::Connection;

use crate::store::StoreError;

/// The schema steps; index + 1 is the `user_version` after the step has run.
const MIGRATIONS: &[&str] = &[
    // 1: users, roles, memberships, permissions, claims.
    r#"
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        password_changed_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE roles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE user_roles (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, role_id)
    ) WITHOUT ROWID;
    CREATE INDEX user_roles_by_role ON user_roles(role_id, user_id);
    CREATE TABLE role_permissions (
        role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        resource_id TEXT NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (role_id, resource_id, action)
    ) WITHOUT ROWID;
    CREATE TABLE user_claims (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        profile TEXT NOT NULL,
        claim_uri TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (user_id, profile, claim_uri)
    ) WITHOUT ROWID;
    CREATE INDEX user_claims_by_value ON user_claims(claim_uri, profile, value);
    CREATE INDEX user_claims_by_profile ON user_claims(profile);
    "#,
    // 2: every user has a UUID in http://wso2.org/claims/userid, as WSO2 gives one at creation.
    r#"
    INSERT INTO user_claims (user_id, profile, claim_uri, value)
    SELECT id, 'default', 'http://wso2.org/claims/userid',
           lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
           substr(lower(hex(randomblob(2))), 2) || '-' ||
           substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) ||
           '-' || lower(hex(randomblob(6)))
    FROM users
    WHERE id NOT IN (SELECT user_id FROM user_claims
                     WHERE profile = 'default' AND claim_uri = 'http://wso2.org/claims/userid');
    "#,
    // 3: when each account last changed and a version counter (SCIM's meta.lastModified and
    // meta.version); claim values searchable case-insensitively through an index.
    r#"
    ALTER TABLE users ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    UPDATE users SET modified_at = created_at;
    CREATE INDEX user_claims_by_value_nocase
        ON user_claims(claim_uri, profile, value COLLATE NOCASE);
    "#,
    // 4: every role has a UUID (SCIM's Group id).
    r#"
    ALTER TABLE roles ADD COLUMN uuid TEXT;
    UPDATE roles SET uuid =
           lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
           substr(lower(hex(randomblob(2))), 2) || '-' ||
           substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) ||
           '-' || lower(hex(randomblob(6)));
    CREATE UNIQUE INDEX roles_by_uuid ON roles(uuid);
    "#,
    // 5: a role's external id (SCIM's Group externalId) and when it last changed.
    r#"
    ALTER TABLE roles ADD COLUMN external_id TEXT;
    ALTER TABLE roles ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
    UPDATE roles SET modified_at = created_at;
    "#,
    // 6: a role's version (SCIM's Group ETag), counted by the store on every change of the
    // role, its name or its members.
    r#"
    ALTER TABLE roles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    "#,
    // 7: listUsers reads names in name_key order from the index alone; through the unique
    // index it looked up each of up to 100 rows in the table for its name. The index on
    // profile alone goes: SQLite chose it over the primary key for a user's claims, and then
    // looked each claim's value up in the table; nothing needs it.
    r#"
    CREATE INDEX users_by_name ON users(name_key, name);
    DROP INDEX user_claims_by_profile;
    "#,
    // 8: API tokens for machine clients (bearer tokens): the secret's digest only; times of 0
    // mean never.
    r#"
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        label TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER NOT NULL
    );
    CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
    "#,
    // 9: permissions a role is denied (WSO2's UM_IS_ALLOWED = 0, moved in): for each role the
    // nearest rule on a path decides.
    r#"
    CREATE TABLE role_permission_denials (
        role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        resource_id TEXT NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (role_id, resource_id, action)
    ) WITHOUT ROWID;
    "#,
    // 10: what the admin services beside RemoteUserStoreManagerService keep: rules of single
    // users, federated associations, challenge questions.
    r#"
    CREATE TABLE user_permissions (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        resource_id TEXT NOT NULL,
        action TEXT NOT NULL,
        allowed INTEGER NOT NULL,
        PRIMARY KEY (user_id, resource_id, action)
    ) WITHOUT ROWID;
    CREATE TABLE user_associations (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        idp TEXT NOT NULL,
        associated_id TEXT NOT NULL,
        PRIMARY KEY (idp, associated_id)
    ) WITHOUT ROWID;
    CREATE INDEX user_associations_by_user ON user_associations(user_id);
    CREATE TABLE user_challenges (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        set_id TEXT NOT NULL,
        question TEXT NOT NULL,
        answer_hash TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (user_id, set_id)
    ) WITHOUT ROWID;
    CREATE TABLE challenge_questions (
        set_id TEXT NOT NULL,
        question TEXT NOT NULL,
        position INTEGER NOT NULL,
        promoted INTEGER NOT NULL,
        PRIMARY KEY (set_id, question)
    ) WITHOUT ROWID;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Bring the database up to [`SCHEMA_VERSION`]; refuses a database written by a newer build.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}
