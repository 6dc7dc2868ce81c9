//! Failure paths and transport details: each asserts the HTTP status and the fault text.

mod common;

use common::{basic, Options, Server, Soap, ADMIN_PASSWORD, SERVICE_PATH};

fn setup() -> Server {
    let s = Server::start();
    let r = s.call(Soap::V11, "addRole", "<ser:roleName>teacher</ser:roleName>");
    r.assert_accepted();
    let r = s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>nilasini</ser:userName><ser:credential>Secret-1</ser:credential><ser:roleList>teacher</ser:roleList>",
    );
    r.assert_accepted();
    s
}

/// Assert WSO2's exact faultstring (HTTP 500).
fn assert_text(r: &common::HttpResponse, expected: &str) {
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.fault_string(), expected);
}

#[test]
fn store_errors_are_server_faults_with_wso2_messages() {
    let s = setup();
    for soap in [Soap::V11, Soap::V12] {
        // Two-way operations carry the declared exception in the detail.
        let r = s.call(
            soap,
            "getUserClaimValues",
            "<ser:userName>ghost</ser:userName>",
        );
        assert_text(
            &r,
            "30007 - UserNotFound: User ghost does not exist in: PRIMARY",
        );
        assert_eq!(
            r.fault_code(),
            if soap == Soap::V11 {
                "Server"
            } else {
                "Receiver"
            }
        );
        assert!(r
            .body
            .contains("<ns:RemoteUserStoreManagerServiceUserStoreException"));
        let expected_type = if soap == Soap::V11 {
            "text/xml"
        } else {
            "application/soap+xml"
        };
        assert!(r.header("content-type").unwrap().starts_with(expected_type));
        // In-only operations answer with an empty detail, as RPCInOnlyMessageReceiver does.
        let r = s.call(soap, "deleteUser", "<ser:userName>ghost</ser:userName>");
        assert_text(
            &r,
            "30007 - UserNotFound: User ghost does not exist in: PRIMARY",
        );
        let empty_detail = if soap == Soap::V11 {
            "<detail/>"
        } else {
            "<soapenv:Detail/>"
        };
        assert!(r.body.contains(empty_detail), "{}", r.body);
        assert!(!r.body.contains("UserStoreException"), "{}", r.body);
    }
    let r = s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>NILASINI</ser:userName><ser:credential>x-y-z-1</ser:credential>",
    );
    assert_text(&r, "30004 - UserAlreadyExistingUsername NILASINI already exists in the system. Please pick another username.");
    assert!(r.body.contains("<faultcode>soapenv:Server</faultcode>"));
    assert_text(
        &s.call(Soap::V11, "addRole", "<ser:roleName>Teacher</ser:roleName>"),
        "30012 - RoleExistingRole name: Teacher exists in the system. Please pick another role name.",
    );
    assert_text(
        &s.call(Soap::V12, "updateCredential", "<ser:userName>nilasini</ser:userName><ser:newCredential>New-pass1</ser:newCredential><ser:oldCredential>wrong</ser:oldCredential>"),
        "30006 - PasswordInvalid Old credential does not match with the existing credentials.",
    );
    assert_text(
        &s.call(Soap::V11, "updateCredential", "<ser:userName>ghost</ser:userName><ser:newCredential>New-pass1</ser:newCredential><ser:oldCredential>wrong</ser:oldCredential>"),
        "30007 - UserNotFound: User ghost does not exist in: PRIMARY",
    );
    // The one WSO2 text without spaces around the dash.
    assert_text(
        &s.call(
            Soap::V11,
            "updateCredentialByAdmin",
            "<ser:userName>ghost</ser:userName><ser:newCredential>New-pass1</ser:newCredential>",
        ),
        "30007-UserNotFound: User ghost does not exist in: PRIMARY",
    );
    assert_text(
        &s.call(
            Soap::V11,
            "getUserListOfRole",
            "<ser:roleName>nurse</ser:roleName>",
        ),
        "Role nurse does not exist in the user store.",
    );
    assert_text(
        &s.call(
            Soap::V11,
            "deleteRole",
            "<ser:roleName>nurse</ser:roleName>",
        ),
        "31806 - Cannot delete non-existing role",
    );
    s.call(
        Soap::V11,
        "updateRoleName",
        "<ser:roleName>nurse</ser:roleName><ser:newRoleName>xyz</ser:newRoleName>",
    )
    .assert_fault("Role nurse does not exist");
    assert_text(
        &s.call(Soap::V11, "setUserClaimValue", "<ser:userName>ghost</ser:userName><ser:claimURI>http://wso2.org/claims/country</ser:claimURI><ser:claimValue>x</ser:claimValue>"),
        "30007 - UserNotFound: User ghost does not exist in: PRIMARY",
    );
    // Claim URIs outside the dialect are refused on write.
    assert_text(
        &s.call(Soap::V11, "setUserClaimValue", "<ser:userName>nilasini</ser:userName><ser:claimURI>email</ser:claimURI><ser:claimValue>x</ser:claimValue>"),
        "30005 - Claim URI is invalid, email",
    );
    assert_text(
        &s.call(Soap::V11, "addUser", "<ser:userName>erin</ser:userName><ser:credential>Secret-1</ser:credential><ser:claims><xsd:claimURI>http://wso2.org/claims/shoesize</xsd:claimURI><xsd:value>44</xsd:value></ser:claims>"),
        "30005 - Claim URI is invalid, http://wso2.org/claims/shoesize",
    );
    assert_text(
        &s.call(Soap::V11, "addUser", "<ser:userName>erin</ser:userName><ser:credential>Secret-1</ser:credential><ser:claims><xsd:claimURI>http://wso2.org/claims/username</xsd:claimURI><xsd:value>someone</xsd:value></ser:claims>"),
        "Username and the username claim value should be same.",
    );
    // Unknown users: WSO2's ids are -1, the role list is the implicit role alone.
    assert_eq!(
        s.call(Soap::V11, "getUserId", "<ser:username>ghost</ser:username>")
            .return_text(),
        "-1"
    );
    assert_eq!(
        s.call(
            Soap::V11,
            "getTenantIdofUser",
            "<ser:username>ghost</ser:username>"
        )
        .return_text(),
        "-1"
    );
    assert_eq!(
        s.call(
            Soap::V11,
            "getTenantIdofUser",
            "<ser:username>nilasini</ser:username>"
        )
        .return_text(),
        "-1234"
    );
    assert_eq!(
        s.call(
            Soap::V11,
            "getRoleListOfUser",
            "<ser:userName>ghost</ser:userName>"
        )
        .return_texts(),
        ["Internal/everyone"]
    );
}

