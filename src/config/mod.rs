//! The one typed configuration: TOML file (every key optional), then environment overrides
//! (`USERSTORE_<SECTION>__<KEY>`, e.g. `USERSTORE_SERVER__LISTEN`), then command-line flags,
//! validated at start-up with messages that name the bad key.

mod check;

pub use check::{check_file, Diagnostic};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use std::time::Duration;

use crate::service::catalogue::WsdlVersion;
use crate::service::faults::MessageSet;
use crate::store::password::HashParams;
use crate::store::policy::{ClaimDialect, CredentialPolicy, LockPolicy, PolicyPatterns};
use crate::store::{RoleName, UserName};

/// The complete default configuration with its comments, printed by `userstore config default`;
/// a test keeps it equal to `Config::default()` and listing every key.
pub const DEFAULT_FILE: &str = include_str!("default.toml");

/// Prefix of environment overrides; path segments are joined with `__`.
pub const ENV_PREFIX: &str = "USERSTORE_";
/// Environment variable holding the first admin's password (read once, on an empty database).
pub const ADMIN_PASSWORD_ENV: &str = "USERSTORE_ADMIN_PASSWORD";

/// Why the configuration was rejected.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys or wrong types.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// toml's message, which names the key and line.
        message: String,
    },
    /// An environment override is not valid.
    #[error("environment override {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("config key {key}: {message}")]
    Invalid {
        /// Dotted key path.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Listener settings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Plain-HTTP listen address; WSO2's HTTP port is 9763.
    pub listen: SocketAddr,
    /// Serve plain HTTP at all (switch off when only HTTPS should be reachable).
    pub enable_http: bool,
    /// Most connections served at once (HTTP and HTTPS together); further ones wait.
    pub max_connections: usize,
    /// Time a client has to send its request headers (and the TLS handshake), in seconds.
    pub header_read_timeout_secs: u64,
    /// Time in-flight requests get to finish after SIGINT/SIGTERM, in seconds.
    pub shutdown_grace_secs: u64,
    /// How long verified HTTP Basic credentials are reused without re-hashing, in seconds
    /// (0 = verify every request). Changes made through the API apply at once; changes made
    /// to the database by another process apply within this time.
    pub credential_cache_secs: u64,
    /// Login sessions (the `JSESSIONID` cookie of a Basic login or of AuthenticationAdmin) end
    /// after this many seconds without a request.
    pub session_timeout_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9763)),
            enable_http: true,
            max_connections: 1024,
            header_read_timeout_secs: 10,
            shutdown_grace_secs: 30,
            credential_cache_secs: 60,
            session_timeout_secs: 900,
        }
    }
}

/// HTTPS (rustls; TLS 1.2 and 1.3 only).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Serve HTTPS.
    pub enable: bool,
    /// HTTPS listen address; WSO2's HTTPS port is 9443.
    pub listen: SocketAddr,
    /// PEM certificate chain (`userstore cert` writes a self-signed one for development).
    pub cert_file: PathBuf,
    /// PEM private key.
    pub key_file: PathBuf,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            enable: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 9443)),
            cert_file: PathBuf::from("userstore-cert.pem"),
            key_file: PathBuf::from("userstore-key.pem"),
        }
    }
}

/// Brute-force protection, named after WSO2's `[identity_mgt.account_locking]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccountLockingConfig {
    /// Lock accounts after repeated failed logins.
    pub enable: bool,
    /// Consecutive failures that lock the account.
    pub allowed_failed_attempts: u32,
    /// Length of the first lock, in seconds.
    pub auto_unlock_after_secs: u64,
    /// Each further lock lasts this many times longer.
    pub auto_unlock_time_increment_ratio: u32,
    /// Longest lock, in seconds.
    pub max_unlock_after_secs: u64,
}

impl Default for AccountLockingConfig {
    fn default() -> Self {
        let p = crate::store::policy::LockPolicy::default();
        Self {
            enable: true,
            allowed_failed_attempts: p.allowed_failed_attempts,
            auto_unlock_after_secs: p.unlock_after.as_secs(),
            auto_unlock_time_increment_ratio: p.increment_ratio,
            max_unlock_after_secs: p.max_unlock_after.as_secs(),
        }
    }
}

