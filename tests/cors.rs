//! Cross-origin requests from browser clients (`[cors]`): off by default; with an allowed origin,
//! preflights are answered, answers carry the CORS headers on SOAP and SCIM alike, and other
//! origins, methods and headers are refused before anything runs.

mod common;

use common::{basic, request_bytes, Options, Server, Soap, ADMIN_PASSWORD, SERVICE_PATH};

const PORTAL: &str = "https://portal.example.com";

fn cors_server() -> Server {
    Server::start_with(Options {
        env: vec![(
            "USERSTORE_CORS__ALLOWED_ORIGINS".into(),
            format!("[\"{PORTAL}\"]"),
        )],
        ..Options::default()
    })
}

fn send(s: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> common::HttpResponse {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.raw(&request_bytes(method, &s.addr, path, &headers, b""))
}

#[test]
fn preflights_and_answers_to_an_allowed_origin_carry_the_cors_headers() {
    let s = cors_server();
    let preflight = send(
        &s,
        "OPTIONS",
        "/scim2/Users",
        &[
            ("Origin", PORTAL),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "Authorization, Content-Type",
            ),
        ],
    );
    assert_eq!(preflight.status, 200, "{}", preflight.body);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(PORTAL)
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(preflight
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("POST")));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("3600"));
    // The real request, over SCIM and over SOAP.
    let auth = basic("admin", ADMIN_PASSWORD);
    let scim = send(
        &s,
        "GET",
        "/scim2/Users?count=1",
        &[("Origin", PORTAL), (&auth.0, &auth.1)],
    );
    assert_eq!(scim.status, 200, "{}", scim.body);
    assert_eq!(scim.header("access-control-allow-origin"), Some(PORTAL));
    assert_eq!(scim.header("vary"), Some("Origin"));
    let mut headers = Soap::V11.headers("isExistingUser");
    headers.push(auth.clone());
    headers.push(("Origin".into(), PORTAL.into()));
    let soap = s.post(
        SERVICE_PATH,
        &headers,
        Soap::V11
            .envelope("isExistingUser", "<ser:userName>admin</ser:userName>")
            .as_bytes(),
    );
    assert_eq!(soap.return_text(), "true");
    assert_eq!(soap.header("access-control-allow-origin"), Some(PORTAL));
    // Requests without an Origin are served as ever, without CORS headers.
    let plain = send(&s, "GET", "/scim2/Users?count=1", &[(&auth.0, &auth.1)]);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("access-control-allow-origin"), None);
}

#[test]
fn other_origins_methods_and_headers_are_refused_and_cors_is_off_by_default() {
    let s = cors_server();
    let auth = basic("admin", ADMIN_PASSWORD);
    let other = send(
        &s,
        "GET",
        "/scim2/Users",
        &[("Origin", "https://evil.example.com"), (&auth.0, &auth.1)],
    );
    assert_eq!(other.status, 403);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let method = send(
        &s,
        "OPTIONS",
        "/scim2/Users",
        &[
            ("Origin", PORTAL),
            ("Access-Control-Request-Method", "TRACE"),
        ],
    );
    assert_eq!(method.status, 403);
    // Off by default: an Origin changes nothing.
    let plain = Server::start();
    let answer = send(
        &plain,
        "GET",
        "/scim2/Users?count=1",
        &[("Origin", PORTAL), (&auth.0, &auth.1)],
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), None);
    // A bad origin in the configuration names the key.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("userstore.toml");
    std::fs::write(
        &file,
        "[cors]\nallowed_origins = [\"portal.example.com/app\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_userstore"))
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() && text.contains("cors.allowed_origins"),
        "{text}"
    );
}