#[test]
fn kernel_44_message_set_drops_the_codes() {
    let s = Server::start_with(common::Options {
        env: vec![(
            "USERSTORE_ADMIN_SERVICE__FAULT_MESSAGES".into(),
            "kernel-4.4".into(),
        )],
        ..Default::default()
    });
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>bob</ser:userName><ser:credential>Bob-pw-1</ser:credential>",
    )
    .assert_accepted();
    // The text deployed Node clients compare to treat "already exists" as success.
    assert_text(
        &s.call(
            Soap::V11,
            "addUser",
            "<ser:userName>bob</ser:userName><ser:credential>Bob-pw-1</ser:credential>",
        ),
        "UserAlreadyExisting:Username already exists in the system. Please pick another username.",
    );
    assert_text(
        &s.call(
            Soap::V11,
            "deleteUser",
            "<ser:userName>ghost</ser:userName>",
        ),
        "UserNotFound: User ghost does not exist in: PRIMARY",
    );
    assert_text(
        &s.call(
            Soap::V11,
            "deleteRole",
            "<ser:roleName>admin</ser:roleName>",
        ),
        "Cannot delete admin role",
    );
}

#[test]
fn multi_row_writes_are_all_or_nothing() {
    let s = setup();
    // addUser naming an unknown role creates nothing.
    assert_text(
        &s.call(Soap::V11, "addUser", "<ser:userName>dave</ser:userName><ser:credential>Dave-pw1</ser:credential><ser:roleList>teacher</ser:roleList><ser:roleList>nurse</ser:roleList>"),
        "31304 - External role does not exist : nurse",
    );
    assert_text(
        &s.call(Soap::V11, "addUser", "<ser:userName>dave</ser:userName><ser:credential>Dave-pw1</ser:credential><ser:roleList>Internal/nurse</ser:roleList>"),
        "31303 - Internal role does not exist : nurse",
    );
    assert_eq!(
        s.call(
            Soap::V11,
            "isExistingUser",
            "<ser:userName>dave</ser:userName>"
        )
        .return_text(),
        "false"
    );
    // updateRoleListOfUser with one unknown role changes nothing.
    s.call(Soap::V11, "updateRoleListOfUser", "<ser:userName>nilasini</ser:userName><ser:deletedRoles>teacher</ser:deletedRoles><ser:newRoles>nurse</ser:newRoles>")
        .assert_fault("Role nurse does not exist");
    assert_eq!(
        s.call(
            Soap::V11,
            "getRoleListOfUser",
            "<ser:userName>nilasini</ser:userName>"
        )
        .return_texts(),
        ["Internal/everyone", "teacher"]
    );
    // addRole with an unknown member creates no role.
    assert_text(
        &s.call(Soap::V11, "addRole", "<ser:roleName>nurse</ser:roleName><ser:userList>nilasini</ser:userList><ser:userList>ghost</ser:userList>"),
        "30007 - UserNotFound: User ghost does not exist in: PRIMARY",
    );
    assert_eq!(
        s.call(
            Soap::V11,
            "isExistingRole",
            "<ser:roleName>nurse</ser:roleName>"
        )
        .return_text(),
        "false"
    );
}

