//! SCIM PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` operations, with attribute
//! paths, value filters (`emails[type eq "work"].value`) or no path at all, turned into one
//! change of the account's claims that the store applies in one transaction.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{self, CompValue, CompareOp, Filter};
use super::resource::{self, Slot};
use crate::service::provisioning::{Account, AccountChange};
use crate::store::{ClaimUri, ClaimValue, Password};

/// The PatchOp message schema.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("noTarget", detail)
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidPath", detail)
}

/// The claim values as the operations change them (`None`: removed).
struct Draft {
    claims: BTreeMap<String, Option<String>>,
    password: Option<Password>,
    user_name: Option<String>,
}

impl Draft {
    fn current(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(|v| v.as_deref())
    }

    fn set(&mut self, claim: &str, value: String) {
        self.claims.insert(claim.to_string(), Some(value));
    }

    fn remove(&mut self, claim: &str) {
        self.claims.insert(claim.to_string(), None);
    }
}

/// A patch path: an attribute (maybe with a sub-attribute), optionally with a value filter
/// and a sub-attribute after it.
struct Target {
    attribute: String,
    filter: Option<Filter>,
    sub_attribute: Option<String>,
}

fn parse_path(raw: &str) -> Result<Target, ScimError> {
    let raw = raw.trim();
    let strip_schema = |p: &str| -> String {
        // `urn:…:User:name.givenName` → `name.givenName`; a whole-extension path stays.
        for schema in [
            resource::USER_SCHEMA,
            resource::ENTERPRISE_SCHEMA,
            resource::WSO2_SCHEMA,
        ] {
            if let Some(rest) = p.strip_prefix(schema).and_then(|r| r.strip_prefix(':')) {
                return rest.to_string();
            }
        }
        p.to_string()
    };
    match raw.split_once('[') {
        None => {
            let path = strip_schema(raw);
            if path.is_empty() || path.contains(']') {
                return Err(invalid_path(format!("'{raw}' is not an attribute path")));
            }
            Ok(Target {
                attribute: path,
                filter: None,
                sub_attribute: None,
            })
        }
        Some((attribute, rest)) => {
            let (inside, after) = rest
                .rsplit_once(']')
                .ok_or_else(|| invalid_path(format!("'{raw}' has no closing ']'")))?;
            let filter =
                filter::parse(inside).map_err(|e| invalid_path(format!("'{raw}': {e}")))?;
            let sub_attribute = match after {
                "" => None,
                sub => Some(
                    sub.strip_prefix('.')
                        .ok_or_else(|| invalid_path(format!("'{raw}' is not an attribute path")))?
                        .to_string(),
                ),
            };
            Ok(Target {
                attribute: strip_schema(attribute),
                filter: Some(filter),
                sub_attribute,
            })
        }
    }
}

