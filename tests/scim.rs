//! SCIM 2.0 over the same store as the SOAP service, over real HTTP: seed 003's provisioning
//! flow, the two protocols reading each other's writes, filters evaluated by the store,
//! pagination, errors in SCIM's schema, permissions, `/Me` and discovery.

mod common;

use common::{basic, request_bytes, Backend, Server, Soap, ADMIN_PASSWORD};
use serde_json::{json, Value};

struct Reply {
    status: u16,
    body: Value,
    response: common::HttpResponse,
}

fn scim(
    s: &Server,
    method: &str,
    path: &str,
    auth: Option<(&str, &str)>,
    body: Option<&Value>,
) -> Reply {
    let mut headers = vec![("Accept".to_string(), "application/scim+json".to_string())];
    if body.is_some() {
        headers.push(("Content-Type".into(), "application/scim+json".into()));
    }
    if let Some((user, password)) = auth {
        headers.push(basic(user, password));
    }
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let response = s.raw(&request_bytes(
        method,
        &s.addr,
        path,
        &headers,
        bytes.as_bytes(),
    ));
    let body = if response.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", response.body))
    };
    Reply {
        status: response.status,
        body,
        response,
    }
}

const ADMIN: Option<(&str, &str)> = Some(("admin", ADMIN_PASSWORD));

fn encode(filter: &str) -> String {
    filter
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn list(s: &Server, filter: &str) -> Value {
    let r = scim(
        s,
        "GET",
        &format!("/scim2/Users?filter={}", encode(filter)),
        ADMIN,
        None,
    );
    assert_eq!(r.status, 200, "{filter}: {}", r.body);
    r.body
}

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_string())
        .collect()
}

fn seed_003_provisioning_flow_and_both_protocols_see_the_same_user(backend: Backend) {
    let s = Server::start_on(backend);
    // 1. Provision kim, as seed 003 does.
    let kim = json!({
        "schemas": [],
        "name": { "givenName": "Kim", "familyName": "Berry" },
        "emails": [{ "value": "kim@wso2.com", "primary": true }],
        "userName": "kim",
        "password": "MyPa33w@rd"
    });
    let r = scim(&s, "POST", "/scim2/Users", ADMIN, Some(&kim));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r
        .response
        .header("content-type")
        .unwrap()
        .starts_with("application/scim+json"));
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36);
    assert_eq!(r.body["userName"], "kim");
    assert_eq!(
        r.body["emails"],
        json!(["kim@wso2.com"]),
        "WSO2 writes an untyped email as a string"
    );
    assert_eq!(
        r.body["name"],
        json!({ "givenName": "Kim", "familyName": "Berry" })
    );
    assert!(r.body.get("password").is_none(), "password is write-only");
    let location = format!("http://{}/scim2/Users/{id}", s.addr);
    assert_eq!(r.body["meta"]["location"], location.as_str());
    assert_eq!(r.response.header("location"), Some(location.as_str()));
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert!(r.body["schemas"]
        .as_array()
        .unwrap()
        .contains(&json!("urn:ietf:params:scim:schemas:core:2.0:User")));
    let etag = r.response.header("etag").unwrap().to_string();
    assert_eq!(r.body["meta"]["version"], etag.as_str());

    // The same user over SOAP: id, claims, password (with the same policy).
    assert_eq!(s.claim_value("kim", "userid").as_deref(), Some(id.as_str()));
    assert_eq!(s.claim_value("kim", "givenname").as_deref(), Some("Kim"));
    assert_eq!(
        s.claim_value("kim", "emailaddress").as_deref(),
        Some("kim@wso2.com")
    );
    let r = s.call(
        Soap::V11,
        "authenticate",
        "<ser:userName>kim</ser:userName><ser:credential>MyPa33w@rd</ser:credential>",
    );
    assert_eq!(r.return_text(), "true");

    // 2. View by id.
    let r = scim(&s, "GET", &format!("/scim2/Users/{id}"), ADMIN, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"]["givenName"], "Kim");

    // 3. Replace: the new values, and nothing left of the old ones.
    let updated = json!({
        "schemas": [],
        "name": { "givenName": "Jimmy", "familyName": "Kimmel" },
        "userName": "kim",
        "emails": [{ "value": "kim@test.com", "primary": true }]
    });
    let r = scim(
        &s,
        "PUT",
        &format!("/scim2/Users/{id}"),
        ADMIN,
        Some(&updated),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["name"],
        json!({ "givenName": "Jimmy", "familyName": "Kimmel" })
    );
    assert_eq!(r.body["emails"], json!(["kim@test.com"]));
    assert_ne!(
        r.response.header("etag").unwrap(),
        etag,
        "the version moves on"
    );
    assert_eq!(
        s.claim_value("kim", "emailaddress").as_deref(),
        Some("kim@test.com")
    );
    let r = s.call(
        Soap::V11,
        "authenticate",
        "<ser:userName>kim</ser:userName><ser:credential>MyPa33w@rd</ser:credential>",
    );
    assert_eq!(r.return_text(), "true", "PUT without a password keeps it");

    // A SOAP write is read over SCIM.
    s.call(
        Soap::V11,
        "setUserClaimValue",
        "<ser:userName>kim</ser:userName><ser:claimURI>http://wso2.org/claims/emails.work</ser:claimURI><ser:claimValue>kim@work.example</ser:claimValue>",
    )
    .assert_accepted();
    let r = scim(&s, "GET", &format!("/scim2/Users/{id}"), ADMIN, None);
    assert_eq!(
        r.body["emails"],
        json!(["kim@test.com", { "type": "work", "value": "kim@work.example" }])
    );

    // 4. Delete.
    let r = scim(&s, "DELETE", &format!("/scim2/Users/{id}"), ADMIN, None);
    assert_eq!(r.status, 204);
    assert_eq!(
        scim(&s, "GET", &format!("/scim2/Users/{id}"), ADMIN, None).status,
        404
    );
    assert_eq!(
        s.call(
            Soap::V11,
            "isExistingUser",
            "<ser:userName>kim</ser:userName>"
        )
        .return_text(),
        "false"
    );
}