#[test]
fn built_in_users_and_roles_are_protected() {
    let s = setup();
    let cases = [
        ("deleteRole", "<ser:roleName>admin</ser:roleName>", "31804 - Cannot delete admin role"),
        ("deleteRole", "<ser:roleName>Internal/everyone</ser:roleName>", "31805 - Cannot delete everyone role"),
        ("updateRoleName", "<ser:roleName>admin</ser:roleName><ser:newRoleName>boss</ser:newRoleName>", "30010 - Cannot update admin role"),
        ("updateRoleName", "<ser:roleName>teacher</ser:roleName><ser:newRoleName>admin</ser:newRoleName>", "30010 - Cannot update admin role"),
        ("updateRoleName", "<ser:roleName>teacher</ser:roleName><ser:newRoleName>Internal/everyone</ser:newRoleName>", "30009 - Cannot update everyone role"),
        ("deleteUser", "<ser:userName>admin</ser:userName>", "37001 - LoggedInUser Cannot delete logged in user"),
        ("updateUserListOfRole", "<ser:roleName>admin</ser:roleName><ser:deletedUsers>admin</ser:deletedUsers>", "30008 - RemoveAdminUser Cannot remove Admin user from Admin role"),
        ("updateRoleListOfUser", "<ser:userName>admin</ser:userName><ser:deletedRoles>admin</ser:deletedRoles>", "30008 - RemoveAdminUser Cannot remove Admin user from Admin role"),
        ("updateRoleListOfUser", "<ser:userName>nilasini</ser:userName><ser:deletedRoles>Internal/everyone</ser:deletedRoles>", "30009 - Cannot update everyone role"),
        ("updateRoleListOfUser", "<ser:userName>nilasini</ser:userName><ser:newRoles>Internal/everyone</ser:newRoles>", "30009 - Cannot update everyone role"),
        ("updateUserListOfRole", "<ser:roleName>Internal/everyone</ser:roleName><ser:newUsers>nilasini</ser:newUsers>", "30009 - Cannot update everyone role"),
    ];
    for (op, body, expected) in cases {
        assert_text(&s.call(Soap::V11, op, body), expected);
    }
    // The admin user, deleted by another administrator: 37002.
    s.call(
        Soap::V11,
        "updateRoleListOfUser",
        "<ser:userName>nilasini</ser:userName><ser:newRoles>admin</ser:newRoles>",
    )
    .assert_accepted();
    let r = s.post(
        SERVICE_PATH,
        &[
            ("Content-Type".into(), "text/xml".into()),
            basic("nilasini", "Secret-1"),
        ],
        Soap::V11
            .envelope("deleteUser", "<ser:userName>admin</ser:userName>")
            .as_bytes(),
    );
    assert_text(&r, "37002 - AdminUserCannot delete admin user");
}

