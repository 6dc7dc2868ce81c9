//! SCIM 2.0 codec (RFC 7643/7644), beside the SOAP one: filters, and (to come) resources and
//! errors. It turns SCIM requests into store queries and never sees SQL.

pub mod filter;