fn filters_are_evaluated_by_the_store_with_pagination(backend: Backend) {
    let s = Server::start_on(backend);
    for (user, given, email, disabled) in [
        ("alice", "Alice", "alice@example.com", false),
        ("albert", "Albert", "albert@example.org", true),
        ("bob", "Bob", "bob@example.com", false),
    ] {
        s.call(
            Soap::V11,
            "addUser",
            &format!(
                "<ser:userName>{user}</ser:userName><ser:credential>Pass-word-1</ser:credential>\
                 <ser:claims><xsd:claimURI>http://wso2.org/claims/givenname</xsd:claimURI><xsd:value>{given}</xsd:value></ser:claims>\
                 <ser:claims><xsd:claimURI>http://wso2.org/claims/emails.work</xsd:claimURI><xsd:value>{email}</xsd:value></ser:claims>\
                 <ser:claims><xsd:claimURI>http://wso2.org/claims/identity/accountDisabled</xsd:claimURI><xsd:value>{disabled}</xsd:value></ser:claims>"
            ),
        )
        .assert_accepted();
    }
    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "ALICE""#, &["alice"]),
        (r#"userName sw "al""#, &["albert", "alice"]),
        (r#"name.givenName co "ob""#, &["bob"]),
        (r#"emails co "example.com""#, &["alice", "bob"]),
        (r#"emails[type eq "work" and value ew ".org"]"#, &["albert"]),
        (r#"emails[type eq "home"]"#, &[]),
        (r#"active eq false"#, &["albert"]),
        (
            r#"userName sw "a" and not (active eq false)"#,
            &["admin", "alice"],
        ),
        (
            r#"userName eq "bob" or name.givenName eq "Albert""#,
            &["albert", "bob"],
        ),
        (r#"name.familyName pr"#, &[]),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z" and userName ne "admin""#,
            &["albert", "alice", "bob"],
        ),
    ];
    for (filter, expected) in cases {
        let result = list(&s, filter);
        assert_eq!(names(&result), *expected, "{filter}");
        assert_eq!(result["totalResults"], expected.len(), "{filter}");
    }
    // Pagination: 1-based startIndex, count, totalResults of the whole match.
    let r = scim(&s, "GET", "/scim2/Users?startIndex=2&count=2", ADMIN, None);
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["startIndex"], 2);
    assert_eq!(r.body["itemsPerPage"], 2);
    assert_eq!(names(&r.body), ["albert", "alice"]);
    let r = scim(
        &s,
        "POST",
        "/scim2/Users/.search",
        ADMIN,
        Some(&json!({"filter": "userName sw \"b\"", "count": 10})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.body), ["bob"]);
    // Bad filters.
    for bad in [
        r#"userName eq"#,
        r#"shoeSize eq "44""#,
        r#"meta.created gt "yesterday""#,
    ] {
        let r = scim(
            &s,
            "GET",
            &format!("/scim2/Users?filter={}", encode(bad)),
            ADMIN,
            None,
        );
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.body["scimType"], "invalidFilter", "{bad}");
        assert_eq!(
            r.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
        );
    }
}

fn errors_permissions_me_and_discovery(backend: Backend) {
    let s = Server::start_on(backend);
    let user = |name: &str, password: &str| json!({ "userName": name, "password": password });
    assert_eq!(
        scim(
            &s,
            "POST",
            "/scim2/Users",
            ADMIN,
            Some(&user("dora", "Dora-pw-1"))
        )
        .status,
        201
    );
    let r = scim(
        &s,
        "POST",
        "/scim2/Users",
        ADMIN,
        Some(&user("DORA", "Dora-pw-1")),
    );
    assert_eq!(
        (r.status, r.body["scimType"].clone()),
        (409, json!("uniqueness"))
    );
    let r = scim(
        &s,
        "POST",
        "/scim2/Users",
        ADMIN,
        Some(&json!({ "password": "x" })),
    );
    assert_eq!(
        (r.status, r.body["scimType"].clone()),
        (400, json!("invalidValue"))
    );
    // The store's password policy applies as for SOAP.
    let r = scim(
        &s,
        "POST",
        "/scim2/Users",
        ADMIN,
        Some(&user("erin", "abc")),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("Credential is not valid"),
        "{}",
        r.body
    );
    assert_eq!(
        scim(&s, "GET", "/scim2/Users/no-such-id", ADMIN, None).status,
        404
    );
    let r = scim(&s, "GET", "/scim2/Users", None, None);
    assert_eq!(r.status, 401);
    assert!(r
        .response
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic"));
    assert_eq!(
        scim(&s, "GET", "/scim2/Users", Some(("admin", "wrong")), None).status,
        401
    );
    // A view-only helpdesk may read but not create; anyone may read himself at /Me.
    s.call(
        Soap::V11,
        "addRole",
        "<ser:roleName>helpdesk</ser:roleName><ser:userList>dora</ser:userList><ser:permissions><xsd:action>ui.execute</xsd:action><xsd:resourceId>/permission/admin/manage/identity/usermgt/view</xsd:resourceId></ser:permissions>",
    )
    .assert_accepted();
    let helpdesk = Some(("dora", "Dora-pw-1"));
    assert_eq!(
        scim(
            &s,
            "POST",
            "/scim2/Users",
            helpdesk,
            Some(&user("fred", "Fred-pw-1"))
        )
        .status,
        403
    );
    assert_eq!(
        scim(&s, "GET", "/scim2/Users", helpdesk, None).status,
        403,
        "listing needs usermgt/list"
    );
    let me = scim(&s, "GET", "/scim2/Me", helpdesk, None);
    assert_eq!(
        (me.status, me.body["userName"].clone()),
        (200, json!("dora"))
    );
    let id = me.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        scim(&s, "GET", &format!("/scim2/Users/{id}"), helpdesk, None).status,
        200
    );
    // A search needs its SearchRequest body.
    let bodiless = scim(&s, "POST", "/scim2/.search", ADMIN, None);
    assert_eq!(
        (bodiless.status, bodiless.body["scimType"].clone()),
        (400, json!("invalidSyntax"))
    );
    // Wrong media type, broken JSON.
    let post_raw = |content_type: &str, body: &[u8]| {
        s.raw(&request_bytes(
            "POST",
            &s.addr,
            "/scim2/Users",
            &[
                ("Content-Type".into(), content_type.into()),
                basic("admin", ADMIN_PASSWORD),
            ],
            body,
        ))
        .status
    };
    assert_eq!(post_raw("text/plain", b"{}"), 415);
    assert_eq!(post_raw("application/json", b"{not json"), 400);
    // Discovery needs no credentials and says what is implemented.
    let config = scim(&s, "GET", "/scim2/ServiceProviderConfig", None, None);
    assert_eq!(config.status, 200);
    assert_eq!(config.body["filter"]["supported"], true);
    assert_eq!(config.body["patch"]["supported"], true);
    assert_eq!(config.body["etag"]["supported"], true);
    let types = scim(&s, "GET", "/scim2/ResourceTypes", None, None);
    assert_eq!(types.body["Resources"][0]["endpoint"], "/Users");
}

fn if_match_guards_replace_and_delete(backend: Backend) {
    let s = Server::start_on(backend);
    let r = scim(
        &s,
        "POST",
        "/scim2/Users",
        ADMIN,
        Some(&json!({ "userName": "gail", "password": "Gail-pw-1" })),
    );
    let id = r.body["id"].as_str().unwrap().to_string();
    let first = r.response.header("etag").unwrap().to_string();
    let send = |method: &str, tag: &str, body: Option<&Value>| {
        let mut headers = vec![
            basic("admin", ADMIN_PASSWORD),
            ("If-Match".to_string(), tag.to_string()),
        ];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/scim+json".into()));
        }
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        s.raw(&request_bytes(
            method,
            &s.addr,
            &format!("/scim2/Users/{id}"),
            &headers,
            bytes.as_bytes(),
        ))
    };
    let change = json!({ "userName": "gail", "title": "Chief" });
    let r = send("PUT", &first, Some(&change));
    assert_eq!(r.status, 200, "{}", r.body);
    let second = r.header("etag").unwrap().to_string();
    // The old tag no longer matches: 412, and nothing changes.
    let r = send(
        "PUT",
        &first,
        Some(&json!({ "userName": "gail", "title": "Intern" })),
    );
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(
        scim(&s, "GET", &format!("/scim2/Users/{id}"), ADMIN, None).body["title"],
        "Chief"
    );
    assert_eq!(send("DELETE", &first, None).status, 412);
    assert_eq!(send("DELETE", &second, None).status, 204);
}

fn patch(s: &Server, id: &str, operations: Value) -> Reply {
    scim(
        s,
        "PATCH",
        &format!("/scim2/Users/{id}"),
        ADMIN,
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations
        })),
    )
}