/// A server with WSO2's own default name patterns (userstore's allow longer names and role
/// names with spaces), whose fault texts quote them.
fn setup_with_wso2_patterns() -> Server {
    Server::start_with(Options {
        env: vec![
            (
                "USERSTORE_REALM__USERNAME_REGEX".into(),
                r"^[\S]{3,30}$".into(),
            ),
            (
                "USERSTORE_REALM__ROLENAME_REGEX".into(),
                r"^[\S]{3,30}$".into(),
            ),
        ],
        ..Options::default()
    })
}

#[test]
fn invalid_names_and_values_are_rejected_with_the_rule() {
    let s = setup_with_wso2_patterns();
    let user_rule = |name: &str| {
        format!("31301 - Username {name} is not valid. User name must be a non null string with following format, ^[\\S]{{3,30}}$")
    };
    assert_text(
        &s.call(
            Soap::V11,
            "addUser",
            "<ser:userName>a b</ser:userName><ser:credential>Secret-1</ser:credential>",
        ),
        &user_rule("a b"),
    );
    // Past the pattern, userstore's own structural rules still apply.
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>a/b</ser:userName><ser:credential>Secret-1</ser:credential>",
    )
    .assert_fault("'/' is reserved");
    assert_text(
        &s.call(
            Soap::V11,
            "addUser",
            &format!(
                "<ser:userName>{}</ser:userName><ser:credential>Secret-1</ser:credential>",
                "x".repeat(101)
            ),
        ),
        &user_rule(&"x".repeat(101)),
    );
    assert_text(
        &s.call(
            Soap::V11,
            "addUser",
            "<ser:credential>Secret-1</ser:credential>",
        ),
        &user_rule("null"),
    );
    assert_text(
        &s.call(Soap::V11, "addUser", "<ser:userName>erin</ser:userName>"),
        "30003 - Credential is not valid. Credential must be a non null string with following format, ^[\\S]{5,30}$",
    );
    assert_text(
        &s.call(Soap::V11, "addRole", "<ser:roleName>bad role</ser:roleName>"),
        "30011 - InvalidRole Role name bad role is not valid. Role name must be a non null string with following format, ^[\\S]{3,30}$",
    );
    assert_text(
        &s.call(Soap::V11, "addRole", "<ser:roleName>ab</ser:roleName>"),
        "30011 - InvalidRole Role name ab is not valid. Role name must be a non null string with following format, ^[\\S]{3,30}$",
    );
    assert_text(
        &s.call(Soap::V11, "addRole", "<ser:roleName> </ser:roleName>"),
        "31704 - Cannot add role with empty role name",
    );
    s.call(
        Soap::V11,
        "addRole",
        "<ser:roleName>Internal/ab</ser:roleName>",
    )
    .assert_accepted();
    s.call(Soap::V11, "addUser", "<ser:userName>erin</ser:userName><ser:credential>Secret-1</ser:credential><ser:claims><xsd:value>x</xsd:value></ser:claims>")
        .assert_fault("a claim URI is required");
    // Type errors in the request are Client faults.
    let r = s.call(
        Soap::V11,
        "listUsers",
        "<ser:filter>*</ser:filter><ser:maxItemLimit>?</ser:maxItemLimit>",
    );
    r.assert_fault("element 'maxItemLimit' must be an xs:int, got '?'");
    assert_eq!(r.fault_code(), "Client");
    let r = s.call(Soap::V12, "addUser", "<ser:userName>erin</ser:userName><ser:credential>Secret-1</ser:credential><ser:requirePasswordChange>maybe</ser:requirePasswordChange>");
    r.assert_fault("must be an xs:boolean");
    assert_eq!(r.fault_code(), "Sender");
    s.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>x</ser:userName><ser:userName>y</ser:userName>",
    )
    .assert_fault("may appear at most once");
    s.call(Soap::V11, "isExistingUser", "<ser:name>x</ser:name>")
        .assert_fault("unexpected element 'name' in isExistingUser; expected only: userName");
}

