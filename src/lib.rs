//! userstore: a wire-compatible re-implementation of WSO2's RemoteUserStoreManagerService.
//!
//! Layers, each importing only the ones below it:
//! [`http`] (transport, auth, limits) -> [`soap`] (envelope codec, faults) ->
//! [`service`] (operation catalogue, typed requests, dispatch) -> [`store`] (traits, SQLite).
//! [`config`] is read by the binary and handed down as plain settings.

pub mod bulk;
pub mod config;
pub mod http;
pub mod scim;
pub mod service;
pub mod soap;
pub mod store;
