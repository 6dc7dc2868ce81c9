//! SCIM as Microsoft Entra ID and Okta drive it: the request shapes their provisioning
//! documentation shows (users and groups: create, update, rename, deactivate, member add and
//! remove, filters, excludedAttributes), sent with an API token as those clients send their
//! "Secret Token", each checked by reading the resource back over SCIM and, where the SOAP
//! API sees the same data, over SOAP. Every test runs on SQLite and on PostgreSQL.

mod common;

use common::{url_encode, Backend, Server, Soap};
use serde_json::{json, Value};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A server and the bearer token a provisioning client was given.
struct Client {
    server: Server,
    bearer: String,
}

impl Client {
    fn start(backend: Backend, label: &str) -> Client {
        let server = Server::start_on(backend);
        let token = server.create_token("admin", label, &[]);
        Client {
            server,
            bearer: format!("Bearer {token}"),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, json, _) = self.server.scim_with(method, path, &self.bearer, body);
        (status, json)
    }

    /// A request that must answer `expected`; its JSON.
    fn expect(&self, expected: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, json) = self.send(method, path, body);
        assert_eq!(status, expected, "{method} {path}: {json}");
        json
    }

    fn patch(&self, path: &str, operations: Value) -> Value {
        let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
        let (status, json) = self.send("PATCH", path, Some(&body));
        assert!(
            status == 200 || status == 204,
            "PATCH {path} {operations}: {status} {json}"
        );
        self.expect(200, "GET", path, None)
    }

    fn user_filter(&self, filter: &str, extra: &str) -> Value {
        self.expect(
            200,
            "GET",
            &format!("/scim2/Users?filter={}{extra}", url_encode(filter)),
            None,
        )
    }

    fn soap_exists(&self, user: &str) -> bool {
        self.server
            .call(
                Soap::V11,
                "isExistingUser",
                &format!("<ser:userName>{user}</ser:userName>"),
            )
            .return_text()
            == "true"
    }

    fn new_user(&self, name: &str) -> String {
        let body = json!({ "schemas": [USER], "userName": name, "active": true });
        self.expect(201, "POST", "/scim2/Users", Some(&body))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The values of `emails`/`phoneNumbers` of one type.
fn typed(user: &Value, attribute: &str, kind: &str) -> Vec<String> {
    user[attribute]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|i| i["type"] == kind)
                .map(|i| i["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn address(user: &Value, kind: &str) -> Value {
    user["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == kind).cloned())
        .unwrap_or(Value::Null)
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Entra's documented user lifecycle: the create body of its SCIM validator (a 46-character
/// user name, the enterprise extension, a work e-mail marked primary), the lookup by
/// userName, multi-valued and single-valued updates, path-less updates whose keys are
/// attribute paths, the manager as a bare id, booleans as strings, and the rename.
fn entra_user_lifecycle(backend: Backend) {
    let c = Client::start(backend, "entra");
    let name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1";
    assert_eq!(name.len(), 46);
    let created = c.expect(
        201,
        "POST",
        "/scim2/Users",
        Some(&json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": name,
            "active": true,
            "displayName": "Test User",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_11@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "phoneNumbers": [
                {"type": "work", "value": "+1 425 555 0100"},
                {"type": "mobile", "value": "+1 425 555 0101"}
            ],
            "addresses": [{"type": "work", "streetAddress": "1 Microsoft Way", "locality": "Redmond",
                           "region": "WA", "postalCode": "98052", "country": "US", "primary": true}],
            "roles": [],
            ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations",
                         "costCenter": "4130", "organization": "Universal Studios",
                         "division": "Theme Park", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
        })),
    );
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/scim2/Users/{id}");
    assert_eq!(created["userName"], name);
    assert_eq!(address(&created, "work")["locality"], "Redmond");
    assert_eq!(created[ENTERPRISE]["employeeNumber"], "701984");
    assert_eq!(
        created[ENTERPRISE]["manager"]["value"],
        "26118915-6090-4610-87e4-49d8ca9f808d"
    );
    // The same data through SOAP's claims.
    assert_eq!(
        c.server.claim_value(name, "locality").as_deref(),
        Some("Redmond")
    );
    assert_eq!(
        c.server.claim_value(name, "costCenter").as_deref(),
        Some("4130")
    );
    assert_eq!(
        c.server.claim_value(name, "extendedExternalId").as_deref(),
        Some("701984")
    );

    // Entra's lookup before it creates: userName eq, and its excludedAttributes.
    let found = c.user_filter(&format!("userName eq \"{name}\""), "");
    assert_eq!(found["totalResults"], 1);
    let found = c.user_filter(
        "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"",
        "&excludedAttributes=emails",
    );
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    assert!(found["Resources"][0].get("emails").is_none());

    // Multi-valued updates, capitalised ops, and values of types the user has none of yet.
    let user = c.patch(
        &path,
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updated@testuser.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "home@testuser.com"},
            {"op": "Add", "path": "phoneNumbers[type eq \"fax\"].value", "value": "+1 425 555 0199"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "2 Microsoft Way"},
            {"op": "Add", "path": "addresses[type eq \"home\"].locality", "value": "Bellevue"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Finance"}
        ]),
    );
    assert_eq!(typed(&user, "emails", "work"), ["updated@testuser.com"]);
    assert_eq!(typed(&user, "emails", "home"), ["home@testuser.com"]);
    assert_eq!(typed(&user, "phoneNumbers", "fax"), ["+1 425 555 0199"]);
    assert_eq!(typed(&user, "phoneNumbers", "mobile"), ["+1 425 555 0101"]);
    assert_eq!(user["name"]["familyName"], "updatedFamilyName");
    assert_eq!(address(&user, "work")["streetAddress"], "2 Microsoft Way");
    assert_eq!(address(&user, "work")["locality"], "Redmond");
    assert_eq!(address(&user, "home")["locality"], "Bellevue");
    assert_eq!(user[ENTERPRISE]["department"], "Finance");

    // Path-less operations whose keys are attribute paths (Entra without aadOptscim062020),
    // and the manager as a bare id, then removed.
    let user = c.patch(
        &path,
        json!([
            {"op": "Replace", "value": {
                "name.givenName": "Don",
                "emails[type eq \"work\"].value": "don@testuser.com",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "1234",
                "title": "Engineer"
            }},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "boss-id-1"}
        ]),
    );
    assert_eq!(user["name"]["givenName"], "Don");
    assert_eq!(typed(&user, "emails", "work"), ["don@testuser.com"]);
    assert_eq!(user[ENTERPRISE]["employeeNumber"], "1234");
    assert_eq!(user[ENTERPRISE]["manager"]["value"], "boss-id-1");
    assert_eq!(user["title"], "Engineer");
    let user = c.patch(
        &path,
        json!([{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
    );
    assert!(user[ENTERPRISE].get("manager").is_none(), "{user}");

    // Deprovisioning: booleans as strings, as Entra sends them.
    let user = c.patch(
        &path,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    );
    assert_eq!(user["active"], false);
    assert_eq!(
        c.server
            .claim_value(name, "identity/accountDisabled")
            .as_deref(),
        Some("true")
    );
    let inactive = c.user_filter("active eq false", "");
    assert!(inactive["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == id.as_str()));
    let user = c.patch(
        &path,
        json!([{"op": "Replace", "value": {"active": "True"}}]),
    );
    assert_eq!(user["active"], true);

    // A rename, when the UPN changes: same id, same groups, SOAP sees the new name only.
    let group = c.expect(
        201,
        "POST",
        "/scim2/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Renamers", "members": [{"value": id}]})),
    );
    let renamed = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com";
    let user = c.patch(
        &path,
        json!([{"op": "Replace", "path": "userName", "value": renamed}]),
    );
    assert_eq!(user["userName"], renamed);
    assert_eq!(user["id"], id.as_str());
    assert_eq!(user["groups"][0]["value"], group["id"]);
    assert!(c.soap_exists(renamed));
    assert!(!c.soap_exists(name));
    assert_eq!(
        c.server.claim_value(renamed, "locality").as_deref(),
        Some("Redmond")
    );
    let found = c.user_filter(&format!("userName eq \"{renamed}\""), "");
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    // A rename onto an existing name is a uniqueness conflict, and changes nothing.
    c.new_user("taken.name@testuser.com");
    let body = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "userName", "value": "Taken.Name@testuser.com"},
        {"op": "Replace", "path": "title", "value": "Lost"}
    ]});
    let (status, error) = c.send("PATCH", &path, Some(&body));
    assert_eq!(status, 409, "{error}");
    assert_eq!(c.expect(200, "GET", &path, None)["title"], "Engineer");

    // Creating a user twice is a uniqueness conflict.
    let body = json!({"schemas": [USER], "userName": renamed});
    let (status, error) = c.send("POST", "/scim2/Users", Some(&body));
    assert_eq!(
        (status, error["scimType"].as_str()),
        (409, Some("uniqueness"))
    );

    // Hard delete.
    c.expect(204, "DELETE", &path, None);
    c.expect(404, "GET", &path, None);
}

