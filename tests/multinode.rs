//! Two userstore processes on one PostgreSQL database, as a load balancer would put them: what
//! one node writes the other reads at once, failed logins racing across both nodes lock an
//! account exactly once, and a password change on one node ends the old password's cached
//! login on the other within the stated bound.

mod common;

use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::{Backend, Options, Server, Soap, ADMIN_PASSWORD};

/// The bound README states for another node's change to reach a node's cached logins.
const OUTSIDE_CHANGE_BOUND: Duration = Duration::from_secs(1);

/// Node A on a fresh database and node B on the same one.
fn two_nodes(env: Vec<(String, String)>) -> (Server, Server) {
    let options = Options {
        backend: Backend::Postgres,
        env,
        ..Options::default()
    };
    let a = Server::start_with(options.clone());
    let b = Server::spawn(&a.db, &options);
    (a, b)
}

fn add_user(node: &Server, name: &str, password: &str) {
    node.call(
        Soap::V11,
        "addUser",
        &format!(
            "<ser:userName>{name}</ser:userName><ser:credential>{password}</ser:credential>\
             <ser:claims><xsd:claimURI>http://wso2.org/claims/lastname</xsd:claimURI>\
             <xsd:value>Node A</xsd:value></ser:claims>"
        ),
    )
    .assert_accepted();
}

/// isExistingUser as the admin: the HTTP response (the admin's login is checked too).
fn ask_exists(node: &Server, name: &str) -> common::HttpResponse {
    node.call(
        Soap::V11,
        "isExistingUser",
        &format!("<ser:userName>{name}</ser:userName>"),
    )
}

fn authenticate(node: &Server, name: &str, password: &str) -> String {
    node.call(
        Soap::V11,
        "authenticate",
        &format!("<ser:userName>{name}</ser:userName><ser:credential>{password}</ser:credential>"),
    )
    .return_text()
}

#[test]
fn a_write_on_one_node_is_read_on_the_other() {
    let (a, b) = two_nodes(Vec::new());
    add_user(&a, "kim", "Kim-pw-123");
    assert_eq!(ask_exists(&b, "kim").return_text(), "true");
    let lastname = b.call(
        Soap::V11,
        "getUserClaimValue",
        "<ser:userName>kim</ser:userName>\
         <ser:claim>http://wso2.org/claims/lastname</ser:claim><ser:profileName>default</ser:profileName>",
    );
    assert_eq!(lastname.return_text(), "Node A");
    assert_eq!(authenticate(&b, "kim", "Kim-pw-123"), "true");
    b.call(Soap::V11, "deleteUser", "<ser:userName>kim</ser:userName>")
        .assert_accepted();
    assert_eq!(ask_exists(&a, "kim").return_text(), "false");
}

