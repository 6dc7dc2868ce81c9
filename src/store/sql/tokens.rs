//! [`TokenBackend`] over any SQL database: the `api_tokens` table, one row a token, which goes
//! with its user.

use super::conn::{Conn, Database, Row};
use super::{now_ms, user_id, SqlStore};
use crate::store::tokens::{
    parse_bearer, secret_matches, ApiToken, IssuedToken, NewSecret, TokenBackend, MAX_LABEL_CHARS,
};
use crate::store::{StoreError, StoreResult, UserName};

const COLUMNS: &str = "t.id, u.name, t.label, t.created_at, t.expires_at, t.revoked_at";

/// A row of [`COLUMNS`]; zero times mean never.
fn token_row(r: &dyn Row) -> StoreResult<ApiToken> {
    let optional = |ms: i64| (ms != 0).then_some(ms);
    Ok(ApiToken {
        id: r.text(0)?,
        user: r.text(1)?,
        label: r.text(2)?,
        created_at_ms: r.int(3)?,
        expires_at_ms: optional(r.int(4)?),
        revoked_at_ms: optional(r.int(5)?),
    })
}

fn by_id_or_label(conn: &dyn Conn, key: &str) -> StoreResult<Option<ApiToken>> {
    conn.row(
        &format!(
            "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.id = ?1 OR t.label = ?1"
        ),
        &[key.into()],
        token_row,
    )
}

fn check_label(label: &str) -> StoreResult<()> {
    let length = label.chars().count();
    if label.trim().is_empty() || length > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput(format!(
            "a token's label is 1 to {MAX_LABEL_CHARS} printable characters"
        )));
    }
    Ok(())
}

impl<D: Database> TokenBackend for SqlStore<D> {
    fn create_token(
        &self,
        user: &UserName,
        label: &str,
        expires_at_ms: Option<i64>,
    ) -> StoreResult<IssuedToken> {
        check_label(label)?;
        let secret = NewSecret::generate();
        let record = self.db.write(|tx| {
            let uid = user_id(tx, user)?;
            if tx.exists("SELECT 1 FROM api_tokens WHERE label = ?1", &[label.into()])? {
                return Err(StoreError::InvalidInput(format!(
                    "a token labelled '{label}' exists already"
                )));
            }
            tx.execute(
                "INSERT INTO api_tokens
                     (id, user_id, label, secret_hash, created_at, expires_at, revoked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
                &[
                    secret.id.as_str().into(),
                    uid.into(),
                    label.into(),
                    secret.digest.as_str().into(),
                    now_ms().into(),
                    expires_at_ms.unwrap_or(0).into(),
                ],
            )?;
            by_id_or_label(tx, &secret.id)?
                .ok_or_else(|| StoreError::InvalidInput("the new token vanished".into()))
        })?;
        Ok(IssuedToken {
            record,
            bearer: secret.bearer,
        })
    }

    fn list_tokens(&self, user: Option<&UserName>) -> StoreResult<Vec<ApiToken>> {
        self.db.read(|conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE ?1 = '' OR u.name_key = ?1
                 ORDER BY t.created_at DESC, t.id"
            );
            conn.rows(&sql, &[user.map_or("", UserName::key).into()], token_row)
        })
    }

    fn revoke_token(&self, id_or_label: &str) -> StoreResult<Option<ApiToken>> {
        self.db.write(|tx| {
            let Some(token) = by_id_or_label(tx, id_or_label)? else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at = 0",
                &[now_ms().into(), token.id.as_str().into()],
            )?;
            by_id_or_label(tx, &token.id)
        })
    }

    fn token_owner(&self, bearer: &str) -> StoreResult<Option<ApiToken>> {
        let Some((id, secret)) = parse_bearer(bearer) else {
            return Ok(None);
        };
        let found = self.db.read(|conn| {
            conn.row(
                &format!(
                    "SELECT {COLUMNS}, t.secret_hash FROM api_tokens t
                     JOIN users u ON u.id = t.user_id WHERE t.id = ?1"
                ),
                &[id.into()],
                |r| Ok((token_row(r)?, r.text(6)?)),
            )
        })?;
        Ok(found
            .filter(|(token, stored)| secret_matches(secret, stored) && token.is_live(now_ms()))
            .map(|(token, _)| token))
    }
}
