//! Test harness: runs the real `userstore` binary on an ephemeral 127.0.0.1 port with a temporary
//! SQLite file (or a fresh database of a throwaway PostgreSQL cluster), and talks to it with a
//! minimal HTTP/1.1 client over a real TCP socket.
#![allow(dead_code)]

pub mod mariadb;
pub mod postgres;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use quick_xml::events::Event;
use quick_xml::NsReader;

/// The password the harness gives the bootstrap admin.
pub const ADMIN_PASSWORD: &str = "Adm1n-test-pw";
/// The HTTP status of a refused login (wrong password, unknown, locked or disabled user):
/// Carbon's authentication fault, code 50977, arrives as HTTP 500.
pub const REFUSED_LOGIN: u16 = 500;
/// The endpoint path legacy clients use most.
pub const SERVICE_PATH: &str = "/services/RemoteUserStoreManagerService";
/// Service namespace.
pub const NS: &str = "http://service.ws.um.carbon.wso2.org";
/// SOAP 1.1 envelope namespace.
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// SOAP version of a test request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soap {
    V11,
    V12,
}

impl Soap {
    pub fn namespace(self) -> &'static str {
        match self {
            Soap::V11 => SOAP11,
            Soap::V12 => SOAP12,
        }
    }

    /// Content-Type (and SOAPAction header for 1.1) as WSDL-generated clients send them.
    pub fn headers(self, operation: &str) -> Vec<(String, String)> {
        match self {
            Soap::V11 => vec![
                ("Content-Type".into(), "text/xml; charset=UTF-8".into()),
                ("SOAPAction".into(), format!("\"urn:{operation}\"")),
            ],
            Soap::V12 => vec![(
                "Content-Type".into(),
                format!("application/soap+xml; charset=UTF-8; action=\"urn:{operation}\""),
            )],
        }
    }

    /// An envelope whose Body holds `<ser:{operation}>{inner}</ser:{operation}>`.
    pub fn envelope(self, operation: &str, inner: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{}" xmlns:ser="{NS}" xmlns:xsd="http://common.mgt.user.carbon.wso2.org/xsd">
  <soapenv:Header/>
  <soapenv:Body><ser:{operation}>{inner}</ser:{operation}></soapenv:Body>
</soapenv:Envelope>"#,
            self.namespace()
        )
    }
}

/// An HTTP response as received.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Texts of every `<ns:return>` (None for `xsi:nil`), in order.
    pub fn returns(&self) -> Vec<Option<String>> {
        elements_in(&self.body, NS, "return")
    }

    /// The texts of `<ns:return>`, failing on nil.
    pub fn return_texts(&self) -> Vec<String> {
        self.returns()
            .into_iter()
            .map(|r| r.expect("non-nil return"))
            .collect()
    }

    /// The single `<ns:return>` text.
    pub fn return_text(&self) -> String {
        let all = self.return_texts();
        assert_eq!(all.len(), 1, "expected one return in {}", self.body);
        all.into_iter().next().unwrap()
    }

    /// The fault reason (1.1 faultstring or 1.2 Reason/Text).
    pub fn fault_string(&self) -> String {
        let v11 = elements_in(&self.body, "", "faultstring");
        let v12 = elements_in(&self.body, SOAP12, "Text");
        v11.into_iter()
            .chain(v12)
            .flatten()
            .next()
            .unwrap_or_else(|| panic!("no fault in {} {}", self.status, self.body))
    }

    /// The fault code's local part (`Client`, `Server`, `Sender`, `Receiver`...).
    pub fn fault_code(&self) -> String {
        let v11 = elements_in(&self.body, "", "faultcode");
        let v12 = elements_in(&self.body, SOAP12, "Value");
        let code = v11
            .into_iter()
            .chain(v12)
            .flatten()
            .next()
            .expect("fault code");
        code.rsplit(':').next().unwrap().to_string()
    }

    /// Assert a SOAP fault with HTTP 500 whose reason contains `needle`.
    pub fn assert_fault(&self, needle: &str) {
        assert_eq!(self.status, 500, "expected a fault, got: {}", self.body);
        let reason = self.fault_string();
        assert!(
            reason.contains(needle),
            "fault reason {reason:?} does not contain {needle:?}"
        );
        assert!(
            self.body
                .contains("RemoteUserStoreManagerServiceUserStoreException")
                || !needle.is_empty(),
            "fault detail missing"
        );
    }

    /// Assert the in-only success shape: 202 and an empty body.
    pub fn assert_accepted(&self) {
        assert_eq!(
            self.status, 202,
            "expected 202, got {}: {}",
            self.status, self.body
        );
        assert!(
            self.body.is_empty(),
            "202 body should be empty: {}",
            self.body
        );
    }
}