/// Whether one value of a multi-valued attribute (its type, value, primary) satisfies a value
/// filter.
fn value_matches(filter: &Filter, kind: Option<&str>, value: Option<&str>) -> bool {
    let text = |v: &CompValue| match v {
        CompValue::Str(s) => Some(s.to_lowercase()),
        CompValue::Number(n) => Some(n.clone()),
        CompValue::Bool(b) => Some(b.to_string()),
        CompValue::Null => None,
    };
    match filter {
        Filter::And(a, b) => value_matches(a, kind, value) && value_matches(b, kind, value),
        Filter::Or(a, b) => value_matches(a, kind, value) || value_matches(b, kind, value),
        Filter::Not(inner) => !value_matches(inner, kind, value),
        Filter::Present(path) => match path.attribute.as_str() {
            "value" => value.is_some(),
            "type" => kind.is_some(),
            _ => false,
        },
        Filter::Compare { path, op, value: v } => {
            let field = match path.attribute.as_str() {
                "type" => kind.map(str::to_lowercase),
                "value" => value.map(str::to_lowercase),
                "primary" => Some((kind.is_none()).to_string()),
                _ => return false,
            };
            let wanted = text(v);
            match (op, field.as_deref(), wanted.as_deref()) {
                (CompareOp::Eq, f, w) => f == w,
                (CompareOp::Ne, f, w) => f != w,
                (CompareOp::Co, Some(f), Some(w)) => f.contains(w),
                (CompareOp::Sw, Some(f), Some(w)) => f.starts_with(w),
                (CompareOp::Ew, Some(f), Some(w)) => f.ends_with(w),
                (CompareOp::Gt, Some(f), Some(w)) => f > w,
                (CompareOp::Ge, Some(f), Some(w)) => f >= w,
                (CompareOp::Lt, Some(f), Some(w)) => f < w,
                (CompareOp::Le, Some(f), Some(w)) => f <= w,
                _ => false,
            }
        }
        Filter::ValuePath { .. } => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Apply one operation with a path.
fn apply_path(
    draft: &mut Draft,
    op: Op,
    target: &Target,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let attribute = target.attribute.as_str();
    let extension = [resource::ENTERPRISE_SCHEMA, resource::WSO2_SCHEMA]
        .into_iter()
        .find(|schema| attribute.eq_ignore_ascii_case(schema));
    if let (Some(schema), None) = (extension, &target.filter) {
        // A whole extension: its attributes as one object, or all of them removed.
        return match (op, value) {
            (Op::Remove, _) => {
                resource::schema_claims(schema).for_each(|claim| draft.remove(claim));
                Ok(())
            }
            (_, Some(Value::Object(inner))) => apply_object(draft, op, inner),
            _ => Err(ScimError::bad_request(
                "invalidValue",
                format!("{schema} takes an object of its attributes"),
            )),
        };
    }
    if ["id", "meta", "schemas"]
        .iter()
        .any(|a| attribute.eq_ignore_ascii_case(a))
        || attribute.to_ascii_lowercase().starts_with("meta.")
    {
        return Err(ScimError::bad_request(
            "mutability",
            format!("{attribute} cannot be changed with PATCH"),
        ));
    }
    if attribute.eq_ignore_ascii_case("userName") {
        // readWrite (RFC 7643 §4.1.1): Entra renames a user when its UPN changes.
        return match (op, value) {
            (Op::Remove, _) => Err(ScimError::bad_request(
                "mutability",
                "userName is required and cannot be removed",
            )),
            (_, Some(Value::String(name))) if !name.trim().is_empty() => {
                draft.user_name = Some(name.clone());
                Ok(())
            }
            _ => Err(ScimError::bad_request(
                "invalidValue",
                "userName must be a non-empty string",
            )),
        };
    }
    if attribute.eq_ignore_ascii_case("password") {
        return match (op, value) {
            (Op::Remove, _) => Err(ScimError::bad_request(
                "mutability",
                "the password cannot be removed",
            )),
            (_, Some(Value::String(p))) => {
                draft.password = Some(Password::new(p.clone()));
                Ok(())
            }
            _ => Err(ScimError::bad_request(
                "invalidValue",
                "password must be a string",
            )),
        };
    }
    if let Some(values) = resource::multi_valued_slots(attribute) {
        return apply_multi_valued(draft, op, target, &values, value);
    }
    if attribute.eq_ignore_ascii_case("addresses") {
        return apply_addresses(draft, op, target, value);
    }
    if let Some((parent, field)) = attribute.split_once('.') {
        if parent.eq_ignore_ascii_case("addresses") {
            // A field of every address: of the work address, the only one most clients send.
            let target = Target {
                attribute: parent.to_string(),
                filter: target.filter.clone(),
                sub_attribute: Some(field.to_string()),
            };
            return apply_addresses(draft, op, &target, value);
        }
    }
    if target.filter.is_some() {
        return Err(invalid_path(format!("{attribute} is not multi-valued")));
    }
    let slot = resource::slot(attribute)
        .ok_or_else(|| invalid_path(format!("unknown attribute '{attribute}'")))?;
    match (op, value) {
        (Op::Remove, _) if slot.is_complex_parent => {
            slot.children.iter().for_each(|claim| draft.remove(claim));
            Ok(())
        }
        (Op::Remove, _) => {
            draft.remove(slot.claim);
            Ok(())
        }
        (_, Some(Value::Object(object))) if slot.is_complex_parent => {
            // `name` with an object value: its sub-attributes.
            for (key, inner) in object {
                let path = format!("{attribute}.{key}");
                let sub = resource::slot(&path)
                    .ok_or_else(|| invalid_path(format!("unknown attribute '{path}'")))?;
                set_slot(draft, &sub, inner)?;
            }
            Ok(())
        }
        (_, Some(Value::String(text))) if slot.is_complex_parent => {
            // `manager` given as its id alone (Entra): the parent's value.
            let claim = resource::value_child(&slot).ok_or_else(|| {
                ScimError::bad_request(
                    "invalidValue",
                    format!("{attribute} takes an object of its sub-attributes"),
                )
            })?;
            slot.children.iter().for_each(|c| draft.remove(c));
            draft.set(claim, text.clone());
            Ok(())
        }
        (_, Some(_)) if slot.is_complex_parent => Err(ScimError::bad_request(
            "invalidValue",
            format!("{attribute} takes an object of its sub-attributes"),
        )),
        (_, Some(value)) => set_slot(draft, &slot, value),
        (_, None) => Err(ScimError::bad_request(
            "invalidValue",
            "the operation needs a value",
        )),
    }
}

fn set_slot(draft: &mut Draft, slot: &Slot, value: &Value) -> Result<(), ScimError> {
    match resource::slot_text(slot, value)? {
        Some(text) => draft.set(slot.claim, text),
        None => draft.remove(slot.claim),
    }
    Ok(())
}

/// One value of `emails` or `phoneNumbers`: its type as the table spells it (`None`:
/// untyped, the primary value) and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    kind: Option<&'static str>,
    value: String,
}

/// The values of a multi-valued attribute as the draft holds them (several values of one type
/// share its claim).
fn items_of(draft: &Draft, slots: &[(Option<&'static str>, &'static str)]) -> Vec<Item> {
    slots
        .iter()
        .filter_map(|(kind, claim)| Some((*kind, draft.current(claim)?)))
        .flat_map(|(kind, stored)| {
            resource::split_values(stored).map(move |value| Item {
                kind,
                value: value.to_string(),
            })
        })
        .collect()
}

/// Write the values back, each type's into its claim.
fn store_items(
    draft: &mut Draft,
    attribute: &str,
    slots: &[(Option<&'static str>, &'static str)],
    items: &[Item],
) -> Result<(), ScimError> {
    for (kind, claim) in slots {
        let values: Vec<String> = items
            .iter()
            .filter(|item| item.kind == *kind)
            .map(|item| item.value.clone())
            .collect();
        if values.is_empty() {
            draft.remove(claim);
        } else {
            draft.set(claim, resource::join_values(attribute, &values)?);
        }
    }
    Ok(())
}

/// The table's spelling of a type a request names; a type without a claim of its own is kept
/// as the untyped value, as WSO2 keeps it.
fn table_kind(
    slots: &[(Option<&'static str>, &'static str)],
    kind: Option<&str>,
) -> Option<&'static str> {
    let kind = kind?;
    slots
        .iter()
        .filter_map(|(k, _)| *k)
        .find(|k| k.eq_ignore_ascii_case(kind))
}

