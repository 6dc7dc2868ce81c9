//! SOAP faults, and the one place where service errors become faults.

use super::encode::{escape, write_envelope};
use super::SoapVersion;
use crate::service::catalogue::SERVICE_NAMESPACE;
use crate::service::ServiceError;
use crate::store::StoreError;

/// The fault code, named as SOAP 1.1 does; SOAP 1.2 names are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is wrong (1.2: Sender).
    Client,
    /// The server or store refused or failed (1.2: Receiver).
    Server,
    /// The envelope namespace is not the expected one.
    VersionMismatch,
    /// A header marked mustUnderstand is not understood.
    MustUnderstand,
}

impl FaultCode {
    fn local_name(self, version: SoapVersion) -> &'static str {
        match (self, version) {
            (FaultCode::Client, SoapVersion::V11) => "Client",
            (FaultCode::Client, SoapVersion::V12) => "Sender",
            (FaultCode::Server, SoapVersion::V11) => "Server",
            (FaultCode::Server, SoapVersion::V12) => "Receiver",
            (FaultCode::VersionMismatch, _) => "VersionMismatch",
            (FaultCode::MustUnderstand, _) => "MustUnderstand",
        }
    }
}

/// A SOAP fault ready to be written in either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The fault code.
    pub code: FaultCode,
    /// Human-readable reason (faultstring / Reason/Text).
    pub reason: String,
    /// Whether the detail carries `RemoteUserStoreManagerServiceUserStoreException`, as it does
    /// for every error the service itself raises.
    pub user_store_exception: bool,
}

impl Fault {
    /// A fault about a malformed request, raised before any operation ran.
    pub fn client(reason: impl Into<String>) -> Self {
        Self {
            code: FaultCode::Client,
            reason: reason.into(),
            user_store_exception: false,
        }
    }

    /// The envelope for this fault (always answered with HTTP 500).
    pub fn to_envelope(&self, version: SoapVersion) -> String {
        let code = self.code.local_name(version);
        let reason = escape(&self.reason);
        // WSO2 puts the declared fault element in the detail of every user-store error.
        let detail = |container: &str| {
            if self.user_store_exception {
                format!(
                    "<{container}><ns:RemoteUserStoreManagerServiceUserStoreException xmlns:ns=\"{SERVICE_NAMESPACE}\"/></{container}>"
                )
            } else {
                String::new()
            }
        };
        let body = match version {
            SoapVersion::V11 => format!(
                "<soapenv:Fault><faultcode>soapenv:{code}</faultcode><faultstring>{reason}</faultstring>{}</soapenv:Fault>",
                detail("detail")
            ),
            SoapVersion::V12 => format!(
                "<soapenv:Fault><soapenv:Code><soapenv:Value>soapenv:{code}</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang=\"en-US\">{reason}</soapenv:Text></soapenv:Reason>{}</soapenv:Fault>",
                detail("soapenv:Detail")
            ),
        };
        write_envelope(version, &body)
    }
}

impl From<&ServiceError> for Fault {
    fn from(error: &ServiceError) -> Self {
        let code = match error {
            ServiceError::BadRequest(_) | ServiceError::AccessDenied { .. } => FaultCode::Client,
            ServiceError::Store(_) => FaultCode::Server,
        };
        if let ServiceError::Store(StoreError::Database(e)) = error {
            tracing::error!(error = %e, "database error");
        }
        Fault {
            code,
            reason: error.to_string(),
            user_store_exception: true,
        }
    }
}
