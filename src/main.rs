//! The `userstore` binary: command line, logging and wiring of the layers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

mod cli;

use cli::admin::{ClaimCommand, RoleCommand, UserCommand};
use cli::tokens::TokenCommand;
use cli::{open_store, StoreArgs};
use userstore::config::{Config, Synchronous, ADMIN_PASSWORD_ENV};
use userstore::http::log_writer::BatchedStderr;
use userstore::http::{self, audit, tls, AppState, HttpSettings, Listener, WsdlPublishing};
use userstore::import::backup as bulk;
use userstore::service::catalogue::WsdlVersion;
use userstore::service::{Service, ServiceSettings};
use userstore::soap::DecodeLimits;
use userstore::store::sql::AdminBootstrap;
use userstore::store::Password;
use userstore::store::StoreAdmin;

/// Request buffers are allocated on one executor thread and freed on another; glibc's malloc
/// then contends on its arena locks, mimalloc frees across threads without them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A drop-in for WSO2's RemoteUserStoreManagerService SOAP admin API, on embedded SQLite.
///
/// Legacy clients (SoapUI projects, curl scripts, Axis2/JAX-WS/zeep stubs) keep working when
/// pointed at it. Every call needs HTTP Basic credentials of a user in the admin role.
#[derive(Parser)]
#[command(name = "userstore", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the SOAP service (creates the database and the admin user on first start).
    ///
    /// On an empty database the admin user is created with the password in
    /// USERSTORE_ADMIN_PASSWORD, or with a generated one that is printed once.
    Serve {
        /// TOML config file; every key is optional (see README "Configuration").
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Plain-HTTP listen address, overriding server.listen (default 127.0.0.1:9763; port 0
        /// picks one).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
        /// HTTPS listen address, overriding tls.listen (HTTPS also needs tls.enable = true).
        #[arg(long, value_name = "ADDR:PORT")]
        tls_listen: Option<std::net::SocketAddr>,
        /// SQLite database file, overriding database.path (default ./userstore.db), or a
        /// postgres:// URL, overriding database.url.
        #[arg(long, value_name = "PATH|URL")]
        database: Option<PathBuf>,
    },
    /// Print the service's WSDL (generated from the operation catalogue) to stdout.
    ///
    /// The same document is served at `?wsdl` when [admin_service.wsdl] enable = true, with
    /// port addresses taken from the request; wsdl/RemoteUserStoreManagerService.wsdl (and
    /// .carbon-4.0.wsdl) in the repository are this command's output with the default URL.
    Wsdl {
        /// Base URL of the port addresses.
        #[arg(long, value_name = "URL", default_value = "https://localhost:9443")]
        url: String,
        /// Which contract: current or carbon-4.0.
        #[arg(long, value_name = "VERSION", default_value = "current", value_parser = parse_wsdl_version)]
        version: WsdlVersion,
        /// Print AuthenticationAdmin's WSDL instead (the login service).
        #[arg(long)]
        authentication_admin: bool,
        /// Print another admin service's WSDL instead: UserAdmin,
        /// RemoteAuthorizationManagerService, UserProfileMgtService or
        /// UserIdentityManagementAdminService.
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
    },
    /// Load users (password or argon2 hash, roles, claims) from JSON Lines or CSV.
    ///
    /// Works in batched transactions, creates missing roles, and reports bad rows with their
    /// line numbers while importing the rest; exits with status 2 when any row was skipped.
    /// Formats: see README "Bulk import and export".
    ///
    /// With --from-wso2 or --from-keycloak, users come from another system instead (README "Moving from WSO2
    /// Identity Server (and Keycloak)"): read whole and checked first (an unreadable or
    /// truncated source writes nothing), passwords kept working under argon2id; exits with 1
    /// on such a fatal error, 2 when rows were skipped.
    Import {
        /// The file (`.csv` is read as CSV, anything else as JSON Lines).
        #[arg(required_unless_present_any = ["from_keycloak", "from_wso2"])]
        file: Option<PathBuf>,
        /// Users per transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        #[command(flatten)]
        sources: cli::import::SourceArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Copy a whole SQLite store into an empty PostgreSQL database: users with their hashes,
    /// ids and claims, roles with their ids and permissions, memberships; then compare the row
    /// counts of both. Works while a server runs on the SQLite file (one snapshot is copied).
    Migrate {
        /// The source: sqlite:PATH (or a plain path).
        #[arg(long, value_name = "sqlite:PATH")]
        from: String,
        /// The target: a postgres:// URL of an empty database.
        #[arg(long, value_name = "URL")]
        to: String,
        /// TOML config file (its realm and policies apply to both).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Write every user with its password hash (never a plaintext), roles and claims.
    Export {
        /// Output file (`.csv` writes CSV, anything else JSON Lines); stdout when absent.
        file: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage users: add, passwd, lock, unlock, delete, list, show.
    ///
    /// Works on the database directly, with the server stopped or running. Passwords are
    /// prompted for without echo, or read from stdin with --password-stdin; never from argv.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage roles: add, delete, list, members.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Read and set user claims.
    #[command(subcommand)]
    Claim(ClaimCommand),
    /// API tokens for machine clients (SCIM provisioning from Entra ID or Okta): create,
    /// list, revoke. A request with `Authorization: Bearer <token>` acts as the token's user.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the default configuration, or check a configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write a self-signed certificate and key (PEM) for development HTTPS.
    ///
    /// Point tls.cert_file and tls.key_file at them and set tls.enable = true.
    Cert {
        /// Host name (or IP address) the certificate is for; repeat for several.
        #[arg(long = "host", value_name = "NAME", required = true)]
        hosts: Vec<String>,
        /// Certificate file to write.
        #[arg(long, value_name = "FILE", default_value = "userstore-cert.pem")]
        cert: PathBuf,
        /// Private-key file to write (mode 0600).
        #[arg(long, value_name = "FILE", default_value = "userstore-key.pem")]
        key: PathBuf,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

fn import(
    file: &Path,
    batch: usize,
    store_args: &StoreArgs,
) -> anyhow::Result<std::process::ExitCode> {
    let mut config = store_args.config()?;
    // A bulk load commits without an fsync per batch: a power loss can lose its last batches,
    // and running the import again adds them (users already there are reported and skipped).
    config.database.synchronous = Synchronous::Normal;
    let store = open_store(&config)?;
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {elapsed} eta {eta}",
        )
        .expect("static template"),
    );
    let format = bulk::Format::for_path(file);
    let summary = bulk::import_file(&*store, file, format, batch.max(1), |bytes| {
        bar.set_position(bytes)
    })
    .with_context(|| format!("import of {} stopped", file.display()))?;
    bar.finish_and_clear();
    let seconds = summary.elapsed.as_secs_f64();
    println!(
        "imported {} of {} users from {} in {seconds:.1} s ({:.0} users/s); {} rows skipped",
        summary.imported,
        summary.rows,
        file.display(),
        summary.imported as f64 / seconds.max(1e-9),
        summary.rejected.len()
    );
    const LISTED: usize = 100;
    for reject in summary.rejected.iter().take(LISTED) {
        println!("  line {}: {}", reject.line, reject.reason);
    }
    if summary.rejected.len() > LISTED {
        println!("  … and {} more", summary.rejected.len() - LISTED);
    }
    cli::warn_without_admin(&*store, &config)?;
    Ok(if summary.rejected.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(2)
    })
}

fn export(file: Option<&Path>, store_args: &StoreArgs) -> anyhow::Result<()> {
    let config = store_args.config()?;
    let store = open_store(&config)?;
    let (format, mut out): (bulk::Format, Box<dyn std::io::Write>) = match file {
        Some(path) if path != Path::new("-") => (
            bulk::Format::for_path(path),
            Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            )),
        ),
        _ => (
            bulk::Format::JsonLines,
            Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        ),
    };
    let count = bulk::export(&*store, &mut out, format)?;
    if let Some(path) = file.filter(|p| *p != Path::new("-")) {
        eprintln!("exported {count} users to {}", path.display());
    }
    Ok(())
}