/// Texts of elements with `local` name in namespace `ns` ("" = no namespace), nil as None.
pub fn elements_in(xml: &str, ns: &str, local: &str) -> Vec<Option<String>> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut found = Vec::new();
    let mut current: Option<(String, bool)> = None;
    loop {
        match reader
            .read_resolved_event()
            .expect("well-formed XML response")
        {
            (resolved, Event::Start(start)) => {
                let matches_ns = match resolved {
                    quick_xml::name::ResolveResult::Bound(n) => n.into_inner() == ns.as_bytes(),
                    _ => ns.is_empty(),
                };
                if matches_ns && start.local_name().into_inner() == local.as_bytes() {
                    let nil = start
                        .attributes()
                        .flatten()
                        .any(|a| a.key.local_name().into_inner() == b"nil" && &*a.value == b"true");
                    current = Some((String::new(), nil));
                }
            }
            (_, Event::Text(t)) => {
                if let Some((text, _)) = current.as_mut() {
                    text.push_str(&t.unescape().unwrap());
                }
            }
            (_, Event::End(end)) if end.local_name().into_inner() == local.as_bytes() => {
                if let Some((text, nil)) = current.take() {
                    found.push(if nil { None } else { Some(text) });
                }
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    found
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, made by `userstore cert`
/// (replacing the files if they exist).
pub fn make_certificate(cert: &Path, key: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_userstore"))
        .args([
            "cert",
            "--host",
            "localhost",
            "--host",
            "127.0.0.1",
            "--force",
            "--cert",
        ])
        .arg(cert)
        .arg("--key")
        .arg(key)
        .stdout(Stdio::null())
        .status()
        .expect("run userstore cert");
    assert!(status.success(), "userstore cert failed");
}

/// A running server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Plain-HTTP address (empty when HTTP is switched off).
    pub addr: String,
    /// HTTPS address, when TLS is enabled.
    pub tls_addr: Option<String>,
    /// Metrics listener address, when metrics are enabled.
    pub metrics_addr: Option<String>,
    /// When set, requests go over TLS to `tls_addr`, trusting the test certificate.
    pub tls_client: Option<Arc<rustls::ClientConfig>>,
    pub db: PathBuf,
    dir: Option<tempfile::TempDir>,
    pub stdout_banner: String,
}

/// The database a test server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// A temporary SQLite file.
    #[default]
    Sqlite,
    /// A fresh database of this test binary's PostgreSQL cluster.
    Postgres,
}

/// Run each named test function (taking a [`Backend`]) once per backend, as
/// `sqlite::name` and `postgres::name`: the store's behaviour is one suite for every backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name($crate::common::Backend::Sqlite)
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                super::$name($crate::common::Backend::Postgres)
            })*
        }
    };
}

/// How to start a server.
#[derive(Clone)]
pub struct Options {
    /// The database it runs on.
    pub backend: Backend,
    /// Password for the bootstrap admin (None: let the server generate one).
    pub admin_password: Option<String>,
    /// Cheap argon2 parameters keep the suite fast; set false to use the defaults.
    pub cheap_hashing: bool,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Write the server's log (stderr) to this file instead of the test's stderr.
    pub log_file: Option<PathBuf>,
    /// Serve HTTPS only, with a certificate made by `userstore cert`; requests go over TLS.
    pub https_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            backend: Backend::Sqlite,
            admin_password: Some(ADMIN_PASSWORD.into()),
            cheap_hashing: true,
            env: Vec::new(),
            log_file: None,
            https_only: false,
        }
    }
}

