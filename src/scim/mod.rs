//! SCIM 2.0 codec (RFC 7643/7644), beside the SOAP one: filters, User resources over the
//! store's claims (one mapping table), errors and discovery. It turns SCIM requests into
//! service calls and store queries and never sees SQL.

pub mod bulk;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod group;
pub mod patch;
pub mod projection;
pub mod resource;

pub use error::ScimError;

/// Refuse a message (PatchOp, BulkRequest) whose `schemas` do not name `schema`.
pub fn require_schema(body: &serde_json::Value, schema: &str) -> Result<(), ScimError> {
    let named = body
        .get("schemas")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(schema)));
    if named {
        Ok(())
    } else {
        Err(ScimError::bad_request(
            "invalidSyntax",
            format!("schemas must contain {schema}"),
        ))
    }
}

/// How resources are written for one request: the service's URL (for `meta.location`,
/// `$ref` and `Location`) and how group names read.
pub struct View {
    /// The service's base URL, without `/scim2`.
    pub base: String,
    /// Write group names as WSO2 does, with the user-store domain (`PRIMARY/admins`).
    pub group_domain: bool,
    /// The attributes the request asks for or leaves out.
    pub projection: projection::Projection,
}

impl View {
    /// The URL of a resource: `kind` is `Users` or `Groups`.
    pub fn location(&self, kind: &str, id: &str) -> String {
        format!("{}/scim2/{kind}/{id}", self.base)
    }

    /// A role's name as a group's `displayName`.
    pub fn group_name(&self, role: &str) -> String {
        if self.group_domain {
            group::display_name(role)
        } else {
            role.to_string()
        }
    }
}