fn patch_adds_replaces_and_removes_all_or_nothing(backend: Backend) {
    let s = Server::start_on(backend);
    let hugo = create_user(
        &s,
        json!({
            "userName": "hugo",
            "password": "Hugo-pw-1",
            "name": { "givenName": "Hugo", "familyName": "Boss" },
            "emails": [{ "value": "hugo@home.example", "type": "home" }]
        }),
    );
    let id = hugo["id"].as_str().unwrap().to_string();
    // Paths, a path-less object, value filters with a sub-attribute, and remove.
    let r = patch(
        &s,
        &id,
        json!([
            { "op": "replace", "path": "name.givenName", "value": "Hugh" },
            { "op": "add", "value": { "title": "Tailor", "urn:scim:wso2:schema": { "country": "Germany" } } },
            { "op": "add", "path": "emails", "value": [{ "value": "hugo@work.example", "type": "work" }] },
            { "op": "replace", "path": "emails[type eq \"home\"].value", "value": "hugh@home.example" },
            { "op": "remove", "path": "name.familyName" }
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], json!({ "givenName": "Hugh" }));
    assert_eq!(r.body["title"], "Tailor");
    assert_eq!(r.body["urn:scim:wso2:schema"]["country"], "Germany");
    assert_eq!(
        r.body["emails"],
        json!([{ "type": "work", "value": "hugo@work.example" }, { "type": "home", "value": "hugh@home.example" }])
    );
    assert_eq!(s.claim_value("hugo", "lastname"), None);
    assert_eq!(
        s.claim_value("hugo", "emails.home").as_deref(),
        Some("hugh@home.example")
    );
    // active=false disables the account for SOAP logins too; a password set by PATCH counts.
    let r = patch(
        &s,
        &id,
        json!([
            { "op": "replace", "path": "active", "value": false },
            { "op": "replace", "path": "password", "value": "Hugo-pw-2" }
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    let login = |pw: &str| {
        s.call(
            Soap::V11,
            "authenticate",
            &format!("<ser:userName>hugo</ser:userName><ser:credential>{pw}</ser:credential>"),
        )
        .return_text()
    };
    assert_eq!(login("Hugo-pw-2"), "false", "disabled");
    patch(
        &s,
        &id,
        json!([{ "op": "replace", "path": "active", "value": true }]),
    );
    assert_eq!(login("Hugo-pw-2"), "true");
    // All or nothing: a bad operation after good ones changes nothing.
    let before = scim(&s, "GET", &format!("/scim2/Users/{id}"), ADMIN, None).body;
    for (operations, scim_type) in [
        (
            json!([{ "op": "replace", "path": "title", "value": "Mayor" }, { "op": "replace", "path": "shoeSize", "value": "44" }]),
            "invalidPath",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Mayor" }, { "op": "remove", "path": "userName" }]),
            "mutability",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Mayor" }, { "op": "replace", "path": "userName", "value": "x" }]),
            "invalidValue",
        ),
        (
            json!([{ "op": "replace", "path": "emails[value eq \"nobody@nowhere\"].value", "value": "x@y" }]),
            "noTarget",
        ),
        (json!([{ "op": "remove" }]), "noTarget"),
        (json!([{ "op": "jump", "path": "title" }]), "invalidSyntax"),
        (
            json!([{ "op": "replace", "path": "title", "value": "Mayor" }, { "op": "replace", "path": "password", "value": "x" }]),
            "invalidValue",
        ),
    ] {
        let r = patch(&s, &id, operations);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["scimType"], scim_type, "{}", r.body);
    }
    let after = scim(&s, "GET", &format!("/scim2/Users/{id}"), ADMIN, None).body;
    assert_eq!(before, after, "failed patches wrote nothing");
}

fn soap_roles_of(s: &Server, user: &str) -> Vec<String> {
    s.call(
        Soap::V11,
        "getRoleListOfUser",
        &format!("<ser:userName>{user}</ser:userName>"),
    )
    .returns()
    .into_iter()
    .flatten()
    .collect()
}

/// The groups of a ListResponse by name, without WSO2's `PRIMARY/` domain.
fn group_names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let name = g["displayName"].as_str().unwrap();
            name.strip_prefix("PRIMARY/").unwrap_or(name).to_string()
        })
        .collect()
}

