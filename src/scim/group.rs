//! SCIM Groups over the store's own roles (not `Internal/` or `Application/`): WSO2 names them
//! `PRIMARY/<role>`; members are users by UUID, both ways (`Group.members`, `User.groups`).

use serde_json::{json, Value};

use super::error::ScimError;
use super::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::service::provisioning::{entity_tag, GroupUpdate, GroupView};
use crate::store::{GroupOrder, GroupQuery, GroupSortKey, MatchOp, MemberQuery, TextMatch};

/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// How WSO2 writes a group's name: with its user-store domain.
pub fn display_name(role: &str) -> String {
    format!("PRIMARY/{role}")
}

/// A role's name from a `displayName`, which clients send back as they read it: with
/// `PRIMARY/` (any case) or without.
pub fn role_name(display_name: &str) -> &str {
    match display_name.get(..8) {
        Some(domain) if domain.eq_ignore_ascii_case("PRIMARY/") => &display_name[8..],
        _ => display_name,
    }
}

/// The Group schema: a name and members.
pub fn group_schema() -> Value {
    let mut name =
        super::resource::definition("displayName", "string", false, "readWrite", "always");
    name["required"] = json!(true);
    name["uniqueness"] = json!("server");
    super::resource::schema_resource(
        GROUP_SCHEMA,
        "Group",
        "Group (a role of the user store)",
        vec![
            name,
            super::resource::reference_list_definition("members", "readWrite", "User", &["User"]),
        ],
    )
}

/// The Group resource.
pub fn render_group(group: &GroupView, view: &super::View) -> Value {
    let members: Vec<Value> = group
        .members
        .iter()
        .map(|(id, name)| {
            json!({ "value": id, "display": name, "$ref": view.location("Users", id), "type": "User" })
        })
        .collect();
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.record.id,
        "externalId": group.record.external_id,
        "displayName": view.group_name(&group.record.name),
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": super::resource::rfc3339(group.record.created_at_ms),
            "lastModified": super::resource::rfc3339(group.record.modified_at_ms),
            "location": view.location("Groups", &group.record.id),
            "version": entity_tag(group.record.version),
        }
    });
    if group.record.external_id.is_none() {
        if let Some(object) = resource.as_object_mut() {
            object.remove("externalId");
        }
    }
    view.projection.apply(&mut resource, &["displayName"]);
    resource
}

/// The members' UUIDs a `members` value holds.
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Array(items) => items.clone(),
        item @ Value::Object(_) => vec![item.clone()],
        Value::Null => Vec::new(),
        _ => {
            return Err(ScimError::bad_request(
                "invalidValue",
                "members is an array of {\"value\": id}",
            ))
        }
    };
    items
        .iter()
        .map(|item| {
            let kind = item.get("type").and_then(Value::as_str).unwrap_or("User");
            if kind.eq_ignore_ascii_case("Group") {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    "a group's members are users: nested groups are not supported",
                ));
            }
            item.get("value")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    ScimError::bad_request("invalidValue", "each member needs a value (a user id)")
                })
        })
        .collect()
}

/// A Group body (POST, PUT).
#[derive(Debug)]
pub struct GroupBody {
    /// The role's name (`displayName` without the domain).
    pub name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// The members' UUIDs.
    pub members: Vec<String>,
}

/// `externalId` as a string (absent or null: none).
fn external_id(value: Option<&Value>) -> Result<Option<String>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) => Ok(Some(id.clone())),
        Some(_) => Err(ScimError::bad_request(
            "invalidValue",
            "externalId is a string",
        )),
    }
}

/// Read a Group body (POST, PUT).
pub fn parse_group(body: &Value) -> Result<GroupBody, ScimError> {
    let name = body
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ScimError::bad_request("invalidValue", "displayName is required"))?;
    let members = body
        .get("members")
        .map(member_ids)
        .transpose()?
        .unwrap_or_default();
    Ok(GroupBody {
        name: role_name(name).to_string(),
        external_id: external_id(body.get("externalId"))?,
        members,
    })
}