impl Server {
    /// Start on a fresh temporary database.
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    /// Start on a fresh database of `backend`.
    pub fn start_on(backend: Backend) -> Server {
        Self::start_with(Options {
            backend,
            ..Options::default()
        })
    }

    pub fn start_with(mut options: Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = match options.backend {
            Backend::Sqlite => dir.path().join("userstore.db"),
            Backend::Postgres => PathBuf::from(postgres::cluster().fresh_database()),
        };
        let trust = options.https_only.then(|| {
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            make_certificate(&cert, &key);
            options.env.extend([
                ("USERSTORE_TLS__ENABLE".to_string(), "true".to_string()),
                (
                    "USERSTORE_TLS__CERT_FILE".to_string(),
                    cert.display().to_string(),
                ),
                (
                    "USERSTORE_TLS__KEY_FILE".to_string(),
                    key.display().to_string(),
                ),
                (
                    "USERSTORE_SERVER__ENABLE_HTTP".to_string(),
                    "false".to_string(),
                ),
            ]);
            client_config(&cert)
        });
        let mut server = Self::spawn(&db, &options);
        server.dir = Some(dir);
        server.tls_client = trust;
        server
    }

    /// Start on an existing database (a SQLite file or a postgres:// URL).
    pub fn spawn(db: &Path, options: &Options) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_userstore"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
            "--database",
        ])
        .arg(db)
        .env_remove("USERSTORE_ADMIN_PASSWORD")
        // Warnings, except the access-denied lines the permission tests provoke by the dozen.
        .env("RUST_LOG", "warn,userstore::service=error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if let Some(pw) = &options.admin_password {
            cmd.env("USERSTORE_ADMIN_PASSWORD", pw);
        }
        if options.cheap_hashing {
            cmd.env("USERSTORE_PASSWORD_HASHING__MEMORY_KIB", "256")
                .env("USERSTORE_PASSWORD_HASHING__ITERATIONS", "1");
        }
        if let Some(path) = &options.log_file {
            cmd.stderr(std::fs::File::create(path).unwrap())
                .env("RUST_LOG", "debug");
        }
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start userstore");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut banner = String::new();
        let (mut addr, mut tls_addr, mut metrics_addr) = (None, None, None);
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "server exited before it was ready; output so far: {banner}"
            );
            banner.push_str(&line);
            let line = line.trim();
            let authority = |rest: &str| rest.split('/').next().unwrap().to_string();
            if let Some(rest) = line.strip_prefix("userstore listening on http://") {
                addr = Some(authority(rest));
            } else if let Some(rest) = line.strip_prefix("userstore listening on https://") {
                tls_addr = Some(authority(rest));
            } else if let Some(rest) = line.strip_prefix("userstore metrics on http://") {
                metrics_addr = Some(authority(rest));
            } else if line == "userstore ready" {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Server {
            child,
            addr: addr.unwrap_or_default(),
            tls_addr,
            metrics_addr,
            tls_client: None,
            db: db.to_path_buf(),
            dir: None,
            stdout_banner: banner,
        }
    }

    /// Every row of `tables`, one line each (`table: cells`), in a stable order, read from
    /// the database directly (the SQLite file, or the PostgreSQL database).
    pub fn table_rows(&self, tables: &[&str]) -> Vec<String> {
        let target = self.db.to_string_lossy();
        let mut rows = Vec::new();
        if target.starts_with("postgres://") {
            let mut client = postgres::cluster().client(&target);
            for table in tables {
                let sql = format!("SELECT t::text FROM {table} t ORDER BY 1");
                for row in client.query(&sql, &[]).unwrap() {
                    rows.push(format!("{table}: {}", row.get::<_, String>(0)));
                }
            }
            return rows;
        }
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        for table in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
                .unwrap();
            let columns = stmt.column_count();
            let mut query = stmt.query([]).unwrap();
            while let Some(row) = query.next().unwrap() {
                let cells: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                rows.push(format!("{table}: {}", cells.join("|")));
            }
        }
        rows
    }

    /// Ask the process to shut down gracefully (SIGTERM).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Wait up to `limit` for the process to exit on its own.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Whether the process is still running.
    pub fn is_alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Stop the process (SIGKILL) and wait for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Send a raw HTTP request (over TLS when the server is HTTPS-only) and read the whole
    /// response.
    pub fn raw(&self, request: &[u8]) -> HttpResponse {
        let bytes = match &self.tls_client {
            None => {
                let mut stream = TcpStream::connect(&self.addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .unwrap();
                stream.write_all(request).unwrap();
                let mut bytes = Vec::new();
                stream.read_to_end(&mut bytes).unwrap();
                bytes
            }
            Some(config) => {
                let tcp = TcpStream::connect(self.tls_addr.as_deref().unwrap()).unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                let connection = rustls::ClientConnection::new(config.clone(), name).unwrap();
                let mut stream = rustls::StreamOwned::new(connection, tcp);
                stream.write_all(request).unwrap();
                read_until_close(&mut stream)
            }
        };
        parse_response(&bytes)
    }

    /// POST `body` to `path` with the given headers (Connection: close is added).
    pub fn post(&self, path: &str, headers: &[(String, String)], body: &[u8]) -> HttpResponse {
        self.raw(&post_request(&self.addr, path, headers, body))
    }

    /// Call an operation as `user`.
    pub fn call_as(
        &self,
        user: &str,
        password: &str,
        soap: Soap,
        op: &str,
        inner: &str,
    ) -> HttpResponse {
        let mut headers = soap.headers(op);
        headers.push(basic(user, password));
        self.post(SERVICE_PATH, &headers, soap.envelope(op, inner).as_bytes())
    }

    /// Call an operation as the bootstrap admin.
    pub fn call(&self, soap: Soap, op: &str, inner: &str) -> HttpResponse {
        self.call_as("admin", ADMIN_PASSWORD, soap, op, inner)
    }

    /// `user`'s value of the WSO2 claim `http://wso2.org/claims/{claim}`, read over SOAP as
    /// the admin; `None` when the reply holds no value.
    pub fn claim_value(&self, user: &str, claim: &str) -> Option<String> {
        self.call(
            Soap::V11,
            "getUserClaimValue",
            &format!(
                "<ser:userName>{}</ser:userName><ser:claim>http://wso2.org/claims/{claim}</ser:claim>",
                xml_escape(user)
            ),
        )
        .returns()
        .into_iter()
        .next()
        .flatten()
    }

    /// A SCIM request with `authorization` (a header value, `Bearer …` or `Basic …`) and an
    /// optional JSON body; the status, the JSON reply (`Null` when empty) and the response.
    pub fn scim_with(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value, HttpResponse) {
        let mut headers = vec![
            ("Accept".to_string(), "application/scim+json".to_string()),
            ("Authorization".to_string(), authorization.to_string()),
        ];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/scim+json".into()));
        }
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let response = self.raw(&request_bytes(
            method,
            &self.addr,
            path,
            &headers,
            bytes.as_bytes(),
        ));
        let json = if response.body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&response.body)
                .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", response.body))
        };
        (response.status, json, response)
    }

    /// Make an API token for `user` with the CLI (on this server's database, as an operator
    /// would while it runs); the bearer string it prints once.
    pub fn create_token(&self, user: &str, label: &str, extra: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_userstore"))
            .args(["token", "create", "--user", user, "--name", label, "--json"])
            .args(extra)
            .arg("--database")
            .arg(&self.db)
            .output()
            .expect("run userstore token create");
        assert!(
            out.status.success(),
            "token create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        printed["token"].as_str().unwrap().to_string()
    }
}