/// POST a User as the admin; it must be created. Its representation.
fn create_user(s: &Server, body: Value) -> Value {
    let r = scim(s, "POST", "/scim2/Users", ADMIN, Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn new_user(s: &Server, name: &str) -> String {
    create_user(s, json!({ "userName": name, "password": "Group-pw-1" }))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn groups_are_the_stores_roles_with_members_by_id(backend: Backend) {
    let s = Server::start_on(backend);
    let (ann, bob) = (new_user(&s, "ann"), new_user(&s, "bob"));
    // Created over SCIM with a member: a role SOAP sees, named with WSO2's domain prefix.
    let r = scim(
        &s,
        "POST",
        "/scim2/Groups",
        ADMIN,
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "auditors",
            "members": [{ "value": ann }]
        })),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["displayName"], "PRIMARY/auditors");
    assert_eq!(r.body["members"][0]["display"], "ann");
    let group = r.body["id"].as_str().unwrap().to_string();
    assert!(r
        .response
        .header("location")
        .unwrap()
        .ends_with(&format!("/scim2/Groups/{group}")));
    assert!(soap_roles_of(&s, "ann").contains(&"auditors".to_string()));
    let user = scim(&s, "GET", &format!("/scim2/Users/{ann}"), ADMIN, None);
    assert!(
        user.body["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["value"] == group.as_str() && g["display"] == "PRIMARY/auditors"),
        "{}",
        user.body
    );
    // A second group with the same name is a conflict.
    let again = scim(
        &s,
        "POST",
        "/scim2/Groups",
        ADMIN,
        Some(&json!({ "displayName": "PRIMARY/auditors" })),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    // PATCH adds bob and removes ann; SOAP reads the result.
    let r = scim(
        &s,
        "PATCH",
        &format!("/scim2/Groups/{group}"),
        ADMIN,
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                { "op": "add", "path": "members", "value": [{ "value": bob }] },
                { "op": "remove", "path": format!("members[value eq \"{ann}\"]") }
            ]
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let members: Vec<&str> = r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["display"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["bob"]);
    assert!(!soap_roles_of(&s, "ann").contains(&"auditors".to_string()));
    assert!(soap_roles_of(&s, "bob").contains(&"auditors".to_string()));
    // An unknown member id fails the whole PATCH, changing nothing.
    let r = scim(
        &s,
        "PATCH",
        &format!("/scim2/Groups/{group}"),
        ADMIN,
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                { "op": "add", "path": "members", "value": [{ "value": ann }, { "value": "no-such-id" }] }
            ]
        })),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!soap_roles_of(&s, "ann").contains(&"auditors".to_string()));
    // A role SOAP made is a group too, found by displayName with or without the domain.
    s.call(
        Soap::V11,
        "addRole",
        "<ser:roleName>readers</ser:roleName><ser:userList>ann</ser:userList>",
    )
    .returns();
    for filter in [
        "displayName eq \"PRIMARY/readers\"",
        "displayName eq \"READERS\"",
    ] {
        let r = scim(
            &s,
            "GET",
            &format!("/scim2/Groups?filter={}", encode(filter)),
            ADMIN,
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 1, "{filter}: {}", r.body);
        assert_eq!(r.body["Resources"][0]["members"][0]["value"], ann.as_str());
    }
    // PUT renames and replaces members; DELETE removes the role from SOAP's view.
    let r = scim(
        &s,
        "PUT",
        &format!("/scim2/Groups/{group}"),
        ADMIN,
        Some(&json!({ "displayName": "PRIMARY/reviewers", "members": [{ "value": ann }] })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["displayName"], "PRIMARY/reviewers");
    assert!(soap_roles_of(&s, "ann").contains(&"reviewers".to_string()));
    assert!(!soap_roles_of(&s, "bob").contains(&"reviewers".to_string()));
    let r = scim(&s, "DELETE", &format!("/scim2/Groups/{group}"), ADMIN, None);
    assert_eq!(r.status, 204);
    assert_eq!(
        scim(&s, "GET", &format!("/scim2/Groups/{group}"), ADMIN, None).status,
        404
    );
    assert!(!soap_roles_of(&s, "ann").contains(&"reviewers".to_string()));
    // Listing needs the role-view permission, not only a login.
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>eve</ser:userName><ser:credential>Eve-pw-12</ser:credential>",
    )
    .returns();
    assert_eq!(
        scim(&s, "GET", "/scim2/Groups", Some(("eve", "Eve-pw-12")), None).status,
        403
    );
}

fn attributes_projection_schemas_and_methods(backend: Backend) {
    let s = Server::start_on(backend);
    let lena = create_user(
        &s,
        json!({
            "userName": "lena",
            "password": "Lena-pw-1",
            "name": { "givenName": "Lena", "familyName": "Roth" },
            "emails": [{ "value": "lena@work.example", "type": "work" }],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "Ops" }
        }),
    );
    // A user never disabled or locked carries neither flag, as in seed 003's replies.
    assert!(lena.get("active").is_none(), "{lena}");
    let id = lena["id"].as_str().unwrap().to_string();
    let get = |query: &str| {
        let r = scim(
            &s,
            "GET",
            &format!("/scim2/Users/{id}?{query}"),
            ADMIN,
            None,
        );
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        r.body
    };
    let only = get("attributes=name.familyName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
    assert_eq!(only["name"], json!({ "familyName": "Roth" }));
    assert_eq!(
        only["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        json!({ "department": "Ops" })
    );
    assert_eq!(
        (only["id"].as_str(), only["userName"].as_str()),
        (Some(id.as_str()), Some("lena"))
    );
    assert!(
        only.get("emails").is_none() && only.get("meta").is_none(),
        "{only}"
    );
    let without = get("excludedAttributes=emails,name.givenName,userName");
    assert!(without.get("emails").is_none(), "{without}");
    assert_eq!(without["name"], json!({ "familyName": "Roth" }));
    assert_eq!(without["userName"], "lena", "userName is always returned");
    // Lists and /.search take them too.
    let listed = scim(
        &s,
        "GET",
        &format!(
            "/scim2/Users?filter={}&attributes=emails.value",
            encode("userName eq \"lena\"")
        ),
        ADMIN,
        None,
    );
    assert_eq!(
        listed.body["Resources"][0]["emails"],
        json!([{ "value": "lena@work.example" }])
    );
    let searched = scim(
        &s,
        "POST",
        "/scim2/Users/.search",
        ADMIN,
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName eq \"lena\"",
            "excludedAttributes": ["meta", "name"]
        })),
    );
    let found = &searched.body["Resources"][0];
    assert!(
        found.get("meta").is_none() && found.get("name").is_none(),
        "{found}"
    );
    // Schemas are generated from the mapping table: every mapped attribute is described.
    let schemas = scim(&s, "GET", "/scim2/Schemas", None, None);
    assert_eq!(schemas.status, 200);
    let user = scim(
        &s,
        "GET",
        "/scim2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        None,
        None,
    );
    let attributes = user.body["attributes"].as_array().unwrap();
    let name = attributes.iter().find(|a| a["name"] == "name").unwrap();
    let subs: Vec<&str> = name["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        subs.contains(&"givenName") && subs.contains(&"familyName"),
        "{subs:?}"
    );
    let password = attributes.iter().find(|a| a["name"] == "password").unwrap();
    assert_eq!(
        (
            password["mutability"].as_str(),
            password["returned"].as_str()
        ),
        (Some("writeOnly"), Some("never"))
    );
    assert_eq!(schemas.body["totalResults"], 4);
    assert_eq!(
        scim(&s, "GET", "/scim2/Schemas/urn:nope", None, None).status,
        404
    );
    assert_eq!(
        scim(&s, "GET", "/scim2/ResourceTypes/Group", None, None).body["endpoint"],
        "/Groups"
    );
    // Wrong methods are 405, not 404.
    assert_eq!(
        scim(&s, "DELETE", "/scim2/ServiceProviderConfig", ADMIN, None).status,
        405
    );
    assert_eq!(scim(&s, "DELETE", "/scim2/Users", ADMIN, None).status, 405);
}

