//! SCIM Groups over the store's own roles (not `Internal/` or `Application/`): WSO2 names them
//! `PRIMARY/<role>`; members are users by UUID, both ways (`Group.members`, `User.groups`).

use serde_json::{json, Value};

use super::error::ScimError;
use super::filter::{CompValue, CompareOp, Filter};
use crate::service::provisioning::{entity_tag, GroupUpdate, GroupView};
use crate::store::{GroupOrder, GroupSortKey, MatchOp, TextMatch};

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

/// A group filter as a name match: `displayName` (with or without `PRIMARY/`) compared, or
/// everything.
pub fn compile_group_filter(filter: &Filter) -> Result<Option<TextMatch>, ScimError> {
    match filter {
        Filter::Compare {
            path,
            op,
            value: CompValue::Str(text),
        } if path.attribute == "displayname" && path.sub_attribute.is_none() => {
            let op = match op {
                CompareOp::Eq => MatchOp::Eq,
                CompareOp::Ne => MatchOp::Ne,
                CompareOp::Co => MatchOp::Contains,
                CompareOp::Sw => MatchOp::StartsWith,
                CompareOp::Ew => MatchOp::EndsWith,
                _ => {
                    return Err(ScimError::bad_request(
                        "invalidFilter",
                        "displayName compares with eq, ne, co, sw or ew",
                    ))
                }
            };
            Ok(Some(TextMatch {
                op,
                value: role_name(text).to_string(),
                case_exact: false,
            }))
        }
        _ => Err(ScimError::bad_request(
            "invalidFilter",
            "groups are filtered by displayName (eq, ne, co, sw, ew)",
        )),
    }
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

/// The change a Group PatchOp makes, given the current members.
pub fn group_change(current: &[String], body: &Value) -> Result<GroupUpdate, ScimError> {
    let operations = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "Operations must be a non-empty array")
        })?;
    let mut change = GroupUpdate::default();
    for operation in operations {
        let op = operation
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let path = operation.get("path").and_then(Value::as_str).map(str::trim);
        let value = operation.get("value").cloned().unwrap_or(Value::Null);
        match (op.as_str(), path) {
            ("add", Some(p)) if p.eq_ignore_ascii_case("members") => {
                change.add.extend(member_ids(&value)?)
            }
            ("replace", Some(p)) if p.eq_ignore_ascii_case("members") => {
                change.remove.extend(current.iter().cloned());
                change.add.extend(member_ids(&value)?);
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("members") => {
                change.remove.extend(current.iter().cloned())
            }
            ("remove", Some(p)) if p.to_ascii_lowercase().starts_with("members[") => {
                let filter = super::filter::parse(&p[8..p.len().saturating_sub(1)])
                    .map_err(|e| ScimError::bad_request("invalidPath", e.to_string()))?;
                match filter {
                    Filter::Compare {
                        path,
                        op: CompareOp::Eq,
                        value: CompValue::Str(id),
                    } if path.attribute == "value" => change.remove.push(id),
                    _ => {
                        return Err(ScimError::bad_request(
                            "invalidPath",
                            "remove members[value eq \"id\"]",
                        ))
                    }
                }
            }
            ("replace" | "add", Some(p)) if p.eq_ignore_ascii_case("displayName") => {
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
            ("replace" | "add", Some(p)) if p.eq_ignore_ascii_case("externalId") => {
                change.external_id = Some(external_id(Some(&value))?)
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("externalId") => {
                change.external_id = Some(None)
            }
            ("add" | "replace", None) => {
                if let Some(name) = value.get("displayName").and_then(Value::as_str) {
                    change.name = Some(role_name(name).to_string());
                }
                if let Some(id) = value.get("externalId") {
                    change.external_id = Some(external_id(Some(id))?);
                }
                if let Some(members) = value.get("members") {
                    if op == "replace" {
                        change.remove.extend(current.iter().cloned());
                    }
                    change.add.extend(member_ids(members)?);
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
    // A member both removed and added stays (replace with the same member).
    change.remove.retain(|id| !change.add.contains(id));
    Ok(change)
}