/// The type a value filter selects by (`type eq "work"`, alone or in an `and`), for an
/// Add or Replace that creates the value it found missing; `Some(None)` for the primary value.
fn filter_kind(filter: &Filter) -> Option<Option<String>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(kind),
        } if path.attribute == "type" && path.sub_attribute.is_none() => Some(Some(kind.clone())),
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Bool(true),
        } if path.attribute == "primary" => Some(None),
        Filter::And(a, b) => filter_kind(a).or_else(|| filter_kind(b)),
        _ => None,
    }
}

/// The value an Add or Replace through a value filter writes: `….value` with a string, or
/// the item as an object; `Ok(None)` for a sub-attribute that is not stored (`primary`,
/// `display`), which is accepted and changes nothing.
fn filtered_value(
    attribute: &str,
    sub_attribute: Option<&str>,
    value: Option<&Value>,
) -> Result<Option<String>, ScimError> {
    match (sub_attribute, value) {
        (Some(sub), Some(Value::String(text))) if sub.eq_ignore_ascii_case("value") => {
            Ok(Some(text.clone()))
        }
        (Some(sub), _)
            if ["primary", "display"]
                .iter()
                .any(|s| sub.eq_ignore_ascii_case(s)) =>
        {
            Ok(None)
        }
        (None, Some(item @ Value::Object(_))) => {
            Ok(Some(resource::multi_value_item(attribute, item)?.1))
        }
        _ => Err(ScimError::bad_request(
            "invalidValue",
            format!("set {attribute}[…].value to a string, or {attribute}[…] to a value object"),
        )),
    }
}