/// A SCIM filter on Groups as a store query: `displayName` (with or without `PRIMARY/`,
/// case-insensitive), `id`, `externalId` (case-exact), `meta.created`, `meta.lastModified` and
/// `members` (`members.value`, `members[value ...]`: some member's id), with `and`, `or`, `not`
/// and `pr`.
pub fn compile_group_filter(filter: &Filter) -> Result<GroupQuery, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => GroupQuery::And(
            Box::new(compile_group_filter(a)?),
            Box::new(compile_group_filter(b)?),
        ),
        Filter::Or(a, b) => GroupQuery::Or(
            Box::new(compile_group_filter(a)?),
            Box::new(compile_group_filter(b)?),
        ),
        Filter::Not(inner) => GroupQuery::Not(Box::new(compile_group_filter(inner)?)),
        Filter::ValuePath { path, filter } if is_members(path) => {
            GroupQuery::AnyMember(member_condition(filter)?)
        }
        Filter::ValuePath { path, .. } => return Err(unknown_group_attribute(path)),
        Filter::Present(path) => match (path.attribute.as_str(), path.sub_attribute.as_deref()) {
            ("displayname" | "id", None) | ("meta", Some("created" | "lastmodified")) => {
                GroupQuery::All
            }
            ("externalid", None) => GroupQuery::HasExternalId,
            _ if is_members(path) => GroupQuery::HasMembers,
            _ => return Err(unknown_group_attribute(path)),
        },
        Filter::Compare { path, op, value } => group_comparison(path, *op, value)?,
    })
}

/// `members` or `members.value`: the attribute a member's id is.
fn is_members(path: &AttrPath) -> bool {
    path.attribute == "members" && matches!(path.sub_attribute.as_deref(), None | Some("value"))
}

fn unknown_group_attribute(path: &AttrPath) -> ScimError {
    ScimError::bad_request(
        "invalidFilter",
        format!("groups filter on displayName, id, externalId, meta.created, meta.lastModified or members, not '{path}'"),
    )
}

/// A text comparison; `None` for a comparison with `null`.
fn text_match(op: CompareOp, value: &CompValue, case_exact: bool) -> Option<TextMatch> {
    super::resource::value_text(value).map(|value| TextMatch {
        op: super::resource::match_op(op),
        value,
        case_exact,
    })
}

/// `present` for `ne null`, its negation for `eq null` (and nothing else compares with null).
fn null_comparison(op: CompareOp, present: GroupQuery) -> GroupQuery {
    match op {
        CompareOp::Ne => present,
        CompareOp::Eq => GroupQuery::Not(Box::new(present)),
        _ => GroupQuery::Nothing,
    }
}

fn group_comparison(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
) -> Result<GroupQuery, ScimError> {
    Ok(
        match (path.attribute.as_str(), path.sub_attribute.as_deref()) {
            ("displayname", None) => match text_match(op, value, false) {
                Some(mut m) => {
                    m.value = role_name(&m.value).to_string();
                    GroupQuery::Name(m)
                }
                None => null_comparison(op, GroupQuery::All),
            },
            ("id", None) => match text_match(op, value, true) {
                Some(m) => GroupQuery::Id(m),
                None => null_comparison(op, GroupQuery::All),
            },
            ("externalid", None) => match text_match(op, value, true) {
                Some(m) => GroupQuery::ExternalId(m),
                None => null_comparison(op, GroupQuery::HasExternalId),
            },
            ("meta", Some(field @ ("created" | "lastmodified"))) => {
                let ms = super::resource::filter_time(field, value)?;
                let op = super::resource::match_op(op);
                if field == "created" {
                    GroupQuery::Created(op, ms)
                } else {
                    GroupQuery::Modified(op, ms)
                }
            }
            _ if is_members(path) => match text_match(op, value, true) {
                Some(m) => GroupQuery::AnyMember(MemberQuery::Id(m)),
                None => null_comparison(op, GroupQuery::HasMembers),
            },
            _ => return Err(unknown_group_attribute(path)),
        },
    )
}

