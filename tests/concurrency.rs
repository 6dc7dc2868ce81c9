//! Conflicting membership writes from 8 clients at once: updateRoleListOfUser,
//! updateUserListOfRole, addRole and deleteRole on shared rows. Each client derives, from its own
//! acknowledged (HTTP 202) calls only, what the store must hold for the pairs only it touches; at
//! the end (and in between) the store must agree, both directions of the membership relation must
//! agree, and the database must have no orphan rows.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use common::{assert_database_sound, try_call, Backend, HttpResponse, Server, Soap};

const CLIENTS: usize = 8;
const STEPS: usize = 120;
/// Shared roles, never deleted.
const SHARED: [&str; 4] = ["Rol0", "Rol1", "Rol2", "Rol3"];
const SEED: u64 = 0x5eed_2024_c0ff_ee00;

// ---------------------------------------------------------------------------------------------

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Outcome {
    /// 202, empty body: the write committed.
    Accepted,
    /// 200 with a reply.
    Answered,
    /// A SOAP fault saying a named user/role does not exist (expected under contention).
    FaultNotFound,
    /// "internal user store error" (SQLITE_BUSY and friends): must never happen.
    FaultInternal,
    /// Any other SOAP fault: must never happen here.
    FaultOther,
    /// HTTP error without a SOAP fault, or a 202/200 with the wrong shape.
    BadHttp,
    /// Connection refused/reset/truncated.
    Transport,
}

/// Classified answer.
struct Answer {
    outcome: Outcome,
    response: Option<HttpResponse>,
    detail: String,
}

fn classify(result: Result<HttpResponse, String>) -> Answer {
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            return Answer {
                outcome: Outcome::Transport,
                response: None,
                detail: e,
            }
        }
    };
    let outcome = match response.status {
        202 if response.body.is_empty() => Outcome::Accepted,
        200 if response.body.contains("Response") => Outcome::Answered,
        500 if response.body.contains("faultstring") => {
            let reason = response.fault_string();
            if reason.contains("internal") {
                Outcome::FaultInternal
            } else if reason.contains("does not exist") || reason.contains("non-existing") {
                Outcome::FaultNotFound
            } else {
                Outcome::FaultOther
            }
        }
        _ => Outcome::BadHttp,
    };
    let detail = format!("HTTP {} {}", response.status, response.body);
    Answer {
        outcome,
        response: Some(response),
        detail,
    }
}

/// Small deterministic generator (splitmix64), one per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn subset(&mut self) -> Vec<usize> {
        (0..SHARED.len()).filter(|_| self.chance(35)).collect()
    }
    /// Names are case-insensitive: send them as given, lower- or upper-cased.
    fn cased(&mut self, name: &str) -> String {
        match self.below(3) {
            0 => name.to_lowercase(),
            1 => name.to_uppercase(),
            _ => name.to_string(),
        }
    }
    fn cased_all(&mut self, names: &[String]) -> Vec<String> {
        names.iter().map(|n| self.cased(n)).collect()
    }
}

fn user(i: usize) -> String {
    format!("cu{i}")
}

fn scratch(owner: usize, k: usize) -> String {
    format!("S_{owner}_{k}")
}

/// What every client shares: the expected state of the scratch roles.
#[derive(Default)]
struct Shared {
    /// Scratch roles whose addRole was acknowledged, with their initial members.
    created: BTreeMap<String, BTreeSet<String>>,
    /// Members added later by acknowledged updateRoleListOfUser calls.
    added: BTreeMap<String, BTreeSet<String>>,
    /// Scratch roles whose deleteRole was acknowledged, and by whom.
    deleted: BTreeMap<String, usize>,
    /// Scratch roles whose owner asked for deletion (202 or "does not exist").
    owner_deleted: BTreeSet<String>,
}

