//! Copy a whole store from one database to another (`userstore migrate`): every row of every
//! table as it is (ids, UUIDs, hashes, versions), from one snapshot of the source into one
//! transaction on the target, then the row counts of both compared.

use super::conn::{Arg, Conn, Database, Dialect, Row, Value};
use super::SqlStore;
use crate::store::{StoreError, StoreResult};

/// What a column holds, to read it back.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    NullableText,
}

use Kind::{Int, NullableText, Text};

/// The tables in an order that satisfies their foreign keys, with their columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "users",
        &[
            ("id", Int),
            ("name", Text),
            ("name_key", Text),
            ("password_hash", Text),
            ("password_changed_at", Int),
            ("created_at", Int),
            ("modified_at", Int),
            ("version", Int),
        ],
    ),
    (
        "roles",
        &[
            ("id", Int),
            ("name", Text),
            ("name_key", Text),
            ("created_at", Int),
            ("uuid", NullableText),
            ("external_id", NullableText),
            ("modified_at", Int),
            ("version", Int),
        ],
    ),
    ("user_roles", &[("user_id", Int), ("role_id", Int)]),
    (
        "role_permissions",
        &[("role_id", Int), ("resource_id", Text), ("action", Text)],
    ),
    (
        "role_permission_denials",
        &[("role_id", Int), ("resource_id", Text), ("action", Text)],
    ),
    (
        "user_permissions",
        &[
            ("user_id", Int),
            ("resource_id", Text),
            ("action", Text),
            ("allowed", Int),
        ],
    ),
    (
        "user_associations",
        &[("user_id", Int), ("idp", Text), ("associated_id", Text)],
    ),
    (
        "user_challenges",
        &[
            ("user_id", Int),
            ("set_id", Text),
            ("question", Text),
            ("answer_hash", Text),
            ("position", Int),
        ],
    ),
    (
        "challenge_questions",
        &[
            ("set_id", Text),
            ("question", Text),
            ("position", Int),
            ("promoted", Int),
        ],
    ),
    (
        "user_claims",
        &[
            ("user_id", Int),
            ("profile", Text),
            ("claim_uri", Text),
            ("value", Text),
        ],
    ),
    (
        "api_tokens",
        &[
            ("id", Text),
            ("user_id", Int),
            ("label", Text),
            ("secret_hash", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("revoked_at", Int),
        ],
    ),
];

/// Rows per table in both databases after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// `(table, rows)` in copy order.
    pub tables: Vec<(&'static str, u64)>,
}

fn read_row(row: &dyn Row, columns: &[(&str, Kind)]) -> StoreResult<Vec<Option<Value>>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Int => Some(Value::Int(row.int(i)?)),
                Text => Some(Value::Text(row.text(i)?)),
                NullableText => row.opt_text(i)?.map(Value::Text),
            })
        })
        .collect()
}

fn count(conn: &dyn Conn, table: &str) -> StoreResult<u64> {
    let n = conn
        .int(&format!("SELECT COUNT(*) FROM {table}"), &[])?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Copy every row of `from` into `to`, which must hold no users (its built-in roles are
/// replaced by the source's). The counts of both are compared before the copy commits.
pub fn copy_store<S: Database, T: Database>(
    from: &SqlStore<S>,
    to: &SqlStore<T>,
) -> StoreResult<CopyReport> {
    from.db.read(|source| {
        to.db.write(|target| {
            if target.exists("SELECT 1 FROM users LIMIT 1", &[])? {
                return Err(StoreError::InvalidInput(
                    "the target database already holds users; migrate into an empty one"
                        .to_string(),
                ));
            }
            for (table, _) in TABLES.iter().rev() {
                target.execute(&format!("DELETE FROM {table}"), &[])?;
            }
            let mut report = CopyReport { tables: Vec::new() };
            for (table, columns) in TABLES {
                let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let insert = format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    names.join(", "),
                    marks.join(", ")
                );
                source.query(
                    &format!("SELECT {} FROM {table}", names.join(", ")),
                    &[],
                    &mut |row| {
                        let values = read_row(row, columns)?;
                        let args: Vec<Arg<'_>> = values
                            .iter()
                            .map(|v| v.as_ref().map_or(Arg::Null, Value::arg))
                            .collect();
                        target.execute(&insert, &args)?;
                        Ok(true)
                    },
                )?;
                let (copied, expected) = (count(target, table)?, count(source, table)?);
                if copied != expected {
                    return Err(StoreError::InvalidInput(format!(
                        "{table}: {copied} rows copied, the source has {expected}"
                    )));
                }
                report.tables.push((table, copied));
            }
            if target.dialect() == Dialect::Postgres {
                // Ids were copied as they were: new rows continue after the highest.
                for table in ["users", "roles"] {
                    target.execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                           (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                        ),
                        &[],
                    )?;
                }
            }
            Ok(report)
        })
    })
}