/// `userstore config …`
#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a complete configuration file with every key at its default, commented.
    Default,
    /// Check a configuration file: every unknown key, wrong type and bad value, with its line.
    Check {
        /// The file.
        file: PathBuf,
    },
}

fn config_command(command: ConfigCommand) -> anyhow::Result<std::process::ExitCode> {
    match command {
        ConfigCommand::Default => print!("{}", userstore::config::DEFAULT_FILE),
        ConfigCommand::Check { file } => match userstore::config::check_file(&file) {
            Ok(_) => println!("{}: ok", file.display()),
            Err(problems) => {
                for problem in &problems {
                    eprintln!("{}: {problem}", file.display());
                }
                return Ok(std::process::ExitCode::FAILURE);
            }
        },
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Logs (RUST_LOG, default info) go to stderr; audit events go to stdout and, when configured,
/// as JSON lines to a file.
/// Route the request log to stderr in batches (`http::log_writer`) and the audit trail to
/// stdout and its file; the returned writer is flushed at exit.
fn init_logging(config: &Config) -> anyhow::Result<BatchedStderr> {
    let env_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(format!("{}=off", audit::TARGET).parse()?);
    let stderr = BatchedStderr::start().context("cannot start the log writer")?;
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(stderr.clone())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(env_filter);
    let audit_only = || Targets::new().with_target(audit::TARGET, tracing::Level::INFO);
    let audit_stdout = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .with_filter(audit_only());
    let audit_file = match &config.audit.file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("audit.file: cannot open {}", path.display()))?;
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::sync::Mutex::new(file))
                    .with_filter(audit_only()),
            )
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(logs)
        .with(audit_stdout)
        .with(audit_file)
        .init();
    Ok(stderr)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested");
}