/// The filter inside `members[...]`, on one member: its `value` (the user's id).
fn member_condition(filter: &Filter) -> Result<MemberQuery, ScimError> {
    let unknown = |path: &AttrPath| {
        ScimError::bad_request(
            "invalidFilter",
            format!("members[...] filters on value (a user's id), not '{path}'"),
        )
    };
    Ok(match filter {
        Filter::And(a, b) => MemberQuery::And(
            Box::new(member_condition(a)?),
            Box::new(member_condition(b)?),
        ),
        Filter::Or(a, b) => MemberQuery::Or(
            Box::new(member_condition(a)?),
            Box::new(member_condition(b)?),
        ),
        Filter::Not(inner) => MemberQuery::Not(Box::new(member_condition(inner)?)),
        Filter::Compare { path, op, value }
            if path.attribute == "value" && path.sub_attribute.is_none() =>
        {
            let m = text_match(*op, value, true).ok_or_else(|| {
                ScimError::bad_request("invalidFilter", "a member's value is never null")
            })?;
            MemberQuery::Id(m)
        }
        Filter::Present(path) if path.attribute == "value" && path.sub_attribute.is_none() => {
            MemberQuery::Id(TextMatch {
                op: MatchOp::Ne,
                value: String::new(),
                case_exact: true,
            })
        }
        Filter::Compare { path, .. } | Filter::Present(path) | Filter::ValuePath { path, .. } => {
            return Err(unknown(path))
        }
    })
}

/// The order `sortBy` / `sortOrder` ask of a Group list: by `displayName` (the default), `id`,
/// `externalId`, `meta.created` or `meta.lastModified`, schema-qualified or not.
pub fn group_sort_order(
    sort_by: Option<&str>,
    sort_order: Option<&str>,
) -> Result<GroupOrder, ScimError> {
    let descending = super::resource::is_descending(sort_order)?;
    let path = sort_by.map(str::trim).unwrap_or("");
    let path = path
        .strip_prefix(GROUP_SCHEMA)
        .and_then(|p| p.strip_prefix(':'))
        .unwrap_or(path);
    let key = match path.to_ascii_lowercase().as_str() {
        "" | "displayname" => GroupSortKey::Name,
        "id" => GroupSortKey::Id,
        "externalid" => GroupSortKey::ExternalId,
        "meta.created" => GroupSortKey::Created,
        "meta.lastmodified" => GroupSortKey::Modified,
        _ => {
            return Err(ScimError::bad_request(
                "invalidValue",
                format!("groups sort by displayName, id, externalId, meta.created or meta.lastModified, not '{path}'"),
            ))
        }
    };
    Ok(GroupOrder { key, descending })
}

/// The member a `members[value eq "<id>"]` path selects.
fn filtered_member(path: &str) -> Result<String, ScimError> {
    let inside = path
        .get(8..path.len().saturating_sub(1))
        .filter(|_| path.ends_with(']'))
        .ok_or_else(|| {
            ScimError::bad_request("invalidPath", format!("'{path}' has no closing ']'"))
        })?;
    let filter = super::filter::parse(inside)
        .map_err(|e| ScimError::bad_request("invalidPath", e.to_string()))?;
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(id),
        } if path.attribute == "value" => Ok(id),
        _ => Err(ScimError::bad_request(
            "invalidPath",
            "members are selected by id: members[value eq \"id\"]",
        )),
    }
}