/// Entra's group requests: create with its own extra schema, lookup by displayName without
/// members, add members, remove members by a value list (only those go), rename.
fn entra_groups_and_member_removal(backend: Backend) {
    let c = Client::start(backend, "entra");
    let (a, b, d) = (c.new_user("alice"), c.new_user("bob"), c.new_user("dana"));
    let group = c.expect(
        201,
        "POST",
        "/scim2/Groups",
        Some(&json!({
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales Team",
            "meta": {"resourceType": "Group"},
            "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"]
        })),
    );
    let id = group["id"].as_str().unwrap().to_string();
    let path = format!("/scim2/Groups/{id}");
    let found = c.expect(
        200,
        "GET",
        &format!(
            "/scim2/Groups?excludedAttributes=members&filter={}",
            url_encode("displayName eq \"Sales Team\"")
        ),
        None,
    );
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    assert!(found["Resources"][0].get("members").is_none());
    let got = c.expect(
        200,
        "GET",
        &format!("{path}?excludedAttributes=members"),
        None,
    );
    assert!(got.get("members").is_none());

    let group = c.patch(
        &path,
        json!([{"op": "Add", "path": "members", "value": [
            {"$ref": null, "value": a}, {"$ref": null, "value": b}, {"$ref": null, "value": d}
        ]}]),
    );
    let mut all = vec![a.clone(), b.clone(), d.clone()];
    all.sort();
    assert_eq!(member_ids(&group), all);

    // The data-loss case: removing one member by a value list keeps the others.
    let group = c.patch(
        &path,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": b}]}]),
    );
    let mut kept = vec![a.clone(), d.clone()];
    kept.sort();
    assert_eq!(member_ids(&group), kept);
    let roles = c.server.call(
        Soap::V11,
        "getRoleListOfUser",
        "<ser:userName>bob</ser:userName>",
    );
    assert!(!roles
        .return_texts()
        .iter()
        .any(|r| r.contains("Sales Team")));
    // The filtered form and the removal of a member that is not one.
    let group = c.patch(
        &path,
        json!([
            {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
            {"op": "Remove", "path": "members", "value": [{"value": b}]}
        ]),
    );
    assert_eq!(member_ids(&group), [d]);
    // Rename, as Entra sends it.
    let group = c.patch(
        &path,
        json!([{"op": "Replace", "path": "displayName", "value": "Sales Team EMEA"}]),
    );
    assert!(group["displayName"]
        .as_str()
        .unwrap()
        .ends_with("Sales Team EMEA"));
    // No value at all removes every member (RFC 7644 §3.5.2.2).
    let group = c.patch(&path, json!([{"op": "Remove", "path": "members"}]));
    assert!(member_ids(&group).is_empty());
    c.expect(204, "DELETE", &path, None);
}

