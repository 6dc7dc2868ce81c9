//! Production hardening: TLS versions, account lock and disable, brute-force lockout on both
//! the authenticate operation and HTTP Basic, credential policy, transparent rehash, timing of
//! unknown users, the audit trail, health probes and graceful shutdown.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{basic, Options, Server, Soap, ADMIN_PASSWORD, REFUSED_LOGIN, SERVICE_PATH};

const LOCKED: &str = "http://wso2.org/claims/identity/accountLocked";
const DISABLED: &str = "http://wso2.org/claims/identity/accountDisabled";
const UNLOCK_TIME: &str = "http://wso2.org/claims/identity/unlockTime";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Lock after 3 failures, first lock 1 s, doubling.
fn lockout_server() -> Server {
    Server::start_with(Options {
        env: env(&[
            ("USERSTORE_ACCOUNT_LOCKING__ALLOWED_FAILED_ATTEMPTS", "3"),
            ("USERSTORE_ACCOUNT_LOCKING__AUTO_UNLOCK_AFTER_SECS", "1"),
            (
                "USERSTORE_ACCOUNT_LOCKING__AUTO_UNLOCK_TIME_INCREMENT_RATIO",
                "2",
            ),
        ]),
        ..Default::default()
    })
}

fn authenticate(s: &Server, user: &str, password: &str) -> bool {
    let r = s.call(
        Soap::V11,
        "authenticate",
        &format!("<ser:userName>{user}</ser:userName><ser:credential>{password}</ser:credential>"),
    );
    r.return_text() == "true"
}

