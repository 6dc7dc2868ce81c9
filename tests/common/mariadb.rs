//! A throwaway MariaDB server per test binary, from Debian's `mariadb-server`: a data
//! directory made by `mariadb-install-db` in a temporary directory, the server on an ephemeral
//! 127.0.0.1 port, a user with a password, one fresh database per call. As for PostgreSQL, a
//! shell watchdog stops the server and removes the directory when the test process ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The running server.
pub struct MariaDb {
    port: u16,
    _watchdog_input: Mutex<ChildStdin>,
    _watchdog: Mutex<Child>,
}

static SERVER: OnceLock<MariaDb> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The test user's password (with characters a URL must escape).
pub const PASSWORD: &str = "Wso2-p@ss";

fn start() -> MariaDb {
    let port = super::postgres::free_port();
    let dir = std::env::temp_dir().join(format!("userstore-mariadb-{}-{port}", std::process::id()));
    let data = dir.display();
    let script = format!(
        "set -e
         rm -rf '{data}'; mkdir -p '{data}'
         mariadb-install-db --no-defaults --datadir='{data}/db' --user=\"$(id -un)\" \
             --auth-root-authentication-method=normal --skip-test-db >'{data}.install.log' 2>&1
         /usr/sbin/mariadbd --no-defaults --datadir='{data}/db' --socket='{data}/sock' \
             --port={port} --bind-address=127.0.0.1 --user=\"$(id -un)\" --skip-log-bin \
             --innodb-flush-log-at-trx-commit=0 >'{data}.log' 2>&1 &
         echo started
         read _ || true
         kill $! 2>/dev/null || true
         wait || true
         rm -rf '{data}' '{data}.log' '{data}.install.log'"
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the MariaDB watchdog (sh)");
    let stdin = child.stdin.take().expect("watchdog stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("watchdog stdout"))
        .read_line(&mut line)
        .expect("watchdog output");
    assert_eq!(
        line.trim(),
        "started",
        "mariadb-install-db failed (install the Debian package mariadb-server; ./test does): see {data}.install.log"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let server = MariaDb {
        port,
        _watchdog_input: Mutex::new(stdin),
        _watchdog: Mutex::new(child),
    };
    loop {
        let out = server.sql_as_root("SELECT 1", None);
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "MariaDB did not start on port {port}: {} (log: {data}.log)",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let setup = format!(
        "CREATE USER 'wso2'@'%' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON *.* TO 'wso2'@'%';"
    );
    let out = server.sql_as_root(&setup, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server
}

/// The server of this test binary, started on first use.
pub fn server() -> &'static MariaDb {
    SERVER.get_or_init(start)
}

impl MariaDb {
    /// `program` (mysql or mysqldump) connected to this server as root.
    fn as_root(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .args([
                "--no-defaults",
                "--protocol=TCP",
                "--host=127.0.0.1",
                "--user=root",
            ])
            .arg(format!("--port={}", self.port));
        command
    }

    fn sql_as_root(&self, sql: &str, database: Option<&str>) -> std::process::Output {
        let mut command = self.as_root("mysql");
        command.arg(format!("--execute={sql}"));
        if let Some(database) = database {
            command.arg(database);
        }
        command
            .output()
            .expect("run mysql (Debian's mariadb-client)")
    }

    /// A new database loaded with `script` (SQL for the mysql client); its `mysql://` URL.
    pub fn database_with(&self, script: &str) -> String {
        let name = format!("wso2_test_{}", DATABASES.fetch_add(1, Ordering::SeqCst));
        let out = self.sql_as_root(
            &format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut load = self
            .as_root("mysql")
            .arg("--default-character-set=utf8mb4")
            .arg(&name)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mysql");
        {
            use std::io::Write as _;
            let mut input = load.stdin.take().unwrap();
            input.write_all(script.as_bytes()).unwrap();
        }
        let out = load.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "mysql://wso2:{}@127.0.0.1:{}/{name}",
            PASSWORD.replace('@', "%40"),
            self.port
        )
    }

    /// `mysqldump` of a database this server holds, as an operator would make one.
    pub fn dump(&self, url: &str) -> String {
        let name = url.rsplit('/').next().unwrap();
        let out = self
            .as_root("mysqldump")
            .arg(name)
            .output()
            .expect("run mysqldump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