/// What one client saw.
#[derive(Default)]
struct ClientLog {
    counts: BTreeMap<(&'static str, Outcome), usize>,
    /// Calls whose outcome breaks the rules, with details.
    violations: Vec<String>,
    /// Expected membership of this client's user in R0..R3.
    expected: BTreeSet<String>,
    /// Mid-run reads that contradicted the client's own acknowledged writes.
    stale_reads: Vec<String>,
}

impl ClientLog {
    /// Record an answer; `allowed` are the outcomes acceptable for this call.
    fn note(&mut self, op: &'static str, answer: &Answer, allowed: &[Outcome]) {
        *self.counts.entry((op, answer.outcome)).or_default() += 1;
        if !allowed.contains(&answer.outcome) {
            self.violations
                .push(format!("{op}: {:?}: {}", answer.outcome, answer.detail));
        }
    }
}

fn tags(name: &str, values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("<ser:{name}>{v}</ser:{name}>"))
        .collect()
}

fn shared_roles_of(roles: &[String]) -> BTreeSet<String> {
    roles
        .iter()
        .filter(|r| SHARED.contains(&r.as_str()))
        .cloned()
        .collect()
}

fn client(addr: &str, i: usize, shared: &Mutex<Shared>, start: &Barrier) -> ClientLog {
    let mut rng = Rng(SEED ^ ((i as u64 + 1) * 0x1000_0001));
    let mut log = ClientLog::default();
    let me = user(i);
    let next = user((i + 1) % CLIENTS);
    let mut live_scratch: Vec<String> = Vec::new();
    let mut next_k = 0;
    use Outcome::*;
    start.wait();
    for _ in 0..STEPS {
        let dice = rng.below(100);
        if dice < 35 {
            // (a) updateRoleListOfUser(me, deleted ⊆ R, new ⊆ R [+ someone's scratch role]).
            let deleted: Vec<String> = rng.subset().into_iter().map(|j| SHARED[j].into()).collect();
            let mut new: Vec<String> = rng.subset().into_iter().map(|j| SHARED[j].into()).collect();
            let foreign = if rng.chance(30) {
                let other = (i + 1 + rng.below(CLIENTS - 1)) % CLIENTS;
                let role = scratch(other, rng.below(8));
                new.push(role.clone());
                Some(role)
            } else {
                None
            };
            let inner = format!(
                "<ser:userName>{}</ser:userName>{}{}",
                rng.cased(&me),
                tags("deletedRoles", &rng.cased_all(&deleted)),
                tags("newRoles", &rng.cased_all(&new))
            );
            let answer = classify(try_call(addr, "updateRoleListOfUser", &inner));
            // A missing scratch role fails the whole call; otherwise it must be accepted.
            let allowed: &[Outcome] = if foreign.is_some() {
                &[Accepted, FaultNotFound]
            } else {
                &[Accepted]
            };
            log.note("updateRoleListOfUser", &answer, allowed);
            if answer.outcome == Accepted {
                for role in &deleted {
                    log.expected.remove(role);
                }
                for role in new.iter().filter(|r| SHARED.contains(&r.as_str())) {
                    log.expected.insert(role.clone());
                }
                if let Some(role) = foreign {
                    shared
                        .lock()
                        .unwrap()
                        .added
                        .entry(role)
                        .or_default()
                        .insert(me.clone());
                }
            }
        } else if dice < 60 {
            // (b) updateUserListOfRole(Rj, deletedUsers=[me] and/or newUsers=[me]).
            let role = SHARED[rng.below(SHARED.len())];
            let (remove, add) = match rng.below(5) {
                0 | 1 => (true, false),
                2 | 3 => (false, true),
                _ => (true, true),
            };
            let mut inner = format!("<ser:roleName>{}</ser:roleName>", rng.cased(role));
            if remove {
                let u = rng.cased(&me);
                inner.push_str(&format!("<ser:deletedUsers>{u}</ser:deletedUsers>"));
            }
            if add {
                let u = rng.cased(&me);
                inner.push_str(&format!("<ser:newUsers>{u}</ser:newUsers>"));
            }
            let answer = classify(try_call(addr, "updateUserListOfRole", &inner));
            log.note("updateUserListOfRole", &answer, &[Accepted]);
            if answer.outcome == Accepted {
                if remove {
                    log.expected.remove(role);
                }
                if add {
                    log.expected.insert(role.to_string());
                }
            }
        } else if dice < 72 {
            // (c1) addRole(S_i_k, userList=[me, next]).
            let role = scratch(i, next_k);
            next_k += 1;
            let inner = format!(
                "<ser:roleName>{role}</ser:roleName><ser:userList>{}</ser:userList><ser:userList>{}</ser:userList>",
                rng.cased(&me),
                rng.cased(&next)
            );
            let answer = classify(try_call(addr, "addRole", &inner));
            log.note("addRole", &answer, &[Accepted]);
            if answer.outcome == Accepted {
                shared
                    .lock()
                    .unwrap()
                    .created
                    .insert(role.clone(), [me.clone(), next.clone()].into());
                live_scratch.push(role);
            }
        } else if dice < 84 {
            // (c2) deleteRole of one of my scratch roles (others may have deleted it already).
            if live_scratch.is_empty() {
                continue;
            }
            let role = live_scratch.remove(rng.below(live_scratch.len()));
            let cased = rng.cased(&role);
            let answer = classify(try_call(
                addr,
                "deleteRole",
                &format!("<ser:roleName>{cased}</ser:roleName>"),
            ));
            log.note("deleteRole(own)", &answer, &[Accepted, FaultNotFound]);
            let mut s = shared.lock().unwrap();
            if answer.outcome == Accepted {
                if let Some(by) = s.deleted.insert(role.clone(), i) {
                    log.violations.push(format!(
                        "deleteRole({role}) acknowledged twice (also by client {by})"
                    ));
                }
            }
            if matches!(answer.outcome, Accepted | FaultNotFound) {
                s.owner_deleted.insert(role);
            }
        } else if dice < 92 {
            // (c3) deleteRole of another client's scratch role that may or may not exist.
            let other = (i + 1 + rng.below(CLIENTS - 1)) % CLIENTS;
            let role = scratch(other, rng.below(8));
            let cased = rng.cased(&role);
            let answer = classify(try_call(
                addr,
                "deleteRole",
                &format!("<ser:roleName>{cased}</ser:roleName>"),
            ));
            log.note("deleteRole(other)", &answer, &[Accepted, FaultNotFound]);
            if answer.outcome == Accepted {
                if let Some(by) = shared.lock().unwrap().deleted.insert(role.clone(), i) {
                    log.violations.push(format!(
                        "deleteRole({role}) acknowledged twice (also by client {by})"
                    ));
                }
            }
        } else {
            // (d) read my own writes back while everyone else keeps writing.
            let answer = classify(try_call(
                addr,
                "getRoleListOfUser",
                &format!("<ser:userName>{}</ser:userName>", rng.cased(&me)),
            ));
            log.note("getRoleListOfUser", &answer, &[Answered]);
            if let Some(r) = answer.response.filter(|_| answer.outcome == Answered) {
                let seen = shared_roles_of(&r.return_texts());
                if seen != log.expected {
                    log.stale_reads.push(format!(
                        "{me}: read {seen:?} after acknowledged writes leading to {:?}",
                        log.expected
                    ));
                }
            }
        }
    }
    log
}