fn group_external_id_and_last_modified(backend: Backend) {
    let s = Server::start_on(backend);
    let r = scim(
        &s,
        "POST",
        "/scim2/Groups",
        ADMIN,
        Some(&json!({ "displayName": "ops", "externalId": "okta-00g1" })),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["externalId"], "okta-00g1");
    let id = r.body["id"].as_str().unwrap().to_string();
    let created = r.body["meta"]["created"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = scim(
        &s,
        "PATCH",
        &format!("/scim2/Groups/{id}"),
        ADMIN,
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "path": "externalId", "value": "okta-00g2" }]
        })),
    );
    assert_eq!(r.body["externalId"], "okta-00g2", "{}", r.body);
    assert!(r.body["meta"]["lastModified"].as_str().unwrap() > created.as_str());
    // PUT replaces: without externalId, it is gone.
    let r = scim(
        &s,
        "PUT",
        &format!("/scim2/Groups/{id}"),
        ADMIN,
        Some(&json!({ "displayName": "ops" })),
    );
    assert!(r.body.get("externalId").is_none(), "{}", r.body);
}

fn sort_by_and_sort_order_are_applied_by_the_store(backend: Backend) {
    let s = Server::start_on(backend);
    for (name, family) in [
        ("ann", Some("Young")),
        ("bob", None),
        ("cyd", Some("adams")),
        ("dan", Some("Moss")),
    ] {
        let mut body = json!({ "userName": name, "password": "Sort-pw-1" });
        if let Some(family) = family {
            body["name"] = json!({ "familyName": family });
        }
        create_user(&s, body);
    }
    let sorted = |query: &str| {
        let r = scim(
            &s,
            "GET",
            &format!(
                "/scim2/Users?filter={}&{query}",
                encode("userName ne \"admin\"")
            ),
            ADMIN,
            None,
        );
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        names(&r.body)
    };
    // Case-insensitive, accounts without the value last in both directions.
    assert_eq!(
        sorted("sortBy=name.familyName"),
        ["cyd", "dan", "ann", "bob"]
    );
    assert_eq!(
        sorted("sortBy=name.familyName&sortOrder=descending"),
        ["ann", "dan", "cyd", "bob"]
    );
    assert_eq!(
        sorted("sortBy=userName&sortOrder=descending"),
        ["dan", "cyd", "bob", "ann"]
    );
    // Pages follow the order.
    assert_eq!(
        sorted("sortBy=name.familyName&startIndex=2&count=2"),
        ["dan", "ann"]
    );
    let search = scim(
        &s,
        "POST",
        "/scim2/Users/.search",
        ADMIN,
        Some(
            &json!({ "filter": "userName ne \"admin\"", "sortBy": "name.familyName", "sortOrder": "descending" }),
        ),
    );
    assert_eq!(names(&search.body), ["ann", "dan", "cyd", "bob"]);
    for bad in ["sortBy=name", "sortBy=shoeSize", "sortOrder=sideways"] {
        let r = scim(&s, "GET", &format!("/scim2/Users?{bad}"), ADMIN, None);
        assert_eq!(
            (r.status, r.body["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{bad}"
        );
    }
}

fn bulk_runs_each_operation_with_bulk_id_references(backend: Backend) {
    let s = Server::start_on(backend);
    let bulk = |body: Value| scim(&s, "POST", "/scim2/Bulk", ADMIN, Some(&body));
    let r = bulk(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            { "method": "POST", "path": "/Users", "bulkId": "u1",
              "data": { "userName": "bulk1", "password": "Bulk-pw-1" } },
            { "method": "POST", "path": "/Groups", "bulkId": "g1",
              "data": { "displayName": "bulkers", "members": [{ "value": "bulkId:u1" }] } },
            { "method": "PATCH", "path": "/Users/bulkId:u1",
              "data": { "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{ "op": "replace", "path": "title", "value": "Bulk" }] } },
            { "method": "POST", "path": "/Users", "bulkId": "dup",
              "data": { "userName": "bulk1", "password": "Bulk-pw-1" } },
            { "method": "DELETE", "path": "/Groups/bulkId:nope" }
        ]
    }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    let statuses: Vec<&str> = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["201", "201", "200", "409", "400"], "{}", r.body);
    let ops = &r.body["Operations"];
    assert!(ops[0]["location"]
        .as_str()
        .unwrap()
        .contains("/scim2/Users/"));
    assert_eq!(ops[3]["response"]["scimType"], "uniqueness");
    // What the operations did is there, over SOAP too.
    assert!(soap_roles_of(&s, "bulk1").contains(&"bulkers".to_string()));
    assert_eq!(s.claim_value("bulk1", "title").as_deref(), Some("Bulk"));
    // failOnErrors stops after that many failures.
    let r = bulk(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            { "method": "DELETE", "path": "/Users/no-such-id" },
            { "method": "POST", "path": "/Users", "bulkId": "x",
              "data": { "userName": "never", "password": "Bulk-pw-1" } }
        ]
    }));
    assert_eq!(
        r.body["Operations"].as_array().unwrap().len(),
        1,
        "{}",
        r.body
    );
    assert_eq!(r.body["Operations"][0]["status"], "404");
    let never = list(&s, "userName eq \"never\"");
    assert_eq!(never["totalResults"], 0);
    // Limits and shape.
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({ "method": "DELETE", "path": format!("/Users/{i}") }))
        .collect();
    let r = bulk(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": too_many
    }));
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(bulk(json!({ "Operations": [] })).status, 400);
    let config = scim(&s, "GET", "/scim2/ServiceProviderConfig", None, None);
    assert_eq!(config.body["bulk"]["supported"], true);
    assert_eq!(config.body["bulk"]["maxOperations"], 1000);
}

