//! Every operation of the service, called over real HTTP with SOAP 1.1 and SOAP 1.2 envelopes,
//! asserting the exact response elements and values.

mod common;

use common::{elements_in, Backend, Server, Soap};

const COMMON_NS: &str = "http://common.mgt.user.carbon.wso2.org/xsd";
const DAO_NS: &str = "http://dao.service.ws.um.carbon.wso2.org/xsd";

/// A version 4 UUID in its canonical lower-case form.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && text
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && groups[2].starts_with('4')
}

fn user(name: &str) -> String {
    format!("<ser:userName>{name}</ser:userName>")
}

fn claim(uri: &str, value: &str) -> String {
    format!(
        "<ser:claims><xsd:claimURI>{uri}</xsd:claimURI><xsd:value>{value}</xsd:value></ser:claims>"
    )
}

fn texts(s: &Server, soap: Soap, op: &str, inner: &str) -> Vec<String> {
    let r = s.call(soap, op, inner);
    assert_eq!(r.status, 200, "{op}: {}", r.body);
    let expected_type = match soap {
        Soap::V11 => "text/xml",
        Soap::V12 => "application/soap+xml",
    };
    assert!(
        r.header("content-type").unwrap().starts_with(expected_type),
        "{op} answered in the wrong SOAP version"
    );
    assert!(
        r.body.contains(&format!(
            "<ns:{op}Response xmlns:ns=\"http://service.ws.um.carbon.wso2.org\""
        )),
        "{op}: Axis2 response wrapper missing in {}",
        r.body
    );
    r.return_texts()
}

fn one(s: &Server, soap: Soap, op: &str, inner: &str) -> String {
    let mut all = texts(s, soap, op, inner);
    assert_eq!(all.len(), 1, "{op}: {all:?}");
    all.remove(0)
}

fn accepted(s: &Server, soap: Soap, op: &str, inner: &str) {
    let r = s.call(soap, op, inner);
    assert_eq!(r.status, 202, "{op}: {}", r.body);
    assert!(r.body.is_empty());
}

fn scenario(backend: Backend, soap: Soap) {
    scenario_on(&Server::start_on(backend), soap);
}

