//! userstore: a wire-compatible re-implementation of WSO2's RemoteUserStoreManagerService.
//!
//! Layers, each importing only the ones below it:
//! [`http`] (transport, auth, limits) -> [`soap`] (envelope codec, faults) ->
//! [`service`] (operation catalogue, typed requests, dispatch) -> [`store`] (traits, SQLite).
//! [`config`] is read by the binary and handed down as plain settings. [`import`] (userstore's
//! own JSON Lines/CSV backups, and users from WSO2 and Keycloak) writes through the store's
//! bulk path.

pub mod config;
pub mod http;
pub mod import;
pub mod rfc3339;
pub mod scim;
pub mod service;
pub mod soap;
pub mod store;
