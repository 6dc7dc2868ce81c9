//! SCIM Users over the store's claims: the one table that maps SCIM attributes onto WSO2's
//! local claims (as WSO2's SCIM 2.0 dialect does), the JSON a User is rendered as, the account
//! a request body describes, and filters compiled into store queries through the same table.

use serde_json::{json, Map, Value};

use super::error::ScimError;
use super::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::service::provisioning::{Account, AccountWrite};
use crate::store::policy::claims;
use crate::store::{
    ClaimUri, ClaimValue, MatchOp, Password, SortKey, TextMatch, UserOrder, UserQuery,
};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// WSO2's own User extension (identity claims such as accountLocked).
pub const WSO2_SCHEMA: &str = "urn:scim:wso2:schema";
/// List responses.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// How a claim's text reads as a SCIM value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string.
    Text,
    /// A boolean stored as `true`/`false`.
    Boolean,
    /// A boolean stored inverted (`active` is "not accountDisabled").
    NegatedBoolean,
}

/// A single-valued SCIM attribute and the claim that holds it.
struct Attribute {
    schema: &'static str,
    /// The attribute, `parent.sub` for a sub-attribute, as SCIM spells it.
    path: &'static str,
    claim: &'static str,
    kind: Kind,
}

const fn text(schema: &'static str, path: &'static str, claim: &'static str) -> Attribute {
    Attribute {
        schema,
        path,
        claim,
        kind: Kind::Text,
    }
}

/// The single-valued attributes (WSO2's SCIM 2.0 claim dialect, for the claims this store has).
const ATTRIBUTES: &[Attribute] = &[
    text(
        USER_SCHEMA,
        "externalId",
        "http://wso2.org/claims/externalid",
    ),
    text(
        USER_SCHEMA,
        "name.givenName",
        "http://wso2.org/claims/givenname",
    ),
    text(
        USER_SCHEMA,
        "name.familyName",
        "http://wso2.org/claims/lastname",
    ),
    text(
        USER_SCHEMA,
        "name.middleName",
        "http://wso2.org/claims/middleName",
    ),
    text(
        USER_SCHEMA,
        "name.formatted",
        "http://wso2.org/claims/fullname",
    ),
    text(
        USER_SCHEMA,
        "displayName",
        "http://wso2.org/claims/displayName",
    ),
    text(USER_SCHEMA, "nickName", "http://wso2.org/claims/nickname"),
    text(USER_SCHEMA, "profileUrl", "http://wso2.org/claims/url"),
    text(USER_SCHEMA, "title", "http://wso2.org/claims/title"),
    text(USER_SCHEMA, "userType", "http://wso2.org/claims/userType"),
    text(
        USER_SCHEMA,
        "preferredLanguage",
        "http://wso2.org/claims/preferredLanguage",
    ),
    text(USER_SCHEMA, "timezone", "http://wso2.org/claims/timeZone"),
    text(USER_SCHEMA, "locale", "http://wso2.org/claims/local"),
    Attribute {
        schema: USER_SCHEMA,
        path: "active",
        claim: claims::ACCOUNT_DISABLED,
        kind: Kind::NegatedBoolean,
    },
    text(
        ENTERPRISE_SCHEMA,
        "organization",
        "http://wso2.org/claims/organization",
    ),
    text(
        ENTERPRISE_SCHEMA,
        "department",
        "http://wso2.org/claims/department",
    ),
    // WSO2's SCIM 2.0 dialect maps employeeNumber and the manager's reference and name onto
    // these "extended" claims; division and the manager's id have none there, so userstore
    // adds `division` and `manager` to the local dialect.
    text(
        ENTERPRISE_SCHEMA,
        "employeeNumber",
        "http://wso2.org/claims/extendedExternalId",
    ),
    text(
        ENTERPRISE_SCHEMA,
        "costCenter",
        "http://wso2.org/claims/costCenter",
    ),
    text(
        ENTERPRISE_SCHEMA,
        "division",
        "http://wso2.org/claims/division",
    ),
    text(
        ENTERPRISE_SCHEMA,
        "manager.value",
        "http://wso2.org/claims/manager",
    ),
    text(
        ENTERPRISE_SCHEMA,
        "manager.$ref",
        "http://wso2.org/claims/extendedRef",
    ),
    text(
        ENTERPRISE_SCHEMA,
        "manager.displayName",
        "http://wso2.org/claims/extendedDisplayName",
    ),
    text(WSO2_SCHEMA, "country", "http://wso2.org/claims/country"),
    Attribute {
        schema: WSO2_SCHEMA,
        path: "accountLocked",
        claim: claims::ACCOUNT_LOCKED,
        kind: Kind::Boolean,
    },
];

/// The multi-valued attributes: each `type` of value is its own claim (`None`: no type).
const MULTI_VALUED: &[(&str, Option<&str>, &str)] = &[
    ("emails", None, "http://wso2.org/claims/emailaddress"),
    ("emails", Some("work"), "http://wso2.org/claims/emails.work"),
    ("emails", Some("home"), "http://wso2.org/claims/emails.home"),
    (
        "emails",
        Some("other"),
        "http://wso2.org/claims/emails.other",
    ),
    ("phoneNumbers", None, "http://wso2.org/claims/phoneNumbers"),
    (
        "phoneNumbers",
        Some("mobile"),
        "http://wso2.org/claims/mobile",
    ),
    (
        "phoneNumbers",
        Some("home"),
        "http://wso2.org/claims/phoneNumbers.home",
    ),
    (
        "phoneNumbers",
        Some("work"),
        "http://wso2.org/claims/phoneNumbers.work",
    ),
    (
        "phoneNumbers",
        Some("fax"),
        "http://wso2.org/claims/phoneNumbers.fax",
    ),
    (
        "phoneNumbers",
        Some("pager"),
        "http://wso2.org/claims/phoneNumbers.pager",
    ),
    (
        "phoneNumbers",
        Some("other"),
        "http://wso2.org/claims/phoneNumbers.other",
    ),
];

