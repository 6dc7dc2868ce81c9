//! Durability under SIGKILL: a stream of addUser writes is cut off by killing the server; after a
//! restart on the same database every acknowledged (HTTP 202) write must be there in full (user,
//! password, role, claim), the write that was in flight must be all-or-nothing, and the database
//! must pass SQLite's integrity and foreign-key checks. Repeated on one growing database.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_database_sound, try_call, Options, Server, Soap};

/// Kill/restart cycles on the same database.
const CYCLES: usize = 3;
/// Sequential writer threads per cycle (each one request at a time).
const WRITERS: usize = 2;
/// How long the writers run before the server is killed.
const WRITE_WINDOW: Duration = Duration::from_millis(700);
/// Hard bound on writes per writer per cycle (keeps the test bounded on a fast machine).
const MAX_WRITES_PER_WRITER: usize = 2_000;
/// The claim every written user carries.
const ORG: &str = "http://wso2.org/claims/organization";

// ---------------------------------------------------------------------------------------------

fn user_name(cycle: usize, writer: usize, n: usize) -> String {
    format!("d{cycle}w{writer}n{n}")
}

fn password_of(name: &str) -> String {
    format!("Pw-{name}")
}

fn org_of(name: &str) -> String {
    format!("org-{name}")
}

fn role_of(cycle: usize) -> String {
    format!("durable_c{cycle}")
}

/// What one writer thread saw.
#[derive(Debug, Default)]
struct WriterLog {
    /// Users whose addUser got 202.
    acknowledged: Vec<String>,
    /// The request that got no complete answer because the server died (may or may not exist).
    in_flight: Option<(String, String)>,
    /// Any HTTP answer other than 202 (should never happen).
    unexpected: Vec<String>,
}

fn writer(addr: &str, cycle: usize, w: usize, stop: &AtomicBool) -> WriterLog {
    let mut log = WriterLog::default();
    let role = role_of(cycle);
    for n in 0..MAX_WRITES_PER_WRITER {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let name = user_name(cycle, w, n);
        let inner = format!(
            "<ser:userName>{name}</ser:userName><ser:credential>{}</ser:credential>\
             <ser:roleList>{role}</ser:roleList>\
             <ser:claims><xsd:claimURI>{ORG}</xsd:claimURI><xsd:value>{}</xsd:value></ser:claims>\
             <ser:profileName>default</ser:profileName>",
            password_of(&name),
            org_of(&name)
        );
        match try_call(addr, "addUser", &inner) {
            Ok(r) if r.status == 202 && r.body.is_empty() => log.acknowledged.push(name),
            Ok(r) => log
                .unexpected
                .push(format!("{name}: HTTP {} {}", r.status, r.body)),
            Err(e) => {
                // The server is gone: this request may or may not have committed. Stop writing.
                log.in_flight = Some((name, e));
                break;
            }
        }
    }
    log
}

/// Full check of one user as written: exists, password works, exactly its role, its claim.
fn check_user(server: &Server, name: &str, role: &str) -> Result<(), String> {
    let call = |op: &str, inner: String| {
        let r = server.call(Soap::V11, op, &inner);
        if r.status == 200 {
            Ok(r)
        } else {
            Err(format!("{op}({name}): HTTP {} {}", r.status, r.body))
        }
    };
    let auth = call(
        "authenticate",
        format!(
            "<ser:userName>{name}</ser:userName><ser:credential>{}</ser:credential>",
            password_of(name)
        ),
    )?
    .return_text();
    if auth != "true" {
        return Err(format!("{name}: authenticate returned {auth}"));
    }
    let mut expected_roles = vec![role.to_string(), "Internal/everyone".to_string()];
    expected_roles.sort_by_key(|r| r.to_lowercase());
    let roles = call(
        "getRoleListOfUser",
        format!("<ser:userName>{name}</ser:userName>"),
    )?
    .return_texts();
    if roles != expected_roles {
        return Err(format!(
            "{name}: roles {roles:?}, expected {expected_roles:?}"
        ));
    }
    let claim = call(
        "getUserClaimValue",
        format!("<ser:userName>{name}</ser:userName><ser:claim>{ORG}</ser:claim>"),
    )?
    .returns();
    if claim != [Some(org_of(name))] {
        return Err(format!(
            "{name}: claim {claim:?}, expected {}",
            org_of(name)
        ));
    }
    Ok(())
}