/// `emails`, `emails[type eq "work"]`, `emails[type eq "work"].value`.
fn apply_multi_valued(
    draft: &mut Draft,
    op: Op,
    target: &Target,
    slots: &[(Option<&'static str>, &'static str)],
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let attribute = target.attribute.as_str();
    let mut items = items_of(draft, slots);
    match &target.filter {
        None => {
            // The whole attribute.
            if op != Op::Add {
                items.clear();
            }
            if op != Op::Remove {
                let given = match value {
                    Some(Value::Array(given)) => given.as_slice(),
                    Some(item @ (Value::Object(_) | Value::String(_))) => {
                        std::slice::from_ref(item)
                    }
                    _ => {
                        return Err(ScimError::bad_request(
                            "invalidValue",
                            format!("{attribute} needs values"),
                        ))
                    }
                };
                for item in given {
                    let (kind, text) = resource::multi_value_item(attribute, item)?;
                    let item = Item {
                        kind: table_kind(slots, kind.as_deref()),
                        value: text,
                    };
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
            }
        }
        Some(filter) => {
            let selected = |item: &Item| value_matches(filter, item.kind, Some(&item.value));
            match op {
                Op::Remove => items.retain(|item| !selected(item)),
                Op::Add | Op::Replace => {
                    let Some(text) =
                        filtered_value(attribute, target.sub_attribute.as_deref(), value)?
                    else {
                        return Ok(());
                    };
                    if items.iter().any(selected) {
                        items
                            .iter_mut()
                            .filter(|item| selected(item))
                            .for_each(|item| item.value = text.clone());
                    } else {
                        // Entra adds `emails[type eq "work"].value` to a user who has no work
                        // e-mail yet: the value of that type is created.
                        let kind = filter_kind(filter).ok_or_else(|| {
                            no_target(format!("no value of {attribute} matches the filter"))
                        })?;
                        items.push(Item {
                            kind: table_kind(slots, kind.as_deref()),
                            value: text,
                        });
                    }
                }
            }
        }
    }
    store_items(draft, attribute, slots, &items)
}

/// `addresses`, `addresses[type eq "work"]`, `addresses[type eq "work"].locality`: each
/// address type's fields are claims.
fn apply_addresses(
    draft: &mut Draft,
    op: Op,
    target: &Target,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let kind = match &target.filter {
        None => None,
        Some(filter) => {
            let named = filter_kind(filter).ok_or_else(|| {
                invalid_path("addresses are selected by type: addresses[type eq \"work\"]")
            })?;
            Some(resource::address_type(named.as_deref()).ok_or_else(|| {
                no_target("addresses are of type work, home or other".to_string())
            })?)
        }
    };
    let kinds: Vec<&'static str> = match kind {
        Some(kind) => vec![kind],
        None if target.sub_attribute.is_some() => vec!["work"],
        None => resource::ADDRESS_TYPES.to_vec(),
    };
    if let Some(field) = target.sub_attribute.as_deref() {
        for kind in kinds {
            let claim = resource::address_claim(kind, field)
                .ok_or_else(|| invalid_path(format!("addresses have no field '{field}'")))?;
            match (op, value) {
                (Op::Remove, _) | (_, Some(Value::Null)) => draft.remove(claim),
                (_, Some(Value::String(text))) => draft.set(claim, text.clone()),
                _ => {
                    return Err(ScimError::bad_request(
                        "invalidValue",
                        format!("addresses.{field} is a string"),
                    ))
                }
            }
        }
        return Ok(());
    }
    if op != Op::Add {
        for kind in &kinds {
            resource::address_claims(kind).for_each(|claim| draft.remove(claim));
        }
    }
    if op == Op::Remove {
        return Ok(());
    }
    let Some(value) = value else {
        return Err(ScimError::bad_request(
            "invalidValue",
            "the operation needs a value",
        ));
    };
    let value = match (kind, value) {
        // `addresses[type eq "home"]` with an address object: it is that type's.
        (Some(kind), Value::Object(fields)) => {
            let mut fields = fields.clone();
            fields.insert("type".to_string(), Value::String(kind.to_string()));
            Value::Object(fields)
        }
        _ => value.clone(),
    };
    for (claim, text) in resource::address_claim_values(&value)? {
        draft.set(claim, text);
    }
    Ok(())
}