/// The sub-attributes of an address that are stored.
pub const ADDRESS_FIELDS: [&str; 6] = [
    "formatted",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
];

/// `addresses`: each type's fields are claims. A work address (and one without a type) lives
/// in WSO2's own address claims; home and other addresses in claims userstore adds.
const ADDRESSES: &[(&str, &str, &str)] = &[
    ("work", "formatted", "http://wso2.org/claims/addresses"),
    (
        "work",
        "streetAddress",
        "http://wso2.org/claims/streetaddress",
    ),
    ("work", "locality", "http://wso2.org/claims/locality"),
    ("work", "region", "http://wso2.org/claims/region"),
    ("work", "postalCode", "http://wso2.org/claims/postalcode"),
    ("work", "country", "http://wso2.org/claims/country"),
    (
        "home",
        "formatted",
        "http://wso2.org/claims/addresses.home.formatted",
    ),
    (
        "home",
        "streetAddress",
        "http://wso2.org/claims/addresses.home.streetAddress",
    ),
    (
        "home",
        "locality",
        "http://wso2.org/claims/addresses.home.locality",
    ),
    (
        "home",
        "region",
        "http://wso2.org/claims/addresses.home.region",
    ),
    (
        "home",
        "postalCode",
        "http://wso2.org/claims/addresses.home.postalCode",
    ),
    (
        "home",
        "country",
        "http://wso2.org/claims/addresses.home.country",
    ),
    (
        "other",
        "formatted",
        "http://wso2.org/claims/addresses.other.formatted",
    ),
    (
        "other",
        "streetAddress",
        "http://wso2.org/claims/addresses.other.streetAddress",
    ),
    (
        "other",
        "locality",
        "http://wso2.org/claims/addresses.other.locality",
    ),
    (
        "other",
        "region",
        "http://wso2.org/claims/addresses.other.region",
    ),
    (
        "other",
        "postalCode",
        "http://wso2.org/claims/addresses.other.postalCode",
    ),
    (
        "other",
        "country",
        "http://wso2.org/claims/addresses.other.country",
    ),
];

/// The address types with claims, in the order a User lists them.
pub const ADDRESS_TYPES: [&str; 3] = ["work", "home", "other"];

/// The address type a request names (`Work`, absent: work); `None` for a type with no claims.
pub fn address_type(kind: Option<&str>) -> Option<&'static str> {
    let kind = kind.unwrap_or("work");
    ADDRESS_TYPES
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(kind))
}

/// The claim of an address field (`streetAddress`, any case) of an address type.
pub fn address_claim(kind: &str, field: &str) -> Option<&'static str> {
    ADDRESSES
        .iter()
        .find(|(k, f, _)| *k == kind && f.eq_ignore_ascii_case(field))
        .map(|(_, _, claim)| *claim)
}

/// Every claim of one address type.
pub fn address_claims(kind: &str) -> impl Iterator<Item = &'static str> + '_ {
    ADDRESSES
        .iter()
        .filter(move |(k, _, _)| *k == kind)
        .map(|(_, _, claim)| *claim)
}

/// WSO2's separator of a multi-valued claim's values (its MultiAttributeSeparator): several
/// values of one type (two work e-mails) are one claim.
pub const VALUE_SEPARATOR: char = ',';

/// The values a multi-valued claim holds.
pub fn split_values(stored: &str) -> impl Iterator<Item = &str> {
    stored
        .split(VALUE_SEPARATOR)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Several values as one claim's text; a value holding the separator cannot share a claim.
pub fn join_values(attribute: &str, values: &[String]) -> Result<String, ScimError> {
    if values.len() > 1 && values.iter().any(|v| v.contains(VALUE_SEPARATOR)) {
        return Err(invalid(format!(
            "{attribute}: a value with ',' cannot share its type with another value"
        )));
    }
    Ok(values.join(","))
}

/// Every claim the SCIM User owns: a PUT replaces exactly these.
pub fn managed_claims() -> Vec<String> {
    ATTRIBUTES
        .iter()
        .map(|a| a.claim)
        .chain(MULTI_VALUED.iter().map(|(_, _, c)| *c))
        .chain(ADDRESSES.iter().map(|(_, _, c)| *c))
        .map(str::to_string)
        .collect()
}

/// Where a single-valued attribute lives, for PATCH.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Its path as the table spells it (the parent's, for a complex parent).
    pub path: &'static str,
    /// Its claim (empty for a complex parent such as `name`).
    pub claim: &'static str,
    kind: Kind,
    /// `name` and the like: their sub-attributes hold the values.
    pub is_complex_parent: bool,
    /// For a complex parent, the claims of its sub-attributes.
    pub children: Vec<&'static str>,
}

/// The single-valued attribute at `path` (`title`, `name.givenName`, `name`), any case.
pub fn slot(path: &str) -> Option<Slot> {
    if let Some(a) = ATTRIBUTES
        .iter()
        .find(|a| a.path.eq_ignore_ascii_case(path))
    {
        return Some(Slot {
            path: a.path,
            claim: a.claim,
            kind: a.kind,
            is_complex_parent: false,
            children: Vec::new(),
        });
    }
    let children: Vec<&Attribute> = ATTRIBUTES
        .iter()
        .filter(|a| {
            a.path
                .split_once('.')
                .is_some_and(|(parent, _)| parent.eq_ignore_ascii_case(path))
        })
        .collect();
    let parent = children.first()?.path.split_once('.')?.0;
    let children = children.iter().map(|a| a.claim).collect();
    Some(Slot {
        path: parent,
        claim: "",
        kind: Kind::Text,
        is_complex_parent: true,
        children,
    })
}

