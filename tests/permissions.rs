//! Authorization as WSO2 does it: every operation needs the permission its services.xml names,
//! granted by that path or an ancestor. Three roles against every operation (the SoapUI request
//! of each): the admin role, a user manager (`.../identity/usermgt`) and a helpdesk
//! (`.../identity/usermgt/view`). A denial is Carbon's `Access Denied.` fault (50978) and writes
//! nothing.

mod common;

use std::collections::BTreeSet;

use common::{basic, Backend, Server, Soap, ADMIN_PASSWORD, SERVICE_PATH};

/// The operations whose permission is `.../usermgt/view` in WSO2's services.xml.
const USERMGT_VIEW: &[&str] = &[
    "getPasswordExpirationTime",
    "getProperties",
    "getRoleNames",
    "getTenantId",
    "getTenantIdofUser",
    "getUserClaimValue",
    "getUserClaimValues",
    "getUserClaimValuesForClaims",
    "getUserId",
    "isReadOnly",
];

/// The other operations under `.../usermgt` (create, update, delete, list).
const USERMGT_OTHER: &[&str] = &[
    "addUser",
    "addUserClaimValue",
    "addUserClaimValues",
    "deleteUser",
    "deleteUserClaimValue",
    "deleteUserClaimValues",
    "getUserList",
    "listUsers",
    "setUserClaimValue",
    "setUserClaimValues",
    "updateCredential",
    "updateCredentialByAdmin",
    "updateRoleListOfUser",
];

fn add_role_with(s: &Server, role: &str, permission: &str) {
    s.call(
        Soap::V11,
        "addRole",
        &format!("<ser:roleName>{role}</ser:roleName><ser:permissions><xsd:action>ui.execute</xsd:action><xsd:resourceId>{permission}</xsd:resourceId></ser:permissions>"),
    )
    .assert_accepted();
}

fn add_user_in(s: &Server, user: &str, password: &str, role: &str) {
    s.call(
        Soap::V11,
        "addUser",
        &format!("<ser:userName>{user}</ser:userName><ser:credential>{password}</ser:credential><ser:roleList>{role}</ser:roleList>"),
    )
    .assert_accepted();
}

/// Every operation's SoapUI request, by operation name.
fn requests() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/soapui/soap11");
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let op = p.file_stem().unwrap().to_str().unwrap().to_string();
            (op, std::fs::read(&p).unwrap())
        })
        .collect();
    all.sort();
    assert_eq!(all.len(), 35);
    all
}

/// Whether the call was turned away by the authorization handler.
fn denied(s: &Server, user: &str, password: &str, op: &str, body: &[u8]) -> bool {
    let mut headers = Soap::V11.headers(op);
    headers.push(basic(user, password));
    let r = s.post(SERVICE_PATH, &headers, body);
    let is_denied = r.status == 500 && r.fault_string() == "Access Denied.";
    if is_denied {
        assert_eq!(r.fault_code(), "50978", "{op}: {}", r.body);
    } else {
        assert!(
            !r.body.contains("50977"),
            "{user} failed to authenticate: {}",
            r.body
        );
    }
    is_denied
}

/// Every row of every table, to show that denied calls wrote nothing. The time of the
/// caller's last login is left out: logging in records it, whatever the call then does.
fn snapshot(s: &Server) -> Vec<String> {
    let mut rows = s.table_rows(&[
        "users",
        "roles",
        "user_roles",
        "role_permissions",
        "user_claims",
    ]);
    // SQLite's rows show text as bytes, PostgreSQL's as text.
    let last_login = "http://wso2.org/claims/identity/lastLoginTime";
    let as_bytes = format!("{:?}", last_login.as_bytes());
    rows.retain(|row| !row.contains(last_login) && !row.contains(&as_bytes));
    rows
}

fn permission_matrix_of_three_roles_over_every_operation(backend: Backend) {
    let s = Server::start_on(backend);
    add_role_with(
        &s,
        "usermanager",
        "/permission/admin/manage/identity/usermgt",
    );
    add_role_with(
        &s,
        "helpdesk",
        "/permission/admin/manage/identity/usermgt/view",
    );
    add_user_in(&s, "manny", "Manny-pw-1", "usermanager");
    add_user_in(&s, "hilda", "Hilda-pw-1", "helpdesk");

    let view: BTreeSet<&str> = USERMGT_VIEW.iter().copied().collect();
    let usermgt: BTreeSet<&str> = USERMGT_VIEW.iter().chain(USERMGT_OTHER).copied().collect();
    let requests = requests();

    // Denied calls first, against a snapshot of the whole database.
    let before = snapshot(&s);
    for (op, body) in &requests {
        let expect_denied = !view.contains(op.as_str());
        assert_eq!(
            denied(&s, "hilda", "Hilda-pw-1", op, body),
            expect_denied,
            "helpdesk calling {op}"
        );
        if !usermgt.contains(op.as_str()) {
            assert!(
                denied(&s, "manny", "Manny-pw-1", op, body),
                "user manager calling {op}"
            );
        }
    }
    assert_eq!(snapshot(&s), before, "denied calls wrote nothing");

    for (op, body) in &requests {
        if usermgt.contains(op.as_str()) {
            assert!(
                !denied(&s, "manny", "Manny-pw-1", op, body),
                "user manager calling {op}"
            );
        }
        assert!(
            !denied(&s, "admin", ADMIN_PASSWORD, op, body),
            "admin calling {op}"
        );
    }
}

fn a_user_whose_role_holds_manage_changes_his_own_password(backend: Backend) {
    // As WSO2's product-is test does: role1 holds /permission/admin/manage/ and user2 calls
    // updateCredential with his own credentials.
    let s = Server::start_on(backend);
    add_role_with(&s, "role1", "/permission/admin/manage/");
    add_user_in(&s, "user2", "User2-pw-1", "role1");
    s.call_as(
        "user2",
        "User2-pw-1",
        Soap::V11,
        "updateCredential",
        "<ser:userName>user2</ser:userName><ser:newCredential>User2-pw-2</ser:newCredential><ser:oldCredential>User2-pw-1</ser:oldCredential>",
    )
    .assert_accepted();
    let r = s.call(
        Soap::V11,
        "authenticate",
        "<ser:userName>user2</ser:userName><ser:credential>User2-pw-2</ser:credential>",
    );
    assert_eq!(r.return_text(), "true");
    // A permission added without an action is WSO2's `read`, which executes nothing.
    s.call(
        Soap::V11,
        "addRole",
        "<ser:roleName>readers</ser:roleName><ser:permissions><xsd:resourceId>/permission</xsd:resourceId></ser:permissions>",
    )
    .assert_accepted();
    add_user_in(&s, "user3", "User3-pw-1", "readers");
    let r = s.call_as(
        "user3",
        "User3-pw-1",
        Soap::V11,
        "addRole",
        "<ser:roleName>sneaky</ser:roleName>",
    );
    assert_eq!(r.fault_string(), "Access Denied.");
}

crate::on_every_backend!(
    permission_matrix_of_three_roles_over_every_operation,
    a_user_whose_role_holds_manage_changes_his_own_password,
);
