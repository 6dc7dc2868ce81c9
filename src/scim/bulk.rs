//! SCIM Bulk (RFC 7644 §3.7): a list of writes run one after another, each atomic on its own,
//! with `bulkId` references to what other operations of the request create (earlier or later
//! ones) and `failOnErrors`. Each
//! operation is carried out by the same code a single request uses (the caller's `exec`).

use std::collections::{HashMap, HashSet};
use std::future::Future;

use serde_json::{json, Map, Value};

use super::error::ScimError;

/// A BulkRequest's schema.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// A BulkResponse's schema.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// The write an operation performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl BulkMethod {
    fn parse(text: &str) -> Option<BulkMethod> {
        match text.to_ascii_uppercase().as_str() {
            "POST" => Some(BulkMethod::Post),
            "PUT" => Some(BulkMethod::Put),
            "PATCH" => Some(BulkMethod::Patch),
            "DELETE" => Some(BulkMethod::Delete),
            _ => None,
        }
    }

    /// As the request line spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkMethod::Post => "POST",
            BulkMethod::Put => "PUT",
            BulkMethod::Patch => "PATCH",
            BulkMethod::Delete => "DELETE",
        }
    }
}

/// One operation, with its `bulkId` references resolved.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The write.
    pub method: BulkMethod,
    /// `/Users`, `/Users/{id}`, `/Groups`, `/Groups/{id}`.
    pub path: String,
    /// The body.
    pub data: Option<Value>,
    /// `If-Match`.
    pub version: Option<String>,
}

/// What an operation's request answered.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` of what it created or changed.
    pub location: Option<String>,
    /// The reply body (the resource, or a SCIM error).
    pub body: Value,
}

/// The ids that POST operations with a `bulkId` created so far, and the bulkIds whose POST
/// failed.
#[derive(Default)]
struct BulkIds {
    created: HashMap<String, String>,
    failed: HashSet<String>,
}

impl BulkIds {
    /// The id `reference` stands for: 409 when its POST failed, 400 when no POST declares it.
    fn get(&self, reference: &str) -> Result<String, ScimError> {
        if let Some(id) = self.created.get(reference) {
            return Ok(id.clone());
        }
        if self.failed.contains(reference) {
            return Err(ScimError::status(
                409,
                format!("bulkId {reference:?} names an operation that failed"),
            ));
        }
        Err(ScimError::bad_request(
            "invalidValue",
            format!("bulkId {reference:?} is not created by any operation of this request"),
        ))
    }

    /// True once `reference`'s POST has run (or when none declares it).
    fn is_settled(&self, reference: &str, declared: &HashSet<&str>) -> bool {
        !declared.contains(reference)
            || self.created.contains_key(reference)
            || self.failed.contains(reference)
    }
}

/// Replace every string `bulkId:<id>` inside `value` by the id it stands for.
fn resolve(value: &mut Value, ids: &BulkIds) -> Result<(), ScimError> {
    match value {
        Value::String(text) => {
            if let Some(reference) = text.strip_prefix("bulkId:") {
                *text = ids.get(reference)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                resolve(item, ids)?;
            }
        }
        Value::Object(fields) => {
            for item in fields.values_mut() {
                resolve(item, ids)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Every bulkId an operation refers to, in its path or anywhere in its data.
fn references(item: &Value) -> Vec<String> {
    fn collect(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::String(text) => {
                if let Some(reference) = text.strip_prefix("bulkId:") {
                    found.push(reference.to_string());
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
            Value::Object(fields) => fields.values().for_each(|v| collect(v, found)),
            _ => {}
        }
    }
    let path = item.get("path").and_then(Value::as_str).unwrap_or("");
    let mut found: Vec<String> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix("bulkId:"))
        .map(str::to_string)
        .collect();
    if let Some(data) = item.get("data") {
        collect(data, &mut found);
    }
    found
}

/// Read one operation of the request.
fn operation(item: &Value, ids: &BulkIds) -> Result<Operation, ScimError> {
    let fields = item
        .as_object()
        .ok_or_else(|| ScimError::bad_request("invalidSyntax", "each operation is an object"))?;
    let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_string);
    let method = text("method")
        .as_deref()
        .and_then(BulkMethod::parse)
        .ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "method is POST, PUT, PATCH or DELETE")
        })?;
    if method == BulkMethod::Post && text("bulkId").is_none() {
        return Err(ScimError::bad_request(
            "invalidSyntax",
            "a POST needs a bulkId",
        ));
    }
    let raw_path = text("path")
        .ok_or_else(|| ScimError::bad_request("invalidSyntax", "each operation needs a path"))?;
    let segments: Vec<&str> = raw_path.trim_start_matches('/').split('/').collect();
    let path = match (method, segments.as_slice()) {
        (BulkMethod::Post, [collection @ ("Users" | "Groups")]) => format!("/{collection}"),
        (
            BulkMethod::Put | BulkMethod::Patch | BulkMethod::Delete,
            [collection @ ("Users" | "Groups"), id],
        ) => {
            let id = match id.strip_prefix("bulkId:") {
                Some(reference) => ids.get(reference)?,
                None => id.to_string(),
            };
            format!("/{collection}/{id}")
        }
        _ => {
            return Err(ScimError::bad_request(
                "invalidPath",
                format!("{} {raw_path} is not a Bulk operation", method.as_str()),
            ))
        }
    };
    let mut data = fields.get("data").cloned();
    if let Some(data) = &mut data {
        resolve(data, ids)?;
    }
    Ok(Operation {
        method,
        path,
        data,
        version: text("version"),
    })
}

