//! A throwaway PostgreSQL cluster per test binary: `initdb` into a temporary directory, the
//! server on an ephemeral 127.0.0.1 port (TLS offered, with a certificate from `userstore
//! cert`, plain connections accepted too), one fresh database per test. A small shell watchdog
//! holds the server; it stops the server and removes the directory as soon as the test process
//! ends (its stdin, a pipe from this process, closes), however the process ends.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The running cluster.
pub struct Cluster {
    port: u16,
    bin: PathBuf,
    data: PathBuf,
    /// The server's self-signed certificate, which is its own CA.
    ca_file: PathBuf,
    /// Closing this (when the test process ends) ends the watchdog, and with it the server.
    _watchdog_input: Mutex<ChildStdin>,
    /// The watchdog, reaped by the system when the test process ends.
    _watchdog: Mutex<Child>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// Where the server binaries are: `USERSTORE_TEST_PG_BIN`, or the newest Debian install.
fn server_binaries() -> PathBuf {
    if let Ok(dir) = std::env::var("USERSTORE_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): install \
             the Debian package `postgresql` (bash .ci/run does) or set USERSTORE_TEST_PG_BIN"
        )
    })
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("an ephemeral port")
}

/// PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user.
fn as_cluster_owner(script: &str) -> Command {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--", "sh", "-c", script]);
        cmd
    } else {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }
}

fn start() -> Cluster {
    let bin = server_binaries();
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("userstore-pg-{}-{}", std::process::id(), port));
    // The server's certificate, readable by the cluster's owner; copied into the data
    // directory, where the key gets the owner-only mode PostgreSQL requires.
    let (cert, key) = (dir.with_extension("crt"), dir.with_extension("key"));
    super::make_certificate(&cert, &key);
    for file in [&cert, &key] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (bin_dir, data_dir) = (bin.clone(), dir.clone());
    let (bin, data) = (bin.display(), dir.display());
    let (cert_file, key_file) = (cert.display(), key.display());
    let script = format!(
        "set -e
         rm -rf '{data}'
         '{bin}/initdb' -D '{data}' -U postgres -A trust -E UTF8 --no-locale >/dev/null
         cp '{cert_file}' '{data}/server.crt'
         cp '{key_file}' '{data}/server.key'
         chmod 600 '{data}/server.key'
         '{bin}/postgres' -D '{data}' -k '{data}' -h 127.0.0.1 -p {port} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300 -c shared_buffers=64MB -c ssl=on >'{data}.log' 2>&1 &
         echo started
         read _ || true
         '{bin}/pg_ctl' -D '{data}' -m fast -w stop >/dev/null 2>&1 || true
         rm -rf '{data}' '{data}.log'"
    );
    let mut child = as_cluster_owner(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the PostgreSQL watchdog (sh, runuser)");
    let stdin = child.stdin.take().expect("watchdog stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("watchdog stdout"))
        .read_line(&mut line)
        .expect("watchdog output");
    assert_eq!(line.trim(), "started", "initdb failed (see above)");
    // Copied into the data directory by now.
    let _ = std::fs::remove_file(&cert);
    let _ = std::fs::remove_file(&key);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match postgres::Client::connect(&admin_url(port), postgres::NoTls) {
            Ok(_) => break,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("PostgreSQL did not start on port {port}: {e} (log: {data}.log)"),
        }
    }
    Cluster {
        port,
        bin: bin_dir,
        data: data_dir.clone(),
        ca_file: data_dir.join("server.crt"),
        _watchdog_input: Mutex::new(stdin),
        _watchdog: Mutex::new(child),
    }
}

fn admin_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// The cluster of this test binary, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(start)
}

impl Cluster {
    /// A new empty database; its URL.
    pub fn fresh_database(&self) -> String {
        let name = format!(
            "userstore_test_{}",
            DATABASES.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin =
            postgres::Client::connect(&admin_url(self.port), postgres::NoTls).expect("connect");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The server binaries' directory (`pg_dump` is there).
    pub fn bin(&self) -> &std::path::Path {
        &self.bin
    }

    /// The CA file that verifies the server's certificate (for `database.ca_file`).
    pub fn ca_file(&self) -> &std::path::Path {
        &self.ca_file
    }

    /// A client on a database of this cluster, for tests that look at the rows.
    pub fn client(&self, url: &str) -> postgres::Client {
        postgres::Client::connect(url, postgres::NoTls).expect("connect to the test database")
    }

    /// Restart the server (a fast shutdown, which ends every connection, then a start on the
    /// same data and port); returns once it accepts connections again.
    pub fn restart(&self) {
        let script = format!(
            "'{}/pg_ctl' -D '{}' -m fast -w restart >/dev/null",
            self.bin.display(),
            self.data.display()
        );
        let status = as_cluster_owner(&script).status().expect("run pg_ctl");
        assert!(status.success(), "pg_ctl restart failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        while postgres::Client::connect(&admin_url(self.port), postgres::NoTls).is_err() {
            assert!(Instant::now() < deadline, "PostgreSQL did not come back");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