/// Check many users in parallel; returns every failure.
fn check_users(server: &Server, users: &[(String, String)]) -> Vec<String> {
    let chunk = users.len().div_ceil(4).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = users
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|(name, role)| check_user(server, name, role).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("checker thread"))
            .collect()
    })
}

fn is_existing_user(server: &Server, name: &str) -> bool {
    let r = server.call(
        Soap::V11,
        "isExistingUser",
        &format!("<ser:userName>{name}</ser:userName>"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.return_text() == "true"
}

/// Structural checks of a (stopped) database: integrity, foreign keys, no orphan rows.
/// Returns the number of users.
fn check_database(db: &Path, label: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    assert_database_sound(&conn, label);
    // Every written user (d...) is complete in the raw tables too: one role row, one claim row.
    let incomplete: i64 = conn
        .query_row(
            "SELECT count(*) FROM users u WHERE u.name LIKE 'd%' AND (
                 (SELECT count(*) FROM user_roles ur WHERE ur.user_id = u.id) != 1
              OR (SELECT count(*) FROM user_claims c WHERE c.user_id = u.id
                    AND c.claim_uri = ?1 AND c.value = 'org-' || u.name) != 1)",
            [ORG],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        incomplete, 0,
        "{label}: users missing their role or claim row"
    );
    conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap()
}

/// Copy the database files as the killed process left them and check the copy, so the server's
/// own crash recovery still runs on the untouched originals.
fn check_crash_image(db: &Path, label: &str) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("image.db");
    std::fs::copy(db, &copy).unwrap();
    let wal = db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_string_lossy()));
    if wal.exists() {
        std::fs::copy(&wal, dir.path().join("image.db-wal")).unwrap();
    }
    check_database(&copy, label)
}

