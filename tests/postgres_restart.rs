//! PostgreSQL restarted under load (in a test binary of its own: the restart ends every
//! connection to its cluster). Requests in flight get a clear fault, none hangs, and the node
//! serves again as soon as the database is back, without a restart of its own.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Backend, Server};

#[test]
fn a_node_survives_a_database_restart_under_load() {
    let s = Server::start_on(Backend::Postgres);
    let stop = AtomicBool::new(false);
    let calls: Vec<(Instant, Duration, u16)> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut calls = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        let started = Instant::now();
                        let status = common::try_call(
                            &s.addr,
                            "isExistingUser",
                            "<ser:userName>admin</ser:userName>",
                        )
                        .map_or(0, |r| r.status);
                        calls.push((started, started.elapsed(), status));
                    }
                    calls
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        common::postgres::cluster().restart();
        let back = Instant::now();
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::SeqCst);
        let calls: Vec<_> = clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        // After the database is back and a short grace, every call succeeds.
        let late: Vec<_> = calls
            .iter()
            .filter(|(at, _, _)| *at > back + Duration::from_millis(500))
            .collect();
        assert!(!late.is_empty());
        assert!(
            late.iter().all(|(_, _, status)| *status == 200),
            "calls still failing after the database came back: {:?}",
            late.iter()
                .filter(|c| c.2 != 200)
                .take(5)
                .collect::<Vec<_>>()
        );
        calls
    });
    let failed: Vec<_> = calls.iter().filter(|c| c.2 != 200).collect();
    // What failed during the restart failed with the store's fault, on an open connection.
    assert!(
        failed.iter().all(|c| c.2 == 500),
        "transport errors or odd statuses: {failed:?}"
    );
    let slowest = calls.iter().map(|c| c.1).max().unwrap();
    assert!(
        slowest < Duration::from_secs(10),
        "a call hung for {slowest:?}"
    );
    let ready = s.raw(b"GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(ready.status, 200);
    println!(
        "restart: {} calls, {} failed during the restart (fault 500), slowest {slowest:?}",
        calls.len(),
        failed.len()
    );
}
