//! The admin CLI end to end: real processes on a real database, alone and beside a running
//! server, with the server seeing every change (and the CLI seeing the server's).

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Server, Soap};

/// Run `userstore ARGS --database DB` (no database for `config`), feeding `stdin`.
fn cli(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_userstore"));
    command.args(args);
    if !matches!(args[0], "config" | "migrate") {
        command.arg("--database").arg(db);
    }
    let mut child = command
        .env("USERSTORE_PASSWORD_HASHING__MEMORY_KIB", "256")
        .env("USERSTORE_PASSWORD_HASHING__ITERATIONS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run userstore");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// How long a running server may take to see a write made by another process: its watcher's
/// interval (20 ms, README "Admin CLI") with room for a loaded machine's scheduling.
const OUTSIDE_WRITE_BOUND: Duration = Duration::from_millis(250);

/// Run and require success; returns stdout. After a command that writes, wait until a running
/// server must see the change.
fn ok(db: &Path, args: &[&str], stdin: &str) -> String {
    let out = cli(db, args, stdin);
    assert!(
        out.status.success(),
        "userstore {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let reads_only = args.iter().any(|a| {
        matches!(
            *a,
            "list" | "show" | "get" | "export" | "config" | "migrate"
        )
    });
    if !reads_only {
        std::thread::sleep(OUTSIDE_WRITE_BOUND);
    }
    stdout(&out)
}

/// Run and require failure with status 1 and exactly one line on stderr containing `needle`.
fn fails(db: &Path, args: &[&str], stdin: &str, needle: &str) {
    let out = cli(db, args, stdin);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "userstore {args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.starts_with("userstore: error: "), "{err}");
    assert!(
        err.contains(needle),
        "userstore {args:?}: {err:?} lacks {needle:?}"
    );
}