/// The audit trail of state changes and logins.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Also append audit events as JSON lines to this file (they always go to stdout).
    pub file: Option<PathBuf>,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// SQLite file, created on first start (when `url` is not set).
    pub path: PathBuf,
    /// `postgres://user@host/db`: use this PostgreSQL database instead of the SQLite file, so
    /// that several nodes can share it.
    pub url: Option<String>,
    /// Most connections one node opens to PostgreSQL.
    pub max_connections: usize,
    /// CA certificates (PEM) that PostgreSQL's certificate must chain to; set, connections use
    /// TLS (and must, with `sslmode=require` in the URL).
    pub ca_file: Option<PathBuf>,
    /// `full`: acknowledged writes survive power loss; `normal`: they survive a process crash
    /// and commits are cheaper.
    pub synchronous: Synchronous,
}

impl DatabaseConfig {
    /// Point at `target` from the command line: a `postgres://` URL, or else a SQLite file.
    pub fn point_at(&mut self, target: &Path) {
        let text = target.to_string_lossy();
        if crate::store::postgres::is_postgres_url(&text) {
            self.url = Some(text.into_owned());
        } else {
            self.path = target.to_path_buf();
            self.url = None;
        }
    }
}

/// `database.synchronous` values.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// fsync on every commit.
    #[default]
    Full,
    /// fsync at checkpoints only.
    Normal,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("userstore.db"),
            url: None,
            max_connections: 16,
            ca_file: None,
            synchronous: Synchronous::Full,
        }
    }
}

/// The realm: built-in administrator and listing bounds, named as WSO2's realm config names them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RealmConfig {
    /// Name of the administrator created on an empty database.
    pub admin_user: String,
    /// The administrator's role, which holds the root permission (`/permission`).
    pub admin_role: String,
    /// Upper bound of listUsers results (WSO2's `MaxUserNameListLength`).
    pub max_user_list_length: usize,
    /// Days until a password expires, reported by getPasswordExpirationTime; 0 means never.
    pub password_expiry_days: u32,
    /// Pattern new user names must match (WSO2's `UsernameJavaRegEx`).
    pub username_regex: String,
    /// Pattern new passwords must match (WSO2's `PasswordJavaRegEx`).
    pub password_regex: String,
    /// What a password that breaks the pattern is told on a password change (WSO2's
    /// `PasswordJavaRegExViolationErrorMsg`); empty gives the pattern itself.
    pub password_regex_violation_message: String,
    /// Pattern new role names must match (WSO2's `RolenameJavaRegEx`).
    pub rolename_regex: String,
    /// Claim URIs users may hold besides WSO2's default local claims.
    pub extra_claim_uris: Vec<String>,
    /// Accept any claim URI (WSO2 refuses URIs outside the claim dialect).
    pub allow_any_claim_uri: bool,
}

impl Default for RealmConfig {
    fn default() -> Self {
        Self {
            admin_user: "admin".into(),
            admin_role: "admin".into(),
            max_user_list_length: 100,
            password_expiry_days: 0,
            username_regex: crate::store::policy::DEFAULT_USERNAME_REGEX.into(),
            password_regex: crate::store::policy::DEFAULT_PASSWORD_REGEX.into(),
            password_regex_violation_message: crate::store::policy::DEFAULT_PASSWORD_EXPLANATION
                .into(),
            rolename_regex: crate::store::policy::DEFAULT_ROLENAME_REGEX.into(),
            extra_claim_uris: Vec::new(),
            allow_any_claim_uri: false,
        }
    }
}

/// argon2id cost; defaults are OWASP's minimum.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordHashingConfig {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Time cost (passes).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashingConfig {
    fn default() -> Self {
        let p = HashParams::default();
        Self {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        }
    }
}

/// Bounds on what one request may cost.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (bigger gets 413).
    pub max_body_bytes: usize,
    /// Deepest XML nesting.
    pub max_xml_depth: usize,
    /// Most XML elements in one request.
    pub max_xml_elements: usize,
    /// Longest a request may take end to end, in seconds.
    pub request_timeout_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_xml_depth: 32,
            max_xml_elements: 10_000,
            request_timeout_secs: 30,
        }
    }
}

/// Prometheus metrics, served on their own address so the SOAP port never exposes them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Serve `GET /metrics`.
    pub enable: bool,
    /// Address of the metrics listener.
    pub listen: SocketAddr,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enable: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
        }
    }
}

/// WSO2's `[admin_service.wsdl]` switch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WsdlConfig {
    /// Publish the WSDL at `?wsdl` (off by default, as in WSO2).
    pub enable: bool,
    /// Base URL (scheme://host[:port]) for the port addresses in the published WSDL, for
    /// deployments behind a proxy; by default they are built from the request's Host header.
    pub public_url: Option<String>,
}