#[test]
fn wrong_passwords_racing_across_two_nodes_lock_the_account_exactly_once() {
    const CLIENTS: usize = 16;
    const ATTEMPTS: usize = 4;
    let (a, b) = two_nodes(vec![(
        "USERSTORE_ACCOUNT_LOCKING__ALLOWED_FAILED_ATTEMPTS".into(),
        "5".into(),
    )]);
    add_user(&a, "target", "Target-pw-1");
    let barrier = Barrier::new(CLIENTS);
    let answers: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let (node, barrier) = (if i % 2 == 0 { &a } else { &b }, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    (0..ATTEMPTS)
                        .map(|_| authenticate(node, "target", "Wrong-pw-1"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    assert!(answers.iter().all(|a| a == "false"), "{answers:?}");
    // Locked now, on both nodes, even with the right password.
    assert_eq!(authenticate(&a, "target", "Target-pw-1"), "false");
    assert_eq!(authenticate(&b, "target", "Target-pw-1"), "false");
    let claim = |uri: &str| -> Option<String> {
        common::postgres::cluster()
            .client(&a.db.to_string_lossy())
            .query_opt(
                "SELECT c.value FROM user_claims c JOIN users u ON u.id = c.user_id
                 WHERE u.name_key = 'target' AND c.profile = 'default' AND c.claim_uri = $1",
                &[&uri],
            )
            .unwrap()
            .map(|row| row.get(0))
    };
    assert_eq!(
        claim("http://wso2.org/claims/identity/failedLoginLockoutCount").as_deref(),
        Some("1"),
        "{} wrong passwords across two nodes must lock exactly once",
        CLIENTS * ATTEMPTS
    );
    assert_eq!(
        claim("http://wso2.org/claims/identity/accountLocked").as_deref(),
        Some("true")
    );
}

#[test]
fn a_password_change_on_one_node_ends_the_old_password_on_the_other() {
    let (a, b) = two_nodes(Vec::new());
    // B verifies the admin's password once and keeps it in its credential cache.
    for _ in 0..3 {
        assert_eq!(ask_exists(&b, "admin").return_text(), "true");
    }
    a.call(
        Soap::V11,
        "updateCredential",
        &format!(
            "<ser:userName>admin</ser:userName><ser:newCredential>Changed-on-A-1</ser:newCredential>\
             <ser:oldCredential>{ADMIN_PASSWORD}</ser:oldCredential>"
        ),
    )
    .assert_accepted();
    let changed = Instant::now();
    loop {
        if ask_exists(&b, "admin").status != 200 {
            break;
        }
        assert!(
            changed.elapsed() < OUTSIDE_CHANGE_BOUND,
            "node B still accepted the old password {:?} after node A changed it",
            changed.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "multinode: node B refused the old password {:?} after node A changed it",
        changed.elapsed()
    );
    let r = b.call_as(
        "admin",
        "Changed-on-A-1",
        Soap::V11,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    );
    assert_eq!(r.return_text(), "true");
}

#[test]
fn killing_a_node_mid_write_loses_no_acknowledged_write() {
    let (mut a, b) = two_nodes(Vec::new());
    let addr = a.addr.clone();
    let writer = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for i in 0.. {
            let name = format!("written{i}");
            let answer = common::try_call(
                &addr,
                "addUser",
                &format!("<ser:userName>{name}</ser:userName><ser:credential>Pw-{i}-abcd</ser:credential>"),
            );
            match answer {
                Ok(r) if r.status == 202 => acknowledged.push(name),
                _ => return (acknowledged, i),
            }
        }
        unreachable!("the loop ends when the node is killed")
    });
    std::thread::sleep(Duration::from_millis(400));
    a.stop(); // SIGKILL, mid-write most likely
    let (acknowledged, attempted) = writer.join().expect("writer");
    assert!(
        acknowledged.len() > 5,
        "too few writes before the kill: {}",
        acknowledged.len()
    );
    for name in &acknowledged {
        assert_eq!(
            ask_exists(&b, name).return_text(),
            "true",
            "{name} was acknowledged by the killed node but is lost"
        );
    }
    // The one write in flight at the kill either committed whole or not at all (counted in
    // the database: listUsers stops at realm.max_user_list_length).
    let stored: i64 = common::postgres::cluster()
        .client(&b.db.to_string_lossy())
        .query_one(
            "SELECT count(*) FROM users WHERE name_key LIKE 'written%'",
            &[],
        )
        .unwrap()
        .get(0);
    let stored = usize::try_from(stored).unwrap();
    assert!(
        stored == acknowledged.len() || stored == acknowledged.len() + 1,
        "{} acknowledged, {} stored, {attempted} attempted",
        acknowledged.len(),
        stored
    );
    println!(
        "multinode: {} writes acknowledged before kill -9, all on the other node; {} stored",
        acknowledged.len(),
        stored
    );
}

#[test]
fn connections_to_postgres_use_tls_checked_against_the_configured_ca() {
    let cluster = common::postgres::cluster();
    let url = format!("{}?sslmode=require", cluster.fresh_database());
    let ca = cluster.ca_file().display().to_string();
    let options = Options {
        backend: Backend::Postgres,
        env: vec![("USERSTORE_DATABASE__CA_FILE".into(), ca)],
        ..Options::default()
    };
    let node = Server::spawn(std::path::Path::new(&url), &options);
    assert_eq!(ask_exists(&node, "admin").return_text(), "true");
    let database = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    let (encrypted, all): (i64, i64) = {
        let row = cluster
            .client(&url.replace("?sslmode=require", ""))
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s
                 JOIN pg_stat_activity a ON a.pid = s.pid
                 WHERE a.application_name = 'userstore' AND a.datname = $1",
                &[&database],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(all > 0, "no userstore connection seen");
    assert_eq!(encrypted, all, "every userstore connection uses TLS");

    // Refused at start: TLS asked for without a CA, or a server certificate the CA did not sign.
    let refuse = |env: Vec<(&str, String)>, needle: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_userstore"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
            .env_remove("USERSTORE_DATABASE__CA_FILE")
            .envs(env)
            .env("USERSTORE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "started anyway: {stderr}");
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    };
    refuse(Vec::new(), "database.ca_file");
    let other = tempfile::tempdir().unwrap();
    let (cert, key) = (
        other.path().join("other.crt"),
        other.path().join("other.key"),
    );
    common::make_certificate(&cert, &key);
    refuse(
        vec![("USERSTORE_DATABASE__CA_FILE", cert.display().to_string())],
        "certificate",
    );
}

#[test]
fn nodes_starting_together_on_an_empty_database_migrate_once_and_a_newer_schema_is_refused() {
    let cluster = common::postgres::cluster();
    let url = cluster.fresh_database();
    let options = Options {
        backend: Backend::Postgres,
        ..Options::default()
    };
    let target = std::path::Path::new(&url);
    let (mut a, mut b) = std::thread::scope(|scope| {
        let first = scope.spawn(|| Server::spawn(target, &options));
        let second = scope.spawn(|| Server::spawn(target, &options));
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(ask_exists(&a, "admin").return_text(), "true");
    assert_eq!(ask_exists(&b, "admin").return_text(), "true");
    a.stop();
    b.stop();
    let mut client = cluster.client(&url);
    let admins: i64 = client
        .query_one("SELECT count(*) FROM users WHERE name_key = 'admin'", &[])
        .unwrap()
        .get(0);
    assert_eq!(admins, 1);
    client
        .batch_execute("UPDATE userstore_schema SET version = version + 1")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_userstore"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .env("USERSTORE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started on a newer schema: {stderr}");
    assert!(stderr.contains("newer than this build"), "{stderr}");
}
