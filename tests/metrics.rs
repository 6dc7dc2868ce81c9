//! `/metrics` scraped from a real server after real traffic: the expected series are there,
//! parse as Prometheus text, and carry no user name.

mod common;

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use common::{basic, Options, Server, Soap};

/// GET `path` from `addr`; returns (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let response = common::try_parse_response(&raw).unwrap();
    (response.status, response.body)
}

/// Samples by series (`name{labels}`), with every non-comment line required to parse.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            assert!(
                line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                "bad comment line: {line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        samples.insert(series.to_string(), value);
    }
    samples
}

fn metrics_server() -> Server {
    Server::start_with(Options {
        env: vec![
            ("USERSTORE_METRICS__ENABLE".into(), "true".into()),
            ("USERSTORE_METRICS__LISTEN".into(), "127.0.0.1:0".into()),
            (
                "USERSTORE_ACCOUNT_LOCKING__ALLOWED_FAILED_ATTEMPTS".into(),
                "2".into(),
            ),
        ],
        ..Default::default()
    })
}

#[test]
fn metrics_after_traffic_have_the_expected_series_and_no_user_names() {
    let server = metrics_server();
    let metrics = server
        .metrics_addr
        .clone()
        .expect("metrics listener announced");
    server
        .call(
            Soap::V11,
            "addUser",
            "<ser:userName>metric-victim</ser:userName><ser:credential>Victim-pw1</ser:credential>",
        )
        .assert_accepted();
    for _ in 0..5 {
        let r = server.call(
            Soap::V11,
            "isExistingUser",
            "<ser:userName>metric-victim</ser:userName>",
        );
        assert_eq!(r.return_text(), "true");
    }
    // Two wrong passwords lock the account (allowed_failed_attempts = 2).
    for _ in 0..2 {
        let r = server.call(
            Soap::V11,
            "authenticate",
            "<ser:userName>metric-victim</ser:userName><ser:credential>wrong-pw</ser:credential>",
        );
        assert_eq!(r.return_text(), "false");
    }
    let r = server.call(
        Soap::V11,
        "authenticate",
        "<ser:userName>metric-victim</ser:userName><ser:credential>Victim-pw1</ser:credential>",
    );
    assert_eq!(r.return_text(), "false", "locked");
    // A Basic login of an unknown user, and a fault.
    let headers: Vec<(String, String)> = Soap::V11
        .headers("isExistingUser")
        .into_iter()
        .filter(|(k, _)| k != "Authorization")
        .chain([basic("secret-intruder-name", "Intruder-pw1")])
        .collect();
    let body = Soap::V11.envelope("isExistingUser", "<ser:userName>x</ser:userName>");
    let denied = server.post(
        "/services/RemoteUserStoreManagerService",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(denied.status, common::REFUSED_LOGIN);
    server
        .call(
            Soap::V11,
            "deleteUser",
            "<ser:userName>no-such-user</ser:userName>",
        )
        .assert_fault("does not exist");

    // The server counts a connection until its task has ended, which can be a moment after
    // the client's last reply: scrape until the clients' connections are gone (or 2 s pass).
    let started = std::time::Instant::now();
    let (text, samples) = loop {
        let (status, text) = get(&metrics, "/metrics");
        assert_eq!(status, 200);
        let samples = parse(&text);
        let open = samples.get("userstore_active_connections").copied();
        if open == Some(0.0) || started.elapsed() > std::time::Duration::from_secs(2) {
            break (text, samples);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let value = |series: &str| -> f64 {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("{series} missing from:\n{text}"))
    };
    assert_eq!(
        value(r#"userstore_requests_total{operation="isExistingUser",outcome="ok"}"#),
        5.0
    );
    assert_eq!(
        value(r#"userstore_requests_total{operation="authenticate",outcome="ok"}"#),
        3.0
    );
    assert_eq!(
        value(r#"userstore_requests_total{operation="deleteUser",outcome="fault"}"#),
        1.0
    );
    assert_eq!(
        value(r#"userstore_requests_total{operation="none",outcome="unauthorized"}"#),
        1.0
    );
    assert_eq!(
        value(r#"userstore_request_duration_seconds_count{operation="isExistingUser"}"#),
        5.0
    );
    assert_eq!(
        value(r#"userstore_request_duration_seconds_bucket{operation="isExistingUser",le="+Inf"}"#),
        5.0
    );
    assert!(value(r#"userstore_request_duration_seconds_sum{operation="isExistingUser"}"#) > 0.0);
    assert_eq!(
        value(r#"userstore_authentication_failures_total{reason="bad_credentials"}"#),
        2.0
    );
    assert_eq!(
        value(r#"userstore_authentication_failures_total{reason="locked"}"#),
        1.0
    );
    assert_eq!(
        value(r#"userstore_authentication_failures_total{reason="unknown_user"}"#),
        1.0
    );
    assert_eq!(value("userstore_lockouts_total"), 1.0);
    // This scrape's own connection is on the metrics listener, not counted.
    assert_eq!(value("userstore_active_connections"), 0.0);
    assert!(value(r#"userstore_db_pool_wait_seconds_count{connection="reader"}"#) >= 5.0);
    assert!(value(r#"userstore_db_pool_wait_seconds_count{connection="writer"}"#) >= 3.0);
    for name in [
        "metric-victim",
        "secret-intruder-name",
        "no-such-user",
        "admin",
    ] {
        assert!(!text.contains(name), "metrics leak the user name {name}");
    }

    // Only /metrics on the metrics port; the SOAP port does not serve it.
    assert_eq!(get(&metrics, "/health").0, 404);
    assert_eq!(get(&server.addr, "/metrics").0, 404);
}

#[test]
fn metrics_are_off_by_default() {
    let server = Server::start();
    assert!(server.metrics_addr.is_none(), "{}", server.stdout_banner);
    assert_eq!(get(&server.addr, "/metrics").0, 404);
}