/// The claim of a complex parent's `value` sub-attribute (`manager.value`), which a bare
/// string given for the parent sets (Entra sends the manager as its id alone).
pub fn value_child(parent: &Slot) -> Option<&'static str> {
    ATTRIBUTES
        .iter()
        .find(|a| {
            a.path
                .split_once('.')
                .is_some_and(|(p, c)| p == parent.path && c == "value")
        })
        .map(|a| a.claim)
}

/// `sortOrder`: ascending (the default) or descending, in any case.
pub fn is_descending(sort_order: Option<&str>) -> Result<bool, ScimError> {
    match sort_order.map(str::trim) {
        None | Some("") => Ok(false),
        Some(o) if o.eq_ignore_ascii_case("ascending") => Ok(false),
        Some(o) if o.eq_ignore_ascii_case("descending") => Ok(true),
        Some(other) => Err(invalid(format!(
            "sortOrder is ascending or descending, not {other:?}"
        ))),
    }
}

/// The order `sortBy` / `sortOrder` ask for (RFC 7644 §3.4.2.3): by `userName`, `id`,
/// `meta.created`, `meta.lastModified`, any single-valued mapped attribute, or the untyped
/// value of `emails` / `phoneNumbers`; ascending unless `sortOrder` is `descending`.
pub fn sort_order(sort_by: Option<&str>, sort_order: Option<&str>) -> Result<UserOrder, ScimError> {
    let descending = is_descending(sort_order)?;
    let Some(path) = sort_by.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(UserOrder {
            key: SortKey::Name,
            descending,
        });
    };
    let path = path
        .strip_prefix(USER_SCHEMA)
        .and_then(|p| p.strip_prefix(':'))
        .unwrap_or(path);
    let claim = |uri: &str| -> Result<SortKey, ScimError> {
        Ok(SortKey::Claim(
            ClaimUri::parse(uri).map_err(|e| invalid(e.to_string()))?,
        ))
    };
    let key = match path.to_ascii_lowercase().as_str() {
        "username" => SortKey::Name,
        "meta.created" => SortKey::Created,
        "meta.lastmodified" => SortKey::Modified,
        "id" => claim(claims::USER_ID)?,
        lower => {
            let attribute = lower.strip_suffix(".value").unwrap_or(lower);
            match (multi_valued_slots(attribute), slot(path)) {
                (Some(_), _) => claim(multi_valued_claim(attribute, None))?,
                (None, Some(found)) if !found.is_complex_parent => claim(found.claim)?,
                _ => return Err(invalid(format!("cannot sort by '{path}'"))),
            }
        }
    };
    Ok(UserOrder { key, descending })
}

/// A boolean as clients send it: JSON's, or a string `true`/`false` in any case (Microsoft
/// Entra sends `"False"`).
fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A JSON value as the claim text of an attribute of `kind` (`Ok(None)` for null);
/// `Err(())` when the value has the wrong type.
fn claim_text(kind: Kind, value: &Value) -> Result<Option<String>, ()> {
    match (kind, value) {
        (_, Value::Null) => Ok(None),
        (Kind::Text, Value::String(s)) => Ok(Some(s.clone())),
        // Numbers (an employeeNumber sent as one) are kept as written.
        (Kind::Text, Value::Number(n)) => Ok(Some(n.to_string())),
        (Kind::Text, _) => Err(()),
        (Kind::Boolean, v) => as_bool(v).map(|b| Some(b.to_string())).ok_or(()),
        (Kind::NegatedBoolean, v) => as_bool(v).map(|b| Some((!b).to_string())).ok_or(()),
    }
}

fn wrong_type(kind: Kind, path: &str) -> ScimError {
    match kind {
        Kind::Text => invalid(format!("{path} must be a string")),
        _ => invalid(format!("{path} must be a boolean")),
    }
}

/// A JSON value as the claim text of `slot` (`None` for null: remove it).
pub fn slot_text(slot: &Slot, value: &Value) -> Result<Option<String>, ScimError> {
    claim_text(slot.kind, value).map_err(|()| wrong_type(slot.kind, slot.path))
}

/// The values of a multi-valued attribute (`emails`, `phoneNumbers`): each type and its claim.
pub fn multi_valued_slots(attribute: &str) -> Option<Vec<(Option<&'static str>, &'static str)>> {
    let name = multi_valued(attribute)?;
    Some(
        MULTI_VALUED
            .iter()
            .filter(|(n, _, _)| *n == name)
            .map(|(_, kind, claim)| (*kind, *claim))
            .collect(),
    )
}

/// The claim holding the value of `kind` (a type this store has no claim for: the untyped
/// claim, as WSO2 keeps it).
pub fn multi_valued_claim(attribute: &str, kind: Option<&str>) -> &'static str {
    let name = multi_valued(attribute).unwrap_or("emails");
    MULTI_VALUED
        .iter()
        .find(|(n, k, _)| {
            *n == name
                && match (k, kind) {
                    (Some(k), Some(kind)) => k.eq_ignore_ascii_case(kind),
                    (None, None) => true,
                    _ => false,
                }
        })
        .or_else(|| {
            MULTI_VALUED
                .iter()
                .find(|(n, k, _)| *n == name && k.is_none())
        })
        .map(|(_, _, c)| *c)
        .expect("every multi-valued attribute has an untyped claim")
}

