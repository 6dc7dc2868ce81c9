//! SCIM Bulk (RFC 7644 §3.7): a list of writes run one after another, each atomic on its own,
//! with `bulkId` references to what earlier operations created and `failOnErrors`. Each
//! operation is carried out by the same code a single request uses (the caller's `exec`).

use std::collections::HashMap;
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

/// Replace every string `bulkId:<id>` inside `value` by the id it stands for.
fn resolve(value: &mut Value, ids: &HashMap<String, String>) -> Result<(), ScimError> {
    match value {
        Value::String(text) => {
            if let Some(reference) = text.strip_prefix("bulkId:") {
                *text = ids
                    .get(reference)
                    .cloned()
                    .ok_or_else(|| unknown_reference(reference))?;
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

fn unknown_reference(reference: &str) -> ScimError {
    ScimError::bad_request(
        "invalidValue",
        format!("bulkId {reference:?} is not one an earlier operation created"),
    )
}

/// Read one operation of the request.
fn operation(
    item: &Value,
    ids: &HashMap<String, String>,
) -> Result<(Operation, Option<String>), ScimError> {
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
    let bulk_id = text("bulkId");
    if method == BulkMethod::Post && bulk_id.is_none() {
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
                Some(reference) => ids
                    .get(reference)
                    .cloned()
                    .ok_or_else(|| unknown_reference(reference))?,
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
    Ok((
        Operation {
            method,
            path,
            data,
            version: text("version"),
        },
        bulk_id,
    ))
}

/// Run a BulkRequest: each operation through `exec`, in order, until the end or until
/// `failOnErrors` operations have failed. The BulkResponse.
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
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results = Vec::with_capacity(operations.len());
    let mut errors = 0u64;
    for item in operations {
        let method = item.get("method").cloned().unwrap_or(Value::Null);
        let bulk_id = item.get("bulkId").cloned();
        let outcome = match operation(item, &ids) {
            Ok((operation, bulk_id)) => {
                let outcome = exec(operation).await;
                if let (Some(bulk_id), 201, Some(id)) = (
                    bulk_id,
                    outcome.status,
                    outcome.body.get("id").and_then(Value::as_str),
                ) {
                    ids.insert(bulk_id, id.to_string());
                }
                outcome
            }
            Err(error) => Outcome {
                status: error.status,
                location: None,
                body: error.to_json(),
            },
        };
        let mut result = Map::new();
        result.insert("method".into(), method);
        if let Some(bulk_id) = bulk_id {
            result.insert("bulkId".into(), bulk_id);
        }
        if let Some(version) = outcome
            .body
            .pointer("/meta/version")
            .filter(|_| outcome.status < 300)
        {
            result.insert("version".into(), version.clone());
        }
        if let Some(location) = outcome.location.or_else(|| {
            outcome
                .body
                .pointer("/meta/location")
                .and_then(Value::as_str)
                .map(str::to_string)
        }) {
            result.insert("location".into(), json!(location));
        }
        result.insert("status".into(), json!(outcome.status.to_string()));
        if outcome.status >= 400 {
            result.insert("response".into(), outcome.body);
            errors += 1;
        }
        results.push(Value::Object(result));
        if fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
    }
    Ok(json!({ "schemas": [BULK_RESPONSE], "Operations": results }))
}