/// The attributes of a path-less Add or Replace: `displayName`, `externalId` and `members`
/// (case-insensitive); read-only ones (`id`, Okta sends it; `meta`, `schemas`) are ignored.
fn group_attribute<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The change a Group PatchOp makes, given the current members. The operations apply in
/// order to the member list: `Remove members` with a value list removes exactly those
/// members (Entra's form), without one every member (RFC 7644 §3.5.2.2).
pub fn group_change(current: &[String], body: &Value) -> Result<GroupUpdate, ScimError> {
    let operations = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Operations")))
        .and_then(|(_, v)| v.as_array())
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "Operations must be a non-empty array")
        })?;
    let mut change = GroupUpdate::default();
    let mut members: Vec<String> = current.to_vec();
    let add = |members: &mut Vec<String>, ids: Vec<String>| {
        for id in ids {
            if !members.contains(&id) {
                members.push(id);
            }
        }
    };
    for operation in operations {
        let field = |name: &str| group_attribute(operation, name);
        let op = field("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let path = field("path").and_then(Value::as_str).map(str::trim);
        let value = field("value").cloned().unwrap_or(Value::Null);
        let is = |p: &str, name: &str| {
            p.eq_ignore_ascii_case(name)
                || p.strip_prefix(GROUP_SCHEMA)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|rest| rest.eq_ignore_ascii_case(name))
        };
        match (op.as_str(), path) {
            ("add", Some(p)) if is(p, "members") => add(&mut members, member_ids(&value)?),
            ("replace", Some(p)) if is(p, "members") => {
                members.clear();
                add(&mut members, member_ids(&value)?);
            }
            ("remove", Some(p)) if is(p, "members") => {
                let named = member_ids(&value)?;
                if named.is_empty() {
                    members.clear();
                } else {
                    members.retain(|id| !named.contains(id));
                }
            }
            ("remove", Some(p)) if p.to_ascii_lowercase().starts_with("members[") => {
                let id = filtered_member(p)?;
                members.retain(|member| *member != id);
            }
            ("replace" | "add", Some(p)) if is(p, "displayName") => {
                change.name = Some(
                    value
                        .as_str()
                        .map(role_name)
                        .ok_or_else(|| {
                            ScimError::bad_request("invalidValue", "displayName is a string")
                        })?
                        .to_string(),
                )
            }
            ("replace" | "add", Some(p)) if is(p, "externalId") => {
                change.external_id = Some(external_id(Some(&value))?)
            }
            ("remove", Some(p)) if is(p, "externalId") => change.external_id = Some(None),
            ("add" | "replace", None) => {
                if let Some(name) = group_attribute(&value, "displayName") {
                    let name = name.as_str().ok_or_else(|| {
                        ScimError::bad_request("invalidValue", "displayName is a string")
                    })?;
                    change.name = Some(role_name(name).to_string());
                }
                if let Some(id) = group_attribute(&value, "externalId") {
                    change.external_id = Some(external_id(Some(id))?);
                }
                if let Some(given) = group_attribute(&value, "members") {
                    if op == "replace" {
                        members.clear();
                    }
                    add(&mut members, member_ids(given)?);
                }
            }
            ("add" | "replace" | "remove", Some(p)) => {
                return Err(ScimError::bad_request(
                    "invalidPath",
                    format!("unknown group path '{p}'"),
                ))
            }
            ("remove", None) => {
                return Err(ScimError::bad_request("noTarget", "remove needs a path"))
            }
            (other, _) => {
                return Err(ScimError::bad_request(
                    "invalidSyntax",
                    format!("op must be add, replace or remove, not {other:?}"),
                ))
            }
        }
    }
    change.add = members
        .iter()
        .filter(|id| !current.contains(id))
        .cloned()
        .collect();
    change.remove = current
        .iter()
        .filter(|id| !members.contains(id))
        .cloned()
        .collect();
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn change(current: &[&str], operations: Value) -> GroupUpdate {
        group_change(&ids(current), &json!({ "Operations": operations })).unwrap()
    }

    #[test]
    fn every_form_of_member_removal_removes_exactly_what_it_names() {
        // Entra: a value list.
        let c = change(
            &["a", "b", "c"],
            json!([{"op": "Remove", "path": "members", "value": [{"value": "b"}]}]),
        );
        assert_eq!((c.add, c.remove), (ids(&[]), ids(&["b"])));
        // A filter.
        let c = change(
            &["a", "b"],
            json!([{"op": "remove", "path": "members[value eq \"a\"]"}]),
        );
        assert_eq!(c.remove, ids(&["a"]));
        // No value: every member (RFC 7644 §3.5.2.2).
        let c = change(&["a", "b"], json!([{"op": "remove", "path": "members"}]));
        assert_eq!(c.remove, ids(&["a", "b"]));
        // An id that is no member changes nothing.
        let c = change(
            &["a"],
            json!([{"op": "Remove", "path": "members", "value": [{"value": "z"}]}]),
        );
        assert!(c.add.is_empty() && c.remove.is_empty());
    }

    #[test]
    fn operations_apply_in_order() {
        let c = change(
            &["a"],
            json!([
                {"op": "Add", "path": "members", "value": [{"value": "b"}]},
                {"op": "Remove", "path": "members", "value": [{"value": "b"}]},
                {"op": "replace", "value": {"id": "g1", "displayName": "Sales Team"}},
            ]),
        );
        assert!(c.add.is_empty() && c.remove.is_empty());
        assert_eq!(c.name.as_deref(), Some("Sales Team"));
    }
}
