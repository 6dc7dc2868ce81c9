//! SCIM 2.0 codec (RFC 7643/7644), beside the SOAP one: filters, User resources over the
//! store's claims (one mapping table), errors and discovery. It turns SCIM requests into
//! service calls and store queries and never sees SQL.

pub mod discovery;
pub mod error;
pub mod filter;
pub mod group;
pub mod patch;
pub mod resource;

pub use error::ScimError;
