//! How WSO2's admin services talk beyond the operations themselves: login sessions (the
//! `JSESSIONID` of a Basic login, Carbon's AuthenticationAdmin), tenant-qualified logins,
//! WS-Addressing replies, Axis2's JSON, the HTTP binding and Axis2's boolean reading.

mod common;

use common::{basic, elements_in, Server, Soap, ADMIN_PASSWORD, NS, SERVICE_PATH};

const AUTH_NS: &str = "http://authentication.services.core.carbon.wso2.org";
const AUTH_PATH: &str = "/services/AuthenticationAdmin";

/// The `JSESSIONID` value a response sets, if any.
fn session_of(r: &common::HttpResponse) -> Option<String> {
    let cookie = r.header("set-cookie")?;
    assert!(
        cookie.contains("Path=/") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let value = cookie.strip_prefix("JSESSIONID=")?.split(';').next()?;
    Some(value.to_string())
}

fn with_cookie(s: &Server, session: &str, op: &str, inner: &str) -> common::HttpResponse {
    let mut headers = Soap::V11.headers(op);
    headers.push(("Cookie".into(), format!("other=1; JSESSIONID={session}")));
    s.post(
        SERVICE_PATH,
        &headers,
        Soap::V11.envelope(op, inner).as_bytes(),
    )
}

fn login(s: &Server, user: &str, password: &str) -> common::HttpResponse {
    let body = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:aut="{AUTH_NS}"><soapenv:Body><aut:login><aut:username>{user}</aut:username><aut:password>{password}</aut:password><aut:remoteAddress>127.0.0.1</aut:remoteAddress></aut:login></soapenv:Body></soapenv:Envelope>"#
    );
    s.post(
        AUTH_PATH,
        &[
            ("Content-Type".into(), "text/xml; charset=UTF-8".into()),
            ("SOAPAction".into(), "urn:login".into()),
        ],
        body.as_bytes(),
    )
}

fn add_user(s: &Server, user: &str, password: &str, role: &str) {
    s.call(
        Soap::V11,
        "addUser",
        &format!("<ser:userName>{user}</ser:userName><ser:credential>{password}</ser:credential><ser:roleList>{role}</ser:roleList>"),
    )
    .assert_accepted();
}

#[test]
fn a_basic_login_opens_a_session_that_ends_with_the_password() {
    let s = Server::start();
    add_user(&s, "olga", "Olga-pw-1", "admin");
    let r = s.call_as("olga", "Olga-pw-1", Soap::V11, "getRoleNames", "");
    assert_eq!(r.status, 200);
    let session = session_of(&r).expect("a verified Basic login returns JSESSIONID");
    assert_eq!(session.len(), 32, "128 random bits, hex");
    assert!(!session.contains("Olga"));
    // Every Basic request without a session cookie gets a new one, as Carbon's servlet
    // container gives it, whether or not the credentials came from the verification cache.
    let again = s.call_as("olga", "Olga-pw-1", Soap::V11, "getRoleNames", "");
    let second = session_of(&again).expect("a cached Basic login returns JSESSIONID too");
    assert_ne!(second, session);
    // The cookie alone authenticates.
    let r = with_cookie(
        &s,
        &session,
        "isExistingUser",
        "<ser:userName>olga</ser:userName>",
    );
    assert_eq!(r.return_text(), "true", "{}", r.body);
    // A password change ends the session; without Basic the next call is challenged.
    s.call(
        Soap::V11,
        "updateCredentialByAdmin",
        "<ser:userName>olga</ser:userName><ser:newCredential>Olga-pw-2</ser:newCredential>",
    )
    .assert_accepted();
    let r = with_cookie(
        &s,
        &session,
        "isExistingUser",
        "<ser:userName>olga</ser:userName>",
    );
    assert_eq!(r.status, 401);
    // So does a lock.
    let r = s.call_as("olga", "Olga-pw-2", Soap::V11, "getRoleNames", "");
    let session = session_of(&r).expect("new login, new session");
    s.call(
        Soap::V11,
        "setUserClaimValue",
        "<ser:userName>olga</ser:userName><ser:claimURI>http://wso2.org/claims/identity/accountLocked</ser:claimURI><ser:claimValue>true</ser:claimValue>",
    )
    .assert_accepted();
    let r = with_cookie(
        &s,
        &session,
        "isExistingUser",
        "<ser:userName>olga</ser:userName>",
    );
    assert_eq!(r.status, 401);
    // An unknown session id is no credential at all.
    let r = with_cookie(&s, "00112233445566778899AABBCCDDEEFF", "getRoleNames", "");
    assert_eq!(r.status, 401);
}