/// Groups sort by `displayName`, `externalId`, ... in either order; `POST /Groups/.search`
/// takes its page from the body; `POST /.search` at the root pages users and then groups as
/// one list, each type selected by the filter's attribute.
fn groups_sort_and_every_search_endpoint(backend: Backend) {
    let s = Server::start_on(backend);
    new_user(&s, "ann");
    create_user(
        &s,
        json!({ "userName": "bob", "password": "Group-pw-1", "displayName": "beta" }),
    );
    let mut ids = Vec::new();
    for (name, external) in [("beta", Some("2")), ("Alpha", Some("1")), ("gamma", None)] {
        let mut body = json!({ "displayName": name });
        if let Some(external) = external {
            body["externalId"] = json!(external);
        }
        let r = scim(&s, "POST", "/scim2/Groups", ADMIN, Some(&body));
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let alpha_id = &ids[1];
    let sorted = |query: &str| {
        let r = scim(&s, "GET", &format!("/scim2/Groups?{query}"), ADMIN, None);
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        group_names(&r.body)
    };
    assert_eq!(sorted(""), ["admin", "Alpha", "beta", "gamma"]);
    assert_eq!(
        sorted("sortBy=displayName&sortOrder=descending"),
        ["gamma", "beta", "Alpha", "admin"]
    );
    // Groups without an externalId last, in name order, both ways.
    assert_eq!(
        sorted("sortBy=externalId"),
        ["Alpha", "beta", "admin", "gamma"]
    );
    assert_eq!(
        sorted(
            "sortBy=urn:ietf:params:scim:schemas:core:2.0:Group:externalId&sortOrder=descending"
        ),
        ["beta", "Alpha", "admin", "gamma"]
    );
    let nested = json!({ "displayName": "outer",
                         "members": [{ "value": alpha_id, "type": "Group" }] });
    let refused = scim(&s, "POST", "/scim2/Groups", ADMIN, Some(&nested));
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body["detail"].as_str().unwrap().contains("nested"));
    let bad = scim(&s, "GET", "/scim2/Groups?sortBy=members", ADMIN, None);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.body["scimType"], "invalidValue");
    // Groups/.search: filter, page and projection from the body.
    let search = |path: &str, body: Value| {
        let r = scim(&s, "POST", path, ADMIN, Some(&body));
        (r.status, r.body)
    };
    let request = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    let (status, found) = search(
        "/scim2/Groups/.search",
        json!({ "schemas": [request], "filter": "displayName sw \"a\"",
                "sortBy": "displayName", "sortOrder": "descending",
                "attributes": ["displayName"] }),
    );
    assert_eq!(status, 200, "{found}");
    assert_eq!(group_names(&found), ["Alpha", "admin"]);
    assert!(found["Resources"][0].get("members").is_none(), "{found}");
    // The root: users first, then groups, one total, one page.
    let kinds = |list: &Value| -> Vec<String> {
        list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| match r["schemas"][0].as_str().unwrap() {
                "urn:ietf:params:scim:schemas:core:2.0:User" => {
                    format!("user {}", r["userName"].as_str().unwrap())
                }
                _ => format!("group {}", r["displayName"].as_str().unwrap()),
            })
            .collect()
    };
    let (status, everything) = search(
        "/scim2/.search",
        json!({ "schemas": [request], "filter": "displayName eq \"beta\"" }),
    );
    assert_eq!(status, 200, "{everything}");
    assert_eq!(everything["totalResults"], 2);
    assert_eq!(kinds(&everything), ["user bob", "group PRIMARY/beta"]);
    let (_, by_user_name) = search(
        "/scim2/.search",
        json!({ "schemas": [request], "filter": "userName eq \"ann\"" }),
    );
    assert_eq!(kinds(&by_user_name), ["user ann"]);
    let (_, page) = search(
        "/scim2/.search",
        json!({ "schemas": [request], "startIndex": 3, "count": 2,
                "attributes": ["userName", "displayName"] }),
    );
    assert_eq!(page["totalResults"], 7, "{page}");
    assert_eq!(page["startIndex"], 3);
    assert_eq!(kinds(&page), ["user bob", "group PRIMARY/admin"]);
    assert!(page["Resources"][1].get("members").is_none(), "{page}");
    let (status, refused) = search(
        "/scim2/.search",
        json!({ "schemas": [request], "sortBy": "userName" }),
    );
    assert_eq!(
        (status, &refused["scimType"]),
        (400, &json!("invalidValue"))
    );
    let (status, refused) = search(
        "/scim2/.search",
        json!({ "schemas": [request], "filter": "nosuch eq \"x\"" }),
    );
    assert_eq!(
        (status, &refused["scimType"]),
        (400, &json!("invalidFilter"))
    );
}