#[test]
fn acknowledged_add_user_writes_survive_sigkill_and_restart() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    let options = Options::default();

    // (user, role) of every acknowledged write so far, over all cycles.
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    // Users whose in-flight write turned out to be committed.
    let mut committed_in_flight: Vec<(String, String)> = Vec::new();
    let mut summary = Vec::new();

    for cycle in 0..CYCLES {
        let cycle_started = Instant::now();
        let role = role_of(cycle);
        let mut server = Server::spawn(&db, &options);
        server
            .call(
                Soap::V11,
                "addRole",
                &format!("<ser:roleName>{role}</ser:roleName>"),
            )
            .assert_accepted();

        // Writers stream addUser; the main thread kills the server while they are writing.
        let addr = server.addr.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let addr = addr.clone();
                let stop = stop.clone();
                std::thread::spawn(move || writer(&addr, cycle, w, &stop))
            })
            .collect();
        std::thread::sleep(WRITE_WINDOW);
        let killed_at = Instant::now();
        server.stop(); // SIGKILL
        stop.store(true, Ordering::Relaxed);
        let logs: Vec<WriterLog> = handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect();
        let write_time = killed_at - cycle_started;
        let users_in_crash_image = check_crash_image(&db, &format!("cycle {cycle} crash image"));

        let mut cycle_acked = Vec::new();
        let mut in_flight = Vec::new();
        for (w, log) in logs.iter().enumerate() {
            assert!(
                log.unexpected.is_empty(),
                "cycle {cycle} writer {w}: non-202 answers before the kill: {:?}",
                log.unexpected
            );
            cycle_acked.extend(log.acknowledged.iter().map(|u| (u.clone(), role.clone())));
            if let Some(flight) = &log.in_flight {
                in_flight.push(flight.clone());
            }
        }
        assert!(
            cycle_acked.len() >= 20,
            "cycle {cycle}: only {} writes acknowledged before the kill; the test did not exercise anything",
            cycle_acked.len()
        );

        // Restart on the same file and verify.
        let restart_started = Instant::now();
        let mut restarted = Server::spawn(&db, &options);
        let restart_time = restart_started.elapsed();
        let failures = check_users(&restarted, &cycle_acked);
        assert!(
            failures.is_empty(),
            "cycle {cycle}: {} of {} acknowledged writes lost or incomplete after SIGKILL + restart: {:?}",
            failures.len(),
            cycle_acked.len(),
            &failures[..failures.len().min(20)]
        );
        // In-flight writes are all-or-nothing.
        let mut in_flight_report = Vec::new();
        for (name, error) in &in_flight {
            if is_existing_user(&restarted, name) {
                check_user(&restarted, name, &role).unwrap_or_else(|e| {
                    panic!("cycle {cycle}: in-flight write {name} committed only partly: {e}")
                });
                committed_in_flight.push((name.clone(), role.clone()));
                in_flight_report.push(format!("{name} committed ({error})"));
            } else {
                in_flight_report.push(format!("{name} not committed ({error})"));
            }
        }
        acknowledged.extend(cycle_acked.iter().cloned());

        // Bulk view: exactly admin + acknowledged + committed in-flight users exist, and the
        // cycle's role holds exactly this cycle's users.
        let everyone: BTreeSet<String> = restarted
            .call(
                Soap::V11,
                "getUserListOfRole",
                "<ser:roleName>Internal/everyone</ser:roleName>",
            )
            .return_texts()
            .into_iter()
            .collect();
        let expected: BTreeSet<String> = std::iter::once("admin".to_string())
            .chain(acknowledged.iter().map(|(u, _)| u.clone()))
            .chain(committed_in_flight.iter().map(|(u, _)| u.clone()))
            .collect();
        assert_eq!(
            everyone.difference(&expected).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "cycle {cycle}: users nobody wrote"
        );
        assert_eq!(
            expected.difference(&everyone).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "cycle {cycle}: acknowledged users missing"
        );
        let role_members: BTreeSet<String> = restarted
            .call(
                Soap::V11,
                "getUserListOfRole",
                &format!("<ser:roleName>{role}</ser:roleName>"),
            )
            .return_texts()
            .into_iter()
            .collect();
        let expected_members: BTreeSet<String> = cycle_acked
            .iter()
            .chain(committed_in_flight.iter().filter(|(_, r)| *r == role))
            .map(|(u, _)| u.clone())
            .collect();
        assert_eq!(
            role_members, expected_members,
            "cycle {cycle}: members of {role}"
        );
        assert_eq!(
            users_in_crash_image as usize,
            expected.len(),
            "cycle {cycle}: users in the crash image vs. after restart"
        );

        // Kill the verifying server too, then check the database file itself.
        restarted.stop();
        let users_in_db = check_database(&db, &format!("cycle {cycle} after restart"));
        assert_eq!(users_in_db as usize, expected.len());

        let line = format!(
            "cycle {cycle}: acknowledged {} addUser writes in {:.0} ms ({:.0}/s), in flight at kill: [{}], \
             restart {:.0} ms, users now {users_in_db}, cycle time {:.2} s",
            cycle_acked.len(),
            write_time.as_secs_f64() * 1000.0,
            cycle_acked.len() as f64 / write_time.as_secs_f64(),
            in_flight_report.join("; "),
            restart_time.as_secs_f64() * 1000.0,
            cycle_started.elapsed().as_secs_f64()
        );
        println!("durability: {line}");
        summary.push(line);
    }

    // Final: one more restart; every write of every cycle is still complete.
    let mut last = Server::spawn(&db, &options);
    let everything: Vec<(String, String)> = acknowledged
        .iter()
        .chain(committed_in_flight.iter())
        .cloned()
        .collect();
    let failures = check_users(&last, &everything);
    assert!(
        failures.is_empty(),
        "final restart: {} of {} writes lost or incomplete: {:?}",
        failures.len(),
        everything.len(),
        &failures[..failures.len().min(20)]
    );
    last.stop();
    let users_in_db = check_database(&db, "final");
    let mut per_cycle: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, role) in &everything {
        *per_cycle.entry(role.as_str()).or_default() += 1;
    }
    assert_eq!(users_in_db as usize, everything.len() + 1);
    println!(
        "durability: SUMMARY {CYCLES} SIGKILL cycles, {} acknowledged writes (+{} committed in flight), \
         {users_in_db} users in the final database (admin included), per role {per_cycle:?}, \
         integrity_check ok, foreign_key_check empty, no orphans, total {:.2} s",
        acknowledged.len(),
        committed_in_flight.len(),
        started.elapsed().as_secs_f64()
    );
}