/// Okta's requests: create with a password and a primary e-mail, lookup with its paging
/// parameters, deactivation by PUT and reactivation by PATCH, several e-mails of one type,
/// and group push (create, replace with the id in the value, member add and remove).
fn okta_users_and_group_push(backend: Backend) {
    let c = Client::start(backend, "okta");
    let user = c.expect(
        201,
        "POST",
        "/scim2/Users",
        Some(&json!({
            "schemas": [USER],
            "userName": "isaac.brock@example.com",
            "name": {"givenName": "Isaac", "familyName": "Brock"},
            "emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
            "displayName": "Isaac Brock",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq!",
            "active": true
        })),
    );
    let id = user["id"].as_str().unwrap().to_string();
    let path = format!("/scim2/Users/{id}");
    assert_eq!(user["locale"], "en-US");
    // WSO2 IS 7's locale claim, as SOAP clients read it.
    assert_eq!(
        c.server
            .claim_value("isaac.brock@example.com", "local")
            .as_deref(),
        Some("en-US")
    );
    let page = c.user_filter(
        "userName eq \"isaac.brock@example.com\"",
        "&startIndex=1&count=100",
    );
    assert_eq!(
        (page["totalResults"].clone(), page["startIndex"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(page["Resources"][0]["id"], id.as_str());
    let empty = c.user_filter(
        "userName eq \"nobody@example.com\"",
        "&startIndex=1&count=100",
    );
    assert_eq!(empty["totalResults"], 0);

    // Deactivation by PUT, with two work e-mails.
    let mut replacement = user.clone();
    replacement["active"] = json!(false);
    replacement["emails"] = json!([
        {"primary": true, "value": "isaac.brock@example.com", "type": "work"},
        {"value": "ibrock@example.com", "type": "work"}
    ]);
    let put = c.expect(200, "PUT", &path, Some(&replacement));
    assert_eq!(put["active"], false);
    assert_eq!(
        typed(&put, "emails", "work"),
        ["isaac.brock@example.com", "ibrock@example.com"]
    );
    let got = c.expect(200, "GET", &path, None);
    assert_eq!(got["active"], false);
    assert_eq!(typed(&got, "emails", "work").len(), 2);
    // Removing one of them by value leaves the other.
    let got = c.patch(
        &path,
        json!([{"op": "remove", "path": "emails[value eq \"ibrock@example.com\"]"}]),
    );
    assert_eq!(typed(&got, "emails", "work"), ["isaac.brock@example.com"]);
    let got = c.patch(&path, json!([{"op": "replace", "value": {"active": true}}]));
    assert_eq!(got["active"], true);

    // Group push.
    let group = c.expect(
        201,
        "POST",
        "/scim2/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []})),
    );
    let gid = group["id"].as_str().unwrap().to_string();
    let gpath = format!("/scim2/Groups/{gid}");
    let group = c.patch(
        &gpath,
        json!([{"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 Renamed"}}]),
    );
    assert!(group["displayName"]
        .as_str()
        .unwrap()
        .ends_with("Test SCIMv2 Renamed"));
    let other = c.new_user("other.person@example.com");
    let group = c.patch(
        &gpath,
        json!([{"op": "add", "path": "members", "value": [
            {"value": id, "display": "isaac.brock@example.com"},
            {"value": other, "display": "other.person@example.com"}
        ]}]),
    );
    assert_eq!(member_ids(&group).len(), 2);
    let group = c.patch(
        &gpath,
        json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]),
    );
    assert_eq!(member_ids(&group), [other]);
    let listed = c.expect(
        200,
        "GET",
        &format!(
            "/scim2/Groups?filter={}&startIndex=1&count=100",
            url_encode("displayName eq \"Test SCIMv2 Renamed\"")
        ),
        None,
    );
    assert_eq!(listed["totalResults"], 1);
}

crate::on_every_backend!(
    entra_user_lifecycle,
    entra_groups_and_member_removal,
    okta_users_and_group_push,
);