#[test]
fn malformed_and_unknown_requests_are_client_faults() {
    let s = setup();
    let post = |headers: Vec<(String, String)>, body: &str| {
        let mut headers = headers;
        headers.push(basic("admin", ADMIN_PASSWORD));
        s.post(SERVICE_PATH, &headers, body.as_bytes())
    };
    let xml11 = || vec![("Content-Type".to_string(), "text/xml".to_string())];

    let r = post(xml11(), "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ser:getRoleNames xmlns:ser=\"http://service.ws.um.carbon.wso2.org\">");
    r.assert_fault("truncated");
    assert_eq!(r.fault_code(), "Client");
    post(xml11(), "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body></soapenv:Envelope>")
        .assert_fault("malformed XML");
    post(xml11(), "").assert_fault("the request body is empty");
    post(xml11(), "<x/>").assert_fault("the root element is 'x', not a SOAP Envelope");
    // Axis2's texts: an operation neither the action nor the Body names, and a known
    // operation element in another namespace.
    assert_text(
        &post(xml11(), &Soap::V11.envelope("frobnicate", "")),
        "The endpoint reference (EPR) for the Operation not found is /services/RemoteUserStoreManagerService and the WSA Action = null",
    );
    assert_text(
        &post(
            vec![
                ("Content-Type".into(), "text/xml".into()),
                ("SOAPAction".into(), "urn:frobnicate".into()),
            ],
            &Soap::V11.envelope("frobnicate", ""),
        ),
        "The endpoint reference (EPR) for the Operation not found is /services/RemoteUserStoreManagerService and the WSA Action = urn:frobnicate",
    );
    assert_text(
        &post(xml11(), "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><getRoleNames xmlns=\"urn:other\"/></soapenv:Body></soapenv:Envelope>"),
        "namespace mismatch require http://service.ws.um.carbon.wso2.org found urn:other",
    );
    let r = post(xml11(), "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><getRoleNames/></soapenv:Body></soapenv:Envelope>");
    assert_text(
        &r,
        "namespace mismatch require http://service.ws.um.carbon.wso2.org found none",
    );
    assert_eq!(r.fault_code(), "Server");
    // An action that names no operation is ignored: the Body decides.
    let r = post(
        vec![
            ("Content-Type".into(), "text/xml".into()),
            ("SOAPAction".into(), "urn:somethingElse".into()),
        ],
        &Soap::V11.envelope("getRoleNames", ""),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    post(xml11(), "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body/></soapenv:Envelope>")
        .assert_fault("the SOAP Body is empty");
    let r = s.post(
        SERVICE_PATH,
        &[
            basic("admin", ADMIN_PASSWORD),
            ("Content-Type".into(), "text/xml".into()),
        ],
        b"\xff\xfe<x/>",
    );
    r.assert_fault("not valid UTF-8");
    post(
        xml11(),
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\">]><lolz>&lol;</lolz>",
    )
    .assert_fault("DOCTYPE");
    post(
        xml11(),
        &Soap::V11.envelope("isExistingUser", "<ser:userName>&xxe;</ser:userName>"),
    )
    .assert_fault("malformed XML");

    // A SOAPAction that names another operation.
    let r = post(
        vec![
            ("Content-Type".into(), "text/xml".into()),
            ("SOAPAction".into(), "\"urn:deleteUser\"".into()),
        ],
        &Soap::V11.envelope("isExistingUser", "<ser:userName>x</ser:userName>"),
    );
    r.assert_fault(
        "the SOAP action 'urn:deleteUser' does not match the operation 'isExistingUser'",
    );
    let r = post(
        vec![(
            "Content-Type".into(),
            "application/soap+xml; action=\"urn:deleteUser\"".into(),
        )],
        &Soap::V12.envelope("isExistingUser", "<ser:userName>x</ser:userName>"),
    );
    r.assert_fault("does not match");
    assert_eq!(r.fault_code(), "Sender");

    // The envelope decides the SOAP version, whatever the Content-Type announces.
    let r = post(xml11(), &Soap::V12.envelope("getRoleNames", ""));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(common::SOAP12),
        "answered in SOAP 1.2: {}",
        r.body
    );
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/soap+xml"));

    // mustUnderstand headers that we do not understand.
    let r = post(xml11(), "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Header><wsse:Security xmlns:wsse=\"urn:sec\" soapenv:mustUnderstand=\"1\"/></soapenv:Header><soapenv:Body><ser:getRoleNames xmlns:ser=\"http://service.ws.um.carbon.wso2.org\"/></soapenv:Body></soapenv:Envelope>");
    assert_eq!(r.fault_code(), "MustUnderstand");

    // Unsupported media type.
    let r = post(
        vec![("Content-Type".into(), "application/json".into())],
        "{}",
    );
    assert_eq!(r.status, 415);
}