/// Group filters are the RFC's grammar over what a group has: `displayName`, `id`,
/// `externalId`, `meta` times and `members` (any member's id, `members[value ...]` on one
/// member), evaluated by the store.
fn group_filters_are_evaluated_by_the_store(backend: Backend) {
    let s = Server::start_on(backend);
    let (ann, bob) = (new_user(&s, "ann"), new_user(&s, "bob"));
    let mut ids = Vec::new();
    for (name, external, members) in [
        ("beta", Some("2"), vec![&ann]),
        ("Alpha", Some("1"), vec![&ann, &bob]),
        ("gamma", None, vec![]),
    ] {
        let mut body = json!({ "displayName": name,
            "members": members.iter().map(|id| json!({ "value": id })).collect::<Vec<_>>() });
        if let Some(external) = external {
            body["externalId"] = json!(external);
        }
        let r = scim(&s, "POST", "/scim2/Groups", ADMIN, Some(&body));
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let filtered = |filter: &str| -> Vec<String> {
        let r = scim(
            &s,
            "GET",
            &format!("/scim2/Groups?filter={}", encode(filter)),
            ADMIN,
            None,
        );
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        group_names(&r.body)
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("externalId eq \"1\"".into(), vec!["Alpha"]),
        ("externalId pr".into(), vec!["Alpha", "beta"]),
        ("not (externalId pr)".into(), vec!["admin", "gamma"]),
        ("externalId eq null".into(), vec!["admin", "gamma"]),
        ("externalId ne \"1\"".into(), vec!["admin", "beta", "gamma"]),
        (format!("members[value eq \"{bob}\"]"), vec!["Alpha"]),
        (format!("members.value eq \"{ann}\""), vec!["Alpha", "beta"]),
        (
            format!("members[value eq \"{ann}\"] and not (members[value eq \"{bob}\"])"),
            vec!["beta"],
        ),
        ("members pr".into(), vec!["admin", "Alpha", "beta"]),
        ("not (members pr)".into(), vec!["gamma"]),
        (
            "displayName sw \"a\" or externalId eq \"2\"".into(),
            vec!["admin", "Alpha", "beta"],
        ),
        ("displayName eq \"PRIMARY/beta\"".into(), vec!["beta"]),
        (format!("id eq \"{}\"", ids[0]), vec!["beta"]),
        (
            "meta.created gt \"2001-01-01T00:00:00Z\"".into(),
            vec!["admin", "Alpha", "beta", "gamma"],
        ),
        (
            "meta.lastModified lt \"2001-01-01T00:00:00Z\"".into(),
            vec![],
        ),
    ];
    for (filter, expected) in &cases {
        assert_eq!(&filtered(filter), expected, "{filter}");
    }
    for bad in [
        "userName eq \"ann\"",
        "members[display eq \"ann\"]",
        "meta.created gt \"soon\"",
    ] {
        let r = scim(
            &s,
            "GET",
            &format!("/scim2/Groups?filter={}", encode(bad)),
            ADMIN,
            None,
        );
        assert_eq!(
            (r.status, &r.body["scimType"]),
            (400, &json!("invalidFilter")),
            "{bad}"
        );
    }
    // At the root a filter only groups have selects groups only.
    let body = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                       "filter": format!("members[value eq \"{bob}\"]") });
    let r = scim(&s, "POST", "/scim2/.search", ADMIN, Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["totalResults"], 1, "{}", r.body);
    assert_eq!(r.body["Resources"][0]["displayName"], "PRIMARY/Alpha");
}

/// A reference to a bulkId that a later POST declares waits for that POST (RFC 7644 §3.7.2);
/// a reference to a POST that failed is 409, and so are references that form a cycle (only
/// nested groups could, and a group's members are users). Results come in request order.
fn bulk_resolves_forward_references_and_refuses_cycles(backend: Backend) {
    let s = Server::start_on(backend);
    let bulk = |operations: Value| {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": operations
        });
        let r = scim(&s, "POST", "/scim2/Bulk", ADMIN, Some(&body));
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["Operations"].as_array().unwrap().clone()
    };
    let statuses = |ops: &[Value]| -> Vec<String> {
        ops.iter()
            .map(|o| o["status"].as_str().unwrap().to_string())
            .collect()
    };
    // The group and the PATCH come before the user they name.
    let ops = bulk(json!([
        { "method": "POST", "path": "/Groups", "bulkId": "g",
          "data": { "displayName": "guides", "members": [{ "value": "bulkId:alice" }] } },
        { "method": "PATCH", "path": "/Users/bulkId:alice",
          "data": { "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{ "op": "replace", "path": "title", "value": "Guide" }] } },
        { "method": "POST", "path": "/Users", "bulkId": "alice",
          "data": { "userName": "alice", "password": "Alice-pw-1" } }
    ]));
    assert_eq!(statuses(&ops), ["201", "200", "201"], "{ops:?}");
    assert_eq!(ops[0]["bulkId"], "g");
    assert_eq!(ops[2]["bulkId"], "alice");
    assert!(soap_roles_of(&s, "alice").contains(&"guides".to_string()));
    assert_eq!(s.claim_value("alice", "title").as_deref(), Some("Guide"));
    // A later POST that fails: what refers to it is 409, and nothing half-made stays.
    let ops = bulk(json!([
        { "method": "POST", "path": "/Groups", "bulkId": "g2",
          "data": { "displayName": "orphans", "members": [{ "value": "bulkId:taken" }] } },
        { "method": "POST", "path": "/Users", "bulkId": "taken",
          "data": { "userName": "alice", "password": "Alice-pw-1" } }
    ]));
    assert_eq!(statuses(&ops), ["409", "409"], "{ops:?}");
    assert_eq!(ops[1]["response"]["scimType"], "uniqueness");
    assert!(ops[0]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("failed"));
    let orphans = scim(
        &s,
        "GET",
        &format!(
            "/scim2/Groups?filter={}",
            encode("displayName eq \"orphans\"")
        ),
        ADMIN,
        None,
    );
    assert_eq!(orphans.body["totalResults"], 0, "{}", orphans.body);
    // Two groups naming each other, and an operation waiting on them: all three 409, and the
    // user that depends on nothing is still made.
    let ops = bulk(json!([
        { "method": "POST", "path": "/Groups", "bulkId": "a",
          "data": { "displayName": "ring-a", "members": [{ "value": "bulkId:b" }] } },
        { "method": "POST", "path": "/Groups", "bulkId": "b",
          "data": { "displayName": "ring-b", "members": [{ "value": "bulkId:a" }] } },
        { "method": "DELETE", "path": "/Groups/bulkId:b" },
        { "method": "POST", "path": "/Users", "bulkId": "free",
          "data": { "userName": "free", "password": "Free-pw-1" } }
    ]));
    assert_eq!(statuses(&ops), ["409", "409", "409", "201"], "{ops:?}");
    assert!(ops[0]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("cycle"));
    let rings = scim(
        &s,
        "GET",
        &format!("/scim2/Groups?filter={}", encode("displayName sw \"ring\"")),
        ADMIN,
        None,
    );
    assert_eq!(rings.body["totalResults"], 0, "{}", rings.body);
}

/// `/Me` lets any authenticated user change his own profile and password (PUT and PATCH, with
/// `If-Match`), but not his account's state: a lock or disable needs usermgt/update.
fn me_changes_the_callers_own_profile_and_password_but_not_its_state(backend: Backend) {
    let s = Server::start_on(backend);
    let id = new_user(&s, "gina");
    let gina = Some(("gina", "Group-pw-1"));
    let patch_op = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "name.givenName", "value": "Gina" }]
    });
    let patched = scim(&s, "PATCH", "/scim2/Me", gina, Some(&patch_op));
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["name"]["givenName"], "Gina");
    assert_eq!(s.claim_value("gina", "givenname").as_deref(), Some("Gina"));
    // The same user may not PATCH himself through /Users (that needs usermgt/update).
    assert_eq!(
        scim(
            &s,
            "PATCH",
            &format!("/scim2/Users/{id}"),
            gina,
            Some(&patch_op)
        )
        .status,
        403
    );
    // Disabling himself is account state: refused, nothing written.
    let disable = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": false }]
    });
    assert_eq!(
        scim(&s, "PATCH", "/scim2/Me", gina, Some(&disable)).status,
        403
    );
    assert_ne!(
        s.claim_value("gina", "identity/accountDisabled").as_deref(),
        Some("true")
    );
    // PUT replaces the profile and sets a new password, which SOAP logins then need.
    let version = scim(&s, "GET", "/scim2/Me", gina, None)
        .response
        .header("etag")
        .unwrap()
        .to_string();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "gina",
        "password": "Gina-new-pw-2",
        "name": { "familyName": "Marsh" }
    });
    let replaced = scim(&s, "PUT", "/scim2/Me", gina, Some(&body));
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["name"], json!({ "familyName": "Marsh" }));
    assert_ne!(
        replaced.body["active"], false,
        "a PUT without active changes no state"
    );
    let gina = Some(("gina", "Gina-new-pw-2"));
    assert_eq!(scim(&s, "GET", "/scim2/Me", gina, None).status, 200);
    let old = scim(&s, "GET", "/scim2/Me", Some(("gina", "Group-pw-1")), None);
    assert_eq!(old.status, 401);
    // A stale version is refused.
    let mut headers = vec![
        (
            "Content-Type".to_string(),
            "application/scim+json".to_string(),
        ),
        ("If-Match".to_string(), version),
        basic("gina", "Gina-new-pw-2"),
    ];
    headers.push(("Accept".into(), "application/scim+json".into()));
    let refused = s.raw(&request_bytes(
        "PATCH",
        &s.addr,
        "/scim2/Me",
        &headers,
        patch_op.to_string().as_bytes(),
    ));
    assert_eq!(refused.status, 412, "{}", refused.body);
    // The admin, who holds usermgt/update, may change his own state like anyone's.
    let enable = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": true }]
    });
    let admin_me = scim(&s, "PATCH", "/scim2/Me", ADMIN, Some(&enable));
    assert_eq!(
        (admin_me.status, admin_me.body["userName"].clone()),
        (200, json!("admin"))
    );
    let password = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "password", "value": "x" }]
    });
    assert_eq!(
        scim(&s, "PATCH", "/scim2/Me", gina, Some(&password)).status,
        400,
        "the password policy applies to /Me too"
    );
}

