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
    if ["id", "meta", "username", "schemas"]
        .iter()
        .any(|a| attribute.eq_ignore_ascii_case(a))
        || attribute.to_ascii_lowercase().starts_with("meta.")
    {
        return Err(ScimError::bad_request(
            "mutability",
            format!("{attribute} cannot be changed with PATCH"),
        ));
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

/// `emails`, `emails[type eq "work"]`, `emails[type eq "work"].value`.
fn apply_multi_valued(
    draft: &mut Draft,
    op: Op,
    target: &Target,
    slots: &[(Option<&'static str>, &'static str)],
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let attribute = target.attribute.as_str();
    let Some(filter) = &target.filter else {
        // The whole attribute.
        if op == Op::Remove {
            slots.iter().for_each(|(_, claim)| draft.remove(claim));
            return Ok(());
        }
        if op == Op::Replace {
            slots.iter().for_each(|(_, claim)| draft.remove(claim));
        }
        let items = match value {
            Some(Value::Array(items)) => items.clone(),
            Some(item @ (Value::Object(_) | Value::String(_))) => vec![item.clone()],
            _ => {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("{attribute} needs values"),
                ))
            }
        };
        for item in &items {
            let (kind, text) = resource::multi_value_item(attribute, item)?;
            let claim = resource::multi_valued_claim(attribute, kind.as_deref());
            draft.set(claim, text);
        }
        return Ok(());
    };
    let selected: Vec<&'static str> = slots
        .iter()
        .filter(|(kind, claim)| {
            // Only values the user has can be selected.
            draft
                .current(claim)
                .is_some_and(|value| value_matches(filter, *kind, Some(value)))
        })
        .map(|(_, claim)| *claim)
        .collect();
    match op {
        Op::Remove => {
            selected.iter().for_each(|claim| draft.remove(claim));
            Ok(())
        }
        Op::Add | Op::Replace => {
            if selected.is_empty() {
                return Err(no_target(format!(
                    "no value of {attribute} matches the filter"
                )));
            }
            let text = match (target.sub_attribute.as_deref(), value) {
                (Some(sub), Some(Value::String(text))) if sub.eq_ignore_ascii_case("value") => {
                    text.clone()
                }
                (None, Some(item @ Value::Object(_))) => {
                    resource::multi_value_item(attribute, item)?.1
                }
                _ => {
                    return Err(ScimError::bad_request(
                        "invalidValue",
                        format!(
                        "set {attribute}[…].value to a string, or {attribute}[…] to a value object"
                    ),
                    ))
                }
            };
            selected
                .iter()
                .for_each(|claim| draft.set(claim, text.clone()));
            Ok(())
        }
    }
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
            (None, _) if key.eq_ignore_ascii_case("schemas") => {}
            (None, _) => {
                let target = Target {
                    attribute: key.clone(),
                    filter: None,
                    sub_attribute: None,
                };
                apply_path(draft, op, &target, Some(value))?;
            }
        }
    }
    Ok(())
}