/// On a database without users, create the admin user (serve only: an import into an empty
/// database must be able to restore its own admin).
fn bootstrap_admin(store: &dyn StoreAdmin, config: &Config) -> anyhow::Result<()> {
    let provided = std::env::var(ADMIN_PASSWORD_ENV).ok().map(Password::new);
    let bootstrap = store
        .ensure_admin_user(provided)
        .with_context(|| format!("cannot create the admin user (check {ADMIN_PASSWORD_ENV})"))?;
    match bootstrap {
        AdminBootstrap::AlreadyPresent => {}
        AdminBootstrap::Created => tracing::info!(
            user = %config.realm.admin_user,
            "created the admin user with the password from {ADMIN_PASSWORD_ENV}"
        ),
        AdminBootstrap::CreatedWithGeneratedPassword(password) => {
            println!(
                "\n  First start: created admin user '{}' with the generated password:\n\n      {password}\n\n  It is shown only this once. Change it with `userstore user passwd {}` (or the\n  updateCredential operation), or start on a new database with {ADMIN_PASSWORD_ENV}\n  set to choose it yourself.\n",
                config.realm.admin_user, config.realm.admin_user
            );
        }
    }
    Ok(())
}

async fn bind(address: std::net::SocketAddr, key: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("{key}: cannot listen on {address}"))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = tokio::task::spawn_blocking({
        let config = config.clone();
        move || -> anyhow::Result<Box<dyn StoreAdmin>> {
            let store = open_store(&config)?;
            bootstrap_admin(&*store, &config)?;
            Ok(store)
        }
    })
    .await??;
    let settings = ServiceSettings {
        max_user_list_length: config.realm.max_user_list_length,
        password_expiry_days: Some(config.realm.password_expiry_days).filter(|d| *d > 0),
        credential_cache_ttl: Duration::from_secs(config.server.credential_cache_secs),
        fault_messages: config.admin_service.fault_messages,
        session_idle_timeout: Duration::from_secs(config.server.session_timeout_secs),
    };
    let state = Arc::new(AppState::new(
        Service::new(Arc::<dyn StoreAdmin>::from(store), settings),
        HttpSettings {
            max_body_bytes: config.limits.max_body_bytes,
            decode_limits: DecodeLimits {
                max_depth: config.limits.max_xml_depth,
                max_elements: config.limits.max_xml_elements,
            },
            request_timeout: Duration::from_secs(config.limits.request_timeout_secs),
            wsdl_version: config.admin_service.wsdl_version,
            wsdl: config.admin_service.wsdl.enable.then(|| WsdlPublishing {
                public_url: config.admin_service.wsdl.public_url.clone(),
            }),
            header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
            max_connections: config.server.max_connections,
            scim_max_results: config.realm.max_user_list_length,
            scim_group_domain: config.scim.group_domain_prefix,
            scim_bulk_max_operations: config.scim.bulk_max_operations,
            cors: cors_policy(&config.cors),
        },
    ));
    let mut listeners = Vec::new();
    if config.server.enable_http {
        let tcp = bind(config.server.listen, "server.listen").await?;
        println!(
            "userstore listening on http://{}/services/RemoteUserStoreManagerService",
            tcp.local_addr()?
        );
        listeners.push(Listener { tcp, tls: None });
    }
    if config.tls.enable {
        let acceptor = tls::acceptor(&config.tls.cert_file, &config.tls.key_file)
            .context("tls.cert_file / tls.key_file")?;
        let tcp = bind(config.tls.listen, "tls.listen").await?;
        println!(
            "userstore listening on https://{}/services/RemoteUserStoreManagerService",
            tcp.local_addr()?
        );
        listeners.push(Listener {
            tcp,
            tls: Some(acceptor),
        });
    }
    if config.metrics.enable {
        let handle = http::metrics::install().context("metrics: cannot install the exporter")?;
        let tcp = bind(config.metrics.listen, "metrics.listen").await?;
        println!("userstore metrics on http://{}/metrics", tcp.local_addr()?);
        tokio::spawn(http::metrics::serve(tcp, handle));
    }
    println!("userstore ready");
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    http::serve(listeners, state, shutdown_signal(), grace).await;
    tracing::info!("stopped; database closed");
    Ok(())
}