#[test]
fn authentication_and_authorisation() {
    let s = setup();
    let envelope = Soap::V11.envelope("getRoleNames", "");
    let xml = ("Content-Type".to_string(), "text/xml".to_string());
    // No usable credentials: Carbon's challenge, an empty text/html 401.
    for auth in [
        None,
        Some(("Authorization".to_string(), "Basic !!!".to_string())),
        Some(basic("admin", "")),
        Some(basic("", ADMIN_PASSWORD)),
    ] {
        let mut headers = vec![xml.clone()];
        headers.extend(auth);
        let r = s.post(SERVICE_PATH, &headers, envelope.as_bytes());
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"WSO2 Identity Server\"")
        );
        assert_eq!(r.header("content-type"), Some("text/html"));
        assert!(r.body.is_empty(), "{}", r.body);
    }
    // A bearer token that is none of ours: the same 401, with the Bearer challenge.
    let r = s.post(
        SERVICE_PATH,
        &[
            xml.clone(),
            ("Authorization".to_string(), "Bearer abc".to_string()),
        ],
        envelope.as_bytes(),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r
        .header("www-authenticate")
        .is_some_and(|c| c.starts_with("Bearer ")));
    // Wrong password or unknown user: the same authentication fault, code 50977, HTTP 500.
    for soap in [Soap::V11, Soap::V12] {
        for (user, password) in [("admin", "wrong"), ("ghost", ADMIN_PASSWORD)] {
            let r = s.call_as(user, password, soap, "getRoleNames", "");
            assert_eq!(r.status, 500, "{}", r.body);
            assert_eq!(
                r.fault_string(),
                "Access Denied. Authentication failed - Invalid credentials provided."
            );
            assert_eq!(r.fault_code(), "50977");
            assert!(!r.body.contains(ADMIN_PASSWORD));
        }
    }
    let r = s.call_as("admin", "wrong", Soap::V11, "getRoleNames", "");
    assert!(
        r.body.contains("<soapenv:Fault xmlns:axis2ns1=\"http://schemas.xmlsoap.org/soap/envelope/\"><faultcode>axis2ns1:50977</faultcode>"),
        "{}",
        r.body
    );
    // A valid user without the permission gets Carbon's authorization fault, code 50978.
    let r = s.call_as("nilasini", "Secret-1", Soap::V11, "getRoleNames", "");
    assert_eq!(r.status, 500);
    assert_eq!(r.fault_string(), "Access Denied.");
    assert_eq!(r.fault_code(), "50978");
    // Joining the admin role grants access; user names in Basic are case-insensitive.
    s.call(
        Soap::V11,
        "updateRoleListOfUser",
        "<ser:userName>nilasini</ser:userName><ser:newRoles>admin</ser:newRoles>",
    )
    .assert_accepted();
    let r = s.call_as("NILASINI", "Secret-1", Soap::V11, "getRoleNames", "");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn every_legacy_endpoint_path_and_header_style_works() {
    let s = setup();
    let auth = basic("admin", ADMIN_PASSWORD);
    let ports = [
        "",
        ".RemoteUserStoreManagerServiceHttpsSoap11Endpoint",
        ".RemoteUserStoreManagerServiceHttpsSoap12Endpoint",
        ".RemoteUserStoreManagerServiceHttpSoap11Endpoint",
        ".RemoteUserStoreManagerServiceHttpSoap12Endpoint",
    ];
    for port in ports {
        for slash in ["", "/"] {
            let path = format!("{SERVICE_PATH}{port}{slash}");
            for soap in [Soap::V11, Soap::V12] {
                let mut headers = soap.headers("isExistingUser");
                headers.push(auth.clone());
                let r = s.post(
                    &path,
                    &headers,
                    soap.envelope("isExistingUser", "<ser:userName>nilasini</ser:userName>")
                        .as_bytes(),
                );
                assert_eq!(r.status, 200, "{path}: {}", r.body);
                assert_eq!(r.return_text(), "true");
            }
        }
    }
    // SOAPAction unquoted, empty, or absent; any prefixes, default namespaces, comments, WS-Addressing.
    let body = r#"<?xml version="1.0"?>
<!-- a comment before the envelope -->
<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">
  <Header>
    <wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:isExistingUser</wsa:Action>
    <wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:uuid:1</wsa:MessageID>
  </Header>
  <Body>
    <isExistingUser xmlns="http://service.ws.um.carbon.wso2.org">
      <!--Optional:-->
      <userName><![CDATA[nilasini]]></userName>
    </isExistingUser>
  </Body>
</Envelope>"#;
    for action in [Some("urn:isExistingUser"), Some("\"\""), None] {
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "text/xml; charset=UTF-8".to_string(),
            ),
            auth.clone(),
        ];
        if let Some(a) = action {
            headers.push(("SOAPAction".into(), a.into()));
        }
        let r = s.post(SERVICE_PATH, &headers, body.as_bytes());
        assert_eq!(r.status, 200, "{action:?}: {}", r.body);
        assert_eq!(r.return_text(), "true");
    }
    // No Content-Type at all: the envelope namespace decides.
    let r = s.post(
        SERVICE_PATH,
        std::slice::from_ref(&auth),
        Soap::V12.envelope("isReadOnly", "").as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/soap+xml"));
}

