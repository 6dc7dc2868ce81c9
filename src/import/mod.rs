//! Users coming in, through the store's bulk path (batched transactions, a savepoint per user,
//! passwords hashed or wrapped on every core).
//!
//! - [`backup`]: userstore's own JSON Lines and CSV (`userstore import FILE` / `export`),
//!   streamed in batches, as millions of users may be restored.
//! - Another system behind the [`Source`] trait: a Keycloak realm export ([`keycloak`]), WSO2
//!   Identity Server's database or a dump of it ([`wso2`], read through [`dump`]). A source is
//!   read whole into a [`Plan`] before anything is written, so an unreadable or truncated source
//!   changes nothing; [`run`] then writes the plan, or, dry, does the same in transactions that
//!   are rolled back.

pub mod backup;
pub mod dump;
pub mod keycloak;
mod live;
pub mod wso2;

use std::time::{Duration, Instant};

use thiserror::Error;

use crate::store::sql::{ImportCredential, ImportedUser, RejectedRow};
use crate::store::{CreateRoleRequest, Permission, RoleName, StoreAdmin, StoreError};

/// Why an import could not start or stopped (nothing of the plan was written, or, for a
/// store failure, nothing after the last committed batch).
#[derive(Debug, Error)]
pub enum ImportError {
    /// The source cannot be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The source is not what it should be (bad JSON, a truncated dump, a missing table).
    #[error("{0}")]
    Source(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Another system's users, read whole.
pub trait Source {
    /// What is read, for the report (`WSO2 database wso2.sql`); no secret in it.
    fn describe(&self) -> String;
    /// Read everything into a plan; an unreadable, truncated or foreign source is an error.
    fn read(&self) -> Result<Plan, ImportError>;
}

/// A role a source holds: created when missing (with its id, when the source has one), and
/// granted its permissions.
#[derive(Debug, Clone)]
pub struct ImportedRole {
    /// The name.
    pub name: RoleName,
    /// Its id in the source (WSO2's SCIM group id), kept so that SCIM clients keep their links.
    pub id: Option<String>,
    /// What it grants.
    pub permissions: Vec<Permission>,
    /// What it is denied (WSO2's `UM_IS_ALLOWED = 0`).
    pub denied: Vec<Permission>,
}

/// Everything a source read: the users to create, the rows it could not map (each with its
/// location), counts by kind for the report, and what the operator should know.
#[derive(Debug, Default)]
pub struct Plan {
    /// Roles to create (or complete) before the users.
    pub roles: Vec<ImportedRole>,
    /// Users in source order; `line` indexes `locations`.
    pub users: Vec<ImportedUser>,
    /// Rows that cannot be imported, with why; `line` indexes `locations`.
    pub rejected: Vec<RejectedRow>,
    /// Where each row came from (`users.json: users[12] (alice)`), by `line`.
    pub locations: Vec<String>,
    /// What the source held, by kind (`users`, `roles`, `memberships`, `claims`, …).
    pub counts: Vec<(&'static str, usize)>,
    /// Things the operator should know (a default admin password, ignored tables).
    pub warnings: Vec<String>,
    /// The source's administrator, under the target's admin name: when the target has its
    /// admin already, that admin takes the source admin's password.
    pub admin: Option<crate::store::UserName>,
}

impl Plan {
    /// A new row's position: `line` for its user or rejection.
    pub fn locate(&mut self, location: String) -> usize {
        self.locations.push(location);
        self.locations.len()
    }

    /// The location of row `line`.
    pub fn location(&self, line: usize) -> &str {
        line.checked_sub(1)
            .and_then(|i| self.locations.get(i))
            .map_or("?", String::as_str)
    }

    /// Store legacy hashes tagged instead of wrapped (`--no-wrap`).
    pub fn without_wrapping(&mut self) {
        for user in &mut self.users {
            if let ImportCredential::Legacy { wrap, .. } = &mut user.credential {
                *wrap = false;
            }
        }
    }

    /// Count one more of `kind`.
    pub fn count(&mut self, kind: &'static str, n: usize) {
        match self.counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, total)) => *total += n,
            None => self.counts.push((kind, n)),
        }
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Default)]
pub struct Report {
    /// Users created (or that would be).
    pub imported: usize,
    /// Users already in the store, left as they are.
    pub already_present: usize,
    /// Rows skipped, with where and why.
    pub rejected: Vec<(String, String)>,
    /// The target's admin that took the source admin's password (or, dry, would).
    pub admin_password_from_source: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Write `plan` into `store` in transactions of `batch` users (none when `dry_run`);
/// `progress` hears the users done so far.
pub fn run(
    store: &dyn StoreAdmin,
    mut plan: Plan,
    batch: usize,
    dry_run: bool,
    mut progress: impl FnMut(usize),
) -> Result<Report, ImportError> {
    let started = Instant::now();
    let mut report = Report::default();
    if !dry_run {
        create_roles(store, &plan.roles)?;
    }
    let mut rejected = std::mem::take(&mut plan.rejected);
    let mut done = 0;
    let mut users = std::mem::take(&mut plan.users);
    if let Some(admin) = &plan.admin {
        // The admin the target has keeps its account and takes the source admin's password.
        if store.user_exists(admin)? {
            if let Some(at) = users.iter().position(|u| u.user.key() == admin.key()) {
                let source_admin = users.remove(at);
                if !dry_run {
                    store.replace_credential(admin, source_admin.credential)?;
                }
                report.admin_password_from_source = Some(admin.to_string());
            }
        }
    }
    let mut users = users.into_iter().peekable();
    while users.peek().is_some() {
        let chunk: Vec<ImportedUser> = users.by_ref().take(batch.max(1)).collect();
        let attempted = chunk.len();
        let skipped = store.import_batch(chunk, dry_run)?;
        done += attempted;
        report.imported += attempted - skipped.len();
        rejected.extend(skipped);
        progress(done);
    }
    rejected.sort_by_key(|r| r.line);
    for row in rejected {
        if row.already_present {
            report.already_present += 1;
        } else {
            report
                .rejected
                .push((plan.location(row.line).to_string(), row.reason));
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Create the plan's roles that are missing, and grant every role the permissions the source
/// gave it (those it holds already stay).
fn create_roles(store: &dyn StoreAdmin, roles: &[ImportedRole]) -> Result<(), ImportError> {
    for ImportedRole {
        name: role,
        id,
        permissions,
        denied,
    } in roles
    {
        if store.role_exists(role)? {
            let held = store.role_permissions(role)?;
            let missing: Vec<Permission> = permissions
                .iter()
                .filter(|p| !held.contains(p))
                .cloned()
                .collect();
            if !missing.is_empty() {
                store.update_role_permissions(role, &missing, &[])?;
            }
        } else {
            store.add_role(CreateRoleRequest {
                role: role.clone(),
                users: Vec::new(),
                permissions: permissions.clone(),
                external_id: None,
                id: id.clone(),
            })?;
        }
        if !denied.is_empty() {
            store.deny_role_permissions(role, denied)?;
        }
    }
    Ok(())
}