fn authenticate(server: &Server, user: &str, password: &str) -> bool {
    server
        .call(
            Soap::V11,
            "authenticate",
            &format!(
                "<ser:userName>{user}</ser:userName><ser:credential>{password}</ser:credential>"
            ),
        )
        .return_text()
        == "true"
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn admin_commands_change_what_the_running_server_sees() {
    let server = Server::start();
    let db = server.db.clone();

    assert_eq!(ok(&db, &["role", "add", "ops"], ""), "added role ops\n");
    let added = ok(
        &db,
        &[
            "user",
            "add",
            "carol",
            "--role",
            "ops",
            "--claim",
            "emailaddress=carol@example.com",
            "--password-stdin",
        ],
        "Carol-pw1\n",
    );
    assert_eq!(added, "added user carol\n");
    assert!(authenticate(&server, "carol", "Carol-pw1"));
    let roles = server
        .call(
            Soap::V11,
            "getRoleListOfUser",
            "<ser:userName>carol</ser:userName>",
        )
        .return_texts();
    assert!(roles.contains(&"ops".to_string()), "{roles:?}");
    let email = server.call(
        Soap::V12,
        "getUserClaimValue",
        "<ser:userName>carol</ser:userName><ser:claim>http://wso2.org/claims/emailaddress</ser:claim><ser:profileName>default</ser:profileName>",
    );
    assert_eq!(email.return_text(), "carol@example.com");

    // Tables by default, JSON on request.
    let listed = ok(&db, &["user", "list"], "");
    assert_eq!(listed, "USER\nadmin\ncarol\n");
    assert_eq!(
        json(&ok(&db, &["user", "list", "--json"], "")),
        serde_json::json!(["admin", "carol"])
    );
    let shown = json(&ok(&db, &["user", "show", "carol", "--json"], ""));
    assert_eq!(shown["user"], "carol");
    assert_eq!(shown["locked"], false);
    assert_eq!(
        shown["roles"],
        serde_json::json!(["Internal/everyone", "ops"])
    );
    assert_eq!(
        shown["claims"]["http://wso2.org/claims/emailaddress"],
        "carol@example.com"
    );

    // Lock and unlock reach the server's next login within the bound.
    assert_eq!(
        ok(&db, &["user", "lock", "carol"], ""),
        "locked user carol\n"
    );
    assert!(!authenticate(&server, "carol", "Carol-pw1"));
    let table = ok(&db, &["user", "show", "carol"], "");
    assert!(
        table.contains("locked         yes (by an administrator)"),
        "{table}"
    );
    assert_eq!(
        json(&ok(&db, &["user", "unlock", "carol", "--json"], "")),
        serde_json::json!({"ok": true, "user": "carol", "locked": false})
    );
    assert!(authenticate(&server, "carol", "Carol-pw1"));

    ok(
        &db,
        &["user", "passwd", "carol", "--password-stdin"],
        "Carol-pw2\n",
    );
    assert!(authenticate(&server, "carol", "Carol-pw2"));
    assert!(!authenticate(&server, "carol", "Carol-pw1"));

    ok(&db, &["claim", "set", "carol", "givenname", "Carol"], "");
    assert_eq!(
        json(&ok(
            &db,
            &["claim", "get", "carol", "givenname", "--json"],
            ""
        )),
        serde_json::json!({"http://wso2.org/claims/givenname": "Carol"})
    );
    let all = ok(&db, &["claim", "get", "carol"], "");
    assert!(all.starts_with("CLAIM"), "{all}");
    assert!(
        all.lines()
            .any(|l| l.starts_with("http://wso2.org/claims/givenname ") && l.ends_with("  Carol")),
        "{all}"
    );
    let given = server.call(
        Soap::V11,
        "getUserClaimValue",
        "<ser:userName>carol</ser:userName><ser:claim>http://wso2.org/claims/givenname</ser:claim><ser:profileName>default</ser:profileName>",
    );
    assert_eq!(given.return_text(), "Carol");

    assert_eq!(ok(&db, &["role", "members", "ops"], ""), "USER\ncarol\n");
    let roles = json(&ok(&db, &["role", "list", "--json"], ""));
    assert_eq!(
        roles,
        serde_json::json!(["admin", "ops", "Internal/everyone"])
    );

    // What the server writes, the CLI reads.
    server
        .call(
            Soap::V11,
            "addUser",
            "<ser:userName>dave</ser:userName><ser:credential>Dave-pw1</ser:credential><ser:requirePasswordChange>false</ser:requirePasswordChange>",
        )
        .assert_accepted();
    assert_eq!(
        ok(&db, &["user", "list", "--filter", "da*"], ""),
        "USER\ndave\n"
    );

    ok(&db, &["user", "delete", "carol"], "");
    let exists = server.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>carol</ser:userName>",
    );
    assert_eq!(exists.return_text(), "false");
    ok(&db, &["role", "delete", "ops"], "");
    let exists = server.call(
        Soap::V11,
        "isExistingRole",
        "<ser:roleName>ops</ser:roleName>",
    );
    assert_eq!(exists.return_text(), "false");
}

#[test]
fn cli_writes_interleave_with_server_writes_without_loss() {
    let server = Server::start();
    let db = server.db.clone();
    ok(
        &db,
        &["user", "add", "erin", "--password-stdin"],
        "Erin-pw1\n",
    );
    let addr = server.addr.clone();
    let writer = std::thread::spawn(move || {
        for i in 0..60 {
            let response = common::try_call(
                &addr,
                "setUserClaimValue",
                &format!("<ser:userName>erin</ser:userName><ser:claimURI>http://wso2.org/claims/lastname</ser:claimURI><ser:claimValue>soap{i}</ser:claimValue>"),
            )
            .expect("server answers while the CLI writes");
            assert_eq!(response.status, 202, "{}", response.body);
        }
    });
    for i in 0..20 {
        ok(
            &db,
            &["claim", "set", "erin", "givenname", &format!("cli{i}")],
            "",
        );
    }
    writer.join().unwrap();
    let claims = json(&ok(&db, &["claim", "get", "erin", "--json"], ""));
    assert_eq!(claims["http://wso2.org/claims/givenname"], "cli19");
    assert_eq!(claims["http://wso2.org/claims/lastname"], "soap59");
}