/// WSO2's `[admin_service]` table.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AdminServiceConfig {
    /// The contract served and answered in: `current` (ClaimDTO, PermissionDTO) or
    /// `carbon-4.0` (Claim, Permission) for stubs generated from the old WSDL.
    pub wsdl_version: WsdlVersion,
    /// The fault texts: `current` (kernel 4.12, with error codes) or `kernel-4.4` (without).
    pub fault_messages: MessageSet,
    /// WSDL publishing.
    pub wsdl: WsdlConfig,
}

/// The `[scim]` table.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScimConfig {
    /// Write group names as WSO2 does, `PRIMARY/<role>`; `false` writes the bare role name,
    /// which generic SCIM clients expect to read back as they wrote it. Both are accepted.
    pub group_domain_prefix: bool,
    /// Most operations in one Bulk request (WSO2's default: 1000); its payload is bounded by
    /// `limits.max_body_bytes` like any request's.
    pub bulk_max_operations: usize,
}

impl Default for ScimConfig {
    fn default() -> Self {
        Self {
            group_domain_prefix: true,
            bulk_max_operations: 1000,
        }
    }
}

/// The `[cors]` table: cross-origin requests from browser clients, with WSO2's `[cors]` key
/// names. Off unless origins are allowed, as in WSO2.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Allow every origin (only without credentials does the answer name `*`).
    pub allow_any_origin: bool,
    /// The origins allowed, as `https://portal.example.com[:port]`.
    pub allowed_origins: Vec<String>,
    /// The methods a cross-origin request may use.
    pub supported_methods: Vec<String>,
    /// Allow every request header, or only `supported_headers`.
    pub support_any_header: bool,
    /// The request headers allowed when not `support_any_header`.
    pub supported_headers: Vec<String>,
    /// Response headers a browser script may read.
    pub exposed_headers: Vec<String>,
    /// Let the browser send credentials (Basic, the session cookie).
    pub supports_credentials: bool,
    /// Seconds a browser may keep a preflight's answer.
    pub max_age: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            allow_any_origin: false,
            allowed_origins: Vec::new(),
            supported_methods: ["GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]
                .map(String::from)
                .to_vec(),
            support_any_header: true,
            supported_headers: Vec::new(),
            exposed_headers: Vec::new(),
            supports_credentials: true,
            max_age: 3600,
        }
    }
}

/// Whether `text` is a web origin: `http` or `https`, a host, an optional port, no path.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']'))
        && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Plain-HTTP listener and connection handling.
    pub server: ServerConfig,
    /// HTTPS listener.
    pub tls: TlsConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Realm.
    pub realm: RealmConfig,
    /// Password hashing.
    pub password_hashing: PasswordHashingConfig,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Admin-service switches.
    pub admin_service: AdminServiceConfig,
    /// Brute-force protection.
    pub account_locking: AccountLockingConfig,
    /// Audit trail.
    pub audit: AuditConfig,
    /// Prometheus metrics.
    pub metrics: MetricsConfig,
    /// SCIM 2.0.
    pub scim: ScimConfig,
    /// Cross-origin requests from browsers.
    pub cors: CorsConfig,
}

/// Parse an override's text as a TOML value (number, boolean...), falling back to a string.
fn env_value(raw: &str) -> toml::Value {
    let parsed: Result<toml::Table, _> = format!("v = {raw}").parse();
    match parsed.ok().and_then(|mut t| t.remove("v")) {
        Some(value) => value,
        None => toml::Value::String(raw.to_string()),
    }
}

fn apply_env_override(table: &mut toml::Table, var: &str, raw: &str) -> Result<(), ConfigError> {
    let path = &var[ENV_PREFIX.len()..];
    let segments: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
    let (last, parents) = segments
        .split_last()
        .expect("split yields at least one segment");
    let mut current = table;
    for segment in parents {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
            var: var.to_string(),
            message: format!("'{segment}' is not a table"),
        })?;
    }
    current.insert(last.clone(), env_value(raw));
    Ok(())
}