/// One item of `emails`/`phoneNumbers`: a bare string, or `{"value", "type"?}`.
pub fn multi_value_item(
    attribute: &str,
    item: &Value,
) -> Result<(Option<String>, String), ScimError> {
    match item {
        Value::String(v) => Ok((None, v.clone())),
        Value::Object(o) => {
            let field = |name: &str| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            };
            let value = match field("value") {
                Some(Value::String(v)) => v.clone(),
                _ => return Err(invalid(format!("each of {attribute} needs a string value"))),
            };
            let kind = field("type").and_then(Value::as_str).map(str::to_lowercase);
            Ok((kind, value))
        }
        _ => Err(invalid(format!("{attribute} holds objects or strings"))),
    }
}

pub use crate::rfc3339::{format as rfc3339, parse as parse_rfc3339};

fn claim_of<'a>(account: &'a Account, uri: &str) -> Option<&'a str> {
    account
        .claims
        .iter()
        .find(|c| c.uri.as_str() == uri)
        .map(|c| c.value.as_str())
}

fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Put `value` at `path` (`a` or `a.b`) inside `object`.
fn insert_path(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((parent, child)) => {
            let entry = object
                .entry(parent.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                inner.insert(child.to_string(), value);
            }
        }
        None => {
            object.insert(path.to_string(), value);
        }
    }
}

/// The User resource for `account`.
pub fn render_user(account: &Account, view: &super::View) -> Value {
    let mut core = Map::new();
    let mut enterprise = Map::new();
    let mut wso2 = Map::new();
    for attribute in ATTRIBUTES {
        let stored = claim_of(account, attribute.claim);
        // Only what is stored, as WSO2 does: a user never disabled has no `active`.
        let Some(stored) = stored else { continue };
        let value = match attribute.kind {
            Kind::Text => Value::String(stored.to_string()),
            Kind::Boolean => Value::Bool(is_true(Some(stored))),
            Kind::NegatedBoolean => Value::Bool(!is_true(Some(stored))),
        };
        let target = match attribute.schema {
            ENTERPRISE_SCHEMA => &mut enterprise,
            WSO2_SCHEMA => &mut wso2,
            _ => &mut core,
        };
        insert_path(target, attribute.path, value);
    }
    for attribute in ["emails", "phoneNumbers"] {
        let values: Vec<Value> = MULTI_VALUED
            .iter()
            .filter(|(name, _, _)| *name == attribute)
            .filter_map(|(_, kind, claim)| Some((kind, claim_of(account, claim)?)))
            .flat_map(|(kind, stored)| {
                split_values(stored).map(move |value| match kind {
                    // WSO2 writes an untyped value as a bare string.
                    None => Value::String(value.to_string()),
                    Some(kind) => json!({ "type": kind, "value": value }),
                })
            })
            .collect();
        if !values.is_empty() {
            core.insert(attribute.to_string(), Value::Array(values));
        }
    }
    let addresses: Vec<Value> = ADDRESS_TYPES
        .into_iter()
        .filter_map(|kind| {
            let mut address = Map::new();
            for field in ADDRESS_FIELDS {
                let stored = address_claim(kind, field).and_then(|c| claim_of(account, c));
                if let Some(stored) = stored {
                    address.insert(field.to_string(), json!(stored));
                }
            }
            (!address.is_empty()).then(|| {
                address.insert("type".to_string(), json!(kind));
                Value::Object(address)
            })
        })
        .collect();
    if !addresses.is_empty() {
        core.insert("addresses".to_string(), Value::Array(addresses));
    }
    let groups: Vec<Value> = account
        .role_records
        .iter()
        .filter(|r| !r.name.starts_with("Internal/") && !r.name.starts_with("Application/"))
        .map(|r| {
            json!({
                "value": r.id,
                "display": view.group_name(&r.name),
                "$ref": view.location("Groups", &r.id),
            })
        })
        .collect();
    if !groups.is_empty() {
        core.insert("groups".to_string(), Value::Array(groups));
    }
    let mut schemas = vec![json!(USER_SCHEMA)];
    let mut user = core;
    user.insert("id".into(), json!(account.id));
    user.insert("userName".into(), json!(account.record.name));
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_SCHEMA));
        user.insert(ENTERPRISE_SCHEMA.into(), Value::Object(enterprise));
    }
    schemas.push(json!(WSO2_SCHEMA));
    if !wso2.is_empty() {
        user.insert(WSO2_SCHEMA.into(), Value::Object(wso2));
    }
    user.insert("schemas".into(), Value::Array(schemas));
    user.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": rfc3339(account.record.created_at_ms),
            "lastModified": rfc3339(account.record.modified_at_ms),
            "version": version_tag(account),
            "location": view.location("Users", &account.id),
        }),
    );
    let mut user = Value::Object(user);
    view.projection.apply(&mut user, &["userName"]);
    user
}

/// The entity tag of an account's current state (`meta.version`, the `ETag` header).
pub fn version_tag(account: &Account) -> String {
    crate::service::provisioning::entity_tag(account.record.version)
}

/// Look an attribute up case-insensitively, also under its schema's URN.
fn lookup<'a>(body: &'a Map<String, Value>, schema: &str, path: &str) -> Option<&'a Value> {
    let container = if schema == USER_SCHEMA {
        Some(body)
    } else {
        body.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(schema))
            .and_then(|(_, v)| v.as_object())
    }?;
    let get = |map: &'a Map<String, Value>, key: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    };
    match path.split_once('.') {
        Some((parent, child)) => get(container, parent)?
            .as_object()
            .and_then(|o| get(o, child)),
        None => get(container, path),
    }
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidValue", detail)
}