/// The server reads in snapshots it keeps open between requests; a write by another process
/// (the CLI) must still show within the stated bound while the server is busy reading.
#[test]
fn cli_writes_are_seen_by_a_busy_server_within_the_bound() {
    let server = Server::start();
    let db = server.db.clone();
    ok(
        &db,
        &[
            "user",
            "add",
            "fay",
            "--claim",
            "givenname=start",
            "--password-stdin",
        ],
        "Fay-pw1\n",
    );
    let read = |addr: &str| {
        common::try_call(
            addr,
            "getUserClaimValue",
            "<ser:userName>fay</ser:userName><ser:claim>http://wso2.org/claims/givenname</ser:claim><ser:profileName>default</ser:profileName>",
        )
        .expect("server answers")
        .return_text()
    };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (addr, done) = (server.addr.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    read(&addr);
                }
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for i in 0..8 {
        let value = format!("v{i}");
        let out = cli(&db, &["claim", "set", "fay", "givenname", &value], "");
        assert!(out.status.success(), "{}", stderr(&out));
        let written = Instant::now();
        while read(&server.addr) != value {
            assert!(
                written.elapsed() < OUTSIDE_WRITE_BOUND,
                "write {i} still unseen after {OUTSIDE_WRITE_BOUND:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        slowest = slowest.max(written.elapsed());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    eprintln!("slowest outside write seen after {slowest:?}");
}

#[test]
fn wrong_input_is_one_line_and_a_nonzero_status() {
    let server = Server::start();
    let db = server.db.clone();
    ok(
        &db,
        &["user", "add", "frank", "--password-stdin"],
        "Frank-pw1\n",
    );

    fails(
        &db,
        &["user", "add", "frank", "--password-stdin"],
        "Other-pw1\n",
        "Username frank already exists",
    );
    fails(
        &db,
        &["user", "show", "nobody"],
        "",
        "User nobody does not exist",
    );
    fails(
        &db,
        &["role", "members", "nosuch"],
        "",
        "Role nosuch does not exist",
    );
    fails(
        &db,
        &[
            "user",
            "add",
            "gina",
            "--role",
            "nosuch",
            "--password-stdin",
        ],
        "Gina-pw1\n",
        "Role nosuch does not exist",
    );
    fails(
        &db,
        &["user", "add", "gina", "--password-stdin"],
        "pw\n",
        "Credential is not valid",
    );
    fails(
        &db,
        &[
            "user",
            "add",
            "gina",
            "--claim",
            "no-equals-sign",
            "--password-stdin",
        ],
        "Gina-pw1\n",
        "--claim 'no-equals-sign' is not URI=VALUE",
    );
    // No terminal (stdin is a pipe) and no --password-stdin: refused, never read from argv.
    fails(
        &db,
        &["user", "passwd", "frank"],
        "",
        "no terminal to prompt for the password",
    );
    fails(
        &db,
        &["user", "delete", "admin"],
        "",
        "the admin user cannot be deleted",
    );
    let missing = db.with_file_name("missing.db");
    fails(&missing, &["user", "list"], "", "does not exist");
    assert!(
        !missing.exists(),
        "a mistyped path must not create a database"
    );
    // Usage errors are clap's: status 2. There is no way to pass a password as an argument.
    let out = cli(&db, &["user", "add", "gina", "--password", "Gina-pw1"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = cli(&db, &["user", "frobnicate"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Secrets typed on stdin never come back in output.
    let out = cli(
        &db,
        &["user", "add", "gina", "--password-stdin"],
        "Secret-pw9\n",
    );
    assert!(out.status.success());
    assert!(!stdout(&out).contains("Secret-pw9") && !stderr(&out).contains("Secret-pw9"));
    assert!(authenticate(&server, "gina", "Secret-pw9"));
}

#[test]
fn failed_logins_lock_and_the_cli_shows_and_lifts_the_lock() {
    let server = Server::start_with(common::Options {
        env: vec![(
            "USERSTORE_ACCOUNT_LOCKING__ALLOWED_FAILED_ATTEMPTS".into(),
            "3".into(),
        )],
        ..Default::default()
    });
    let db = server.db.clone();
    ok(
        &db,
        &["user", "add", "hank", "--password-stdin"],
        "Hank-pw1\n",
    );
    for _ in 0..3 {
        assert!(!authenticate(&server, "hank", "wrong-pw"));
    }
    assert!(!authenticate(&server, "hank", "Hank-pw1"), "locked now");
    let table = ok(&db, &["user", "show", "hank"], "");
    assert!(
        table.contains("locked         yes (after failed logins, until 20"),
        "{table}"
    );
    ok(&db, &["user", "unlock", "hank"], "");
    let shown = json(&ok(&db, &["user", "show", "hank", "--json"], ""));
    assert_eq!(shown["locked"], false);
    assert_eq!(shown["failed_login_attempts"], 0);
    assert!(authenticate(&server, "hank", "Hank-pw1"));
}

#[test]
fn config_default_round_trips_and_check_names_every_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.db");
    let default = ok(&db, &["config", "default"], "");
    let file = dir.path().join("userstore.toml");
    std::fs::write(&file, &default).unwrap();
    let checked = ok(&db, &["config", "check", file.to_str().unwrap()], "");
    assert!(checked.ends_with(": ok\n"), "{checked}");

    // The README's Configuration section shows exactly this file.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&format!("```toml\n{default}```")),
        "README.md's Configuration block differs from `userstore config default`; paste its output"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[server]\nlisten = \"localhost\"\nmax_connections = \"many\"\n\n[tls]\nenabled = true\n",
    )
    .unwrap();
    let out = cli(&db, &["config", "check", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = stderr(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].contains("line 2: server.listen: invalid socket address"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("line 3: server.max_connections: invalid type"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("line 6: tls.enabled: unknown field `enabled`"),
        "{lines:?}"
    );

    // A server starts from the default file as it is (ports overridden to stay free).
    let mut serve = Command::new(env!("CARGO_BIN_EXE_userstore"))
        .args([
            "serve",
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--database")
        .arg(dir.path().join("fresh.db"))
        .env("USERSTORE_ADMIN_PASSWORD", "Fresh-admin-pw1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    let mut reader = std::io::BufReader::new(serve.stdout.take().unwrap());
    while !banner.contains("userstore ready") {
        let before = banner.len();
        std::io::BufRead::read_line(&mut reader, &mut banner).unwrap();
        assert!(banner.len() > before, "server stopped: {banner}");
    }
    serve.kill().unwrap();
    serve.wait().unwrap();
}

#[test]
fn a_password_changed_by_the_cli_ends_cached_api_logins_within_the_bound() {
    // The default cache TTL (60 s): the server must not wait for it.
    let server = Server::start();
    let db = server.db.clone();
    let ask = || {
        server.call(
            Soap::V11,
            "isExistingUser",
            "<ser:userName>admin</ser:userName>",
        )
    };
    for _ in 0..3 {
        assert_eq!(ask().status, 200);
    }
    // `ok` returns OUTSIDE_WRITE_BOUND after the command finished.
    ok(
        &db,
        &["user", "passwd", "admin", "--password-stdin"],
        "Changed-admin-pw1\n",
    );
    assert_eq!(
        ask().status,
        common::REFUSED_LOGIN,
        "the old password was still accepted {OUTSIDE_WRITE_BOUND:?} after the CLI changed it"
    );
    let fresh = server.call_as(
        "admin",
        "Changed-admin-pw1",
        Soap::V11,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    );
    assert_eq!(fresh.return_text(), "true");
}

#[test]
fn role_permissions_are_granted_and_revoked_from_the_cli() {
    let server = Server::start();
    let db = server.db.clone();
    ok(&db, &["role", "add", "helpdesk"], "");
    ok(
        &db,
        &[
            "user",
            "add",
            "hank",
            "--role",
            "helpdesk",
            "--password-stdin",
        ],
        "Hank-pw-1\n",
    );
    let view = "/permission/admin/manage/identity/usermgt/view";
    assert_eq!(
        ok(&db, &["role", "permissions", "helpdesk", "--add", view], ""),
        format!("PERMISSION\n{view}\n")
    );
    let read =
        |body: &str| server.call_as("hank", "Hank-pw-1", Soap::V11, "getUserClaimValues", body);
    let r = read("<ser:userName>hank</ser:userName>");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        ok(&db, &["role", "permissions", "admin"], ""),
        "PERMISSION\n/permission\n",
        "the admin role holds the root of the tree"
    );
    assert_eq!(
        ok(
            &db,
            &["role", "permissions", "helpdesk", "--remove", view],
            ""
        ),
        "PERMISSION\n"
    );
    fails(
        &db,
        &["role", "permissions", "helpdesk", "--add", "usermgt"],
        "",
        "is not a path",
    );
    fails(
        &db,
        &["role", "permissions", "nosuch"],
        "",
        "Role nosuch does not exist",
    );
}

#[test]
fn migrate_copies_a_running_sqlite_store_into_postgres_where_import_and_export_work() {
    let server = Server::start();
    let db = server.db.clone();
    ok(&db, &["role", "add", "staff"], "");
    ok(
        &db,
        &[
            "role",
            "permissions",
            "staff",
            "--add",
            "/permission/admin/manage/identity",
        ],
        "",
    );
    ok(
        &db,
        &[
            "user",
            "add",
            "kim",
            "--role",
            "staff",
            "--claim",
            "lastname=Kim",
            "--password-stdin",
        ],
        "Kim-pw-12345\n",
    );
    let cluster = common::postgres::cluster();
    let url = cluster.fresh_database();
    let pg = Path::new(&url);
    // Copied while the SQLite server runs.
    let report = ok(
        Path::new(""),
        &[
            "migrate",
            "--from",
            &format!("sqlite:{}", db.display()),
            "--to",
            &url,
        ],
        "",
    );
    assert!(report.contains("users 2,"), "{report}");
    let sqlite_export = ok(&db, &["export"], "");
    assert_eq!(
        ok(pg, &["export"], ""),
        sqlite_export,
        "export from PostgreSQL after migrate"
    );
    assert_eq!(
        ok(pg, &["role", "permissions", "staff"], ""),
        ok(&db, &["role", "permissions", "staff"], "")
    );
    // A second migrate into the same database is refused: it holds users now.
    let again = cli(
        Path::new(""),
        &["migrate", "--from", &db.display().to_string(), "--to", &url],
        "",
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already holds users"),
        "{}",
        stderr(&again)
    );

    // A server on the copy: same password, same ids.
    let copy = Server::spawn(pg, &common::Options::default());
    let ask = |s: &Server| {
        s.call_as(
            "kim",
            "Kim-pw-12345",
            Soap::V11,
            "isExistingUser",
            "<ser:userName>kim</ser:userName>",
        )
    };
    assert_eq!(ask(&copy).return_text(), "true");
    let id = |s: &Server| {
        s.call(
            Soap::V11,
            "getUserClaimValue",
            "<ser:userName>kim</ser:userName><ser:claim>http://wso2.org/claims/userid</ser:claim>\
             <ser:profileName>default</ser:profileName>",
        )
        .return_text()
    };
    assert_eq!(id(&copy), id(&server));

    // export -> import into an empty PostgreSQL database -> export is identical.
    let dump = tempfile::tempdir().unwrap();
    let file = dump.path().join("users.jsonl");
    std::fs::write(&file, &sqlite_export).unwrap();
    let second = cluster.fresh_database();
    ok(
        Path::new(&second),
        &["import", &file.display().to_string()],
        "",
    );
    assert_eq!(ok(Path::new(&second), &["export"], ""), sqlite_export);
}
