//! `userstore import` / `export` end to end: JSON Lines and CSV, bad rows reported by line and
//! skipped, export without plaintext, an exact round trip, and imported users usable by the
//! running service.

mod common;

use std::process::Command;

use common::{Options, Server, Soap};

fn userstore(args: &[&str], db: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_userstore"))
        .args(args)
        .arg("--database")
        .arg(db)
        .env("USERSTORE_PASSWORD_HASHING__MEMORY_KIB", "256")
        .env("USERSTORE_PASSWORD_HASHING__ITERATIONS", "1")
        .env_remove("USERSTORE_ADMIN_PASSWORD")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn import_reports_bad_rows_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let jsonl = dir.path().join("users.jsonl");
    std::fs::write(
        &jsonl,
        [
            r#"{"username":"admin","password":"Adm1n-test-pw","roles":["admin"]}"#,
            r#"{"username":"alice","password":"Alice-pw-1","roles":["teacher","Internal/auditor"],"claims":{"http://wso2.org/claims/country":"England"},"profiles":{"work":{"http://wso2.org/claims/emailaddress":"a@work"}}}"#,
            "",
            "not json",
            r#"{"username":"a b","password":"Xyz-pw-1"}"#,
            r#"{"username":"carol"}"#,
            r#"{"username":"alice","password":"Other-pw-1"}"#,
            r#"{"username":"dave","password_hash":"not-a-hash"}"#,
            r#"{"username":"erin","password":"abc"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = userstore(&["import", jsonl.to_str().unwrap()], &db);
    let report = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "skipped rows give exit status 2: {report}"
    );
    assert!(report.contains("imported 2 of 8 users"), "{report}");
    for expected in [
        "line 4: invalid JSON",
        "line 5: user name 'a b' is not valid",
        "line 6: password or password_hash is required",
        "line 7: Username alice already exists",
        "line 8: password_hash is neither an argon2 PHC string nor a wrapped or legacy hash",
        "line 9: Credential is not valid",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in {report}"
        );
    }
    assert!(
        !report.contains("Other-pw-1") && !report.contains("abc\""),
        "no secrets in the report"
    );

    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        "username,password,password_hash,roles,claims\nbob,Bob-pw-12,,doctor;teacher,http://wso2.org/claims/country=France\nx,Short-pw-1,,,\n",
    )
    .unwrap();
    let out = userstore(&["import", csv.to_str().unwrap()], &db);
    let report = text(&out.stdout);
    assert!(report.contains("imported 1 of 2 users"), "{report}");
    assert!(
        report.contains("line 3: Username x is not valid"),
        "{report}"
    );

    // Export: hashes only, then an exact round trip through an empty database.
    let exported = dir.path().join("export.jsonl");
    assert!(userstore(&["export", exported.to_str().unwrap()], &db)
        .status
        .success());
    let dump = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(dump.lines().count(), 3);
    for secret in ["Adm1n-test-pw", "Alice-pw-1", "Bob-pw-12"] {
        assert!(!dump.contains(secret), "export leaks {secret}");
    }
    assert!(dump.contains("\"password_hash\":\"$argon2id$"));
    assert!(
        dump.contains(r#""profiles":{"work":{"http://wso2.org/claims/emailaddress":"a@work"}}"#)
    );
    let restored = dir.path().join("restored.db");
    let out = userstore(&["import", exported.to_str().unwrap()], &restored);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let again = userstore(&["export"], &restored);
    assert_eq!(
        text(&again.stdout),
        dump,
        "export -> import -> export is exact"
    );
    let csv_dump = dir.path().join("export.csv");
    assert!(userstore(&["export", csv_dump.to_str().unwrap()], &db)
        .status
        .success());
    let csv_text = std::fs::read_to_string(&csv_dump).unwrap();
    assert!(csv_text.starts_with("username,password,password_hash,roles,claims\n"));
    assert!(csv_text.contains("bob,,\"$argon2id$"));

    // The running service sees imported users, passwords, roles and claims.
    let s = Server::spawn(&restored, &Options::default());
    let r = s.call(
        Soap::V11,
        "authenticate",
        "<ser:userName>alice</ser:userName><ser:credential>Alice-pw-1</ser:credential>",
    );
    assert_eq!(r.return_text(), "true");
    let r = s.call(
        Soap::V11,
        "getRoleListOfUser",
        "<ser:userName>bob</ser:userName>",
    );
    assert_eq!(r.return_texts(), ["doctor", "Internal/everyone", "teacher"]);
    let r = s.call(
        Soap::V12,
        "getUserClaimValue",
        "<ser:userName>bob</ser:userName><ser:claim>http://wso2.org/claims/country</ser:claim>",
    );
    assert_eq!(r.return_text(), "France");
}