fn write_certificate(hosts: &[String], cert: &Path, key: &Path, force: bool) -> anyhow::Result<()> {
    for path in [cert, key] {
        if path.exists() && !force {
            anyhow::bail!("{} exists; pass --force to replace it", path.display());
        }
    }
    tls::write_self_signed(hosts, cert, key)?;
    println!(
        "wrote {} and {} (self-signed for {}); enable with:\n\n[tls]\nenable = true\ncert_file = \"{}\"\nkey_file = \"{}\"",
        cert.display(),
        key.display(),
        hosts.join(", "),
        cert.display(),
        key.display()
    );
    Ok(())
}

/// Errors end the process with one line on stderr (the causes joined by ": ") and status 1.
fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("userstore: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let done = Ok(std::process::ExitCode::SUCCESS);
    match cli.command {
        Command::Serve {
            config,
            listen,
            tls_listen,
            database,
        } => {
            let mut config = Config::load(config.as_deref(), std::env::vars())?;
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            if let Some(listen) = tls_listen {
                config.tls.listen = listen;
            }
            if let Some(database) = database {
                config.database.point_at(&database);
            }
            let log = init_logging(&config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let result = runtime.block_on(serve(config));
            // Connections still open after the grace period are dropped here, and with them
            // the last handles on the database, which SQLite then closes cleanly.
            runtime.shutdown_timeout(Duration::from_secs(5));
            log.flush();
            result.and(done)
        }
        Command::Wsdl {
            url,
            version,
            authentication_admin,
            service,
        } => {
            use userstore::service::catalogue::{ADMIN_CONTRACTS, AUTHENTICATION_CONTRACT};
            let contract = match service {
                Some(name) => *ADMIN_CONTRACTS
                    .iter()
                    .find(|c| c.service.name == name)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--service must be one of: {}",
                            ADMIN_CONTRACTS
                                .iter()
                                .map(|c| c.service.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
                None if authentication_admin => &AUTHENTICATION_CONTRACT,
                None => version.contract(),
            };
            print!("{}", userstore::soap::wsdl_document(contract, &url));
            done
        }
        Command::Cert {
            hosts,
            cert,
            key,
            force,
        } => write_certificate(&hosts, &cert, &key, force).and(done),
        Command::Import {
            file,
            batch,
            sources,
            store,
        } => match file {
            Some(_) if !sources.named() && (sources.dry_run || sources.no_wrap) => Err(
                anyhow::anyhow!("--dry-run and --no-wrap go with --from-keycloak or --from-wso2"),
            ),
            Some(file) if !sources.named() => import(&file, batch, &store),
            _ => cli::import::import_from(&sources, batch, &store),
        },
        Command::User(command) => cli::admin::user(command).and(done),
        Command::Role(command) => cli::admin::role(command).and(done),
        Command::Claim(command) => cli::admin::claim(command).and(done),
        Command::Token(command) => cli::tokens::token(command).and(done),
        Command::Config(command) => config_command(command),
        Command::Export { file, store } => export(file.as_deref(), &store).and(done),
        Command::Migrate { from, to, config } => {
            let config = Config::load(config.as_deref(), std::env::vars())?;
            cli::migrate(&from, &to, &config).and(done)
        }
    }
}

/// The `[cors]` table as the transport applies it; `None` (off) while no origin is allowed.
fn cors_policy(cors: &userstore::config::CorsConfig) -> Option<http::cors::CorsPolicy> {
    let lower = |items: &[String]| items.iter().map(|i| i.to_ascii_lowercase()).collect();
    (cors.allow_any_origin || !cors.allowed_origins.is_empty()).then(|| http::cors::CorsPolicy {
        any_origin: cors.allow_any_origin,
        origins: lower(&cors.allowed_origins),
        methods: cors.supported_methods.clone(),
        any_header: cors.support_any_header,
        headers: lower(&cors.supported_headers),
        exposed: cors.exposed_headers.clone(),
        credentials: cors.supports_credentials,
        max_age: cors.max_age,
    })
}

/// `--version` of `userstore wsdl`: the names config uses.
fn parse_wsdl_version(raw: &str) -> Result<WsdlVersion, String> {
    [WsdlVersion::Current, WsdlVersion::Carbon40]
        .into_iter()
        .find(|v| v.label() == raw)
        .ok_or_else(|| format!("'{raw}' is not a WSDL version: use current or carbon-4.0"))
}