#[test]
fn authentication_admin_logs_in_and_out() {
    let s = Server::start();
    let r = login(&s, "admin", ADMIN_PASSWORD);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains(&format!("<ns:loginResponse xmlns:ns=\"{AUTH_NS}\"")),
        "{}",
        r.body
    );
    assert_eq!(
        elements_in(&r.body, AUTH_NS, "return"),
        [Some("true".to_string())]
    );
    let session = session_of(&r).expect("login sets JSESSIONID");
    let r = with_cookie(&s, &session, "getRoleNames", "");
    assert_eq!(r.status, 200, "{}", r.body);

    // Tenant-qualified names are the super tenant's users.
    let r = login(&s, "admin@carbon.super", ADMIN_PASSWORD);
    assert_eq!(
        elements_in(&r.body, AUTH_NS, "return"),
        [Some("true".to_string())]
    );
    let r = s.call_as(
        "admin@carbon.super",
        ADMIN_PASSWORD,
        Soap::V11,
        "getRoleNames",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // Wrong, empty, or without /permission/admin/login: false and no cookie.
    add_user(&s, "plain", "Plain-pw-1", "Internal/everyone");
    for (user, password) in [
        ("admin", "wrong"),
        ("", ADMIN_PASSWORD),
        ("plain", "Plain-pw-1"),
    ] {
        let r = login(&s, user, password);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            elements_in(&r.body, AUTH_NS, "return"),
            [Some("false".to_string())],
            "{user}"
        );
        assert!(r.header("set-cookie").is_none());
    }

    // logout (in-only) ends the session.
    let body = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:aut="{AUTH_NS}"><soapenv:Body><aut:logout/></soapenv:Body></soapenv:Envelope>"#
    );
    let r = s.post(
        AUTH_PATH,
        &[
            ("Content-Type".into(), "text/xml".into()),
            ("Cookie".into(), format!("JSESSIONID={session}")),
        ],
        body.as_bytes(),
    );
    r.assert_accepted();
    assert_eq!(with_cookie(&s, &session, "getRoleNames", "").status, 401);
}

#[test]
fn ws_addressing_requests_get_addressed_replies() {
    let s = Server::start();
    let body = format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:ser="{NS}"><soap:Header><wsa:Action soap:mustUnderstand="true">urn:isExistingUser</wsa:Action><wsa:MessageID>urn:uuid:1234-abcd</wsa:MessageID><wsa:To>http://127.0.0.1/services/RemoteUserStoreManagerService</wsa:To></soap:Header><soap:Body><ser:isExistingUser><ser:userName>admin</ser:userName></ser:isExistingUser></soap:Body></soap:Envelope>"#
    );
    let r = s.post(
        SERVICE_PATH,
        &[
            (
                "Content-Type".into(),
                "application/soap+xml; charset=UTF-8; action=\"urn:isExistingUser\"".into(),
            ),
            basic("admin", ADMIN_PASSWORD),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let wsa = "http://www.w3.org/2005/08/addressing";
    assert_eq!(
        elements_in(&r.body, wsa, "Action"),
        [Some("urn:isExistingUserResponse".to_string())]
    );
    assert_eq!(
        elements_in(&r.body, wsa, "RelatesTo"),
        [Some("urn:uuid:1234-abcd".to_string())]
    );
    assert_eq!(r.return_text(), "true");
    // Without addressing headers, no Header at all.
    let r = s.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    );
    assert!(!r.body.contains("Header"), "{}", r.body);
}

