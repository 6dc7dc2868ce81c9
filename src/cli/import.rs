//! `userstore import --from-keycloak FILE…`: users of another system, read whole, checked, then
//! written in batches (or, with `--dry-run`, checked against the store and not written).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use userstore::config::Synchronous;
use userstore::import::{self, Plan, Report};

use super::{open_store, StoreArgs};

/// The sources `userstore import` reads besides its own JSON Lines/CSV files.
#[derive(clap::Args, Default)]
pub struct SourceArgs {
    /// A Keycloak realm export (`kc.sh export`): the realm file, or the realm file and its
    /// `*-users-*.json` files.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "file")]
    pub from_keycloak: Vec<PathBuf>,
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
        !self.from_keycloak.is_empty()
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
    let (what, mut plan): (String, Plan) = if !sources.from_keycloak.is_empty() {
        let files: Vec<String> = sources
            .from_keycloak
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        (
            format!("Keycloak export {}", files.join(", ")),
            import::keycloak::read(&sources.from_keycloak)
                .context("import stopped; nothing was written")?,
        )
    } else {
        anyhow::bail!("name a source: a FILE, or --from-keycloak FILE...");
    };
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