impl Config {
    /// Load from an optional file plus `USERSTORE_*__*` variables from `env`, then validate.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (source, text) = match path {
            Some(p) => (
                p.display().to_string(),
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?,
            ),
            None => ("(defaults)".to_string(), String::new()),
        };
        // One line: "line N: message", without toml's multi-line source excerpt.
        let parse_error = |e: toml::de::Error| ConfigError::Parse {
            path: source.clone(),
            message: match e.span() {
                Some(span) => format!(
                    "line {}: {}",
                    check::line_of(&text, span.start),
                    e.message()
                ),
                None => e.message().to_string(),
            }
            .trim_end()
            .to_string(),
        };
        // Typed parse of the file alone first: its errors carry the key and line.
        toml::from_str::<Config>(&text).map_err(parse_error)?;
        let mut table: toml::Table = text.parse().map_err(parse_error)?;
        let mut applied = Vec::new();
        for (var, raw) in env {
            if var.starts_with(ENV_PREFIX) && var.contains("__") {
                apply_env_override(&mut table, &var, &raw)?;
                applied.push(var);
            }
        }
        let config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
                var: applied.join(", "),
                message: e.to_string().trim_end().to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Check ranges and names; the error names the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// Every out-of-range value or bad name, each as an error naming its key.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut problems = Vec::new();
        let mut invalid = |key: &'static str, message: String| {
            problems.push(ConfigError::Invalid { key, message })
        };
        if let Err(e) = UserName::new_account(&self.realm.admin_user) {
            invalid("realm.admin_user", e.to_string());
        }
        if let Err(e) = RoleName::new_role(&self.realm.admin_role) {
            invalid("realm.admin_role", e.to_string());
        }
        if RoleName::lookup(&self.realm.admin_role)
            .is_ok_and(|r| r.key() == RoleName::everyone().key())
        {
            invalid(
                "realm.admin_role",
                "the everyone role cannot be the admin role".into(),
            );
        }
        if let Err(e) = CredentialPolicy::new(self.policy_patterns()) {
            let key = if e.contains("username") {
                "realm.username_regex"
            } else if e.contains("rolename") {
                "realm.rolename_regex"
            } else {
                "realm.password_regex"
            };
            invalid(key, e);
        }
        if !self.server.enable_http && !self.tls.enable {
            invalid(
                "server.enable_http",
                "HTTP is off and tls.enable is false: nothing would listen".into(),
            );
        }
        if self.server.session_timeout_secs == 0 {
            invalid("server.session_timeout_secs", "must be at least 1".into());
        }
        if self.server.max_connections == 0 {
            invalid("server.max_connections", "must be at least 1".into());
        }
        if self.database.max_connections == 0 {
            invalid("database.max_connections", "must be at least 1".into());
        }
        if let Some(url) = &self.database.url {
            if !crate::store::postgres::is_postgres_url(url) {
                invalid(
                    "database.url",
                    "must start with postgres:// or postgresql:// (leave it out for SQLite)".into(),
                );
            }
        }
        if self.server.header_read_timeout_secs == 0 {
            invalid(
                "server.header_read_timeout_secs",
                "must be at least 1".into(),
            );
        }
        let locking = &self.account_locking;
        if locking.enable && locking.allowed_failed_attempts == 0 {
            invalid(
                "account_locking.allowed_failed_attempts",
                "must be at least 1 when locking is enabled".into(),
            );
        }
        if locking.enable && locking.auto_unlock_after_secs == 0 {
            invalid(
                "account_locking.auto_unlock_after_secs",
                "must be at least 1".into(),
            );
        }
        if self.realm.max_user_list_length == 0 {
            invalid("realm.max_user_list_length", "must be at least 1".into());
        }
        let h = &self.password_hashing;
        if !(1..=16).contains(&h.parallelism) {
            invalid("password_hashing.parallelism", "must be 1 to 16".into());
        }
        if !(1..=64).contains(&h.iterations) {
            invalid("password_hashing.iterations", "must be 1 to 64".into());
        }
        if h.memory_kib < 8 * h.parallelism || h.memory_kib > 4 * 1024 * 1024 {
            invalid(
                "password_hashing.memory_kib",
                "must be at least 8 × parallelism and at most 4194304 (4 GiB)".into(),
            );
        }
        if let Some(url) = &self.admin_service.wsdl.public_url {
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok || url.contains(['?', '#', ' ', '"', '<', '>']) {
                invalid(
                    "admin_service.wsdl.public_url",
                    format!("'{url}' is not a base URL like https://ids.example.com:9443"),
                );
            }
        }
        if !(1..=100_000).contains(&self.scim.bulk_max_operations) {
            invalid("scim.bulk_max_operations", "must be 1 to 100000".into());
        }
        let l = &self.limits;
        if l.max_body_bytes < 1024 {
            invalid("limits.max_body_bytes", "must be at least 1024".into());
        }
        if !(4..=256).contains(&l.max_xml_depth) {
            invalid("limits.max_xml_depth", "must be 4 to 256".into());
        }
        if l.max_xml_elements < 16 {
            invalid("limits.max_xml_elements", "must be at least 16".into());
        }
        if l.request_timeout_secs == 0 {
            invalid("limits.request_timeout_secs", "must be at least 1".into());
        }
        for origin in &self.cors.allowed_origins {
            if !is_origin(origin) {
                invalid(
                    "cors.allowed_origins",
                    format!("'{origin}' is not an origin such as https://portal.example.com:8443"),
                );
            }
        }
        for method in &self.cors.supported_methods {
            if method.parse::<hyper::Method>().is_err() || method.to_ascii_uppercase() != *method {
                invalid(
                    "cors.supported_methods",
                    format!("'{method}' is not an HTTP method in capitals"),
                );
            }
        }
        let listeners = [
            ("server.listen", self.server.enable_http, self.server.listen),
            ("tls.listen", self.tls.enable, self.tls.listen),
            ("metrics.listen", self.metrics.enable, self.metrics.listen),
        ];
        for (i, (key, enabled, address)) in listeners.iter().enumerate() {
            let clash = listeners[..i]
                .iter()
                .find(|(_, other_enabled, other)| *enabled && *other_enabled && other == address);
            if let (Some((other_key, _, _)), false) = (clash, address.port() == 0) {
                invalid(key, format!("{address} is already used by {other_key}"));
            }
        }
        problems
    }

    /// The brute-force policy for the store.
    pub fn lock_policy(&self) -> LockPolicy {
        let l = &self.account_locking;
        LockPolicy {
            allowed_failed_attempts: if l.enable {
                l.allowed_failed_attempts
            } else {
                0
            },
            unlock_after: Duration::from_secs(l.auto_unlock_after_secs),
            increment_ratio: l.auto_unlock_time_increment_ratio,
            max_unlock_after: Duration::from_secs(
                l.max_unlock_after_secs.max(l.auto_unlock_after_secs),
            ),
        }
    }

    /// The credential-format policy for the store (validated at load).
    pub fn credential_policy(&self) -> CredentialPolicy {
        CredentialPolicy::new(self.policy_patterns())
            .expect("patterns were validated when the config was loaded")
    }

    fn policy_patterns(&self) -> PolicyPatterns<'_> {
        PolicyPatterns {
            username: &self.realm.username_regex,
            password: &self.realm.password_regex,
            rolename: &self.realm.rolename_regex,
            password_explanation: Some(&self.realm.password_regex_violation_message),
        }
    }

    /// The claim URIs users may hold.
    pub fn claim_dialect(&self) -> ClaimDialect {
        ClaimDialect::new(
            self.realm.extra_claim_uris.clone(),
            self.realm.allow_any_claim_uri,
        )
    }

    /// The argon2id parameters for the store.
    pub fn hash_params(&self) -> HashParams {
        HashParams {
            memory_kib: self.password_hashing.memory_kib,
            iterations: self.password_hashing.iterations,
            parallelism: self.password_hashing.parallelism,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(
            Some(&path),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(load_text("", &[]).unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = load_text("[server]\nlissten = \"127.0.0.1:1\"\n", &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("lissten") && msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn env_overrides_and_wsdl_switch() {
        let c = load_text(
            "[admin_service.wsdl]\nenable = true\n",
            &[
                ("USERSTORE_SERVER__LISTEN", "127.0.0.1:1234"),
                ("USERSTORE_REALM__MAX_USER_LIST_LENGTH", "7"),
                ("USERSTORE_ADMIN_PASSWORD", "not a config key"),
            ],
        )
        .unwrap();
        assert!(c.admin_service.wsdl.enable);
        assert_eq!(c.server.listen.port(), 1234);
        assert_eq!(c.realm.max_user_list_length, 7);
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load_text("[password_hashing]\nmemory_kib = 1\n", &[]).unwrap_err();
        assert!(err.to_string().contains("password_hashing.memory_kib"));
        let err = load_text("[realm]\nadmin_user = \"a b\"\n", &[]).unwrap_err();
        assert!(err.to_string().contains("realm.admin_user"));
    }
}