fn scenario_on(s: &Server, soap: Soap) {
    const COUNTRY: &str = "http://wso2.org/claims/country";
    const ORG: &str = "http://wso2.org/claims/organization";
    const LASTNAME: &str = "http://wso2.org/claims/lastname";
    const FORCED_RESET: &str = "http://wso2.org/claims/identity/adminForcedPasswordReset";
    const USER_ID: &str = "http://wso2.org/claims/userid";
    const ROLE: &str = "http://wso2.org/claims/role";

    // A fresh store: the admin role, the everyone role, the super tenant, writable.
    assert_eq!(
        texts(s, soap, "getRoleNames", ""),
        ["admin", "Internal/everyone"]
    );
    assert_eq!(texts(s, soap, "getHybridRoles", ""), ["Internal/everyone"]);
    assert_eq!(one(s, soap, "isReadOnly", ""), "false");
    assert_eq!(one(s, soap, "getTenantId", ""), "-1234");

    // Roles, with permissions and an internal (hybrid) role.
    accepted(s, soap, "addRole", "<ser:roleName>teacher</ser:roleName><ser:permissions><xsd:action>ui.execute</xsd:action><xsd:resourceId>/permission/admin/manage/identity</xsd:resourceId></ser:permissions>");
    accepted(s, soap, "addRole", "<ser:roleName>doctor</ser:roleName>");
    accepted(
        s,
        soap,
        "addRole",
        "<ser:roleName>internal/auditor</ser:roleName>",
    );
    assert_eq!(
        one(
            s,
            soap,
            "isExistingRole",
            "<ser:roleName>teacher</ser:roleName>"
        ),
        "true"
    );
    assert_eq!(
        one(
            s,
            soap,
            "isExistingRole",
            "<ser:roleName>TEACHER</ser:roleName>"
        ),
        "true"
    );
    assert_eq!(
        one(
            s,
            soap,
            "isExistingRole",
            "<ser:roleName>nurse</ser:roleName>"
        ),
        "false"
    );
    assert_eq!(
        texts(s, soap, "getHybridRoles", ""),
        ["Internal/auditor", "Internal/everyone"]
    );

    // addUser with roles, claims, profile and requirePasswordChange.
    accepted(
        s,
        soap,
        "addUser",
        &format!(
            "{}<ser:credential>Secret-1</ser:credential><ser:roleList>teacher</ser:roleList>{}{}<ser:profileName>default</ser:profileName><ser:requirePasswordChange>true</ser:requirePasswordChange>",
            user("nilasini"),
            claim(COUNTRY, "England"),
            claim(ORG, "Intuit")
        ),
    );
    accepted(
        s,
        soap,
        "addUser",
        &format!("{}<ser:credential>Bob-pass1</ser:credential>", user("bob")),
    );
    assert_eq!(one(s, soap, "isExistingUser", &user("nilasini")), "true");
    assert_eq!(one(s, soap, "isExistingUser", &user("  NILASINI ")), "true");
    assert_eq!(one(s, soap, "isExistingUser", &user("ghost")), "false");

    // authenticate: right, wrong, unknown.
    let auth = |name: &str, pw: &str| {
        one(
            s,
            soap,
            "authenticate",
            &format!("{}<ser:credential>{pw}</ser:credential>", user(name)),
        )
    };
    assert_eq!(auth("nilasini", "Secret-1"), "true");
    assert_eq!(auth("nilasini", "secret-1"), "false");
    assert_eq!(auth("ghost", "Secret-1"), "false");

    // Memberships, everyone included.
    assert_eq!(
        texts(s, soap, "getRoleListOfUser", &user("nilasini")),
        ["Internal/everyone", "teacher"]
    );
    assert_eq!(
        texts(
            s,
            soap,
            "getUserListOfRole",
            "<ser:roleName>teacher</ser:roleName>"
        ),
        ["nilasini"]
    );
    assert_eq!(
        texts(
            s,
            soap,
            "getUserListOfRole",
            "<ser:roleName>Internal/everyone</ser:roleName>"
        ),
        ["admin", "bob", "nilasini"]
    );

    // Claims: single value, nil for an unset claim, Claim objects, ClaimValue pairs.
    assert_eq!(
        one(
            s,
            soap,
            "getUserClaimValue",
            &format!(
                "{}<ser:claim>{COUNTRY}</ser:claim><ser:profileName>?</ser:profileName>",
                user("nilasini")
            )
        ),
        "England"
    );
    let r = s.call(
        soap,
        "getUserClaimValue",
        &format!("{}<ser:claim>{LASTNAME}</ser:claim>", user("nilasini")),
    );
    assert_eq!(r.returns(), [None], "unset claim is xsi:nil: {}", r.body);
    let r = s.call(
        soap,
        "getUserClaimValues",
        &format!(
            "{}<ser:profileName>default</ser:profileName>",
            user("nilasini")
        ),
    );
    assert_eq!(r.status, 200);
    // WSO2's IS 5.x prefixes, which real parsers match literally.
    assert!(
        r.body.contains("xsi:type=\"ax2730:ClaimDTO\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("<ax2730:claimUri>"), "{}", r.body);
    for (prefix, ns) in [
        ("ax2724", "http://core.user.carbon.wso2.org/xsd"),
        ("ax2725", "http://api.user.carbon.wso2.org/xsd"),
        ("ax2728", COMMON_NS),
        ("ax2730", DAO_NS),
        ("ax2732", "http://tenant.core.user.carbon.wso2.org/xsd"),
    ] {
        assert!(
            r.body.contains(&format!("xmlns:{prefix}=\"{ns}\"")),
            "{prefix}"
        );
    }
    assert_eq!(
        elements_in(&r.body, DAO_NS, "claimUri"),
        [
            Some(COUNTRY.to_string()),
            Some(FORCED_RESET.to_string()),
            Some(ORG.to_string()),
            Some(ROLE.to_string()),
            Some(USER_ID.to_string())
        ],
        "requirePasswordChange is reported through WSO2's identity claim; the role claim is \
         computed from the roles; every user has an id"
    );
    let values = elements_in(&r.body, DAO_NS, "value");
    assert_eq!(
        values[..3],
        [
            Some("England".to_string()),
            Some("true".to_string()),
            Some("Intuit".to_string())
        ]
    );
    assert_eq!(
        values[3].as_deref(),
        Some("Internal/everyone,teacher"),
        "the role claim is getRoleListOfUser joined with ','"
    );
    assert!(is_uuid(values[4].as_deref().unwrap()), "{values:?}");
    // WSO2's service copies only URI and value into the DTO; the descriptive fields are nil.
    for nil_field in ["description", "dialectURI", "displayTag", "regEx"] {
        assert_eq!(
            elements_in(&r.body, DAO_NS, nil_field),
            [None, None, None, None, None],
            "{nil_field}"
        );
    }
    assert_eq!(
        elements_in(&r.body, DAO_NS, "displayOrder"),
        vec![Some("0".to_string()); 5]
    );
    let r = s.call(
        soap,
        "getUserClaimValuesForClaims",
        &format!(
            "{}<ser:claims>{COUNTRY}</ser:claims><ser:claims>{LASTNAME}</ser:claims>",
            user("nilasini")
        ),
    );
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("xsi:type=\"ax2728:ClaimValue\""),
        "{}",
        r.body
    );
    assert_eq!(
        elements_in(&r.body, COMMON_NS, "claimURI"),
        [Some(COUNTRY.to_string())]
    );
    assert_eq!(
        elements_in(&r.body, COMMON_NS, "value"),
        [Some("England".to_string())]
    );

    // Setting claims, in the default profile and in another one.
    accepted(
        s,
        soap,
        "setUserClaimValue",
        &format!(
            "{}<ser:claimURI>{LASTNAME}</ser:claimURI><ser:claimValue>thiru</ser:claimValue>",
            user("nilasini")
        ),
    );
    assert_eq!(
        one(
            s,
            soap,
            "getUserClaimValue",
            &format!("{}<ser:claim>{LASTNAME}</ser:claim>", user("nilasini"))
        ),
        "thiru"
    );
    accepted(
        s,
        soap,
        "setUserClaimValues",
        &format!(
            "{}{}{}<ser:profileName>default</ser:profileName>",
            user("nilasini"),
            claim(ORG, "wso2"),
            claim(COUNTRY, "srilanka")
        ),
    );
    assert_eq!(
        texts(s, soap, "getUserList", &format!("<ser:claimUri>{COUNTRY}</ser:claimUri><ser:claimValue>srilanka</ser:claimValue><ser:profile>default</ser:profile>")),
        ["nilasini"]
    );
    assert_eq!(
        texts(
            s,
            soap,
            "getUserList",
            &format!("<ser:claimUri>{COUNTRY}</ser:claimUri><ser:claimValue>sri*</ser:claimValue>")
        ),
        ["nilasini"]
    );
    assert!(texts(
        s,
        soap,
        "getUserList",
        &format!("<ser:claimUri>{COUNTRY}</ser:claimUri><ser:claimValue>England</ser:claimValue>")
    )
    .is_empty());
    accepted(s, soap, "setUserClaimValue", &format!("{}<ser:claimURI>http://wso2.org/claims/emailaddress</ser:claimURI><ser:claimValue>n@work.example</ser:claimValue><ser:profileName>work</ser:profileName>", user("nilasini")));
    assert_eq!(
        texts(s, soap, "getProfileNames", &user("nilasini")),
        ["default", "work"]
    );
    assert_eq!(texts(s, soap, "getProfileNames", &user("bob")), ["default"]);
    assert_eq!(
        texts(s, soap, "getAllProfileNames", ""),
        ["default", "work"]
    );

    // Deleting claims.
    accepted(
        s,
        soap,
        "deleteUserClaimValue",
        &format!(
            "{}<ser:claimURI>{LASTNAME}</ser:claimURI><ser:profileName>null</ser:profileName>",
            user("nilasini")
        ),
    );
    let r = s.call(
        soap,
        "getUserClaimValue",
        &format!("{}<ser:claim>{LASTNAME}</ser:claim>", user("nilasini")),
    );
    assert_eq!(r.returns(), [None]);
    accepted(s, soap, "deleteUserClaimValues", &format!("{}<ser:claims>{ORG}</ser:claims><ser:claims>{COUNTRY}</ser:claims><ser:profileName>default</ser:profileName>", user("nilasini")));
    let r = s.call(soap, "getUserClaimValues", &user("nilasini"));
    assert_eq!(
        elements_in(&r.body, DAO_NS, "claimUri"),
        [
            Some(FORCED_RESET.to_string()),
            Some(ROLE.to_string()),
            Some(USER_ID.to_string())
        ]
    );

    // Appending to a multi-valued claim: addUserClaimValue joins with ',' and checks nothing;
    // addUserClaimValues skips a value already present (case-insensitively) and a blank one.
    const NICKNAME: &str = "http://wso2.org/claims/nickname";
    let add_one = |value: &str| {
        accepted(
            s,
            soap,
            "addUserClaimValue",
            &format!(
                "{}<ser:claimURI>{NICKNAME}</ser:claimURI><ser:claimValue>{value}</ser:claimValue>",
                user("nilasini")
            ),
        )
    };
    let nickname = || {
        one(
            s,
            soap,
            "getUserClaimValue",
            &format!("{}<ser:claim>{NICKNAME}</ser:claim>", user("nilasini")),
        )
    };
    add_one("nila");
    assert_eq!(nickname(), "nila");
    add_one("nila");
    assert_eq!(nickname(), "nila,nila");
    accepted(
        s,
        soap,
        "addUserClaimValues",
        &format!(
            "{}{}{}{}",
            user("nilasini"),
            claim(NICKNAME, "NILA"),
            claim(NICKNAME, "sini"),
            claim(NICKNAME, " ")
        ),
    );
    assert_eq!(nickname(), "nila,nila,sini");
    accepted(
        s,
        soap,
        "deleteUserClaimValue",
        &format!(
            "{}<ser:claimURI>{NICKNAME}</ser:claimURI>",
            user("nilasini")
        ),
    );

    // listUsers: wildcard filters and WSO2's limit rules (configured maximum is 100).
    let list = |filter: &str, limit: &str| {
        texts(
            s,
            soap,
            "listUsers",
            &format!(
                "<ser:filter>{filter}</ser:filter><ser:maxItemLimit>{limit}</ser:maxItemLimit>"
            ),
        )
    };
    assert_eq!(list("*", "-1"), ["admin", "bob", "nilasini"]);
    assert_eq!(list("*", "1000"), ["admin", "bob", "nilasini"]);
    assert_eq!(list("N*", "10"), ["nilasini"]);
    assert_eq!(list("*i*", "10"), ["admin", "nilasini"]);
    assert_eq!(list("*", "2"), ["admin", "bob"]);
    assert!(list("*", "0").is_empty());
    assert!(list("zz*", "10").is_empty());

    // Credentials: by the user (old one checked) and by the admin.
    accepted(s, soap, "updateCredential", &format!("{}<ser:newCredential>Secret-2</ser:newCredential><ser:oldCredential>Secret-1</ser:oldCredential>", user("nilasini")));
    assert_eq!(auth("nilasini", "Secret-2"), "true");
    assert_eq!(auth("nilasini", "Secret-1"), "false");
    let r = s.call(
        soap,
        "getUserClaimValue",
        &format!("{}<ser:claim>{FORCED_RESET}</ser:claim>", user("nilasini")),
    );
    assert_eq!(
        r.returns(),
        [None],
        "a password change clears the forced reset"
    );
    accepted(
        s,
        soap,
        "updateCredentialByAdmin",
        &format!(
            "{}<ser:newCredential>Secret-3</ser:newCredential>",
            user("nilasini")
        ),
    );
    assert_eq!(auth("nilasini", "Secret-3"), "true");

    // Changing memberships from both sides.
    // An empty item (SOAP tools leave them in their templates) names nothing.
    accepted(s, soap, "updateRoleListOfUser", &format!("{}<ser:deletedRoles>teacher</ser:deletedRoles><ser:deletedRoles/><ser:newRoles>doctor</ser:newRoles><ser:newRoles>Internal/auditor</ser:newRoles><ser:newRoles></ser:newRoles>", user("nilasini")));
    assert_eq!(
        texts(s, soap, "getRoleListOfUser", &user("nilasini")),
        ["doctor", "Internal/auditor", "Internal/everyone"]
    );
    assert!(texts(
        s,
        soap,
        "getUserListOfRole",
        "<ser:roleName>teacher</ser:roleName>"
    )
    .is_empty());
    accepted(s, soap, "updateUserListOfRole", "<ser:roleName>doctor</ser:roleName><ser:deletedUsers>nilasini</ser:deletedUsers><ser:newUsers>bob</ser:newUsers>");
    assert_eq!(
        texts(
            s,
            soap,
            "getUserListOfRole",
            "<ser:roleName>doctor</ser:roleName>"
        ),
        ["bob"]
    );

    // Renaming keeps members.
    accepted(
        s,
        soap,
        "updateRoleName",
        "<ser:roleName>doctor</ser:roleName><ser:newRoleName>physician</ser:newRoleName>",
    );
    assert_eq!(
        one(
            s,
            soap,
            "isExistingRole",
            "<ser:roleName>doctor</ser:roleName>"
        ),
        "false"
    );
    assert_eq!(
        texts(
            s,
            soap,
            "getUserListOfRole",
            "<ser:roleName>physician</ser:roleName>"
        ),
        ["bob"]
    );

    // Ids, tenant, expiry, properties.
    let id: i32 = one(
        s,
        soap,
        "getUserId",
        "<ser:username>nilasini</ser:username>",
    )
    .parse()
    .unwrap();
    let admin_id: i32 = one(s, soap, "getUserId", "<ser:username>admin</ser:username>")
        .parse()
        .unwrap();
    assert!(id > 0 && id != admin_id);
    assert_eq!(
        one(
            s,
            soap,
            "getTenantIdofUser",
            "<ser:username>nilasini</ser:username>"
        ),
        "-1234"
    );
    assert_eq!(
        one(
            s,
            soap,
            "getPasswordExpirationTime",
            "<ser:username>nilasini</ser:username>"
        ),
        "-1"
    );
    let r = s.call(
        soap,
        "getProperties",
        "<ser:tenant><xsd:active>?</xsd:active></ser:tenant>",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // WSO2's service answers the super tenant with an empty table.
    assert!(r.returns().is_empty(), "{}", r.body);
    assert!(r.body.contains("<ns:getPropertiesResponse "), "{}", r.body);

    // Deleting a role removes its memberships; deleting a user removes the account.
    accepted(
        s,
        soap,
        "deleteRole",
        "<ser:roleName>physician</ser:roleName>",
    );
    assert_eq!(
        one(
            s,
            soap,
            "isExistingRole",
            "<ser:roleName>physician</ser:roleName>"
        ),
        "false"
    );
    assert_eq!(
        texts(s, soap, "getRoleListOfUser", &user("bob")),
        ["Internal/everyone"]
    );
    accepted(s, soap, "deleteUser", &user("nilasini"));
    assert_eq!(one(s, soap, "isExistingUser", &user("nilasini")), "false");
    assert_eq!(auth("nilasini", "Secret-3"), "false");
    assert_eq!(
        texts(
            s,
            soap,
            "getUserListOfRole",
            "<ser:roleName>Internal/auditor</ser:roleName>"
        ),
        Vec::<String>::new()
    );
}

fn every_operation_over_soap11(backend: Backend) {
    scenario(backend, Soap::V11);
}

fn every_operation_over_soap12(backend: Backend) {
    scenario(backend, Soap::V12);
}

#[test]
fn every_operation_over_https_with_plain_http_switched_off() {
    let s = Server::start_with(common::Options {
        https_only: true,
        ..Default::default()
    });
    assert!(s.addr.is_empty(), "plain HTTP is off");
    scenario_on(&s, Soap::V11);
    let r = s.call(
        Soap::V12,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    );
    assert_eq!(r.return_text(), "true", "SOAP 1.2 over TLS too");
}

#[test]
fn password_expiry_is_reported_when_configured() {
    let s = Server::start_with(common::Options {
        env: vec![("USERSTORE_REALM__PASSWORD_EXPIRY_DAYS".into(), "30".into())],
        ..Default::default()
    });
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    accepted(
        &s,
        Soap::V11,
        "addUser",
        "<ser:userName>carol</ser:userName><ser:credential>Carol-pw1</ser:credential>",
    );
    let expiry: i64 = one(
        &s,
        Soap::V11,
        "getPasswordExpirationTime",
        "<ser:username>carol</ser:username>",
    )
    .parse()
    .unwrap();
    let thirty_days = 30 * 24 * 3600 * 1000;
    assert!(
        expiry >= before + thirty_days && expiry < before + thirty_days + 60_000,
        "{expiry}"
    );
}

fn concurrent_writers_all_succeed(backend: Backend) {
    let s = Server::start_on(backend);
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let s = &s;
            scope.spawn(move || {
                for n in 0..10 {
                    accepted(
                        s,
                        Soap::V11,
                        "addUser",
                        &format!("<ser:userName>w{worker}u{n}</ser:userName><ser:credential>Pw-{worker}-{n}-x</ser:credential>"),
                    );
                }
            });
        }
    });
    let all = texts(
        &s,
        Soap::V11,
        "getUserListOfRole",
        "<ser:roleName>Internal/everyone</ser:roleName>",
    );
    assert_eq!(all.len(), 81, "80 new users plus admin");
}

