//! `userstore import --from-keycloak FILE…`: users of another system, read whole, checked, then
//! written in batches (or, with `--dry-run`, checked against the store and not written).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use userstore::config::Synchronous;
use userstore::import::keycloak::KeycloakExport;
use userstore::import::wso2::{AdminNames, Wso2Database, Wso2Digest, Wso2Options};
use userstore::import::{self, Plan, Report, Source};
use userstore::store::sql::ImportCredential;
use userstore::store::{Password, UserName};

use super::{open_store, StoreArgs};

/// The sources `userstore import` reads besides its own JSON Lines/CSV files.
#[derive(clap::Args)]
pub struct SourceArgs {
    /// A Keycloak realm export (`kc.sh export`): the realm file, or the realm file and its
    /// `*-users-*.json` files.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["file", "from_wso2"])]
    pub from_keycloak: Vec<PathBuf>,
    /// WSO2 Identity Server's user-store database: a postgres:// or mysql:// (mariadb://) URL,
    /// or a .sql dump (pg_dump, with COPY or --inserts; mysqldump; H2's SCRIPT TO).
    #[arg(long, value_name = "SOURCE", conflicts_with = "file")]
    pub from_wso2: Option<String>,
    /// WSO2's identity database (IDN_* tables), when it is another database than the user
    /// store's (by default the same source).
    #[arg(long, value_name = "SOURCE", requires = "from_wso2")]
    pub wso2_identity: Option<String>,
    /// The secondary user store SOURCE is (its domain name in WSO2, e.g. EXT): its users and
    /// roles come across as DOMAIN/name. Import the primary store first, then each secondary
    /// one in a run of its own.
    #[arg(long, value_name = "NAME", requires = "from_wso2", value_parser = parse_domain)]
    pub wso2_domain: Option<String>,
    /// WSO2's admin user (user-mgt.xml's AdminUser): it becomes this realm's admin
    /// (`[realm] admin_user`), and when that admin exists already, it takes WSO2's admin's
    /// password.
    #[arg(long, value_name = "NAME", default_value = "admin")]
    pub wso2_admin_user: String,
    /// WSO2's admin role (AdminRole): it becomes this realm's admin role.
    #[arg(long, value_name = "NAME", default_value = "admin")]
    pub wso2_admin_role: String,
    /// How WSO2 hashed passwords (`[user_store] password_digest`; PasswordDigest in
    /// user-mgt.xml): SHA-256 (WSO2's default), SHA-512, SHA-1, MD5, PBKDF2, BCRYPT or
    /// PLAIN_TEXT.
    #[arg(long, value_name = "DIGEST", default_value = "SHA-256", value_parser = parse_digest)]
    pub wso2_digest: Wso2Digest,
    /// Whether WSO2 salted passwords (StoreSaltedPassword); by default, where UM_SALT_VALUE
    /// holds a salt.
    #[arg(long, value_name = "true|false")]
    pub wso2_salted: Option<bool>,
    /// PBKDF2 iterations of WSO2's hash provider (its default 10000).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub wso2_pbkdf2_iterations: u32,
    /// PBKDF2 key length in bits of WSO2's hash provider (its default 256).
    #[arg(long, value_name = "BITS", default_value_t = 256)]
    pub wso2_pbkdf2_key_length: u32,
    /// Report what would be imported (counts by kind, every row that cannot be, with where
    /// and why) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Store other systems' password hashes as they are (tagged) instead of under argon2id:
    /// a much faster import, but a copy of the database then holds those weaker hashes until
    /// each user's first login replaces them.
    #[arg(long)]
    pub no_wrap: bool,
}

impl SourceArgs {
    /// Whether a source other than a JSON Lines/CSV file was named.
    pub fn named(&self) -> bool {
        !self.from_keycloak.is_empty() || self.from_wso2.is_some()
    }
}

fn parse_domain(raw: &str) -> Result<String, String> {
    if userstore::store::names::is_user_store_domain(raw) {
        Ok(raw.to_ascii_uppercase())
    } else {
        Err(format!(
            "'{raw}' is not a secondary user store's domain (letters, digits, _ - .; not PRIMARY, Internal or Application)"
        ))
    }
}

fn parse_digest(raw: &str) -> Result<Wso2Digest, String> {
    Wso2Digest::parse(raw).ok_or_else(|| {
        format!(
            "'{raw}' is not a digest: SHA-256, SHA-512, SHA-1, MD5, PBKDF2, BCRYPT or PLAIN_TEXT"
        )
    })
}

