//! Which service a request path addresses: Axis2's paths for RemoteUserStoreManagerService,
//! AuthenticationAdmin and the other admin services (the bare name, or the name plus a port
//! suffix, with or without a trailing `/`), and for the HTTP binding the operation named after
//! the port.

use crate::service::catalogue::{Contract, ADMIN_CONTRACTS};

/// The services served under `/services/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServicePath {
    /// RemoteUserStoreManagerService.
    UserStore,
    /// Carbon's AuthenticationAdmin (login, logout).
    AuthenticationAdmin,
    /// One of the other admin services (UserAdmin, RemoteAuthorizationManagerService, ...).
    Admin(&'static Contract),
}

/// A recognised endpoint path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The service addressed.
    pub service: ServicePath,
    /// For the HTTP binding (`...HttpsEndpoint/<op>`), the operation the path names.
    pub bare_operation: Option<String>,
}

/// Per-port suffixes Axis2 publishes after `<service>.<service>`.
const SOAP_PORTS: [&str; 4] = [
    "HttpsSoap11Endpoint",
    "HttpsSoap12Endpoint",
    "HttpSoap11Endpoint",
    "HttpSoap12Endpoint",
];
/// The HTTP binding's ports, followed by `/<operation>`.
const HTTP_PORTS: [&str; 2] = ["HttpsEndpoint", "HttpEndpoint"];

const SERVICES: [(&str, ServicePath); 2] = [
    (
        crate::service::catalogue::SERVICE_NAME,
        ServicePath::UserStore,
    ),
    ("AuthenticationAdmin", ServicePath::AuthenticationAdmin),
];

/// The endpoint `path` addresses, if it is one of the services' paths.
pub fn endpoint(path: &str) -> Option<Endpoint> {
    let rest = path.strip_prefix("/services/")?;
    let admin = ADMIN_CONTRACTS
        .iter()
        .map(|contract| (contract.service.name, ServicePath::Admin(contract)));
    SERVICES
        .iter()
        .copied()
        .chain(admin)
        .find_map(|(name, service)| {
            let after = rest.strip_prefix(name)?;
            let plain = |bare_operation| {
                Some(Endpoint {
                    service,
                    bare_operation,
                })
            };
            if after.is_empty() || after == "/" {
                return plain(None);
            }
            let port = after.strip_prefix('.')?.strip_prefix(name)?;
            let port_only = port.strip_suffix('/').unwrap_or(port);
            if SOAP_PORTS.contains(&port_only) || HTTP_PORTS.contains(&port_only) {
                return plain(None);
            }
            HTTP_PORTS.iter().find_map(|http| {
                let operation = port.strip_prefix(http)?.strip_prefix('/')?;
                let operation = operation.strip_suffix('/').unwrap_or(operation);
                (!operation.is_empty() && !operation.contains('/'))
                    .then(|| plain(Some(operation.to_string())))
                    .flatten()
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_paths_are_recognised() {
        for path in [
            "/services/RemoteUserStoreManagerService",
            "/services/RemoteUserStoreManagerService/",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsSoap11Endpoint",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsSoap12Endpoint/",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpSoap11Endpoint/",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpSoap12Endpoint",
        ] {
            assert_eq!(
                endpoint(path),
                Some(Endpoint {
                    service: ServicePath::UserStore,
                    bare_operation: None
                }),
                "{path}"
            );
        }
        assert_eq!(
            endpoint("/services/AuthenticationAdmin.AuthenticationAdminHttpsSoap12Endpoint/")
                .map(|e| e.service),
            Some(ServicePath::AuthenticationAdmin)
        );
        assert_eq!(
            endpoint("/services/UserAdmin.UserAdminHttpsSoap11Endpoint/").map(|e| e.service),
            Some(ServicePath::Admin(
                &crate::service::catalogue::USER_ADMIN_CONTRACT
            ))
        );
        assert!(endpoint("/services/RemoteAuthorizationManagerService").is_some());
        assert_eq!(
            endpoint("/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsEndpoint/isExistingUser")
                .and_then(|e| e.bare_operation),
            Some("isExistingUser".to_string())
        );
        for path in [
            "/",
            "/services/Other",
            "/services/RemoteUserStoreManagerService.Nope",
            "/services/RemoteUserStoreManagerServiceX",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsEndpoint/a/b",
        ] {
            assert_eq!(endpoint(path), None, "{path}");
        }
    }
}
