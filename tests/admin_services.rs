//! The Carbon admin services beside RemoteUserStoreManagerService, over real HTTP: UserAdmin,
//! RemoteAuthorizationManagerService, UserProfileMgtService and
//! UserIdentityManagementAdminService, with the steps and assertions of WSO2's product-is
//! integration tests that call them, their permissions, faults and return shapes, and one
//! account seen the same through every front end.

mod common;

use base64::Engine as _;

use common::{basic, elements_in, Backend, HttpResponse, Options, Server, Soap, ADMIN_PASSWORD};

const USER_ADMIN_NS: &str = "http://org.apache.axis2/xsd";
const BEANS_NS: &str = "http://common.mgt.user.carbon.wso2.org/xsd";
const AUTHZ_NS: &str = "http://service.ws.um.carbon.wso2.org";
const PROFILE_NS: &str = "http://mgt.profile.user.identity.carbon.wso2.org";
const PROFILE_DTO_NS: &str = "http://mgt.profile.user.identity.carbon.wso2.org/xsd";
const IDENTITY_NS: &str = "http://services.mgt.identity.carbon.wso2.org";
const IDENTITY_DTO_NS: &str = "http://dto.mgt.identity.carbon.wso2.org/xsd";

/// Call `op` of `service` (namespace `ns`) as `user`; `inner` uses the prefix `s` for the
/// service namespace and `x` for its beans' namespace.
#[allow(clippy::too_many_arguments)]
fn call(
    server: &Server,
    service: &str,
    ns: &str,
    beans: &str,
    user: Option<(&str, &str)>,
    soap: Soap,
    op: &str,
    inner: &str,
) -> HttpResponse {
    let body = format!(
        r#"<soapenv:Envelope xmlns:soapenv="{}" xmlns:s="{ns}" xmlns:x="{beans}"><soapenv:Body><s:{op}>{inner}</s:{op}></soapenv:Body></soapenv:Envelope>"#,
        soap.namespace()
    );
    let mut headers = soap.headers(op);
    if let Some((name, password)) = user {
        headers.push(basic(name, password));
    }
    server.post(&format!("/services/{service}"), &headers, body.as_bytes())
}

fn admin(server: &Server, op: &str, inner: &str) -> HttpResponse {
    call(
        server,
        "UserAdmin",
        USER_ADMIN_NS,
        BEANS_NS,
        Some(("admin", ADMIN_PASSWORD)),
        Soap::V11,
        op,
        inner,
    )
}

fn authz(server: &Server, op: &str, inner: &str) -> HttpResponse {
    call(
        server,
        "RemoteAuthorizationManagerService",
        AUTHZ_NS,
        AUTHZ_NS,
        Some(("admin", ADMIN_PASSWORD)),
        Soap::V11,
        op,
        inner,
    )
}

fn profile_as(server: &Server, user: (&str, &str), op: &str, inner: &str) -> HttpResponse {
    call(
        server,
        "UserProfileMgtService",
        PROFILE_NS,
        PROFILE_DTO_NS,
        Some(user),
        Soap::V11,
        op,
        inner,
    )
}

fn identity(server: &Server, op: &str, inner: &str) -> HttpResponse {
    call(
        server,
        "UserIdentityManagementAdminService",
        IDENTITY_NS,
        IDENTITY_DTO_NS,
        Some(("admin", ADMIN_PASSWORD)),
        Soap::V11,
        op,
        inner,
    )
}