/// Warn when WSO2's admin still has WSO2's default password, `admin`.
fn warn_default_admin(plan: &Plan, admin: &str) {
    let Ok(admin) = UserName::lookup(admin) else {
        return;
    };
    let default = Password::new("admin".to_string());
    let exactly_admin = regex::Regex::new("^admin$").expect("a valid pattern");
    let weak = plan.users.iter().any(|u| {
        u.user.key() == admin.key()
            && match &u.credential {
                ImportCredential::Legacy { hash, .. } => hash.matches(&default),
                ImportCredential::Migrated(plain) => plain.matches(&exactly_admin),
                _ => false,
            }
    });
    if weak {
        println!(
            "warning: WSO2's '{admin}' has WSO2's default password 'admin'; change it (userstore user passwd {admin})"
        );
    }
}

/// How many rejected rows are listed before "… and N more".
const LISTED: usize = 100;

fn print_report(what: &str, plan_counts: &[(&'static str, usize)], report: &Report, dry_run: bool) {
    let counts: Vec<String> = plan_counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!("{what}: {}", counts.join(", "));
    let seconds = report.elapsed.as_secs_f64();
    let verb = if dry_run { "would import" } else { "imported" };
    println!(
        "{}{verb} {} users in {seconds:.1} s ({:.0} users/s); {} already present (left as they are); {} rows cannot be imported",
        if dry_run { "dry run, nothing written: " } else { "" },
        report.imported,
        report.imported as f64 / seconds.max(1e-9),
        report.already_present,
        report.rejected.len()
    );
    if let Some(admin) = &report.admin_password_from_source {
        println!(
            "the admin '{admin}' {} the password of the source's admin",
            if dry_run { "would take" } else { "now has" }
        );
    }
    if report.imported == 0 && report.already_present > 0 && report.rejected.is_empty() {
        println!("nothing to do: every user is already present");
    }
    for (location, reason) in report.rejected.iter().take(LISTED) {
        println!("  {location}: {reason}");
    }
    if report.rejected.len() > LISTED {
        println!("  … and {} more", report.rejected.len() - LISTED);
    }
}

/// Run an import from another system; exit status 2 when rows were skipped.
pub fn import_from(
    sources: &SourceArgs,
    batch: usize,
    store_args: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let mut config = store_args.config()?;
    // As for `import FILE`: batches commit without an fsync each; a re-run completes the import.
    config.database.synchronous = Synchronous::Normal;
    let source: Box<dyn Source> = if !sources.from_keycloak.is_empty() {
        Box::new(KeycloakExport {
            files: sources.from_keycloak.clone(),
        })
    } else if let Some(source) = &sources.from_wso2 {
        Box::new(Wso2Database {
            source: source.clone(),
            identity: sources.wso2_identity.clone(),
            options: Wso2Options {
                domain: sources.wso2_domain.clone(),
                admin: Some(AdminNames {
                    wso2_user: sources.wso2_admin_user.clone(),
                    wso2_role: sources.wso2_admin_role.clone(),
                    user: config.realm.admin_user.clone(),
                    role: config.realm.admin_role.clone(),
                }),
                digest: sources.wso2_digest,
                salted: sources.wso2_salted,
                pbkdf2_iterations: sources.wso2_pbkdf2_iterations,
                pbkdf2_key_length: sources.wso2_pbkdf2_key_length,
            },
        })
    } else {
        anyhow::bail!("name a source: a FILE, --from-keycloak FILE..., or --from-wso2 SOURCE");
    };
    let what = source.describe();
    let mut plan = source
        .read()
        .context("import stopped; nothing was written")?;
    warn_default_admin(&plan, &config.realm.admin_user);
    if sources.no_wrap {
        plan.without_wrapping();
    }
    for warning in &plan.warnings {
        println!("warning: {warning}");
    }
    let store = open_store(&config)?;
    let total = plan.users.len() as u64;
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} users {elapsed} eta {eta}")
            .expect("static template"),
    );
    let counts = plan.counts.clone();
    let report = import::run(&*store, plan, batch, sources.dry_run, |done| {
        bar.set_position(done as u64)
    })
    .context("import stopped")?;
    bar.finish_and_clear();
    print_report(&what, &counts, &report, sources.dry_run);
    if !sources.dry_run {
        super::warn_without_admin(&*store, &config)?;
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