/// Percent-encode a query parameter's value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Assert a (stopped) database file is sound: `integrity_check` ok, no foreign-key violations
/// and no orphan rows in any child table. `label` names the check in failures.
pub fn assert_database_sound(conn: &rusqlite::Connection, label: &str) {
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(integrity, ["ok"], "{label}: integrity_check");
    let fk_violations: Vec<(String, i64, String)> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        fk_violations.is_empty(),
        "{label}: foreign_key_check {fk_violations:?}"
    );
    for (what, sql) in [
        (
            "user_roles without user",
            "SELECT count(*) FROM user_roles WHERE user_id NOT IN (SELECT id FROM users)",
        ),
        (
            "user_roles without role",
            "SELECT count(*) FROM user_roles WHERE role_id NOT IN (SELECT id FROM roles)",
        ),
        (
            "user_claims without user",
            "SELECT count(*) FROM user_claims WHERE user_id NOT IN (SELECT id FROM users)",
        ),
        (
            "role_permissions without role",
            "SELECT count(*) FROM role_permissions WHERE role_id NOT IN (SELECT id FROM roles)",
        ),
    ] {
        let orphans: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap();
        assert_eq!(orphans, 0, "{label}: {what}");
    }
}

/// A TLS client trusting exactly the given self-signed certificate (TLS 1.2 and 1.3).
pub fn client_config(cert: &Path) -> Arc<rustls::ClientConfig> {
    client_config_for(cert, &[&rustls::version::TLS13, &rustls::version::TLS12])
}

