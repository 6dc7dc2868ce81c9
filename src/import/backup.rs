//! `userstore import FILE` / `userstore export`: userstore's own backup format, users with their
//! stored credentials, roles and claims as JSON Lines or CSV. Import works in batched transactions, reports bad rows by line number
//! and skips them without aborting the file; export never writes a plaintext password.
//!
//! JSON Lines, one user per line:
//! `{"username":"alice","password":"…" | "password_hash":"$argon2id$…","roles":["a"],
//!   "claims":{"uri":"value"},"profiles":{"work":{"uri":"value"}}}`
//! CSV with the header `username,password,password_hash,roles,claims`: roles separated by
//! `;`, claims (default profile) as `uri=value` pairs separated by `;`.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::store::sql::{ExportedUser, ImportCredential, ImportedUser, RejectedRow};
use crate::store::StoreAdmin;
use crate::store::{ClaimUri, ClaimValue, Password, ProfileName, RoleName, StoreError, UserName};

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    JsonLines,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// `.csv` means CSV; anything else JSON Lines.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::JsonLines,
        }
    }
}

/// Why an import or export stopped.
#[derive(Debug, Error)]
pub enum BulkError {
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The CSV file is unreadable as CSV.
    #[error("{0}")]
    Csv(#[from] csv::Error),
    /// The store failed (not a bad row: those are reported and skipped).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One user in the JSON Lines format.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct JsonUser {
    username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    claims: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    profiles: BTreeMap<String, BTreeMap<String, String>>,
}

/// One user in the CSV format.
#[derive(Debug, Default, Deserialize, Serialize)]
struct CsvUser {
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_hash: String,
    #[serde(default)]
    roles: String,
    #[serde(default)]
    claims: String,
}

impl From<CsvUser> for JsonUser {
    fn from(row: CsvUser) -> Self {
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        let split = |s: &str| -> Vec<String> {
            s.split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        JsonUser {
            username: row.username,
            password: non_empty(row.password),
            password_hash: non_empty(row.password_hash),
            roles: split(&row.roles),
            claims: split(&row.claims)
                .into_iter()
                .map(|pair| match pair.split_once('=') {
                    Some((uri, value)) => (uri.to_string(), value.to_string()),
                    None => (pair, String::new()),
                })
                .collect(),
            profiles: BTreeMap::new(),
        }
    }
}

fn claim_values(
    profile: &ProfileName,
    claims: BTreeMap<String, String>,
) -> Result<Vec<(ProfileName, ClaimValue)>, StoreError> {
    claims
        .into_iter()
        .map(|(uri, value)| {
            Ok((
                profile.clone(),
                ClaimValue {
                    uri: ClaimUri::parse(&uri)?,
                    value,
                },
            ))
        })
        .collect()
}

fn to_import(line: usize, user: JsonUser) -> Result<ImportedUser, RejectedRow> {
    let reject = |reason: String| RejectedRow::new(line, reason);
    let credential = match (user.password, user.password_hash) {
        (Some(p), None) => ImportCredential::Password(Password::new(p)),
        (None, Some(h)) => ImportCredential::Hash(h),
        (Some(_), Some(_)) => {
            return Err(reject(
                "give either password or password_hash, not both".into(),
            ))
        }
        (None, None) => return Err(reject("password or password_hash is required".into())),
    };
    let build = || -> Result<ImportedUser, StoreError> {
        let mut claims = claim_values(&ProfileName::default(), user.claims)?;
        for (profile, values) in user.profiles {
            claims.extend(claim_values(
                &ProfileName::from_request(Some(&profile))?,
                values,
            )?);
        }
        Ok(ImportedUser {
            line,
            user: UserName::moved_in(&user.username)?,
            credential,
            roles: user
                .roles
                .iter()
                .map(|r| RoleName::new_role(r))
                .collect::<Result<_, _>>()?,
            claims,
        })
    };
    build().map_err(|e| reject(e.to_string()))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    /// Data rows read.
    pub rows: usize,
    /// Users created.
    pub imported: usize,
    /// Rows skipped, with line and reason.
    pub rejected: Vec<RejectedRow>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Parsed rows of one batch plus those already rejected while parsing.
struct Batch {
    users: Vec<ImportedUser>,
    rejected: Vec<RejectedRow>,
}

/// Import `path` into `store` in transactions of `batch_size` users. `progress` receives the
/// bytes read so far after each batch.
pub fn import_file(
    store: &dyn StoreAdmin,
    path: &Path,
    format: Format,
    batch_size: usize,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, BulkError> {
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    let flush = |batch: &mut Batch, summary: &mut ImportSummary| -> Result<(), BulkError> {
        let users = std::mem::take(&mut batch.users);
        let attempted = users.len();
        let rejected = store.import_batch(users, false)?;
        summary.imported += attempted - rejected.len();
        summary.rejected.append(&mut batch.rejected);
        summary.rejected.extend(rejected);
        Ok(())
    };
    let mut batch = Batch {
        users: Vec::with_capacity(batch_size),
        rejected: Vec::new(),
    };
    let push = |batch: &mut Batch, line: usize, parsed: Result<JsonUser, String>| match parsed
        .map_err(|reason| RejectedRow::new(line, reason))
        .and_then(|user| to_import(line, user))
    {
        Ok(user) => batch.users.push(user),
        Err(reject) => batch.rejected.push(reject),
    };
    match format {
        Format::JsonLines => {
            let reader = std::io::BufReader::new(std::fs::File::open(path)?);
            let mut bytes = 0u64;
            for (index, line) in reader.lines().enumerate() {
                let line = line?;
                bytes += line.len() as u64 + 1;
                if line.trim().is_empty() {
                    continue;
                }
                summary.rows += 1;
                let parsed = serde_json::from_str::<JsonUser>(&line)
                    .map_err(|e| format!("invalid JSON: {e}"));
                push(&mut batch, index + 1, parsed);
                if batch.users.len() >= batch_size {
                    flush(&mut batch, &mut summary)?;
                    progress(bytes);
                }
            }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
            let mut record = csv::StringRecord::new();
            let headers = reader.headers()?.clone();
            while reader.read_record(&mut record)? {
                summary.rows += 1;
                let line = record.position().map_or(0, |p| p.line() as usize);
                let parsed = record
                    .deserialize::<CsvUser>(Some(&headers))
                    .map(JsonUser::from)
                    .map_err(|e| format!("invalid CSV row: {e}"));
                push(&mut batch, line, parsed);
                if batch.users.len() >= batch_size {
                    flush(&mut batch, &mut summary)?;
                    progress(record.position().map_or(0, |p| p.byte()));
                }
            }
        }
    }
    flush(&mut batch, &mut summary)?;
    summary.rejected.sort_by_key(|r| r.line);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Write every user of `store` to `out`; returns how many.
pub fn export(
    store: &dyn StoreAdmin,
    out: &mut dyn Write,
    format: Format,
) -> Result<usize, BulkError> {
    let mut failure: Option<BulkError> = None;
    let mut keep = |written: Result<(), BulkError>| match written {
        Ok(()) => true,
        Err(e) => {
            failure = Some(e);
            false
        }
    };
    let count = match format {
        Format::JsonLines => {
            store.export_users(&mut |user| keep(write_json_line(&mut *out, user)))?
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(&mut *out);
            let count = store.export_users(&mut |user| {
                keep(writer.serialize(csv_row(user)).map_err(BulkError::from))
            })?;
            writer.flush()?;
            count
        }
    };
    if let Some(e) = failure {
        return Err(e);
    }
    out.flush()?;
    Ok(count)
}

fn write_json_line(out: &mut dyn Write, user: ExportedUser) -> Result<(), BulkError> {
    let mut claims = user.claims;
    let default = claims
        .remove(ProfileName::default().as_str())
        .unwrap_or_default();
    let record = JsonUser {
        username: user.name,
        password: None,
        password_hash: Some(user.password_hash),
        roles: user.roles,
        claims: default,
        profiles: claims,
    };
    serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// The CSV row of a user: default-profile claims only (the format has no profile column).
fn csv_row(user: ExportedUser) -> CsvUser {
    let default = user
        .claims
        .get(ProfileName::default().as_str())
        .cloned()
        .unwrap_or_default();
    CsvUser {
        username: user.name,
        password: String::new(),
        password_hash: user.password_hash,
        roles: user.roles.join(";"),
        claims: default
            .into_iter()
            .map(|(uri, value)| format!("{uri}={value}"))
            .collect::<Vec<_>>()
            .join(";"),
    }
}