fn claim(uri: &str, value: String) -> Result<ClaimValue, ScimError> {
    let uri = ClaimUri::parse(uri).map_err(|e| invalid(e.to_string()))?;
    Ok(ClaimValue { uri, value })
}

/// The account a User body (POST or PUT) describes; read-only attributes (`id`, `meta`) are
/// ignored, and so are attributes this store has no claim for.
pub fn parse_user(body: &Value) -> Result<AccountWrite, ScimError> {
    let body = body
        .as_object()
        .ok_or_else(|| ScimError::bad_request("invalidSyntax", "the body must be a JSON object"))?;
    let name = match lookup(body, USER_SCHEMA, "userName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
        _ => return Err(invalid("userName is required and must be a string")),
    };
    let password = match lookup(body, USER_SCHEMA, "password") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(Password::new(p.clone())),
        Some(_) => return Err(invalid("password must be a string")),
    };
    // By claim: an attribute mapped twice (the WSO2 extension's country and the work
    // address's) is set once, by the last one read.
    let mut claims: Vec<(&'static str, String)> = Vec::new();
    let mut put =
        |uri: &'static str, value: String| match claims.iter_mut().find(|(u, _)| *u == uri) {
            Some(existing) => existing.1 = value,
            None => claims.push((uri, value)),
        };
    for attribute in ATTRIBUTES {
        let Some(value) = lookup(body, attribute.schema, attribute.path) else {
            continue;
        };
        // `"manager": "<id>"`: the parent given as its value.
        if let Some(text) = claim_text(attribute.kind, value)
            .map_err(|()| wrong_type(attribute.kind, attribute.path))?
        {
            put(attribute.claim, text);
        }
    }
    if let Some(Value::String(id)) = lookup(body, ENTERPRISE_SCHEMA, "manager") {
        if let Some(claim) = slot("manager").as_ref().and_then(value_child) {
            put(claim, id.clone());
        }
    }
    for attribute in ["emails", "phoneNumbers"] {
        let Some(values) = lookup(body, USER_SCHEMA, attribute) else {
            continue;
        };
        let items = match values {
            Value::Array(items) => items.as_slice(),
            Value::Null => &[],
            _ => return Err(invalid(format!("{attribute} must be an array"))),
        };
        let mut by_claim: Vec<(&'static str, Vec<String>)> = Vec::new();
        for item in items {
            let (kind, value) = multi_value_item(attribute, item)?;
            let uri = multi_valued_claim(attribute, kind.as_deref());
            match by_claim.iter_mut().find(|(u, _)| *u == uri) {
                Some((_, values)) => values.push(value),
                None => by_claim.push((uri, vec![value])),
            }
        }
        for (uri, values) in by_claim {
            put(uri, join_values(attribute, &values)?);
        }
    }
    if let Some(addresses) = lookup(body, USER_SCHEMA, "addresses") {
        for (uri, value) in address_claim_values(addresses)? {
            put(uri, value);
        }
    }
    Ok(AccountWrite {
        name,
        password,
        claims: claims
            .into_iter()
            .map(|(uri, value)| claim(uri, value))
            .collect::<Result<_, _>>()?,
        managed_claims: managed_claims(),
    })
}

/// The claims an `addresses` value sets: each address's stored fields under its type (none:
/// work; one this store has no claims for: other).
pub fn address_claim_values(addresses: &Value) -> Result<Vec<(&'static str, String)>, ScimError> {
    let items = match addresses {
        Value::Array(items) => items.as_slice(),
        item @ Value::Object(_) => std::slice::from_ref(item),
        Value::Null => &[],
        _ => return Err(invalid("addresses must be an array of objects")),
    };
    let mut claims = Vec::new();
    for item in items {
        let Value::Object(fields) = item else {
            return Err(invalid("each address is an object"));
        };
        let kind = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("type"))
            .and_then(|(_, v)| v.as_str());
        let kind = address_type(kind).unwrap_or("other");
        for (field, value) in fields {
            let Some(uri) = address_claim(kind, field) else {
                continue;
            };
            match value {
                Value::String(text) => claims.push((uri, text.clone())),
                Value::Null => {}
                _ => return Err(invalid(format!("addresses.{field} must be a string"))),
            }
        }
    }
    Ok(claims)
}

/// The time a filter compares `meta.<field>` with, in ms since the epoch.
pub(super) fn filter_time(field: &str, value: &CompValue) -> Result<i64, ScimError> {
    parse_rfc3339(&value_text(value).unwrap_or_default()).ok_or_else(|| {
        ScimError::bad_request(
            "invalidFilter",
            format!("meta.{field} needs an RFC 3339 time"),
        )
    })
}

/// A filter operator as the store's comparison.
pub(super) fn match_op(op: CompareOp) -> MatchOp {
    match op {
        CompareOp::Eq => MatchOp::Eq,
        CompareOp::Ne => MatchOp::Ne,
        CompareOp::Co => MatchOp::Contains,
        CompareOp::Sw => MatchOp::StartsWith,
        CompareOp::Ew => MatchOp::EndsWith,
        CompareOp::Gt => MatchOp::Gt,
        CompareOp::Ge => MatchOp::Ge,
        CompareOp::Lt => MatchOp::Lt,
        CompareOp::Le => MatchOp::Le,
    }
}

