//! API tokens end to end: made, listed and revoked by the CLI on the server's database, used
//! as `Authorization: Bearer` on SCIM and on the SOAP service, refused with a `Bearer`
//! challenge when wrong, revoked, expired or of a locked user, limited to the permissions of
//! the token's user, and never written to the log, the audit trail or the metrics.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Backend, Options, Server, Soap, SERVICE_PATH};
use serde_json::json;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// How long a running server may take to see a write the CLI made (its watcher looks every
/// 20 ms; README "Admin CLI"), with room for a loaded machine.
const OUTSIDE_WRITE_BOUND: Duration = Duration::from_millis(250);

/// `userstore token ARGS` on the server's database; after a change, wait until the server
/// must see it.
fn token_cli(s: &Server, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_userstore"))
        .arg("token")
        .args(args)
        .arg("--database")
        .arg(&s.db)
        .output()
        .unwrap();
    if args[0] != "list" {
        std::thread::sleep(OUTSIDE_WRITE_BOUND);
    }
    out
}

fn soap_with(s: &Server, authorization: &str, op: &str, inner: &str) -> common::HttpResponse {
    let mut headers = Soap::V11.headers(op);
    headers.push(("Authorization".into(), authorization.into()));
    s.post(
        SERVICE_PATH,
        &headers,
        Soap::V11.envelope(op, inner).as_bytes(),
    )
}