/// The change a PatchOp body makes to `account`.
pub fn change_for(account: &Account, body: &Value) -> Result<AccountChange, ScimError> {
    super::require_schema(body, PATCH_SCHEMA)?;
    let body = body
        .as_object()
        .ok_or_else(|| ScimError::bad_request("invalidSyntax", "the body must be a JSON object"))?;
    let operations = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "Operations must be a non-empty array")
        })?;
    let mut draft = Draft {
        claims: account
            .claims
            .iter()
            .map(|c| (c.uri.as_str().to_string(), Some(c.value.clone())))
            .collect(),
        password: None,
        user_name: None,
    };
    for operation in operations {
        let operation = operation.as_object().ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "each operation is an object")
        })?;
        let op = match operation
            .get("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            other => {
                return Err(ScimError::bad_request(
                    "invalidSyntax",
                    format!("op must be add, replace or remove, not {other:?}"),
                ))
            }
        };
        let value = operation.get("value");
        match operation.get("path").and_then(Value::as_str) {
            Some(path) => apply_path(&mut draft, op, &parse_path(path)?, value)?,
            None if op == Op::Remove => return Err(no_target("remove needs a path")),
            None => {
                let Some(Value::Object(attributes)) = value else {
                    return Err(ScimError::bad_request(
                        "invalidValue",
                        "without a path, value must be an object",
                    ));
                };
                apply_object(&mut draft, op, attributes)?;
            }
        }
    }
    let before: BTreeMap<&str, &str> = account
        .claims
        .iter()
        .map(|c| (c.uri.as_str(), c.value.as_str()))
        .collect();
    let mut change = AccountChange {
        password: draft.password,
        user_name: draft
            .user_name
            .filter(|name| name.as_str() != account.record.name),
        ..AccountChange::default()
    };
    for (claim, value) in draft.claims {
        match value {
            Some(value) if before.get(claim.as_str()) != Some(&value.as_str()) => {
                let uri = ClaimUri::parse(&claim)
                    .map_err(|e| ScimError::bad_request("invalidValue", e.to_string()))?;
                change.set.push(ClaimValue { uri, value });
            }
            None if before.contains_key(claim.as_str()) => change.remove.push(claim),
            _ => {}
        }
    }
    Ok(change)
}

/// An operation without a path: each attribute of the object (extension objects by their URN).
fn apply_object(
    draft: &mut Draft,
    op: Op,
    attributes: &Map<String, Value>,
) -> Result<(), ScimError> {
    for (key, value) in attributes {
        let extension = [resource::ENTERPRISE_SCHEMA, resource::WSO2_SCHEMA]
            .into_iter()
            .find(|schema| key.eq_ignore_ascii_case(schema));
        match (extension, value) {
            (Some(_), Value::Object(inner)) => apply_object(draft, op, inner)?,
            (Some(_), _) => {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("{key} must be an object"),
                ))
            }
            // Read-only attributes in a value are ignored, as in a PUT (Okta sends the id).
            (None, _)
                if ["schemas", "id", "meta"]
                    .iter()
                    .any(|k| key.eq_ignore_ascii_case(k)) => {}
            // A key may be an attribute path (`name.givenName`, `emails[type eq "work"].value`,
            // `urn:…:enterprise:2.0:User:department`), as Entra sends them.
            (None, _) => apply_path(draft, op, &parse_path(key)?, Some(value))?,
        }
    }
    Ok(())
}