/// A TLS client limited to `versions`, trusting exactly the given certificate.
pub fn client_config_for(
    cert: &Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(der.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Read until the peer closes; a TLS peer that closes without close_notify still counts.
fn read_until_close(stream: &mut impl Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return bytes,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return bytes,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// An `Authorization: Basic` header.
pub fn basic(user: &str, password: &str) -> (String, String) {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("Authorization".into(), format!("Basic {token}"))
}

fn parse_response(bytes: &[u8]) -> HttpResponse {
    try_parse_response(bytes)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(bytes)))
}

/// Parse one HTTP/1.1 response from the front of `bytes`; returns it and the bytes it used.
pub fn parse_next_response(bytes: &[u8]) -> Result<(HttpResponse, usize), String> {
    if bytes.is_empty() {
        return Err("connection closed without any answer".into());
    }
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in {:?}", String::from_utf8_lossy(bytes)))?;
    let head = String::from_utf8_lossy(&bytes[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let rest = &bytes[split + 4..];
    let (body, used) = if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let line_end = rest[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("truncated chunk size line")?;
            let size_text = String::from_utf8_lossy(&rest[at..at + line_end]).to_string();
            let size = usize::from_str_radix(size_text.trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            at += line_end + 2;
            if size == 0 {
                at += 2;
                break;
            }
            if rest.len() < at + size + 2 {
                return Err("truncated chunk".into());
            }
            out.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
        (out, at)
    } else if let Some(len) = find("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad Content-Length {len:?}"))?;
        if rest.len() < len {
            return Err(format!(
                "body cut short: {} of {len} bytes ({:?})",
                rest.len(),
                String::from_utf8_lossy(rest)
            ));
        }
        (rest[..len].to_vec(), len)
    } else {
        (rest.to_vec(), rest.len())
    };
    let body = String::from_utf8(body).map_err(|e| format!("response body is not UTF-8: {e}"))?;
    Ok((
        HttpResponse {
            status,
            headers,
            body,
        },
        split + 4 + used,
    ))
}

/// Parse a whole response, reporting a malformed or truncated one instead of panicking.
pub fn try_parse_response(bytes: &[u8]) -> Result<HttpResponse, String> {
    parse_next_response(bytes).map(|(response, _)| response)
}

/// The bytes of a complete `POST` of `body` to `path`: `Connection: close`, exact Content-Length.
pub fn post_request(host: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    request_bytes("POST", host, path, headers, body)
}

/// The bytes of an HTTP/1.1 request with any method (Connection: close is added).
pub fn request_bytes(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}

/// Call an operation as the admin over a fresh connection to `addr`, reporting transport
/// failures (refused, reset, truncated) instead of panicking: for tests that kill the server.
pub fn try_call(addr: &str, op: &str, inner: &str) -> Result<HttpResponse, String> {
    let body = Soap::V11.envelope(op, inner);
    let headers: Vec<(String, String)> = Soap::V11
        .headers(op)
        .into_iter()
        .chain([basic("admin", ADMIN_PASSWORD)])
        .collect();
    let request = post_request(addr, SERVICE_PATH, &headers, body.as_bytes());
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(&request)
        .map_err(|e| format!("write: {e}"))?;
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read: {e}"))?;
    try_parse_response(&bytes)
}

/// Escape text for inclusion in a test envelope.
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