/// An error as an operation's outcome.
fn failed(error: &ScimError) -> Outcome {
    Outcome {
        status: error.status,
        location: None,
        body: error.to_json(),
    }
}

/// The BulkResponse entry of the operation `item` that ended in `outcome`.
fn response_entry(item: &Value, outcome: Outcome) -> Value {
    let mut entry = Map::new();
    entry.insert(
        "method".into(),
        item.get("method").cloned().unwrap_or(Value::Null),
    );
    if let Some(bulk_id) = item.get("bulkId") {
        entry.insert("bulkId".into(), bulk_id.clone());
    }
    if let Some(version) = outcome
        .body
        .pointer("/meta/version")
        .filter(|_| outcome.status < 300)
    {
        entry.insert("version".into(), version.clone());
    }
    if let Some(location) = outcome.location.or_else(|| {
        outcome
            .body
            .pointer("/meta/location")
            .and_then(Value::as_str)
            .map(str::to_string)
    }) {
        entry.insert("location".into(), json!(location));
    }
    entry.insert("status".into(), json!(outcome.status.to_string()));
    if outcome.status >= 400 {
        entry.insert("response".into(), outcome.body);
    }
    Value::Object(entry)
}

/// Run a BulkRequest: each operation through `exec`, until the end or until `failOnErrors`
/// operations have failed. Operations run in request order, except that one referring to a
/// bulkId a later POST declares waits for that POST (RFC 7644 §3.7.2's forward references);
/// operations whose references form a cycle (which only nested groups could) fail with 409, as
/// §3.7.1 allows. The BulkResponse lists what ran, in request order.
pub async fn run<F, Fut>(
    body: &Value,
    max_operations: usize,
    mut exec: F,
) -> Result<Value, ScimError>
where
    F: FnMut(Operation) -> Fut,
    Fut: Future<Output = Outcome>,
{
    super::require_schema(body, BULK_REQUEST)?;
    let operations = body
        .get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad_request("invalidSyntax", "Operations must be an array"))?;
    if operations.len() > max_operations {
        return Err(ScimError::status(
            413,
            format!(
                "a Bulk request holds at most {max_operations} operations (bulk.maxOperations)"
            ),
        ));
    }
    let fail_on_errors = match body.get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
            ScimError::bad_request("invalidValue", "failOnErrors is a positive integer")
        })?),
    };
    // The bulkId each operation's POST declares: what the others may refer to.
    let creates: Vec<Option<&str>> = operations
        .iter()
        .map(|item| {
            let method = item.get("method").and_then(Value::as_str);
            (method.and_then(BulkMethod::parse) == Some(BulkMethod::Post))
                .then(|| item.get("bulkId").and_then(Value::as_str))
                .flatten()
        })
        .collect();
    let declared: HashSet<&str> = creates.iter().flatten().copied().collect();
    let refers_to: Vec<Vec<String>> = operations.iter().map(references).collect();
    let mut ids = BulkIds::default();
    let mut outcomes: Vec<Option<Outcome>> = operations.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..operations.len()).collect();
    let mut errors = 0u64;
    while !pending.is_empty() && fail_on_errors.is_none_or(|limit| errors < limit) {
        let ready = pending.iter().position(|&i| {
            refers_to[i]
                .iter()
                .all(|reference| ids.is_settled(reference, &declared))
        });
        let index = pending.remove(ready.unwrap_or(0));
        let item = &operations[index];
        let outcome = match ready.map(|_| operation(item, &ids)) {
            Some(Ok(operation)) => exec(operation).await,
            Some(Err(error)) => failed(&error),
            None => failed(&ScimError::status(
                409,
                "its bulkId references cannot be resolved: they form a cycle or wait on one (a group's members are users, not groups)",
            )),
        };
        if let Some(bulk_id) = creates[index] {
            match outcome.body.get("id").and_then(Value::as_str) {
                Some(id) if outcome.status == 201 => {
                    ids.created.insert(bulk_id.to_string(), id.to_string());
                }
                _ => {
                    ids.failed.insert(bulk_id.to_string());
                }
            }
        }
        if outcome.status >= 400 {
            errors += 1;
        }
        outcomes[index] = Some(outcome);
    }
    let results: Vec<Value> = operations
        .iter()
        .zip(outcomes)
        .filter_map(|(item, outcome)| Some(response_entry(item, outcome?)))
        .collect();
    Ok(json!({ "schemas": [BULK_RESPONSE], "Operations": results }))
}