fn assert_bearer_refusal(response: &common::HttpResponse) {
    assert_eq!(response.status, 401, "{}", response.body);
    let challenge = response.header("WWW-Authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
}

fn tokens_work_on_scim_and_soap_until_revoked(backend: Backend) {
    let s = Server::start_on(backend);
    let bearer = format!("Bearer {}", s.create_token("admin", "entra-prod", &[]));
    // SCIM, as Entra and Okta call it.
    let (status, created, _) = s.scim_with(
        "POST",
        "/scim2/Users",
        &bearer,
        Some(&json!({"schemas": [USER], "userName": "tokenmade"})),
    );
    assert_eq!(status, 201, "{created}");
    let (status, _, _) = s.scim_with("GET", "/scim2/Users?count=5", &bearer, None);
    assert_eq!(status, 200);
    // SOAP, as Carbon accepts an OAuth bearer token on its admin services.
    let r = soap_with(
        &s,
        &bearer,
        "isExistingUser",
        "<ser:userName>tokenmade</ser:userName>",
    );
    assert_eq!(r.return_text(), "true");
    // Wrong tokens: unknown, malformed, a right id with a wrong secret.
    let (id, _) = bearer["Bearer ust_".len()..].split_once('_').unwrap();
    for wrong in [
        "Bearer ust_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        "Bearer not-a-token".to_string(),
        format!("Bearer ust_{id}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let (_, _, response) = s.scim_with("GET", "/scim2/Users", &wrong, None);
        assert_bearer_refusal(&response);
        assert_bearer_refusal(&soap_with(
            &s,
            &wrong,
            "isExistingUser",
            "<ser:userName>admin</ser:userName>",
        ));
    }
    // Listed without its secret, then revoked by label: refused from then on.
    let listed = token_cli(&s, &["list", "--json"]);
    let text = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(text.contains("entra-prod") && text.contains(id), "{text}");
    assert!(!text.contains(&bearer[7..]), "the list shows the secret");
    let revoked = token_cli(&s, &["revoke", "entra-prod"]);
    assert!(revoked.status.success());
    let (_, _, response) = s.scim_with("GET", "/scim2/Users", &bearer, None);
    assert_bearer_refusal(&response);
    assert_bearer_refusal(&soap_with(
        &s,
        &bearer,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    ));
    let again = token_cli(&s, &["revoke", "no-such-token"]);
    assert!(!again.status.success());
    // A label is unique; a user must exist.
    let out = token_cli(&s, &["create", "--user", "admin", "--name", "entra-prod"]);
    assert!(!out.status.success());
    let out = token_cli(&s, &["create", "--user", "ghost"]);
    assert!(!out.status.success());
}

/// A token holds exactly its user's permissions, read afresh at each request; it stops with a
/// lock of its user and goes with the user.
fn tokens_act_with_their_users_permissions(backend: Backend) {
    let s = Server::start_on(backend);
    s.call(
        Soap::V11,
        "addRole",
        "<ser:roleName>viewers</ser:roleName><ser:permissions><xsd:resourceId xmlns:xsd=\"http://dao.service.ws.um.carbon.wso2.org/xsd\">/permission/admin/manage/identity/usermgt/view</xsd:resourceId><xsd:action xmlns:xsd=\"http://dao.service.ws.um.carbon.wso2.org/xsd\">ui.execute</xsd:action></ser:permissions>",
    )
    .assert_accepted();
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>robot</ser:userName><ser:credential>Robot-pw-1</ser:credential><ser:roleList>viewers</ser:roleList>",
    )
    .assert_accepted();
    let bearer = format!("Bearer {}", s.create_token("robot", "robot-ci", &[]));
    let (status, me, _) = s.scim_with("GET", "/scim2/Me", &bearer, None);
    assert_eq!((status, me["userName"].as_str()), (200, Some("robot")));
    let (status, _, _) = s.scim_with(
        "POST",
        "/scim2/Users",
        &bearer,
        Some(&json!({"schemas": [USER], "userName": "notallowed"})),
    );
    assert_eq!(status, 403);
    soap_with(
        &s,
        &bearer,
        "deleteUser",
        "<ser:userName>admin</ser:userName>",
    )
    .assert_fault("Access Denied.");
    // The role gains a permission: the same token has it at once.
    s.call(
        Soap::V11,
        "updateRoleListOfUser",
        "<ser:userName>robot</ser:userName><ser:newRoles>admin</ser:newRoles>",
    )
    .assert_accepted();
    let (status, _, _) = s.scim_with(
        "POST",
        "/scim2/Users",
        &bearer,
        Some(&json!({"schemas": [USER], "userName": "nowallowed"})),
    );
    assert_eq!(status, 201);
    // Locked: refused; unlocked: accepted again.
    s.call(
        Soap::V11,
        "setUserClaimValue",
        "<ser:userName>robot</ser:userName><ser:claimURI>http://wso2.org/claims/identity/accountLocked</ser:claimURI><ser:claimValue>true</ser:claimValue>",
    )
    .assert_accepted();
    let (_, _, response) = s.scim_with("GET", "/scim2/Me", &bearer, None);
    assert_bearer_refusal(&response);
    // Deleted: the token goes with the user.
    s.call(
        Soap::V11,
        "deleteUser",
        "<ser:userName>robot</ser:userName>",
    )
    .assert_accepted();
    let listed = token_cli(&s, &["list", "--json"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("robot-ci"));
}

crate::on_every_backend!(
    tokens_work_on_scim_and_soap_until_revoked,
    tokens_act_with_their_users_permissions,
);

#[test]
fn an_expired_token_is_refused() {
    let s = Server::start();
    let bearer = format!(
        "Bearer {}",
        s.create_token("admin", "short", &["--expires", "1"])
    );
    let (status, _, _) = s.scim_with("GET", "/scim2/Users", &bearer, None);
    assert_eq!(status, 200);
    // A day later, as the database sees it.
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    conn.execute(
        "UPDATE api_tokens SET expires_at = expires_at - 86400001",
        [],
    )
    .unwrap();
    drop(conn);
    std::thread::sleep(OUTSIDE_WRITE_BOUND);
    let (_, _, response) = s.scim_with("GET", "/scim2/Users", &bearer, None);
    assert_bearer_refusal(&response);
    let listed = token_cli(&s, &["list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("expired"));
    let out = token_cli(&s, &["create", "--user", "admin", "--expires", "0"]);
    assert!(!out.status.success());
}

#[test]
fn tokens_never_reach_the_log_the_audit_trail_or_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (log, audit) = (
        dir.path().join("server.log"),
        dir.path().join("audit.jsonl"),
    );
    let mut s = Server::start_with(Options {
        log_file: Some(log.clone()),
        env: vec![
            ("USERSTORE_AUDIT__FILE".into(), audit.display().to_string()),
            ("USERSTORE_METRICS__ENABLE".into(), "true".into()),
            ("USERSTORE_METRICS__LISTEN".into(), "127.0.0.1:0".into()),
        ],
        ..Default::default()
    });
    let token = s.create_token("admin", "okta-sync", &[]);
    let bearer = format!("Bearer {token}");
    let secret = token.rsplit_once('_').unwrap().1.to_string();
    let (status, _, _) = s.scim_with(
        "POST",
        "/scim2/Users",
        &bearer,
        Some(&json!({"schemas": [USER], "userName": "audited"})),
    );
    assert_eq!(status, 201);
    soap_with(
        &s,
        &bearer,
        "deleteUser",
        "<ser:userName>audited</ser:userName>",
    )
    .assert_accepted();
    let wrong = format!(
        "Bearer {}",
        token.replace(&secret, &"B".repeat(secret.len()))
    );
    let (_, _, response) = s.scim_with("GET", "/scim2/Users", &wrong, None);
    assert_bearer_refusal(&response);
    let metrics_addr = s.metrics_addr.clone().unwrap();
    let metrics = common::try_parse_response(&{
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(&metrics_addr).unwrap();
        stream
            .write_all(
                format!(
                    "GET /metrics HTTP/1.1\r\nHost: {metrics_addr}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        bytes
    })
    .unwrap();
    assert_eq!(metrics.status, 200);
    s.terminate();
    s.wait_exit(Duration::from_secs(10));
    let log_text = std::fs::read_to_string(&log).unwrap();
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    for (what, text) in [
        ("log", &log_text),
        ("audit trail", &audit_text),
        ("metrics", &metrics.body),
    ] {
        assert!(
            !text.contains(&secret),
            "the {what} holds the token's secret"
        );
        assert!(
            !text.contains(&"B".repeat(secret.len())),
            "the {what} holds a presented token"
        );
    }
    // The audit events name the token's label beside its user.
    let labelled: Vec<&str> = audit_text
        .lines()
        .filter(|l| l.contains("okta-sync"))
        .collect();
    assert!(
        labelled.iter().any(|l| l.contains("scim.createUser"))
            && labelled.iter().any(|l| l.contains("deleteUser")),
        "{audit_text}"
    );
    assert!(audit_text.contains("bad_token"), "{audit_text}");
}