/// A filter value as the text the store compares; `None` for `null`.
pub(super) fn value_text(value: &CompValue) -> Option<String> {
    match value {
        CompValue::Str(s) => Some(s.clone()),
        CompValue::Number(n) => Some(n.clone()),
        CompValue::Bool(b) => Some(b.to_string()),
        CompValue::Null => None,
    }
}

fn unknown(path: &AttrPath) -> ScimError {
    ScimError::bad_request(
        "invalidFilter",
        format!("unknown attribute '{path}' in the filter"),
    )
}

/// A claim comparison; `value null` compares with absence.
fn claim_compare(uri: &str, op: CompareOp, value: &CompValue, case_exact: bool) -> UserQuery {
    match value_text(value) {
        Some(text) => UserQuery::Claim {
            uri: uri.to_string(),
            matches: TextMatch {
                op: match_op(op),
                value: text,
                case_exact,
            },
        },
        None if op == CompareOp::Ne => UserQuery::HasClaim(uri.to_string()),
        None => UserQuery::Not(Box::new(UserQuery::HasClaim(uri.to_string()))),
    }
}

fn any_of(queries: impl Iterator<Item = UserQuery>) -> UserQuery {
    queries
        .reduce(|a, b| UserQuery::Or(Box::new(a), Box::new(b)))
        .unwrap_or(UserQuery::Nothing)
}

/// One value of a multi-valued attribute (its claim and type) against the filter inside a
/// value path, or a bare comparison of the attribute's value.
fn value_condition(
    filter: &Filter,
    claim: &str,
    kind: Option<&str>,
) -> Result<UserQuery, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => UserQuery::And(
            Box::new(value_condition(a, claim, kind)?),
            Box::new(value_condition(b, claim, kind)?),
        ),
        Filter::Or(a, b) => UserQuery::Or(
            Box::new(value_condition(a, claim, kind)?),
            Box::new(value_condition(b, claim, kind)?),
        ),
        Filter::Not(inner) => UserQuery::Not(Box::new(value_condition(inner, claim, kind)?)),
        Filter::Present(path) => match path.attribute.as_str() {
            "value" => UserQuery::HasClaim(claim.to_string()),
            "type" if kind.is_some() => UserQuery::HasClaim(claim.to_string()),
            "type" | "primary" | "display" => UserQuery::Nothing,
            _ => return Err(unknown(path)),
        },
        Filter::Compare { path, op, value } => match path.attribute.as_str() {
            "value" => claim_compare(claim, *op, value, false),
            "type" => {
                let wanted = value_text(value).map(|v| v.to_lowercase());
                let same = kind.map(str::to_string) == wanted;
                let holds = match op {
                    CompareOp::Eq => same,
                    CompareOp::Ne => !same,
                    _ => false,
                };
                if holds {
                    UserQuery::HasClaim(claim.to_string())
                } else {
                    UserQuery::Nothing
                }
            }
            // The untyped value is the primary one.
            "primary" => {
                let primary = kind.is_none();
                let wanted = matches!(value, CompValue::Bool(true));
                if (*op == CompareOp::Eq) == (primary == wanted) {
                    UserQuery::HasClaim(claim.to_string())
                } else {
                    UserQuery::Nothing
                }
            }
            _ => return Err(unknown(path)),
        },
        Filter::ValuePath { path, .. } => return Err(unknown(path)),
    })
}

fn multi_valued(attribute: &str) -> Option<&'static str> {
    ["emails", "phoneNumbers"]
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(attribute))
}

/// A SCIM filter as a store query, through the attribute table.
pub fn compile_filter(filter: &Filter) -> Result<UserQuery, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => {
            UserQuery::And(Box::new(compile_filter(a)?), Box::new(compile_filter(b)?))
        }
        Filter::Or(a, b) => {
            UserQuery::Or(Box::new(compile_filter(a)?), Box::new(compile_filter(b)?))
        }
        Filter::Not(inner) => UserQuery::Not(Box::new(compile_filter(inner)?)),
        Filter::ValuePath { path, filter } => {
            let attribute = multi_valued(&path.attribute).ok_or_else(|| unknown(path))?;
            let per_value = MULTI_VALUED
                .iter()
                .filter(|(name, _, _)| *name == attribute)
                .map(|(_, kind, claim)| value_condition(filter, claim, *kind))
                .collect::<Result<Vec<_>, _>>()?;
            any_of(per_value.into_iter())
        }
        Filter::Present(path) => attribute_query(path, None)?,
        Filter::Compare { path, op, value } => attribute_query(path, Some((*op, value)))?,
    })
}

