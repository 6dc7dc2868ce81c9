//! The `userstore` binary: command line, logging and wiring of the layers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use userstore::config::{Config, ADMIN_PASSWORD_ENV};
use userstore::http::{self, AppState, HttpSettings, WsdlPublishing};
use userstore::service::{Service, ServiceSettings};
use userstore::soap::DecodeLimits;
use userstore::store::sqlite::{AdminBootstrap, SqliteOptions, SqliteStore};
use userstore::store::{Password, RoleName, UserName};

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
        /// Listen address, overriding server.listen (default 127.0.0.1:9763; port 0 picks one).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
        /// SQLite database file, overriding database.path (default ./userstore.db).
        #[arg(long, value_name = "PATH")]
        database: Option<PathBuf>,
    },
    /// Print the service's WSDL (generated from the operation catalogue) to stdout.
    ///
    /// The same document is served at `?wsdl` when [admin_service.wsdl] enable = true, with
    /// port addresses taken from the request; wsdl/RemoteUserStoreManagerService.wsdl in the
    /// repository is this command's output with the default URL.
    Wsdl {
        /// Base URL of the port addresses.
        #[arg(long, value_name = "URL", default_value = "https://localhost:9443")]
        url: String,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
    tracing::info!("shutting down");
}

fn open_store(config: &Config) -> anyhow::Result<SqliteStore> {
    let options = SqliteOptions {
        hash_params: config.hash_params(),
        admin_user: UserName::new_account(&config.realm.admin_user)?,
        admin_role: RoleName::new_role(&config.realm.admin_role)?,
        lock_policy: Default::default(),
        credential_policy: Default::default(),
    };
    let path = &config.database.path;
    let store = SqliteStore::open(path, options)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    let provided = std::env::var(ADMIN_PASSWORD_ENV).ok().map(Password::new);
    match store.ensure_admin_user(provided)? {
        AdminBootstrap::AlreadyPresent => {}
        AdminBootstrap::Created => tracing::info!(
            user = %config.realm.admin_user,
            "created the admin user with the password from {ADMIN_PASSWORD_ENV}"
        ),
        AdminBootstrap::CreatedWithGeneratedPassword(password) => {
            println!(
                "\n  First start: created admin user '{}' with the generated password:\n\n      {password}\n\n  It is shown only this once. Change it with updateCredential, or start on a new\n  database with {ADMIN_PASSWORD_ENV} set to choose it yourself.\n",
                config.realm.admin_user
            );
        }
    }
    Ok(store)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = tokio::task::spawn_blocking({
        let config = config.clone();
        move || open_store(&config)
    })
    .await??;
    let settings = ServiceSettings {
        max_user_list_length: config.realm.max_user_list_length,
        admin_role: RoleName::new_role(&config.realm.admin_role)?,
        password_expiry_days: Some(config.realm.password_expiry_days).filter(|d| *d > 0),
    };
    let state = Arc::new(AppState::new(
        Service::new(Arc::new(store), settings),
        HttpSettings {
            max_body_bytes: config.limits.max_body_bytes,
            decode_limits: DecodeLimits {
                max_depth: config.limits.max_xml_depth,
                max_elements: config.limits.max_xml_elements,
            },
            request_timeout: Duration::from_secs(config.limits.request_timeout_secs),
            wsdl: config.admin_service.wsdl.enable.then(|| WsdlPublishing {
                public_url: config.admin_service.wsdl.public_url.clone(),
            }),
        },
    ));
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    println!("userstore listening on http://{address}/services/RemoteUserStoreManagerService");
    http::serve(listener, state, shutdown_signal()).await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            listen,
            database,
        } => {
            let mut config = Config::load(config.as_deref(), std::env::vars())?;
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            if let Some(database) = database {
                config.database.path = database;
            }
            init_logging();
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve(config))
        }
        Command::Wsdl { url } => {
            print!("{}", userstore::soap::wsdl_document(&url));
            Ok(())
        }
    }
}
