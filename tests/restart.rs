//! First start without a preset password, real argon2id defaults, and data surviving a restart.

mod common;

use common::{basic, Options, Server, Soap, SERVICE_PATH};
use std::time::Duration;

fn call(s: &Server, password: &str, op: &str, inner: &str) -> common::HttpResponse {
    s.call_as("admin", password, Soap::V11, op, inner)
}

#[test]
fn first_start_generates_an_admin_password_and_data_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let log = dir.path().join("server.log");
    let options = Options {
        admin_password: None,
        cheap_hashing: false,
        log_file: Some(log.clone()),
        ..Default::default()
    };

    let mut first = Server::spawn(&db, &options);
    let banner = first.stdout_banner.clone();
    assert!(
        banner.contains("First start: created admin user 'admin'"),
        "{banner}"
    );
    let password = banner
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 24 && l.chars().all(|c| c.is_ascii_alphanumeric()))
        .expect("generated password printed once")
        .to_string();

    // No default password works (an empty one is no credential at all: 401); the generated
    // one does.
    for (guess, refused) in [
        ("admin", common::REFUSED_LOGIN),
        ("password", common::REFUSED_LOGIN),
        ("", 401),
    ] {
        let r = first.post(
            SERVICE_PATH,
            &[
                ("Content-Type".into(), "text/xml".into()),
                basic("admin", guess),
            ],
            Soap::V11.envelope("getRoleNames", "").as_bytes(),
        );
        assert_eq!(r.status, refused);
    }
    call(
        &first,
        &password,
        "addRole",
        "<ser:roleName>teacher</ser:roleName>",
    )
    .assert_accepted();
    call(
        &first,
        &password,
        "addUser",
        "<ser:userName>nilasini</ser:userName><ser:credential>Pers1st-pw</ser:credential><ser:roleList>teacher</ser:roleList>\
         <ser:claims><xsd:claimURI>http://wso2.org/claims/country</xsd:claimURI><xsd:value>England</xsd:value></ser:claims>",
    )
    .assert_accepted();
    first.stop();

    let mut second = Server::spawn(&db, &options);
    assert!(
        !second.stdout_banner.contains("First start"),
        "admin must not be recreated"
    );
    let r = call(
        &second,
        &password,
        "authenticate",
        "<ser:userName>nilasini</ser:userName><ser:credential>Pers1st-pw</ser:credential>",
    );
    assert_eq!(r.return_text(), "true");
    let r = call(
        &second,
        &password,
        "getRoleListOfUser",
        "<ser:userName>nilasini</ser:userName>",
    );
    assert_eq!(r.return_texts(), ["Internal/everyone", "teacher"]);
    let r = call(&second, &password, "getUserClaimValue", "<ser:userName>nilasini</ser:userName><ser:claim>http://wso2.org/claims/country</ser:claim>");
    assert_eq!(r.return_text(), "England");
    // Stopped as a service manager stops it, so the log's last lines are written out.
    second.terminate();
    assert!(second.wait_exit(Duration::from_secs(10)).is_some());

    // Stored credentials are argon2id PHC strings with OWASP parameters and distinct salts.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT password_hash FROM users ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 2);
    for hash in &hashes {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");

    // Neither password appears in the database files or the debug-level log.
    let mut haystack = std::fs::read(&log).unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("store.db") {
            haystack.extend(std::fs::read(&path).unwrap());
        }
    }
    let haystack = String::from_utf8_lossy(&haystack);
    assert!(
        haystack.contains("operation=\"authenticate\""),
        "request log lines are written"
    );
    assert!(!haystack.contains("Pers1st-pw"));
    assert!(!haystack.contains(&password));
}