/// A comparison (or, without one, a presence test) on one attribute path.
fn attribute_query(
    path: &AttrPath,
    comparison: Option<(CompareOp, &CompValue)>,
) -> Result<UserQuery, ScimError> {
    let attribute = path.attribute.as_str();
    let sub = path.sub_attribute.as_deref();
    let text_of = |value: &CompValue| value_text(value).unwrap_or_default();
    match (attribute, sub) {
        ("username", None) => Ok(match comparison {
            None => UserQuery::All,
            Some((op, value)) => UserQuery::Name(TextMatch {
                op: match_op(op),
                value: text_of(value),
                case_exact: false,
            }),
        }),
        ("id", None) => Ok(match comparison {
            None => UserQuery::All,
            Some((op, value)) => claim_compare(claims::USER_ID, op, value, true),
        }),
        ("meta", Some(field @ ("created" | "lastmodified"))) => {
            let Some((op, value)) = comparison else {
                return Ok(UserQuery::All);
            };
            let ms = filter_time(field, value)?;
            Ok(if field == "created" {
                UserQuery::Created(match_op(op), ms)
            } else {
                UserQuery::Modified(match_op(op), ms)
            })
        }
        (name, sub) if multi_valued(name).is_some() && matches!(sub, None | Some("value")) => {
            let attribute = multi_valued(name).expect("checked");
            Ok(any_of(
                MULTI_VALUED
                    .iter()
                    .filter(|(n, _, _)| *n == attribute)
                    .map(|(_, _, claim)| match comparison {
                        None => UserQuery::HasClaim(claim.to_string()),
                        Some((op, value)) => claim_compare(claim, op, value, false),
                    }),
            ))
        }
        _ => {
            let wanted = match sub {
                Some(sub) => format!("{attribute}.{sub}"),
                None => attribute.to_string(),
            };
            let found = ATTRIBUTES
                .iter()
                .find(|a| {
                    a.path.eq_ignore_ascii_case(&wanted)
                        && path
                            .schema
                            .as_deref()
                            .is_none_or(|s| s.eq_ignore_ascii_case(a.schema))
                })
                .ok_or_else(|| unknown(path))?;
            Ok(match (found.kind, comparison) {
                (Kind::Text, None) => UserQuery::HasClaim(found.claim.to_string()),
                (Kind::Text, Some((op, value))) => claim_compare(found.claim, op, value, false),
                (kind, comparison) => {
                    // Booleans: absent is false; `active` is the negation of accountDisabled.
                    let stored_true = UserQuery::Claim {
                        uri: found.claim.to_string(),
                        matches: TextMatch {
                            op: MatchOp::Eq,
                            value: "true".into(),
                            case_exact: false,
                        },
                    };
                    let attribute_true = if kind == Kind::NegatedBoolean {
                        UserQuery::Not(Box::new(stored_true))
                    } else {
                        stored_true
                    };
                    match comparison {
                        None => UserQuery::All,
                        Some((CompareOp::Eq, CompValue::Bool(true)))
                        | Some((CompareOp::Ne, CompValue::Bool(false))) => attribute_true,
                        Some((CompareOp::Eq, CompValue::Bool(false)))
                        | Some((CompareOp::Ne, CompValue::Bool(true))) => {
                            UserQuery::Not(Box::new(attribute_true))
                        }
                        _ => {
                            return Err(ScimError::bad_request(
                                "invalidFilter",
                                format!("{} compares with true or false (eq, ne)", found.path),
                            ))
                        }
                    }
                }
            })
        }
    }
}

/// The claims of a schema's single-valued attributes (a whole extension removed by PATCH).
pub fn schema_claims(schema: &str) -> impl Iterator<Item = &'static str> + '_ {
    ATTRIBUTES
        .iter()
        .filter(move |a| a.schema == schema)
        .map(|a| a.claim)
}

/// One attribute definition of a Schema resource (RFC 7643 §7).
pub(super) fn definition(
    name: &str,
    kind: &str,
    multi_valued: bool,
    mutability: &str,
    returned: &str,
) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": multi_valued,
        "description": "",
        "required": false,
        "caseExact": false,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": "none",
    })
}

/// The single-valued attributes of `schema` from the mapping table, sub-attributes gathered
/// under their complex parent.
fn table_definitions(schema: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for attribute in ATTRIBUTES.iter().filter(|a| a.schema == schema) {
        // `externalId` is a common attribute of every resource, not a schema's (RFC 7643 §3.1).
        if attribute.path == "externalId" {
            continue;
        }
        let kind = if attribute.kind == Kind::Text {
            "string"
        } else {
            "boolean"
        };
        match attribute.path.split_once('.') {
            None => out.push(definition(
                attribute.path,
                kind,
                false,
                "readWrite",
                "default",
            )),
            Some((parent, child)) => {
                let index = match out.iter().position(|d| d["name"] == parent) {
                    Some(index) => index,
                    None => {
                        let mut complex =
                            definition(parent, "complex", false, "readWrite", "default");
                        complex["subAttributes"] = json!([]);
                        out.push(complex);
                        out.len() - 1
                    }
                };
                if let Some(subs) = out[index]["subAttributes"].as_array_mut() {
                    subs.push(definition(child, kind, false, "readWrite", "default"));
                }
            }
        }
    }
    out
}

/// A multi-valued complex attribute of `value` and `type` (whose types are the table's).
fn multi_valued_definition(attribute: &str) -> Value {
    let kinds: Vec<&str> = MULTI_VALUED
        .iter()
        .filter(|(name, _, _)| *name == attribute)
        .filter_map(|(_, kind, _)| *kind)
        .collect();
    let mut type_definition = definition("type", "string", false, "readWrite", "default");
    type_definition["canonicalValues"] = json!(kinds);
    let mut complex = definition(attribute, "complex", true, "readWrite", "default");
    complex["subAttributes"] = json!([
        definition("value", "string", false, "readWrite", "default"),
        type_definition
    ]);
    complex
}

/// `addresses`: a multi-valued complex attribute of the stored fields and `type`.
fn address_definition() -> Value {
    let mut subs: Vec<Value> = ADDRESS_FIELDS
        .into_iter()
        .map(|field| definition(field, "string", false, "readWrite", "default"))
        .collect();
    let mut type_definition = definition("type", "string", false, "readWrite", "default");
    type_definition["canonicalValues"] = json!(ADDRESS_TYPES);
    subs.push(type_definition);
    let mut complex = definition("addresses", "complex", true, "readWrite", "default");
    complex["subAttributes"] = json!(subs);
    complex
}