fn ok(r: HttpResponse) -> HttpResponse {
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

fn accepted(r: HttpResponse) {
    assert_eq!(r.status, 202, "{}", r.body);
}

/// getAllRolesNames(filter, limit) as the admin.
fn all_roles(server: &Server, filter: &str, limit: i32) -> HttpResponse {
    let inner = format!("<s:filter>{filter}</s:filter><s:limit>{limit}</s:limit>");
    ok(admin(server, "getAllRolesNames", &inner))
}

/// getRolesOfUser(user, filter, limit) as the admin.
fn roles_of(server: &Server, user: &str, filter: &str, limit: i32) -> HttpResponse {
    let inner = format!(
        "<s:userName>{user}</s:userName><s:filter>{filter}</s:filter><s:limit>{limit}</s:limit>"
    );
    ok(admin(server, "getRolesOfUser", &inner))
}

/// getUsersOfRole(role, filter, limit) as the admin.
fn members_of(server: &Server, role: &str, filter: &str, limit: i32) -> HttpResponse {
    let inner = format!(
        "<s:roleName>{role}</s:roleName><s:filter>{filter}</s:filter><s:limit>{limit}</s:limit>"
    );
    ok(admin(server, "getUsersOfRole", &inner))
}

/// The itemNames of a FlaggedName list, in order.
fn items(r: &HttpResponse) -> Vec<String> {
    elements_in(&r.body, BEANS_NS, "itemName")
        .into_iter()
        .map(|i| i.expect("itemName is never nil"))
        .collect()
}

/// The itemNames whose `selected` flag is true.
fn selected(r: &HttpResponse) -> Vec<String> {
    let names = items(r);
    let flags = elements_in(&r.body, BEANS_NS, "selected");
    names
        .into_iter()
        .zip(flags)
        .filter(|(_, f)| f.as_deref() == Some("true"))
        .map(|(n, _)| n)
        .collect()
}

fn strings(r: &HttpResponse, ns: &str) -> Vec<String> {
    elements_in(&r.body, ns, "return")
        .into_iter()
        .flatten()
        .collect()
}

fn add_user(server: &Server, name: &str, password: &str, roles: &[&str], claims: &[(&str, &str)]) {
    let roles: String = roles
        .iter()
        .map(|r| format!("<s:roles>{r}</s:roles>"))
        .collect();
    let claims: String = claims
        .iter()
        .map(|(c, v)| format!("<s:claims><x:claimURI>http://wso2.org/claims/{c}</x:claimURI><x:value>{v}</x:value></s:claims>"))
        .collect();
    let r = admin(server, "addUser", &format!("<s:userName>{name}</s:userName><s:password>{password}</s:password>{roles}{claims}<s:profileName>default</s:profileName>"));
    ok(r);
}

fn add_role(server: &Server, name: &str, users: &[&str], permissions: &[&str]) {
    let users: String = users
        .iter()
        .map(|u| format!("<s:userList>{u}</s:userList>"))
        .collect();
    let permissions: String = permissions
        .iter()
        .map(|p| format!("<s:permissions>{p}</s:permissions>"))
        .collect();
    accepted(admin(server, "addRole", &format!("<s:roleName>{name}</s:roleName>{users}{permissions}<s:isSharedRole>false</s:isSharedRole>")));
}

/// product-is UserMgtTestCase, step by step.
#[test]
fn user_admin_follows_the_product_is_user_management_test() {
    let server = Server::start();
    add_user(
        &server,
        "testAdminUser",
        "testAdminUser@123",
        &["admin"],
        &[],
    );
    add_user(&server, "user1", "passWord1@", &[], &[]);
    add_user(&server, "user2", "passWord1@", &[], &[]);
    add_user(
        &server,
        "user3",
        "passWord1@",
        &["admin"],
        &[("lastname", "user3")],
    );
    add_role(&server, "umRole1", &[], &["login"]);
    add_role(&server, "umRole2", &["user1"], &["login"]);
    add_role(&server, "umRole3", &["user1"], &["login"]);

    add_role(
        &server,
        "loginRole",
        &["testAdminUser"],
        &["/permission/admin/login"],
    );
    let r = roles_of(&server, "testAdminUser", "loginRole", -1);
    assert!(
        items(&r)
            .iter()
            .any(|i| i.eq_ignore_ascii_case("loginRole")),
        "{}",
        r.body
    );
    // Replies are FlaggedNames with the bean prefix real clients parse by name.
    assert!(
        r.body.contains("xsi:type=\"ax2644:FlaggedName\""),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("<ax2644:selected>true</ax2644:selected>"),
        "{}",
        r.body
    );

    let r = ok(admin(
        &server,
        "listAllUsers",
        "<s:filter>testAdminUser</s:filter><s:limit>-1</s:limit>",
    ));
    assert_eq!(
        items(&r),
        ["testAdminUser", "false"],
        "the list ends in the pagination tail"
    );
    let r = all_roles(&server, "admin", -1);
    assert_eq!(items(&r)[0], "admin");
    let r = all_roles(&server, "umRole1", -1);
    assert_eq!(items(&r)[0], "umRole1");
    let r = roles_of(&server, "testAdminUser", "admin", -1);
    assert_eq!(items(&r)[0], "admin");
    let r = members_of(&server, "admin", "*", 100);
    assert!(
        selected(&r).contains(&"testAdminUser".to_string()),
        "{}",
        r.body
    );
    let r = all_roles(&server, "Internal/everyone", 100);
    assert!(
        items(&r).contains(&"Internal/everyone".to_string()),
        "{}",
        r.body
    );

    // Internal roles: listed even with limit 0, gone after delete.
    accepted(admin(
        &server,
        "addInternalRole",
        "<s:roleName>umRole6</s:roleName><s:permissions>login</s:permissions>",
    ));
    let r = all_roles(&server, "umRole6", 0);
    assert!(
        items(&r).contains(&"Internal/umRole6".to_string()),
        "{}",
        r.body
    );
    accepted(admin(
        &server,
        "deleteRole",
        "<s:roleName>Internal/umRole6</s:roleName>",
    ));
    let r = all_roles(&server, "umRole6", 0);
    assert_eq!(items(&r), ["false"]);

    // addRemoveUsersOfRole, then getUsersOfRole with limit 0 lists members only.
    accepted(admin(&server, "addRemoveUsersOfRole", "<s:roleName>admin</s:roleName><s:newUsers>user1</s:newUsers><s:deletedUsers>user2</s:deletedUsers>"));
    let r = members_of(&server, "admin", "user1", 0);
    assert!(items(&r).contains(&"user1".to_string()));
    let r = members_of(&server, "admin", "user2", 0);
    assert!(!items(&r).contains(&"user2".to_string()));
    accepted(admin(
        &server,
        "addRemoveUsersOfRole",
        "<s:roleName>admin</s:roleName><s:deletedUsers>user1</s:deletedUsers>",
    ));

    accepted(admin(&server, "addRemoveRolesOfUser", "<s:userName>user1</s:userName><s:newRoles>umRole1</s:newRoles><s:deletedRoles>umRole2</s:deletedRoles>"));
    let r = roles_of(&server, "user1", "umRole1", 0);
    assert!(items(&r).contains(&"umRole1".to_string()));
    let r = roles_of(&server, "user1", "umRole2", 0);
    assert!(!items(&r).contains(&"umRole2".to_string()));

    // updateUsersOfRole by FlaggedName flags.
    let flagged = |user: &str, on: bool| {
        format!(
            "<s:userList><x:itemName>{user}</x:itemName><x:selected>{on}</x:selected></s:userList>"
        )
    };
    ok(admin(
        &server,
        "updateUsersOfRole",
        &format!(
            "<s:roleName>umRole1</s:roleName>{}{}",
            flagged("user1", true),
            flagged("user2", true)
        ),
    ));
    let r = members_of(&server, "umRole1", "user2", 100);
    assert_eq!(
        elements_in(&r.body, BEANS_NS, "selected")[0].as_deref(),
        Some("true")
    );
    ok(admin(
        &server,
        "updateUsersOfRole",
        &format!(
            "<s:roleName>umRole1</s:roleName>{}{}",
            flagged("user1", false),
            flagged("user2", false)
        ),
    ));
    let r = members_of(&server, "umRole1", "*", 0);
    assert_eq!(items(&r), ["false"]);

    // updateRolesOfUser sets the whole list.
    let r = ok(admin(
        &server,
        "getRolesOfUser",
        "<s:userName>user3</s:userName><s:limit>0</s:limit>",
    ));
    let mut roles: String = selected(&r)
        .iter()
        .map(|n| format!("<s:newRoleList>{n}</s:newRoleList>"))
        .collect();
    roles.push_str("<s:newRoleList>umRole1</s:newRoleList>");
    accepted(admin(
        &server,
        "updateRolesOfUser",
        &format!("<s:userName>user3</s:userName>{roles}"),
    ));
    let r = roles_of(&server, "user3", "umRole1", 0);
    assert!(items(&r).contains(&"umRole1".to_string()));

    // Passwords: an admin reset, and a user's own change without credentials.
    ok(admin(
        &server,
        "changePassword",
        "<s:userName>user3</s:userName><s:newPassword>passwordS1@</s:newPassword>",
    ));
    assert_eq!(
        server
            .call_as(
                "user3",
                "passwordS1@",
                Soap::V11,
                "isExistingUser",
                "<ser:userName>user3</ser:userName>"
            )
            .status,
        200
    );
    add_user(&server, "user6", "passWord1@", &[], &[]);
    let r = call(&server, "UserAdmin", USER_ADMIN_NS, BEANS_NS, None, Soap::V11, "changePasswordByUser", "<s:userName>user6@carbon.super</s:userName><s:oldPassword>passWord1@</s:oldPassword><s:newPassword>passwordS1@</s:newPassword>");
    ok(r);
    let r = call(&server, "UserAdmin", USER_ADMIN_NS, BEANS_NS, None, Soap::V11, "changePasswordByUser", "<s:userName>user6</s:userName><s:oldPassword>wrong</s:oldPassword><s:newPassword>passwordS2@</s:newPassword>");
    assert_eq!(
        r.fault_string(),
        "The current password you entered is incorrect. "
    );
    // Two-way operations carry the declared UserAdminException with its message.
    assert!(r.body.contains("UserAdminUserAdminException"), "{}", r.body);
    assert!(
        r.body.contains("<ax2644:message>The current password"),
        "{}",
        r.body
    );
    // Without credentials it is a login: wrong old passwords count towards the lock, and a
    // locked account cannot change its password here, the right one included.
    for _ in 0..5 {
        let r = call(&server, "UserAdmin", USER_ADMIN_NS, BEANS_NS, None, Soap::V11, "changePasswordByUser", "<s:userName>user6</s:userName><s:oldPassword>guess</s:oldPassword><s:newPassword>passwordS2@</s:newPassword>");
        assert_eq!(r.status, 500);
    }
    assert_eq!(
        server
            .claim_value("user6", "identity/accountLocked")
            .as_deref(),
        Some("true")
    );
    let r = call(&server, "UserAdmin", USER_ADMIN_NS, BEANS_NS, None, Soap::V11, "changePasswordByUser", "<s:userName>user6</s:userName><s:oldPassword>passwordS1@</s:oldPassword><s:newPassword>passwordS2@</s:newPassword>");
    assert_eq!(
        r.fault_string(),
        "The current password you entered is incorrect. "
    );
    // Other operations still need credentials.
    assert_eq!(
        call(
            &server,
            "UserAdmin",
            USER_ADMIN_NS,
            BEANS_NS,
            None,
            Soap::V11,
            "listUsers",
            "<s:filter>*</s:filter><s:limit>10</s:limit>"
        )
        .status,
        401
    );

    // updateRoleName, setRoleUIPermission / getRolePermissions.
    add_role(&server, "umRole7", &[], &["/permission/admin/login"]);
    accepted(admin(
        &server,
        "updateRoleName",
        "<s:roleName>umRole7</s:roleName><s:newRoleName>umRole7_1</s:newRoleName>",
    ));
    let r = all_roles(&server, "umRole7", 10);
    assert!(!items(&r).contains(&"umRole7".to_string()));
    add_role(&server, "umRole4", &[], &[]);
    accepted(admin(
        &server,
        "setRoleUIPermission",
        "<s:roleName>umRole4</s:roleName><s:rawResources>/permission/admin/login</s:rawResources>",
    ));
    let r = ok(admin(
        &server,
        "getRolePermissions",
        "<s:roleName>umRole4</s:roleName>",
    ));
    let paths = elements_in(&r.body, BEANS_NS, "resourcePath");
    let flags = elements_in(&r.body, BEANS_NS, "selected");
    let chosen: Vec<_> = paths
        .iter()
        .zip(&flags)
        .filter(|(_, f)| f.as_deref() == Some("true"))
        .map(|(p, _)| p.clone().unwrap())
        .collect();
    assert!(
        chosen.contains(&"/permission/admin/login".to_string()),
        "{chosen:?}"
    );
    add_role(&server, "umRole8", &[], &["/permission"]);
    let r = ok(admin(
        &server,
        "getRolePermissions",
        "<s:roleName>umRole8</s:roleName>",
    ));
    // The root's own fields come around its nodeList, in the bean's alphabetical order.
    assert_eq!(
        elements_in(&r.body, BEANS_NS, "displayName")[0].as_deref(),
        Some("All Permissions")
    );
    assert_eq!(
        elements_in(&r.body, BEANS_NS, "resourcePath")
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("/permission/")
    );
    assert_eq!(
        elements_in(&r.body, BEANS_NS, "selected")
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("true")
    );

    // getRolesOfCurrentUser as user3, listUserByClaim, realm info, shared roles.
    add_role(&server, "umRole5", &["user3"], &["login"]);
    let r = ok(call(
        &server,
        "UserAdmin",
        USER_ADMIN_NS,
        BEANS_NS,
        Some(("user3", "passwordS1@")),
        Soap::V12,
        "getRolesOfCurrentUser",
        "",
    ));
    assert!(selected(&r).contains(&"umRole5".to_string()), "{}", r.body);
    let r = ok(admin(&server, "listUserByClaim", "<s:claimValue><x:claimURI>http://wso2.org/claims/lastname</x:claimURI><x:value>user3</x:value></s:claimValue><s:filter>user*</s:filter><s:maxLimit>10</s:maxLimit>"));
    assert_eq!(items(&r), ["user3", "false"]);
    let r = ok(admin(&server, "getUserRealmInfo", ""));
    assert_eq!(
        elements_in(&r.body, BEANS_NS, "adminUser"),
        [Some("admin".to_string())]
    );
    assert_eq!(
        elements_in(&r.body, BEANS_NS, "maxItemsPerUIPage"),
        [Some("15".to_string())]
    );
    assert_eq!(
        strings(
            &ok(admin(&server, "isSharedRolesEnabled", "")),
            USER_ADMIN_NS
        ),
        ["false"]
    );

    // A failed addRole leaves nothing behind.
    let r = admin(
        &server,
        "addRole",
        "<s:roleName>UMROLE2</s:roleName><s:permissions>login</s:permissions>",
    );
    assert_eq!(r.status, 500);
    assert!(r.fault_string().contains("30012"), "{}", r.fault_string());
}

#[test]
fn user_admin_guards_answer_as_wso2() {
    let server = Server::start();
    add_role(
        &server,
        "usermgr",
        &[],
        &[
            "/permission/admin/manage/identity/usermgt",
            "/permission/admin/manage/identity/rolemgt",
        ],
    );
    add_user(&server, "manager", "passWord1@", &["usermgr"], &[]);
    add_user(&server, "second_admin", "passWord1@", &["admin"], &[]);
    let as_manager = |op: &str, inner: &str| {
        call(
            &server,
            "UserAdmin",
            USER_ADMIN_NS,
            BEANS_NS,
            Some(("manager", "passWord1@")),
            Soap::V11,
            op,
            inner,
        )
    };
    let r = as_manager("deleteUser", "<s:userName>admin</s:userName>");
    assert_eq!(
        r.fault_string(),
        "You do not have the required privilege to delete the admin user"
    );
    let r = as_manager("deleteUser", "<s:userName>second_admin</s:userName>");
    assert_eq!(
        r.fault_string(),
        "You do not have the required privilege to delete a user who has admin permission"
    );
    let r = as_manager(
        "changePassword",
        "<s:userName>manager</s:userName><s:newPassword>passWord2@</s:newPassword>",
    );
    assert_eq!(
        r.fault_string(),
        "An attempt to change password with out providing old password"
    );
    let r = as_manager(
        "addRole",
        "<s:roleName>sneaky</s:roleName><s:permissions>/permission/admin</s:permissions>",
    );
    assert_eq!(
        r.fault_string(),
        "You do not have the required privilege to create a role with admin permission"
    );
    let r = as_manager(
        "addRemoveRolesOfUser",
        "<s:userName>manager</s:userName><s:newRoles>admin</s:newRoles>",
    );
    assert_eq!(
        r.fault_string(),
        "Can not add users to Admin permission role"
    );
    let r = admin(
        &server,
        "addRemoveRolesOfUser",
        "<s:userName>manager</s:userName><s:deletedRoles>Internal/everyone</s:deletedRoles>",
    );
    assert_eq!(r.fault_string(), "Invalid data");
    let r = admin(
        &server,
        "setRoleUIPermission",
        "<s:roleName>admin</s:roleName><s:rawResources>/permission/admin/login</s:rawResources>",
    );
    assert_eq!(
        r.fault_string(),
        "UI permissions of Admin is not allowed to change"
    );
    let r = admin(&server, "deleteRole", "<s:roleName>admin</s:roleName>");
    assert!(
        r.fault_string().ends_with("Cannot delete admin role"),
        "{}",
        r.fault_string()
    );
    // In-only operations fault with an empty detail.
    assert!(r.body.contains("<detail/>"), "{}", r.body);
    // A user without role-management permission is denied, as Carbon's handler denies.
    add_user(&server, "viewer", "passWord1@", &[], &[]);
    let r = call(
        &server,
        "UserAdmin",
        USER_ADMIN_NS,
        BEANS_NS,
        Some(("viewer", "passWord1@")),
        Soap::V12,
        "getAllRolesNames",
        "<s:filter>*</s:filter><s:limit>10</s:limit>",
    );
    assert_eq!(r.fault_string(), "Access Denied.");
    // Bulk import from CSV, with a default password.
    let csv =
        "UserName,Password,Claims\nbulk1,Bulk1pass,http://wso2.org/claims/lastname=One\nbulk2,,\n";
    let encoded = base64::engine::general_purpose::STANDARD.encode(csv.as_bytes());
    accepted(admin(&server, "bulkImportUsers", &format!("<s:userStoreDomain>PRIMARY</s:userStoreDomain><s:fileName>users.csv</s:fileName><s:handler>{encoded}</s:handler><s:defaultPassword>Default1pass</s:defaultPassword>")));
    assert_eq!(
        server.claim_value("bulk1", "lastname").as_deref(),
        Some("One")
    );
    // The password is right: the user gets past authentication to the permission check.
    let r = server.call_as(
        "bulk2",
        "Default1pass",
        Soap::V11,
        "isExistingUser",
        "<ser:userName>bulk2</ser:userName>",
    );
    assert_eq!(r.fault_string(), "Access Denied.");
    let r = admin(
        &server,
        "bulkImportUsers",
        "<s:fileName>users.xls</s:fileName><s:handler>AAAA</s:handler>",
    );
    assert_eq!(r.fault_string(), "Unsupported format");
}

/// product-is RemoteAuthorizationManagerServiceTestCase.
#[test]
fn authorization_service_follows_the_product_is_test() {
    let server = Server::start();
    for user in ["user1", "user2", "user3", "user4"] {
        add_user(&server, user, "passWord1@", &[], &[]);
    }
    for role in ["role1", "role2", "role3", "role4", "role5", "role6"] {
        add_role(&server, role, &[], &[]);
    }
    let rule = |op: &str, who: &str, name: &str, resource: &str| {
        accepted(authz(&server, op, &format!("<s:{who}>{name}</s:{who}><s:resourceId>{resource}</s:resourceId><s:action>ui.execute</s:action>")));
    };
    let query = |op: &str, resource: &str| {
        strings(
            &ok(authz(
                &server,
                op,
                &format!("<s:resourceId>{resource}</s:resourceId><s:action>ui.execute</s:action>"),
            )),
            AUTHZ_NS,
        )
    };
    let ui_resources = |user: &str| {
        strings(
            &ok(authz(
                &server,
                "getAllowedUIResourcesForUser",
                &format!("<s:userName>{user}</s:userName>"),
            )),
            AUTHZ_NS,
        )
    };

    rule(
        "authorizeRole",
        "roleName",
        "role1",
        "/permission/admin/login",
    );
    assert!(
        query("getAllowedRolesForResource", "/permission/admin/login")
            .contains(&"role1".to_string())
    );
    let r = ok(authz(&server, "isRoleAuthorized", "<s:roleName>role1</s:roleName><s:resourceId>/permission/admin/login</s:resourceId><s:action>ui.execute</s:action>"));
    assert_eq!(strings(&r, AUTHZ_NS), ["true"]);
    rule(
        "authorizeUser",
        "userName",
        "user1",
        "/permission/admin/login",
    );
    assert!(ui_resources("user1").contains(&"/permission/admin/login".to_string()));
    let r = ok(authz(&server, "isUserAuthorized", "<s:userName>user1</s:userName><s:resourceId>/permission/admin/login</s:resourceId><s:action>ui.execute</s:action>"));
    assert_eq!(strings(&r, AUTHZ_NS), ["true"]);
    // The rule reaches the access decision of every service: user1 may now log in.
    assert_eq!(
        call(
            &server,
            "UserAdmin",
            USER_ADMIN_NS,
            BEANS_NS,
            Some(("user1", "passWord1@")),
            Soap::V11,
            "getRolesOfCurrentUser",
            ""
        )
        .status,
        200
    );

    rule(
        "authorizeRole",
        "roleName",
        "role2",
        "/testpermission/login",
    );
    accepted(authz(
        &server,
        "clearResourceAuthorizations",
        "<s:resourceId>/testpermission/login</s:resourceId>",
    ));
    let r = ok(authz(
        &server,
        "getAllowedRolesForResource",
        "<s:resourceId>/testpermission/login</s:resourceId><s:action>ui.execute</s:action>",
    ));
    assert!(
        elements_in(&r.body, AUTHZ_NS, "return").is_empty(),
        "an empty array is no return element: {}",
        r.body
    );

    rule(
        "authorizeRole",
        "roleName",
        "role3",
        "/testpermission/manage",
    );
    accepted(authz(
        &server,
        "clearRoleActionOnAllResources",
        "<s:roleName>role3</s:roleName><s:action>ui.execute</s:action>",
    ));
    assert!(
        !query("getAllowedRolesForResource", "/testpermission/manage")
            .contains(&"role3".to_string())
    );
    rule(
        "authorizeRole",
        "roleName",
        "role4",
        "/testpermission/monitor",
    );
    rule(
        "clearRoleAuthorization",
        "roleName",
        "role4",
        "/testpermission/monitor",
    );
    assert!(
        !query("getAllowedRolesForResource", "/testpermission/monitor")
            .contains(&"role4".to_string())
    );
    rule(
        "authorizeRole",
        "roleName",
        "role5",
        "/testpermission/monitor",
    );
    accepted(authz(
        &server,
        "clearAllRoleAuthorization",
        "<s:roleName>role5</s:roleName>",
    ));
    assert!(
        !query("getAllowedRolesForResource", "/testpermission/monitor")
            .contains(&"role5".to_string())
    );

    rule(
        "authorizeUser",
        "userName",
        "user2",
        "/permission/admin/login",
    );
    rule(
        "clearUserAuthorization",
        "userName",
        "user2",
        "/permission/admin/login",
    );
    assert!(!ui_resources("user2").contains(&"/permission/admin/login".to_string()));
    rule(
        "authorizeUser",
        "userName",
        "user3",
        "/permission/admin/login",
    );
    accepted(authz(
        &server,
        "clearAllUserAuthorization",
        "<s:userName>user3</s:userName>",
    ));
    assert!(ui_resources("user3").is_empty());

    rule(
        "authorizeRole",
        "roleName",
        "role6",
        "/permission/admin/login",
    );
    rule("denyRole", "roleName", "role6", "/permission/admin/login");
    assert!(
        query("getDeniedRolesForResource", "/permission/admin/login")
            .contains(&"role6".to_string())
    );
    rule("denyUser", "userName", "user4", "/permission/admin/login");
    assert!(query(
        "getExplicitlyDeniedUsersForResource",
        "/permission/admin/login"
    )
    .contains(&"user4".to_string()));

    for role in ["role1", "role2", "role3"] {
        rule("authorizeRole", "roleName", role, "/testpermission/login");
    }
    assert_eq!(
        query("getAllowedRolesForResource", "/testpermission/login").len(),
        3
    );
    for role in ["role1", "role2", "role3"] {
        rule("denyRole", "roleName", role, "/testpermission/login");
    }
    assert_eq!(
        query("getDeniedRolesForResource", "/testpermission/login").len(),
        3
    );
    for user in ["user1", "user2", "user3"] {
        rule("authorizeUser", "userName", user, "/testpermission/login");
    }
    assert_eq!(
        query(
            "getExplicitlyAllowedUsersForResource",
            "/testpermission/login"
        )
        .len(),
        3
    );

    accepted(authz(
        &server,
        "clearAllUserAuthorization",
        "<s:userName>user1</s:userName>",
    ));
    for path in [
        "/permission/admin/login",
        "/permission/admin/manage",
        "/permission/admin/monitor",
    ] {
        rule("authorizeUser", "userName", "user1", path);
    }
    assert_eq!(
        ui_resources("user1").len(),
        3,
        "{:?}",
        ui_resources("user1")
    );

    accepted(authz(&server, "authorizeUser", "<s:userName>user2</s:userName><s:resourceId>/permission/admin/</s:resourceId><s:action>ui.execute</s:action>"));
    let r = ok(authz(&server, "isUserAuthorized", "<s:userName>user2</s:userName><s:resourceId>/permission/admin/manage/identity/rolemgt/create</s:resourceId><s:action>ui.execute</s:action>"));
    assert_eq!(strings(&r, AUTHZ_NS), ["true"]);
    // In-only faults have an empty detail.
    let r = authz(
        &server,
        "authorizeRole",
        "<s:roleName>role1</s:roleName><s:action>ui.execute</s:action>",
    );
    assert_eq!(r.fault_string(), "Invalid data provided");
    assert!(r.body.contains("<detail/>"), "{}", r.body);
}

/// product-is UserProfileMgtTestCase and UserProfileAdminTestCase.
#[test]
fn profile_service_follows_the_product_is_tests() {
    let server = Server::start();
    let me = "UserProfileMgtTestUser1";
    add_user(&server, me, "passWord1@", &["admin"], &[("lastname", me)]);
    let as_admin = ("admin", ADMIN_PASSWORD);
    let r = ok(profile_as(
        &server,
        as_admin,
        "getUserProfiles",
        &format!("<s:username>{me}</s:username>"),
    ));
    assert_eq!(
        elements_in(&r.body, PROFILE_DTO_NS, "profileName")
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("default")
    );
    let r = ok(profile_as(
        &server,
        as_admin,
        "getUserProfile",
        &format!("<s:username>{me}</s:username><s:profileName>default</s:profileName>"),
    ));
    let names = elements_in(&r.body, PROFILE_DTO_NS, "displayName");
    let values = elements_in(&r.body, PROFILE_DTO_NS, "fieldValue");
    let last = names
        .iter()
        .position(|n| n.as_deref() == Some("Last Name"))
        .unwrap();
    assert_eq!(values[last].as_deref(), Some(me));
    assert!(
        r.body.contains("profileConifuration"),
        "the contract's spelling"
    );
    assert_eq!(
        strings(
            &ok(profile_as(&server, as_admin, "isAddProfileEnabled", "")),
            PROFILE_NS
        ),
        ["true"]
    );
    assert_eq!(
        strings(
            &ok(profile_as(
                &server,
                as_admin,
                "isAddProfileEnabledForDomain",
                "<s:domain>carbon.super</s:domain>"
            )),
            PROFILE_NS
        ),
        ["false"]
    );
    assert_eq!(
        strings(
            &ok(profile_as(&server, as_admin, "isReadOnlyUserStore", "")),
            PROFILE_NS
        ),
        ["false"]
    );
    // An unknown profile is nil, not a fault.
    let r = ok(profile_as(
        &server,
        as_admin,
        "getUserProfile",
        &format!("<s:username>{me}</s:username><s:profileName>work</s:profileName>"),
    ));
    assert_eq!(elements_in(&r.body, PROFILE_NS, "return"), [None]);

    let field = |claim: &str, value: &str| {
        format!("<x:fieldValues><x:claimUri>http://wso2.org/claims/{claim}</x:claimUri><x:fieldValue>{value}</x:fieldValue></x:fieldValues>")
    };
    accepted(profile_as(&server, as_admin, "setUserProfile", &format!("<s:username>{me}</s:username><s:profile>{}{}{}<x:profileName>default</x:profileName></s:profile>", field("lastname", "lastname"), field("givenname", "firstname"), field("emailaddress", "email@email.com"))));
    assert_eq!(
        server.claim_value(me, "emailaddress").as_deref(),
        Some("email@email.com")
    );
    assert_eq!(
        server.claim_value(me, "givenname").as_deref(),
        Some("firstname")
    );

    // Associations of the calling user.
    add_user(&server, "testUser2", "passWord1@", &[], &[]);
    add_role(
        &server,
        "loginonly",
        &["testUser2"],
        &["/permission/admin/login"],
    );
    let user = ("testUser2", "passWord1@");
    for id in ["dummy_idp_account_1", "dummy_idp_account_2"] {
        accepted(profile_as(
            &server,
            user,
            "associateID",
            &format!("<s:idpID>idp1</s:idpID><s:associatedID>{id}</s:associatedID>"),
        ));
    }
    let r = ok(profile_as(&server, user, "getAssociatedIDs", ""));
    assert_eq!(
        elements_in(&r.body, PROFILE_NS, "return").len(),
        2,
        "{}",
        r.body
    );
    let r = ok(profile_as(
        &server,
        as_admin,
        "getNameAssociatedWith",
        "<s:idpID>idp1</s:idpID><s:associatedID>dummy_idp_account_1</s:associatedID>",
    ));
    assert_eq!(strings(&r, PROFILE_NS), ["testUser2"]);
    // Another user's profile needs the permission.
    let r = profile_as(
        &server,
        user,
        "getUserProfile",
        &format!("<s:username>{me}</s:username><s:profileName>default</s:profileName>"),
    );
    assert_eq!(
        r.fault_string(),
        "You are not authorized to perform this action."
    );
    assert!(
        r.body.contains("UserProfileMgtServiceUserProfileException"),
        "{}",
        r.body
    );
    ok(admin(
        &server,
        "deleteUser",
        "<s:userName>testUser2</s:userName>",
    ));
    add_user(&server, "testUser2", "passWord1@", &[], &[]);
    let r = ok(admin(
        &server,
        "getRolesOfUser",
        "<s:userName>testUser2</s:userName><s:limit>0</s:limit>",
    ));
    assert!(!items(&r).contains(&"loginonly".to_string()));
}

/// A user made with UserAdmin, given a profile with UserProfileMgtService, locked and disabled
/// with UserIdentityManagementAdminService, is seen so by RemoteUserStoreManagerService and SCIM.
fn one_account_through_every_service(backend: Backend) {
    let server = Server::start_with(Options {
        backend,
        ..Default::default()
    });
    add_user(&server, "crossuser", "passWord1@", &[], &[]);
    let field = "<x:fieldValues><x:claimUri>http://wso2.org/claims/lastname</x:claimUri><x:fieldValue>Cross</x:fieldValue></x:fieldValues>";
    accepted(profile_as(&server, ("admin", ADMIN_PASSWORD), "setUserProfile", &format!("<s:username>crossuser</s:username><s:profile>{field}<x:profileName>default</x:profileName></s:profile>")));
    assert_eq!(
        server.claim_value("crossuser", "lastname").as_deref(),
        Some("Cross")
    );

    // A login records its time (WSO2's identity/lastLoginTime).
    assert_eq!(
        server.claim_value("crossuser", "identity/lastLoginTime"),
        None
    );
    let r = server.call(
        Soap::V11,
        "authenticate",
        "<ser:userName>crossuser</ser:userName><ser:credential>passWord1@</ser:credential>",
    );
    assert_eq!(r.return_text(), "true");
    let logged_in: i64 = server
        .claim_value("crossuser", "identity/lastLoginTime")
        .expect("a login records its time")
        .parse()
        .unwrap();
    assert!(logged_in > 1_700_000_000_000, "{logged_in}");

    // When the password was last set, as WSO2's identity claim reports it, and after a change.
    let before: i64 = server
        .claim_value("crossuser", "identity/lastPasswordUpdateTime")
        .expect("set at creation")
        .parse()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = call(&server, "UserAdmin", USER_ADMIN_NS, BEANS_NS, None, Soap::V11, "changePasswordByUser", "<s:userName>crossuser</s:userName><s:oldPassword>passWord1@</s:oldPassword><s:newPassword>passWord9@</s:newPassword>");
    ok(r);
    let after: i64 = server
        .claim_value("crossuser", "identity/lastPasswordUpdateTime")
        .unwrap()
        .parse()
        .unwrap();
    assert!(after > before, "{before} then {after}");
    ok(admin(
        &server,
        "changePassword",
        "<s:userName>crossuser</s:userName><s:newPassword>passWord1@</s:newPassword>",
    ));

    // The role claim is computed from the roles, as WSO2's getUserClaimValue computes it.
    add_role(&server, "crossrole", &["crossuser"], &[]);
    assert_eq!(
        server.claim_value("crossuser", "role").as_deref(),
        Some("crossrole,Internal/everyone")
    );
    accepted(admin(
        &server,
        "addRemoveRolesOfUser",
        "<s:userName>crossuser</s:userName><s:deletedRoles>crossrole</s:deletedRoles>",
    ));
    assert_eq!(
        server.claim_value("crossuser", "role").as_deref(),
        Some("Internal/everyone")
    );

    ok(identity(
        &server,
        "lockUserAccount",
        "<s:userName>crossuser</s:userName>",
    ));
    assert_eq!(
        server
            .claim_value("crossuser", "identity/accountLocked")
            .as_deref(),
        Some("true")
    );
    let auth = basic("admin", ADMIN_PASSWORD).1;
    let (_, _, scim) = server.scim_with(
        "GET",
        "/scim2/Users?filter=userName%20eq%20%22crossuser%22",
        &auth,
        None,
    );
    assert!(scim.body.contains("Cross"), "{}", scim.body);
    let login = server.call_as(
        "crossuser",
        "passWord1@",
        Soap::V11,
        "isExistingUser",
        "<ser:userName>crossuser</ser:userName>",
    );
    assert!(
        login.fault_string().contains("Authentication failed"),
        "a locked account is locked everywhere: {}",
        login.body
    );
    ok(identity(
        &server,
        "unlockUserAccount",
        "<s:userName>crossuser</s:userName>",
    ));
    assert_eq!(
        server
            .claim_value("crossuser", "identity/accountLocked")
            .as_deref(),
        Some("false")
    );

    ok(identity(
        &server,
        "disableUserAccount",
        "<s:userName>crossuser</s:userName>",
    ));
    assert_eq!(
        server
            .claim_value("crossuser", "identity/accountDisabled")
            .as_deref(),
        Some("true")
    );
    let (_, _, scim) = server.scim_with(
        "GET",
        "/scim2/Users?filter=userName%20eq%20%22crossuser%22",
        &auth,
        None,
    );
    assert!(scim.body.contains("\"active\":false"), "{}", scim.body);
    ok(identity(
        &server,
        "enableUserAccount",
        "<s:userName>crossuser</s:userName>",
    ));
    assert_eq!(
        server
            .claim_value("crossuser", "identity/accountDisabled")
            .as_deref(),
        Some("false")
    );

    // Its summaries hide the cause.
    let r = identity(
        &server,
        "lockUserAccount",
        "<s:userName>nobody</s:userName>",
    );
    assert_eq!(
        r.fault_string(),
        "Error occurred while trying to lock the account nobody"
    );
    assert!(
        r.body
            .contains("UserIdentityManagementAdminServiceIdentityMgtServiceException"),
        "{}",
        r.body
    );
    let r = identity(&server, "deleteUser", "<s:userName>nobody</s:userName>");
    assert_eq!(
        r.fault_string(),
        "Error occured while deleting user : nobody"
    );

    // Challenge questions: one set, answer stored hashed.
    ok(identity(&server, "setChallengeQuestionsOfUser", "<s:userName>crossuser</s:userName><s:challengesDTOs><x:answer>answer1</x:answer><x:id>http://wso2.org/claims/challengeQuestion1</x:id><x:order>0</x:order><x:question>Favorite food ?</x:question></s:challengesDTOs>"));
    let r = ok(identity(
        &server,
        "getChallengeQuestionsOfUser",
        "<s:userName>crossuser</s:userName>",
    ));
    assert_eq!(
        elements_in(&r.body, IDENTITY_DTO_NS, "question"),
        [Some("Favorite food ?".to_string())]
    );
    let answer = elements_in(&r.body, IDENTITY_DTO_NS, "answer")[0]
        .clone()
        .unwrap();
    assert!(answer.starts_with("$argon2id$"), "{answer}");

    // The caller's own claims, and a reset password that works everywhere.
    ok(identity(
        &server,
        "resetUserPassword",
        "<s:userName>crossuser</s:userName><s:newPassword>passWord2@</s:newPassword>",
    ));
    let r = server.call_as(
        "crossuser",
        "passWord2@",
        Soap::V11,
        "isExistingUser",
        "<ser:userName>crossuser</ser:userName>",
    );
    assert_eq!(
        r.fault_string(),
        "Access Denied.",
        "authenticated, then refused by permission"
    );
    let r = ok(call(
        &server,
        "UserIdentityManagementAdminService",
        IDENTITY_NS,
        IDENTITY_DTO_NS,
        Some(("admin", ADMIN_PASSWORD)),
        Soap::V12,
        "getAllUserIdentityClaims",
        "",
    ));
    assert!(elements_in(&r.body, IDENTITY_DTO_NS, "claimUri")
        .iter()
        .flatten()
        .any(|c| c.starts_with("http://wso2.org/claims")));
    ok(admin(
        &server,
        "deleteUser",
        "<s:userName>crossuser</s:userName>",
    ));
    assert_eq!(server.claim_value("crossuser", "lastname"), None);
}

on_every_backend!(one_account_through_every_service);

#[test]
fn every_service_serves_its_generated_wsdl_and_both_soap_versions() {
    for service in [
        "UserAdmin",
        "RemoteAuthorizationManagerService",
        "UserProfileMgtService",
        "UserIdentityManagementAdminService",
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_userstore"))
            .args(["wsdl", "--service", service])
            .output()
            .unwrap();
        assert!(output.status.success());
        let generated = String::from_utf8(output.stdout).unwrap();
        let checked_in = std::fs::read_to_string(format!(
            "{}/wsdl/{service}.wsdl",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(generated == checked_in, "wsdl/{service}.wsdl drifted: regenerate it with `cargo run -- wsdl --service {service} > wsdl/{service}.wsdl`");
    }
    let server = Server::start();
    for (soap, path) in [
        (Soap::V11, "UserAdmin.UserAdminHttpsSoap11Endpoint/"),
        (Soap::V12, "UserAdmin.UserAdminHttpsSoap12Endpoint/"),
    ] {
        let body = format!(
            r#"<e:Envelope xmlns:e="{}" xmlns:s="{USER_ADMIN_NS}"><e:Body><s:listUsers><s:filter>*</s:filter><s:limit>10</s:limit></s:listUsers></e:Body></e:Envelope>"#,
            soap.namespace()
        );
        let mut headers = soap.headers("listUsers");
        headers.push(basic("admin", ADMIN_PASSWORD));
        let r = server.post(&format!("/services/{path}"), &headers, body.as_bytes());
        assert_eq!(strings(&ok(r), USER_ADMIN_NS), ["admin"]);
    }
}

/// The admin services' changes land in the same audit trail, named with their service, the
/// caller as actor, and no password in it.
#[test]
fn admin_service_changes_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut server = Server::start_with(Options {
        env: vec![("USERSTORE_AUDIT__FILE".into(), audit.display().to_string())],
        ..Default::default()
    });
    add_user(&server, "audited", "Audited-pw-1", &[], &[]);
    ok(identity(
        &server,
        "lockUserAccount",
        "<s:userName>audited</s:userName>",
    ));
    server.stop();
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !text.contains("Audited-pw-1"),
        "the audit log leaks a password"
    );
    for action in [
        "UserAdmin.addUser",
        "UserIdentityManagementAdminService.lockUserAccount",
    ] {
        assert!(
            text.lines()
                .any(|line| line.contains(&format!("\"action\":\"{action}\""))
                    && line.contains("\"who\":\"admin\"")
                    && line.contains("\"target\":\"user:audited\"")
                    && line.contains("\"outcome\":\"success\"")),
            "{action} in {text}"
        );
    }
}