/// A Group's ETag (`meta.version`) changes with its members whichever protocol changes them, and
/// `If-Match` guards PUT, PATCH and DELETE as for Users.
fn group_etags_follow_members_from_both_protocols(backend: Backend) {
    let s = Server::start_on(backend);
    let hal = new_user(&s, "hal");
    new_user(&s, "ida");
    let created = scim(
        &s,
        "POST",
        "/scim2/Groups",
        ADMIN,
        Some(&json!({ "displayName": "audit", "members": [{ "value": hal }] })),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/scim2/Groups/{id}");
    let etag = |r: &Reply| r.response.header("etag").unwrap().to_string();
    let first = etag(&created);
    assert_eq!(created.body["meta"]["version"], json!(first));
    let read = scim(&s, "GET", &path, ADMIN, None);
    assert_eq!(etag(&read), first, "a read changes nothing");
    // A member added over SOAP (the user's side) is a new version.
    s.call(
        Soap::V11,
        "updateRoleListOfUser",
        "<ser:userName>ida</ser:userName><ser:newRoles>audit</ser:newRoles>",
    )
    .assert_accepted();
    let second = etag(&scim(&s, "GET", &path, ADMIN, None));
    assert_ne!(second, first);
    let send = |method: &str, tag: &str, body: Option<&Value>| {
        let mut headers = vec![
            ("Accept".to_string(), "application/scim+json".to_string()),
            ("If-Match".to_string(), tag.to_string()),
            basic("admin", ADMIN_PASSWORD),
        ];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/scim+json".into()));
        }
        let bytes = body.map(Value::to_string).unwrap_or_default();
        s.raw(&request_bytes(
            method,
            &s.addr,
            &path,
            &headers,
            bytes.as_bytes(),
        ))
    };
    let rename = json!({ "displayName": "audit2", "members": [{ "value": hal }] });
    let stale = send("PUT", &first, Some(&rename));
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert!(soap_roles_of(&s, "ida").contains(&"audit".to_string()));
    let put = send("PUT", &second, Some(&rename));
    assert_eq!(put.status, 200, "{}", put.body);
    assert!(!soap_roles_of(&s, "ida").contains(&"audit2".to_string()));
    let third = put.header("etag").unwrap().to_string();
    let drop_hal = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "remove", "path": format!("members[value eq \"{hal}\"]") }]
    });
    assert_eq!(send("PATCH", &second, Some(&drop_hal)).status, 412);
    assert_eq!(send("DELETE", &second, None).status, 412);
    assert_eq!(send("DELETE", &third, None).status, 204);
    assert_eq!(scim(&s, "GET", &path, ADMIN, None).status, 404);
}

crate::on_every_backend!(
    seed_003_provisioning_flow_and_both_protocols_see_the_same_user,
    filters_are_evaluated_by_the_store_with_pagination,
    errors_permissions_me_and_discovery,
    if_match_guards_replace_and_delete,
    patch_adds_replaces_and_removes_all_or_nothing,
    groups_are_the_stores_roles_with_members_by_id,
    attributes_projection_schemas_and_methods,
    group_external_id_and_last_modified,
    sort_by_and_sort_order_are_applied_by_the_store,
    bulk_runs_each_operation_with_bulk_id_references,
    bulk_resolves_forward_references_and_refuses_cycles,
    groups_sort_and_every_search_endpoint,
    group_filters_are_evaluated_by_the_store,
    me_changes_the_callers_own_profile_and_password_but_not_its_state,
    group_etags_follow_members_from_both_protocols,
);