/// A read-only list of references to other resources (`groups`, `members`).
/// `kinds` are the canonical values of its `type`.
pub(super) fn reference_list_definition(
    name: &str,
    mutability: &str,
    target: &str,
    kinds: &[&str],
) -> Value {
    let mut reference = definition("$ref", "reference", false, "immutable", "default");
    reference["referenceTypes"] = json!([target]);
    let mut complex = definition(name, "complex", true, mutability, "default");
    let mut kind = definition("type", "string", false, "immutable", "default");
    kind["canonicalValues"] = json!(kinds);
    complex["subAttributes"] = json!([
        definition("value", "string", false, "immutable", "default"),
        reference,
        definition("display", "string", false, "readOnly", "default"),
        kind,
    ]);
    complex
}

/// The User schemas (core, enterprise, WSO2's), generated from the same table requests and
/// replies are mapped with, so discovery describes exactly what is stored.
pub fn user_schemas() -> Vec<Value> {
    let mut user_name = definition("userName", "string", false, "readWrite", "always");
    user_name["required"] = json!(true);
    user_name["uniqueness"] = json!("server");
    let mut core = vec![user_name];
    core.extend(table_definitions(USER_SCHEMA));
    core.push(definition(
        "password",
        "string",
        false,
        "writeOnly",
        "never",
    ));
    core.push(multi_valued_definition("emails"));
    core.push(multi_valued_definition("phoneNumbers"));
    core.push(address_definition());
    core.push(reference_list_definition(
        "groups",
        "readOnly",
        "Group",
        &["direct"],
    ));
    [
        (USER_SCHEMA, "User", "User Account", core),
        (
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "Enterprise User",
            table_definitions(ENTERPRISE_SCHEMA),
        ),
        (
            WSO2_SCHEMA,
            "WSO2User",
            "WSO2's identity claims",
            table_definitions(WSO2_SCHEMA),
        ),
    ]
    .into_iter()
    .map(|(id, name, description, attributes)| schema_resource(id, name, description, attributes))
    .collect()
}

/// A Schema resource.
pub(super) fn schema_resource(
    id: &str,
    name: &str,
    description: &str,
    attributes: Vec<Value>,
) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": format!("/scim2/Schemas/{id}") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse;

    #[test]
    fn times_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_713_967_408_890), "2024-04-24T14:03:28.890Z");
        assert_eq!(
            parse_rfc3339("2024-04-24T14:03:28.890Z"),
            Some(1_713_967_408_890)
        );
        assert_eq!(
            parse_rfc3339("2024-04-24T16:03:28.89+02:00"),
            Some(1_713_967_408_890)
        );
        assert_eq!(
            parse_rfc3339("2011-05-13T04:42:34Z"),
            Some(1_305_261_754_000)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn filters_compile_through_the_table() {
        let q = compile_filter(&parse(r#"userName eq "Kim""#).unwrap()).unwrap();
        assert!(matches!(
            q,
            UserQuery::Name(TextMatch {
                op: MatchOp::Eq,
                ..
            })
        ));
        let q = compile_filter(&parse(r#"name.givenName sw "K""#).unwrap()).unwrap();
        assert!(matches!(q, UserQuery::Claim { ref uri, .. } if uri.ends_with("givenname")));
        let q =
            compile_filter(&parse(r#"emails[type eq "work" and value co "@x"]"#).unwrap()).unwrap();
        // Only the work claim can satisfy it; the other types compile to Nothing.
        let text = format!("{q:?}");
        assert!(
            text.contains("emails.work") && text.contains("Contains"),
            "{text}"
        );
        assert!(compile_filter(&parse("shoeSize pr").unwrap()).is_err());
        assert!(compile_filter(&parse("active eq true").unwrap()).is_ok());
    }

    /// README's SCIM table is written from this one: each row names an attribute and its claim.
    #[test]
    fn readme_mapping_table_matches() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("## SCIM 2.0")
            .expect("README has a SCIM section");
        let section = &readme[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
        let rows: Vec<&str> = section
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains('`'))
            .collect();
        for attribute in ATTRIBUTES {
            let leaf = attribute.path.rsplit('.').next().unwrap_or(attribute.path);
            let claim = format!("`{}`", attribute.claim);
            assert!(
                rows.iter()
                    .any(|r| r.contains(&format!("{leaf}`")) && r.contains(&claim)),
                "README lacks a row for {} -> {}",
                attribute.path,
                attribute.claim
            );
        }
        for (attribute, kind, claim) in MULTI_VALUED {
            let claim = format!("`{claim}`");
            let kind = kind.map(|k| format!("type `{k}`"));
            assert!(
                rows.iter().any(|r| {
                    r.starts_with(&format!("| `{attribute}`"))
                        && r.contains(&claim)
                        && kind.as_ref().is_none_or(|k| r.contains(k.as_str()))
                }),
                "README lacks a row for {attribute} {kind:?} -> {claim}"
            );
        }
        for (kind, field, claim) in ADDRESSES {
            // Home and other addresses are one row each, naming the claims' common form.
            let generic = format!("http://wso2.org/claims/addresses.{kind}.{field}");
            let claim = if *claim == generic {
                format!("`http://wso2.org/claims/addresses.{kind}.<field>`")
            } else {
                format!("`{claim}`")
            };
            assert!(
                rows.iter().any(|r| {
                    r.starts_with("| `addresses` type")
                        && r.contains(&format!("type `{kind}`"))
                        && r.contains(&format!("`{field}`"))
                        && r.contains(&claim)
                }),
                "README lacks a row for the {kind} address's {field} -> {claim}"
            );
        }
    }
}
