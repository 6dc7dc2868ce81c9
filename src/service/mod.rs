//! The service: the operation catalogue, typed requests, access control and dispatch to the
//! store traits. It knows nothing of XML or HTTP; the SOAP layer turns its [`Reply`] and
//! [`ServiceError`] into envelopes.

pub mod access;
mod admin;
pub mod bean;
pub mod catalogue;
mod dispatch;
pub mod faults;
pub mod params;
pub mod provisioning;
pub mod request;
pub mod session;

use thiserror::Error;

pub use access::Caller;
pub use bean::{Bean, FieldValue};
pub use catalogue::{Operation, OperationSpec, CATALOGUE};
pub use dispatch::{AuthFailure, Reply, Service, ServiceSettings, SUPER_TENANT_ID};
pub use params::{ParamValue, Params};
pub use request::{Request, Sessions};

use crate::store::StoreError;

/// Why an operation failed; mapped to a SOAP fault in exactly one place (`soap::fault`).
#[derive(Debug, Error)]
pub enum ServiceError {
    /// The request is malformed for the operation (unknown element, bad number...).
    #[error("{0}")]
    BadRequest(String),
    /// A conditional write whose precondition (`If-Match`) no longer holds.
    #[error("the resource changed: its version is now {current}")]
    PreconditionFailed {
        /// The resource's current entity tag.
        current: String,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An argument WSO2's Java code dereferences was absent: its user core then fails with a
    /// NullPointerException inside `callSecure`, and clients see this text (a Java accident,
    /// answered as WSO2 answers it).
    #[error("Error occurred while accessing Java Security Manager Privilege Block when called by method {method} with {} length of Objects and argTypes [{}]", .arg_types.len(), .arg_types.join(", "))]
    NullArgument {
        /// The user-core method.
        method: &'static str,
        /// Its parameters' Java types.
        arg_types: &'static [&'static str],
    },
    /// An admin service refused in its own words (the one table: [`faults::Refusal`]).
    #[error("{}", .0.text())]
    Refused(faults::Refusal),
    /// UserIdentityManagementAdminService's summary of a failure: the cause is logged, never
    /// sent.
    #[error("{summary}")]
    Summarized {
        /// The service's own text.
        summary: String,
        /// What failed underneath.
        cause: Box<ServiceError>,
    },
    /// The caller authenticated, but their permissions do not grant the operation's.
    #[error("Access Denied.")]
    AccessDenied {
        /// Who called.
        user: String,
        /// What they called.
        operation: &'static str,
    },
}