#[test]
fn accept_json_gets_axis2_mapped_json() {
    let s = Server::start();
    s.call(
        Soap::V11,
        "setUserClaimValues",
        "<ser:userName>admin</ser:userName><ser:claims><xsd:claimURI>http://wso2.org/claims/country</xsd:claimURI><xsd:value>Chile</xsd:value></ser:claims>",
    )
    .assert_accepted();
    let json_call = |op: &str, inner: &str| {
        let mut headers = Soap::V12.headers(op);
        headers.push(("Accept".into(), "application/json".into()));
        headers.push(basic("admin", ADMIN_PASSWORD));
        let r = s.post(
            SERVICE_PATH,
            &headers,
            Soap::V12.envelope(op, inner).as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
    };
    let roles = json_call("getRoleListOfUser", "<ser:userName>admin</ser:userName>");
    assert_eq!(
        roles,
        serde_json::json!({"getRoleListOfUserResponse": {"return": ["admin", "Internal/everyone"]}})
    );
    let claims = json_call(
        "getUserClaimValues",
        "<ser:userName>admin</ser:userName><ser:profileName>default</ser:profileName>",
    );
    let items = claims["getUserClaimValuesResponse"]["return"]
        .as_array()
        .expect("two claims: country and userid");
    assert_eq!(items[0]["claimUri"], "http://wso2.org/claims/country");
    assert_eq!(items[0]["value"], "Chile");
    assert_eq!(items[0]["displayTag"], serde_json::Value::Null);
    // One item is the value itself, as Jettison's mapped convention writes it.
    let one = json_call("isExistingUser", "<ser:userName>admin</ser:userName>");
    assert_eq!(
        one,
        serde_json::json!({"isExistingUserResponse": {"return": "true"}})
    );
}

#[test]
fn accept_json_gets_faults_in_axis2_json_too() {
    let s = Server::start();
    let json_fault = |soap: Soap, op: &str, inner: &str| {
        let mut headers = soap.headers(op);
        headers.push(("Accept".into(), "application/json".into()));
        headers.push(basic("admin", ADMIN_PASSWORD));
        let r = s.post(SERVICE_PATH, &headers, soap.envelope(op, inner).as_bytes());
        assert_eq!(r.status, 500, "{}", r.body);
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
    };
    // A two-way operation: the declared exception in the detail.
    let fault = json_fault(
        Soap::V11,
        "getUserClaimValue",
        "<ser:userName>nobody</ser:userName><ser:claim>http://wso2.org/claims/country</ser:claim>",
    );
    assert_eq!(fault["Fault"]["faultcode"], "soapenv:Server");
    assert_eq!(
        fault["Fault"]["faultstring"],
        "30007 - UserNotFound: User nobody does not exist in: PRIMARY"
    );
    assert!(
        fault["Fault"]["detail"]["RemoteUserStoreManagerServiceUserStoreException"].is_object()
    );
    // An in-only operation over SOAP 1.2: code, reason, empty detail.
    let fault = json_fault(
        Soap::V12,
        "deleteUser",
        "<ser:userName>nobody</ser:userName>",
    );
    assert_eq!(fault["Fault"]["Code"]["Value"], "soapenv:Receiver");
    assert_eq!(
        fault["Fault"]["Reason"]["Text"],
        "30007 - UserNotFound: User nobody does not exist in: PRIMARY"
    );
    assert_eq!(fault["Fault"]["Detail"], "");
}

#[test]
fn the_http_binding_takes_and_answers_bare_elements() {
    let s = Server::start();
    let path = "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsEndpoint/isExistingUser";
    let body = format!(
        "<ser:isExistingUser xmlns:ser=\"{NS}\"><ser:userName>admin</ser:userName></ser:isExistingUser>"
    );
    for content_type in ["text/xml", "application/xml"] {
        let r = s.post(
            path,
            &[
                ("Content-Type".into(), content_type.into()),
                basic("admin", ADMIN_PASSWORD),
            ],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(!r.body.contains("Envelope"), "{}", r.body);
        assert!(r.body.contains("<ns:isExistingUserResponse"), "{}", r.body);
        assert_eq!(r.return_text(), "true");
    }
}

#[test]
fn booleans_are_read_as_axis2_reads_them() {
    let s = Server::start();
    for (i, value) in ["True", "FALSE", "1", "0", "false"].iter().enumerate() {
        s.call(
            Soap::V11,
            "addUser",
            &format!("<ser:userName>bool{i}</ser:userName><ser:credential>Bool-pw-1</ser:credential><ser:requirePasswordChange>{value}</ser:requirePasswordChange>"),
        )
        .assert_accepted();
        let r = s.call(
            Soap::V11,
            "getUserClaimValue",
            &format!("<ser:userName>bool{i}</ser:userName><ser:claim>http://wso2.org/claims/identity/adminForcedPasswordReset</ser:claim>"),
        );
        let forced = r.returns() == [Some("true".to_string())];
        assert_eq!(forced, ["True", "1"].contains(value), "{value}");
    }
}