#[test]
fn carbon40_contract_answers_claims_in_the_old_types() {
    let s = Server::start_with(common::Options {
        env: vec![(
            "USERSTORE_ADMIN_SERVICE__WSDL_VERSION".into(),
            "carbon-4.0".into(),
        )],
        ..Default::default()
    });
    const COUNTRY: &str = "http://wso2.org/claims/country";
    accepted(
        &s,
        Soap::V11,
        "setUserClaimValue",
        &format!(
            "{}<ser:claimURI>{COUNTRY}</ser:claimURI><ser:claimValue>Peru</ser:claimValue>",
            user("admin")
        ),
    );
    let r = s.call(Soap::V11, "getUserClaimValues", &user("admin"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("xsi:type=\"ax2442:Claim\""), "{}", r.body);
    let api_ns = "http://api.user.carbon.wso2.org/xsd";
    assert_eq!(
        elements_in(&r.body, api_ns, "claimUri"),
        [
            Some(COUNTRY.to_string()),
            Some("http://wso2.org/claims/role".to_string()),
            Some("http://wso2.org/claims/userid".to_string())
        ]
    );
    assert_eq!(
        elements_in(&r.body, api_ns, "value")[0],
        Some("Peru".to_string())
    );
    // The old Permission shape (fields in the api namespace) is taken as well.
    accepted(
        &s,
        Soap::V11,
        "addRole",
        &format!("<ser:roleName>auditors</ser:roleName><ser:permissions><a:action xmlns:a=\"{api_ns}\">ui.execute</a:action><a:resourceId xmlns:a=\"{api_ns}\">/permission/admin/login</a:resourceId></ser:permissions>"),
    );
}

fn list_users_follows_wsos_jdbc_store(backend: Backend) {
    let s = Server::start_on(backend);
    for name in ["alice", "Zed", "alf", "alix", "bob"] {
        accepted(
            &s,
            Soap::V11,
            "addUser",
            &format!(
                "<ser:userName>{name}</ser:userName><ser:credential>Pass-word-1</ser:credential>"
            ),
        );
    }
    let list = |filter: &str| {
        texts(
            &s,
            Soap::V11,
            "listUsers",
            &format!("<ser:filter>{filter}</ser:filter><ser:maxItemLimit>-1</ser:maxItemLimit>"),
        )
    };
    // Java's Arrays.sort: upper case before lower case.
    assert_eq!(list("*"), ["Zed", "admin", "alf", "alice", "alix", "bob"]);
    assert_eq!(list("  "), list("*"), "blank means everyone");
    assert_eq!(list("al?"), ["alf"], "? is exactly one character");
    assert_eq!(list("PRIMARY/al*"), ["alf", "alice", "alix"]);
    assert_eq!(list("/al*"), ["alf", "alice", "alix"]);
    assert!(
        list("SECONDARY/al*").is_empty(),
        "no other user-store domain"
    );
    // WSO2's Java accidents, answered with its texts.
    let r = s.call(
        Soap::V11,
        "listUsers",
        "<ser:maxItemLimit>10</ser:maxItemLimit>",
    );
    assert_eq!(r.status, 500);
    assert_eq!(
        r.fault_string(),
        "Error occurred while accessing Java Security Manager Privilege Block when called by method listUsers with 2 length of Objects and argTypes [class java.lang.String, int]"
    );
    let r = s.call(
        Soap::V11,
        "getUserList",
        "<ser:claimUri>http://wso2.org/claims/country</ser:claimUri>",
    );
    assert_eq!(
        r.fault_string(),
        "Error occurred while accessing Java Security Manager Privilege Block when called by method getUserList with 3 length of Objects and argTypes [class java.lang.String, class java.lang.String, class java.lang.String]"
    );
    // getRoleNames: the store's roles, then the hybrid ones.
    accepted(
        &s,
        Soap::V11,
        "addRole",
        "<ser:roleName>Internal/auditor</ser:roleName>",
    );
    accepted(
        &s,
        Soap::V11,
        "addRole",
        "<ser:roleName>zookeeper</ser:roleName>",
    );
    assert_eq!(
        texts(&s, Soap::V11, "getRoleNames", ""),
        [
            "admin",
            "zookeeper",
            "Internal/auditor",
            "Internal/everyone"
        ]
    );
}

crate::on_every_backend!(
    every_operation_over_soap11,
    every_operation_over_soap12,
    concurrent_writers_all_succeed,
    list_users_follows_wsos_jdbc_store,
);