#[test]
fn http_level_errors() {
    let s = setup();
    let auth = basic("admin", ADMIN_PASSWORD);
    let get = |path: &str| {
        s.raw(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
    };
    assert_eq!(
        get("/services/RemoteUserStoreManagerService?wsdl").status,
        404,
        "WSDL is off by default"
    );
    assert_eq!(get("/nothing").status, 404);
    let r = s.raw(b"PUT /services/RemoteUserStoreManagerService HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.status, 405);
    // Bodies over the configured limit (1 MiB by default) get 413.
    let big = Soap::V11.envelope(
        "isExistingUser",
        &format!("<ser:userName>{}</ser:userName>", "x".repeat(1_100_000)),
    );
    let r = s.post(
        SERVICE_PATH,
        &[("Content-Type".into(), "text/xml".into()), auth.clone()],
        big.as_bytes(),
    );
    assert_eq!(r.status, 413);
    // Deep nesting is refused with a fault.
    let deep = Soap::V11.envelope(
        "isExistingUser",
        &format!("{}{}", "<a>".repeat(100), "</a>".repeat(100)),
    );
    let r = s.post(
        SERVICE_PATH,
        &[("Content-Type".into(), "text/xml".into()), auth.clone()],
        deep.as_bytes(),
    );
    r.assert_fault("XML nesting deeper than 32 levels");
    // And the server still answers normally afterwards.
    let r = s.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>nilasini</ser:userName>",
    );
    assert_eq!(r.return_text(), "true");
}