fn must(server: &Server, op: &str, inner: &str) -> HttpResponse {
    let r = server.call(Soap::V11, op, inner);
    assert!(
        r.status == 200 || r.status == 202,
        "{op}: {} {}",
        r.status,
        r.body
    );
    r
}

fn conflicting_membership_writes_from_8_clients_lose_nothing(backend: Backend) {
    let started = Instant::now();
    let mut server = Server::start_on(backend);
    for role in SHARED {
        must(
            &server,
            "addRole",
            &format!("<ser:roleName>{role}</ser:roleName>"),
        )
        .assert_accepted();
    }
    for i in 0..CLIENTS {
        must(
            &server,
            "addUser",
            &format!(
                "<ser:userName>{}</ser:userName><ser:credential>Pw-cu-{i}</ser:credential>",
                user(i)
            ),
        )
        .assert_accepted();
    }

    let shared = Mutex::new(Shared::default());
    let barrier = Barrier::new(CLIENTS);
    let addr = server.addr.clone();
    let run_started = Instant::now();
    let logs: Vec<ClientLog> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let (addr, shared, barrier) = (&addr, &shared, &barrier);
                scope.spawn(move || client(addr, i, shared, barrier))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    let run_time = run_started.elapsed();
    let shared = shared.into_inner().unwrap();

    // Counts per operation and outcome.
    let mut counts: BTreeMap<(&str, Outcome), usize> = BTreeMap::new();
    let mut violations = Vec::new();
    let mut stale_reads = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        for (key, n) in &log.counts {
            *counts.entry(*key).or_default() += n;
        }
        violations.extend(log.violations.iter().map(|v| format!("client {i}: {v}")));
        stale_reads.extend(log.stale_reads.iter().cloned());
    }
    let total: usize = counts.values().sum();
    println!(
        "concurrency: {CLIENTS} clients x {STEPS} steps, {total} calls in {:.2} s ({:.0} calls/s)",
        run_time.as_secs_f64(),
        total as f64 / run_time.as_secs_f64()
    );
    for ((op, outcome), n) in &counts {
        println!("concurrency:   {op:<22} {outcome:?}: {n}");
    }
    let count_of = |wanted: Outcome| -> usize {
        counts
            .iter()
            .filter(|((_, o), _)| *o == wanted)
            .map(|(_, n)| n)
            .sum()
    };
    println!(
        "concurrency: internal-error faults {}, other faults {}, bad HTTP {}, transport errors {}, stale reads {}",
        count_of(Outcome::FaultInternal),
        count_of(Outcome::FaultOther),
        count_of(Outcome::BadHttp),
        count_of(Outcome::Transport),
        stale_reads.len()
    );
    assert!(
        violations.is_empty(),
        "{} calls ended outside the contract: {:#?}",
        violations.len(),
        &violations[..violations.len().min(20)]
    );

    // 1. No lost update: each user's shared-role memberships are what its client's acknowledged
    //    calls imply.
    let mut lost = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let roles = must(
            &server,
            "getRoleListOfUser",
            &format!("<ser:userName>{}</ser:userName>", user(i)),
        )
        .return_texts();
        let mut sorted = roles.clone();
        sorted.sort_by_key(|r| r.to_lowercase());
        assert_eq!(
            roles, sorted,
            "getRoleListOfUser is sorted case-insensitively"
        );
        assert!(roles.iter().any(|r| r == "Internal/everyone"));
        let seen = shared_roles_of(&roles);
        if seen != log.expected {
            lost.push(format!(
                "{}: store has {seen:?}, acknowledged writes imply {:?}",
                user(i),
                log.expected
            ));
        }
    }
    assert!(lost.is_empty(), "lost updates: {lost:#?}");
    assert!(
        stale_reads.is_empty(),
        "reads contradicted the reader's own acknowledged writes: {stale_reads:#?}"
    );

    // 2. Scratch roles: exactly the created-and-not-deleted ones remain, with exactly the
    //    acknowledged members; none the owner deleted survives.
    let role_names: BTreeSet<String> = must(&server, "getRoleNames", "")
        .return_texts()
        .into_iter()
        .collect();
    let remaining_scratch: BTreeSet<String> = role_names
        .iter()
        .filter(|r| r.starts_with("S_"))
        .cloned()
        .collect();
    let expected_scratch: BTreeSet<String> = shared
        .created
        .keys()
        .filter(|r| !shared.deleted.contains_key(*r))
        .cloned()
        .collect();
    assert_eq!(remaining_scratch, expected_scratch, "scratch roles left");
    let resurrected: Vec<&String> = shared
        .owner_deleted
        .intersection(&remaining_scratch)
        .collect();
    assert!(
        resurrected.is_empty(),
        "deleted roles still exist: {resurrected:?}"
    );
    for role in shared.added.keys() {
        assert!(
            shared.created.contains_key(role),
            "{role} accepted members but was never created"
        );
    }

    // 3. Both directions of the relation agree (and scratch membership is as acknowledged).
    let users: Vec<String> = must(
        &server,
        "getUserListOfRole",
        "<ser:roleName>Internal/everyone</ser:roleName>",
    )
    .return_texts();
    let expected_users: BTreeSet<String> = std::iter::once("admin".to_string())
        .chain((0..CLIENTS).map(user))
        .collect();
    assert_eq!(
        users.iter().cloned().collect::<BTreeSet<_>>(),
        expected_users
    );
    let mut by_role: BTreeSet<(String, String)> = BTreeSet::new();
    for role in role_names.iter().filter(|r| *r != "Internal/everyone") {
        let members = must(
            &server,
            "getUserListOfRole",
            &format!("<ser:roleName>{role}</ser:roleName>"),
        )
        .return_texts();
        if let Some(initial) = shared.created.get(role) {
            let mut expected = initial.clone();
            expected.extend(shared.added.get(role).cloned().unwrap_or_default());
            assert_eq!(
                members.iter().cloned().collect::<BTreeSet<_>>(),
                expected,
                "members of scratch role {role}"
            );
        }
        by_role.extend(members.into_iter().map(|u| (u, role.clone())));
    }
    let mut by_user: BTreeSet<(String, String)> = BTreeSet::new();
    for u in &users {
        let roles = must(
            &server,
            "getRoleListOfUser",
            &format!("<ser:userName>{u}</ser:userName>"),
        )
        .return_texts();
        for r in roles.into_iter().filter(|r| r != "Internal/everyone") {
            assert!(
                role_names.contains(&r),
                "{u} is in {r}, which getRoleNames does not list"
            );
            by_user.insert((u.clone(), r));
        }
    }
    assert_eq!(
        by_role.difference(&by_user).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "getUserListOfRole pairs missing from getRoleListOfUser"
    );
    assert_eq!(
        by_user.difference(&by_role).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "getRoleListOfUser pairs missing from getUserListOfRole"
    );

    // 4. The database: no orphans, foreign keys hold, integrity ok, same pairs as the API.
    server.stop();
    const PAIRS: &str = "SELECT u.name, r.name FROM user_roles ur
                         JOIN users u ON u.id = ur.user_id JOIN roles r ON r.id = ur.role_id";
    let db_pairs: BTreeSet<(String, String)> = match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(&server.db).unwrap();
            assert_database_sound(&conn, "after the run");
            let pairs = conn
                .prepare(PAIRS)
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            pairs
        }
        // PostgreSQL enforces the foreign keys itself; the pairs are compared.
        Backend::Postgres => common::postgres::cluster()
            .client(&server.db.to_string_lossy())
            .query(PAIRS, &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect(),
    };
    assert_eq!(
        db_pairs, by_role,
        "user_roles rows vs. what the API reports"
    );
    let pairs_per_role = by_role.iter().fold(BTreeMap::new(), |mut m, (_, r)| {
        *m.entry(r.clone()).or_insert(0usize) += 1;
        m
    });
    println!(
        "concurrency: final: {} memberships, scratch roles created {} / deleted {} / left {}, \
         members per role {pairs_per_role:?}; no lost updates, views symmetric, \
         integrity_check ok, foreign_key_check empty, no orphans; total {:.2} s",
        by_role.len(),
        shared.created.len(),
        shared.deleted.len(),
        remaining_scratch.len(),
        started.elapsed().as_secs_f64()
    );
}

crate::on_every_backend!(conflicting_membership_writes_from_8_clients_lose_nothing);
