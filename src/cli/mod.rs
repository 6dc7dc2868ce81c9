//! Command-line pieces shared by the subcommands that work on the database directly.

pub mod admin;
pub mod import;
pub mod tokens;

use std::path::PathBuf;

use anyhow::Context as _;

use userstore::config::{Config, Synchronous};
use userstore::store::postgres;
use userstore::store::sql::{copy_store, StoreOptions};
use userstore::store::sqlite::{self, Durability};
use userstore::store::{RoleName, StoreAdmin, UserName};

/// Where the offline commands find the database, as `serve` does.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// TOML config file.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// SQLite database file, overriding database.path, or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL", global = true)]
    pub database: Option<PathBuf>,
}

impl StoreArgs {
    /// The configuration from --config and the environment, with --database applied.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(database) = &self.database {
            config.database.point_at(database);
        }
        Ok(config)
    }

    /// The store of a database that must already exist: a mistyped path is an error, not a
    /// new empty database.
    pub fn open_existing(&self) -> anyhow::Result<Box<dyn StoreAdmin>> {
        let config = self.config()?;
        let path = &config.database.path;
        if config.database.url.is_none() && !path.exists() {
            anyhow::bail!(
                "database {} does not exist (start `userstore serve` once to create it, or pass \
                 --database PATH / --config FILE)",
                path.display()
            );
        }
        open_store(&config)
    }
}

/// The store rules the configuration sets.
fn store_options(config: &Config) -> anyhow::Result<StoreOptions> {
    Ok(StoreOptions {
        hash_params: config.hash_params(),
        admin_user: UserName::new_account(&config.realm.admin_user)?,
        admin_role: RoleName::new_role(&config.realm.admin_role)?,
        lock_policy: config.lock_policy(),
        credential_policy: config.credential_policy(),
        claim_dialect: config.claim_dialect(),
    })
}

fn postgres_options(config: &Config, url: &str) -> postgres::PostgresOptions {
    postgres::PostgresOptions {
        url: url.to_string(),
        max_connections: config.database.max_connections,
        ca_file: config.database.ca_file.clone(),
    }
}

fn durability(config: &Config) -> Durability {
    match config.database.synchronous {
        Synchronous::Full => Durability::Full,
        Synchronous::Normal => Durability::Normal,
    }
}

/// Open (creating and migrating if needed) the configured database.
pub fn open_store(config: &Config) -> anyhow::Result<Box<dyn StoreAdmin>> {
    let options = store_options(config)?;
    if let Some(url) = &config.database.url {
        let store = postgres::open(&postgres_options(config, url), options)
            .context("cannot open the PostgreSQL database of database.url")?;
        return Ok(Box::new(store));
    }
    let path = &config.database.path;
    let store = sqlite::open(path, options, durability(config))
        .with_context(|| format!("cannot open database {}", path.display()))?;
    Ok(Box::new(store))
}

/// After an import: warn when nobody is in the admin role, so nobody could use the admin API.
pub fn warn_without_admin(store: &dyn StoreAdmin, config: &Config) -> anyhow::Result<()> {
    let admin_role = RoleName::new_role(&config.realm.admin_role)?;
    if store
        .users_of_role(&admin_role)
        .map(|m| m.is_empty())
        .unwrap_or(false)
    {
        println!(
            "warning: no user is in the admin role '{admin_role}', so nobody can use the admin API; \
             import one, or start `serve` on an empty database to create one"
        );
    }
    Ok(())
}

/// `userstore migrate`: copy the SQLite store `from` (`sqlite:PATH` or a path) into the empty
/// PostgreSQL database `to`, in one transaction, and compare the row counts of both.
pub fn migrate(from: &str, to: &str, config: &Config) -> anyhow::Result<()> {
    let path = PathBuf::from(from.strip_prefix("sqlite:").unwrap_or(from));
    if !path.exists() {
        anyhow::bail!(
            "--from: the SQLite database {} does not exist",
            path.display()
        );
    }
    if !postgres::is_postgres_url(to) {
        anyhow::bail!("--to must be a postgres:// URL");
    }
    let options = store_options(config)?;
    let source = sqlite::open(&path, options.clone(), durability(config))
        .with_context(|| format!("cannot open database {}", path.display()))?;
    let target = postgres::open(&postgres_options(config, to), options)
        .context("cannot open the PostgreSQL database of --to")?;
    let started = std::time::Instant::now();
    let report = copy_store(&source, &target).context("migration stopped; nothing was copied")?;
    let tables: Vec<String> = report
        .tables
        .iter()
        .map(|(table, rows)| format!("{table} {rows}"))
        .collect();
    println!(
        "copied {} into PostgreSQL in {:.1} s; rows, the same in both: {}",
        path.display(),
        started.elapsed().as_secs_f64(),
        tables.join(", ")
    );
    Ok(())
}