fn claim(s: &Server, user: &str, uri: &str) -> Option<String> {
    let r = s.call(
        Soap::V11,
        "getUserClaimValue",
        &format!("<ser:userName>{user}</ser:userName><ser:claim>{uri}</ser:claim>"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.returns().remove(0)
}

fn set_claim(s: &Server, user: &str, uri: &str, value: &str) {
    s.call(
        Soap::V11,
        "setUserClaimValue",
        &format!("<ser:userName>{user}</ser:userName><ser:claimURI>{uri}</ser:claimURI><ser:claimValue>{value}</ser:claimValue>"),
    )
    .assert_accepted();
}

fn add_user(s: &Server, user: &str, password: &str, roles: &[&str]) {
    let roles: String = roles
        .iter()
        .map(|r| format!("<ser:roleList>{r}</ser:roleList>"))
        .collect();
    s.call(
        Soap::V11,
        "addUser",
        &format!(
            "<ser:userName>{user}</ser:userName><ser:credential>{password}</ser:credential>{roles}"
        ),
    )
    .assert_accepted();
}

fn basic_status(s: &Server, user: &str, password: &str) -> u16 {
    let mut headers = Soap::V11.headers("getRoleNames");
    headers.push(basic(user, password));
    s.post(
        SERVICE_PATH,
        &headers,
        Soap::V11.envelope("getRoleNames", "").as_bytes(),
    )
    .status
}

#[test]
fn failed_logins_lock_the_account_for_a_growing_time() {
    let s = lockout_server();
    add_user(&s, "alice", "Alice-pw1", &[]);
    for _ in 0..3 {
        assert!(!authenticate(&s, "alice", "wrong-pw"));
    }
    let locked_at = Instant::now();
    assert!(
        !authenticate(&s, "alice", "Alice-pw1"),
        "locked: the right password fails"
    );
    assert_eq!(claim(&s, "alice", LOCKED).as_deref(), Some("true"));
    assert!(claim(&s, "alice", UNLOCK_TIME).is_some());
    std::thread::sleep(Duration::from_millis(1200).saturating_sub(locked_at.elapsed()));
    assert!(authenticate(&s, "alice", "Alice-pw1"), "unlocked after 1 s");
    assert_eq!(
        claim(&s, "alice", LOCKED),
        None,
        "the expired lock is cleared"
    );

    // A success resets the counters: three new failures lock again, for 1 s.
    for _ in 0..3 {
        assert!(!authenticate(&s, "alice", "wrong-pw"));
    }
    // Without a success in between, the next lock doubles (2 s).
    std::thread::sleep(Duration::from_millis(1100));
    for _ in 0..3 {
        assert!(!authenticate(&s, "alice", "wrong-pw"));
    }
    let second_lock = Instant::now();
    std::thread::sleep(Duration::from_millis(1200));
    assert!(
        !authenticate(&s, "alice", "Alice-pw1"),
        "second lock lasts 2 s"
    );
    std::thread::sleep(Duration::from_millis(2200).saturating_sub(second_lock.elapsed()));
    assert!(authenticate(&s, "alice", "Alice-pw1"));
    println!(
        "lockout: first lock 1 s, second 2 s; unlocked after {:.2} s",
        second_lock.elapsed().as_secs_f64()
    );
}

#[test]
fn an_administrator_unlocks_locks_and_disables_with_claims() {
    let s = lockout_server();
    add_user(&s, "bob", "Bob-pw-1", &[]);
    for _ in 0..3 {
        authenticate(&s, "bob", "wrong-pw");
    }
    assert!(!authenticate(&s, "bob", "Bob-pw-1"));
    set_claim(&s, "bob", LOCKED, "false");
    assert!(
        authenticate(&s, "bob", "Bob-pw-1"),
        "an admin unlock works at once"
    );

    // An administrator's lock has no unlock time: it outlasts the failed-login lock time.
    set_claim(&s, "bob", LOCKED, "true");
    std::thread::sleep(Duration::from_millis(1100));
    assert!(!authenticate(&s, "bob", "Bob-pw-1"));
    set_claim(&s, "bob", LOCKED, "false");
    assert!(authenticate(&s, "bob", "Bob-pw-1"));

    set_claim(&s, "bob", DISABLED, "true");
    assert!(!authenticate(&s, "bob", "Bob-pw-1"), "disabled");
    set_claim(&s, "bob", DISABLED, "false");
    assert!(authenticate(&s, "bob", "Bob-pw-1"));
}

#[test]
fn http_basic_is_locked_and_disabled_the_same_way() {
    let s = lockout_server();
    add_user(&s, "ops", "Ops-admin-1", &["admin"]);
    assert_eq!(basic_status(&s, "ops", "Ops-admin-1"), 200);
    for _ in 0..3 {
        assert_eq!(basic_status(&s, "ops", "wrong-pw"), REFUSED_LOGIN);
    }
    assert_eq!(
        basic_status(&s, "ops", "Ops-admin-1"),
        REFUSED_LOGIN,
        "locked out of the admin API"
    );
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(basic_status(&s, "ops", "Ops-admin-1"), 200);

    set_claim(&s, "ops", DISABLED, "true");
    assert_eq!(
        basic_status(&s, "ops", "Ops-admin-1"),
        REFUSED_LOGIN,
        "disabled admins are refused"
    );
    set_claim(&s, "ops", DISABLED, "false");
    assert_eq!(basic_status(&s, "ops", "Ops-admin-1"), 200);
}

#[test]
fn credential_policy_is_enforced_with_the_rule_in_the_fault() {
    let s = Server::start();
    add_user(&s, "carol", "Carol-pw1", &[]);
    let policy = "30003 - Credential is not valid. Credential must be a non null string with following format, ^[\\S]{5,30}$";
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>dave</ser:userName><ser:credential>abc</ser:credential>",
    )
    .assert_fault(policy);
    s.call(Soap::V11, "addUser", "<ser:userName>ab</ser:userName><ser:credential>Abc-pw-1</ser:credential>")
        .assert_fault("31301 - Username ab is not valid. User name must be a non null string with following format, ^[\\S]{3,100}$");
    // Password changes explain the rule in the operator's words (PasswordJavaRegExViolationErrorMsg).
    let r = s.call(Soap::V11, "updateCredential", "<ser:userName>carol</ser:userName><ser:newCredential>abc</ser:newCredential><ser:oldCredential>Carol-pw1</ser:oldCredential>");
    assert_eq!(
        r.fault_string(),
        "35001 - Un-expected error during pre update credential, Password length should be within 5 to 30 characters"
    );
    let r = s.call(
        Soap::V11,
        "updateCredentialByAdmin",
        "<ser:userName>carol</ser:userName><ser:newCredential>has space</ser:newCredential>",
    );
    assert_eq!(
        r.fault_string(),
        "36001 - Un-expected error during pre update credential by admin, Password length should be within 5 to 30 characters"
    );
    let r = s.call(
        Soap::V11,
        "updateCredentialByAdmin",
        "<ser:userName>carol</ser:userName><ser:newCredential>abc</ser:newCredential>",
    );
    assert!(
        !r.body.contains(">abc<"),
        "the rejected password is not echoed"
    );

    let strict = Server::start_with(Options {
        // The harness's admin password must satisfy it too, or the server refuses to start.
        env: env(&[("USERSTORE_REALM__PASSWORD_REGEX", "^[A-Za-z0-9-]{12,}$")]),
        ..Default::default()
    });
    strict
        .call(
            Soap::V11,
            "addUser",
            "<ser:userName>erin</ser:userName><ser:credential>Short-1</ser:credential>",
        )
        .assert_fault("^[A-Za-z0-9-]{12,}$");
    strict
        .call(
            Soap::V11,
            "addUser",
            "<ser:userName>erin</ser:userName><ser:credential>LongEnough12</ser:credential>",
        )
        .assert_accepted();
}

#[test]
fn raised_hash_parameters_rehash_on_the_next_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rehash.db");
    let mut old = Server::spawn(&db, &Options::default());
    add_user(&old, "frank", "Frank-pw1", &[]);
    old.stop();
    let hash_of = |user: &str| -> String {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT password_hash FROM users WHERE name = ?1",
                [user],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert!(hash_of("frank").starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
    let stronger = Options {
        cheap_hashing: false,
        env: env(&[
            ("USERSTORE_PASSWORD_HASHING__MEMORY_KIB", "512"),
            ("USERSTORE_PASSWORD_HASHING__ITERATIONS", "2"),
        ]),
        ..Default::default()
    };
    let mut new = Server::spawn(&db, &stronger);
    assert!(authenticate(&new, "frank", "Frank-pw1"));
    new.stop();
    assert!(
        hash_of("frank").starts_with("$argon2id$v=19$m=512,t=2,p=1$"),
        "{}",
        hash_of("frank")
    );
    let again = Server::spawn(&db, &stronger);
    assert!(
        authenticate(&again, "frank", "Frank-pw1"),
        "the new hash verifies"
    );
    assert!(!authenticate(&again, "frank", "wrong-pw"));
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[test]
fn unknown_users_take_as_long_as_wrong_passwords() {
    // Real argon2id defaults; locking off so repeated failures keep hashing.
    let s = Server::start_with(Options {
        cheap_hashing: false,
        env: env(&[("USERSTORE_ACCOUNT_LOCKING__ENABLE", "false")]),
        ..Default::default()
    });
    add_user(&s, "grace", "Grace-pw1", &[]);
    let time = |user: &str| {
        let started = Instant::now();
        assert!(!authenticate(&s, user, "not-the-password"));
        started.elapsed().as_secs_f64() * 1000.0
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        known.push(time("grace"));
        unknown.push(time("nobody-here"));
    }
    let (known, unknown) = (median(known), median(unknown));
    let ratio = unknown / known;
    println!("timing: wrong password median {known:.2} ms, unknown user median {unknown:.2} ms, ratio {ratio:.3}");
    assert!((0.75..=1.33).contains(&ratio), "unknown/known = {ratio:.3}");
}

#[test]
fn audit_trail_records_logins_and_changes_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut s = Server::start_with(Options {
        env: vec![("USERSTORE_AUDIT__FILE".into(), audit.display().to_string())],
        ..Default::default()
    });
    add_user(&s, "heidi", "Heidi-secret-1", &[]);
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>heidi</ser:userName><ser:credential>Heidi-secret-2</ser:credential>",
    )
    .assert_fault("already exists");
    assert!(!authenticate(&s, "heidi", "Heidi-wrong-3"));
    assert_eq!(basic_status(&s, "admin", "Admin-wrong-4"), REFUSED_LOGIN);
    s.call(
        Soap::V11,
        "deleteUser",
        "<ser:userName>heidi</ser:userName>",
    )
    .assert_accepted();
    s.stop();

    let text = std::fs::read_to_string(&audit).unwrap();
    for secret in [
        "Heidi-secret-1",
        "Heidi-secret-2",
        "Heidi-wrong-3",
        "Admin-wrong-4",
        ADMIN_PASSWORD,
    ] {
        assert!(!text.contains(secret), "audit log leaks {secret}");
    }
    let events: Vec<(String, String, String, String, String)> = text
        .lines()
        .map(|line| {
            let field = |name: &str| {
                let key = format!("\"{name}\":\"");
                let start = line
                    .find(&key)
                    .unwrap_or_else(|| panic!("{name} in {line}"))
                    + key.len();
                line[start..start + line[start..].find('"').unwrap()].to_string()
            };
            assert!(line.contains("\"target\":\"userstore::audit\""), "{line}");
            assert!(field("client").starts_with("127.0.0.1:"));
            (
                field("who"),
                field("action"),
                field("target"),
                field("outcome"),
                field("event"),
            )
        })
        .collect();
    let has = |who: &str, action: &str, target: &str, outcome: &str| {
        events
            .iter()
            .any(|e| e.0 == who && e.1 == action && e.2 == target && e.3 == outcome)
    };
    assert!(has("admin", "login", "admin", "success"));
    assert!(has("admin", "login", "admin", "bad_credentials"));
    assert!(has("admin", "addUser", "user:heidi", "success"));
    assert!(has("admin", "addUser", "user:heidi", "error"));
    assert!(has("admin", "authenticate", "user:heidi", "failure"));
    assert!(has("admin", "deleteUser", "user:heidi", "success"));
    assert!(
        !events
            .iter()
            .any(|e| e.1 == "isExistingUser" || e.1 == "getUserClaimValue"),
        "reads are not audited"
    );
}

#[test]
fn health_probes_answer_without_credentials() {
    let s = Server::start();
    let get = |path: &str| {
        s.raw(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
    };
    let live = get("/health");
    assert_eq!((live.status, live.body.trim()), (200, "ok"));
    let ready = get("/health/ready");
    assert_eq!((ready.status, ready.body.trim()), (200, "ready"));
}

#[test]
fn tls_accepts_1_2_and_1_3_and_nothing_in_clear() {
    let mut s = Server::start_with(Options {
        https_only: true,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    // The harness made the pair; make another to check `cert` refuses to overwrite.
    let cert = dir.path().join("c.pem");
    let key = dir.path().join("k.pem");
    let run_cert = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_userstore"))
            .args(["cert", "--host", "localhost", "--cert"])
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run_cert(&[]).status.success());
    let again = run_cert(&[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let trusted = s.tls_client.clone().unwrap();
    for versions in [
        &[&rustls::version::TLS12][..],
        &[&rustls::version::TLS13][..],
    ] {
        s.tls_client = Some(common::client_config_for(&server_cert(&s), versions));
        let r = s.call(Soap::V11, "isReadOnly", "");
        assert_eq!(r.return_text(), "false");
    }
    s.tls_client = Some(trusted);
    // Plain HTTP to the HTTPS port gets no HTTP answer.
    let mut plain = TcpStream::connect(s.tls_addr.as_deref().unwrap()).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "cleartext must not be served on the TLS port"
    );
    assert!(s.is_alive());
}

/// The certificate the harness generated for `s`.
fn server_cert(s: &Server) -> std::path::PathBuf {
    s.db.parent().unwrap().join("cert.pem")
}

#[test]
fn graceful_shutdown_finishes_in_flight_requests() {
    let mut s = Server::start();
    let body = Soap::V11.envelope(
        "addUser",
        "<ser:userName>ivan</ser:userName><ser:credential>Ivan-pw-1</ser:credential>",
    );
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (name, value) = basic("admin", ADMIN_PASSWORD);
    write!(
        stream,
        "POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n{name}: {value}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.terminate();
    std::thread::sleep(Duration::from_millis(300));
    if let Ok(mut late) = TcpStream::connect(&s.addr) {
        late.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = late.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut answer = Vec::new();
        let _ = late.read_to_end(&mut answer);
        assert!(
            answer.is_empty(),
            "after SIGTERM new connections are not served"
        );
    }
    stream.write_all(rest).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 202"),
        "in-flight request completed: {response}"
    );
    let status = s
        .wait_exit(Duration::from_secs(10))
        .expect("server exits after draining");
    assert!(status.success(), "clean exit: {status:?}");
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let ivan: i64 = conn
        .query_row("SELECT count(*) FROM users WHERE name = 'ivan'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(ivan, 1, "the acknowledged write is on disk");
}

#[test]
fn cached_credentials_never_outlive_a_change() {
    let s = Server::start();
    add_user(&s, "judy", "Judy-pw-1", &["admin"]);
    // Verified once, then served from the cache.
    assert_eq!(basic_status(&s, "judy", "Judy-pw-1"), 200);
    assert_eq!(basic_status(&s, "judy", "Judy-pw-1"), 200);
    assert_eq!(
        basic_status(&s, "judy", "Judy-pw-2"),
        REFUSED_LOGIN,
        "another password never hits the cache"
    );

    s.call(
        Soap::V11,
        "updateCredentialByAdmin",
        "<ser:userName>judy</ser:userName><ser:newCredential>Judy-pw-3</ser:newCredential>",
    )
    .assert_accepted();
    assert_eq!(
        basic_status(&s, "judy", "Judy-pw-1"),
        REFUSED_LOGIN,
        "the old password stops at once"
    );
    assert_eq!(basic_status(&s, "judy", "Judy-pw-3"), 200);

    s.call(
        Soap::V11,
        "updateUserListOfRole",
        "<ser:roleName>admin</ser:roleName><ser:deletedUsers>judy</ser:deletedUsers>",
    )
    .assert_accepted();
    let mut headers = Soap::V11.headers("getRoleNames");
    headers.push(basic("judy", "Judy-pw-3"));
    let r = s.post(
        SERVICE_PATH,
        &headers,
        Soap::V11.envelope("getRoleNames", "").as_bytes(),
    );
    r.assert_fault("Access Denied.");

    s.call(
        Soap::V11,
        "updateRoleListOfUser",
        "<ser:userName>judy</ser:userName><ser:newRoles>admin</ser:newRoles>",
    )
    .assert_accepted();
    assert_eq!(basic_status(&s, "judy", "Judy-pw-3"), 200);
    set_claim(&s, "judy", LOCKED, "true");
    assert_eq!(
        basic_status(&s, "judy", "Judy-pw-3"),
        REFUSED_LOGIN,
        "a lock applies at once"
    );
    set_claim(&s, "judy", LOCKED, "false");
    s.call(Soap::V11, "deleteUser", "<ser:userName>judy</ser:userName>")
        .assert_accepted();
    assert_eq!(
        basic_status(&s, "judy", "Judy-pw-3"),
        REFUSED_LOGIN,
        "a deleted user is gone at once"
    );
}
