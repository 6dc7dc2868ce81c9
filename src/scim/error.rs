//! SCIM errors (RFC 7644 §3.12): the HTTP status, an optional `scimType` and a detail, written
//! in the Error schema. Service errors map onto them in one place.

use serde_json::{json, Value};

use crate::service::ServiceError;
use crate::store::StoreError;

/// The Error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// HTTP status.
    pub status: u16,
    /// RFC 7644's `scimType` (400 and 409 errors).
    pub scim_type: Option<&'static str>,
    /// What went wrong, for people.
    pub detail: String,
}

impl ScimError {
    /// A 400 with this `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// Any other status, without a `scimType`.
    pub fn status(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// The resource is not there.
    pub fn not_found(what: &str) -> Self {
        Self::status(404, format!("{what} not found"))
    }

    /// The response body.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        body
    }
}

impl From<&ServiceError> for ScimError {
    fn from(error: &ServiceError) -> Self {
        match error {
            ServiceError::AccessDenied { .. } => {
                ScimError::status(403, "the caller's roles do not grant this")
            }
            ServiceError::BadRequest(detail) => {
                ScimError::bad_request("invalidValue", detail.clone())
            }
            ServiceError::PreconditionFailed { .. } => ScimError::status(412, error.to_string()),
            ServiceError::NullArgument { .. }
            | ServiceError::Refused(_)
            | ServiceError::Summarized { .. } => {
                ScimError::bad_request("invalidValue", error.to_string())
            }
            ServiceError::Store(store) => match store {
                StoreError::UserExists(_) | StoreError::RoleExists(_) => Self {
                    status: 409,
                    scim_type: Some("uniqueness"),
                    detail: store.to_string(),
                },
                StoreError::UserNotFound(_) | StoreError::RoleNotFound(_) => {
                    ScimError::status(404, store.to_string())
                }
                StoreError::Protected(_) => ScimError::bad_request("mutability", store.to_string()),
                StoreError::VersionChanged(_) => ScimError::status(412, store.to_string()),
                StoreError::Database(e) => {
                    tracing::error!(error = %e, "database error");
                    ScimError::status(500, store.to_string())
                }
                StoreError::Hashing | StoreError::SchemaTooNew { .. } => {
                    ScimError::status(500, store.to_string())
                }
                _ => ScimError::bad_request("invalidValue", store.to_string()),
            },
        }
    }
}
