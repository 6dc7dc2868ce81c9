//! SOAP faults as Axis2 writes them: `faultcode`/`faultstring` unprefixed, a `detail` element
//! always present, and the codes Carbon's handlers use.

use super::xml::{escape, write_envelope};
use super::{SoapVersion, XSI_NAMESPACE};
use crate::service::catalogue::{ComplexType, Contract, OperationSpec, ServiceInfo};
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
    /// A numeric code of Carbon's authentication and authorization handlers (50977, 50978),
    /// written as Axis2 does: a generated prefix bound to the envelope namespace on the Fault.
    Handler(u32),
}

impl FaultCode {
    fn local_name(self, version: SoapVersion) -> String {
        match (self, version) {
            (FaultCode::Client, SoapVersion::V11) => "Client".into(),
            (FaultCode::Client, SoapVersion::V12) => "Sender".into(),
            (FaultCode::Server, SoapVersion::V11) => "Server".into(),
            (FaultCode::Server, SoapVersion::V12) => "Receiver".into(),
            (FaultCode::VersionMismatch, _) => "VersionMismatch".into(),
            (FaultCode::MustUnderstand, _) => "MustUnderstand".into(),
            (FaultCode::Handler(code), _) => code.to_string(),
        }
    }
}

/// What the fault's detail element holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// `<detail/>`: in-only operations, handler faults, malformed requests.
    Empty,
    /// The service's declared exception (`<Service><Exception>` wrapping the exception bean),
    /// for errors of two-way operations; the prefixes come from the contract.
    Declared {
        /// The service whose exception it is.
        service: &'static ServiceInfo,
        /// The prefix of the exception type's namespace.
        type_prefix: &'static str,
        /// The prefix of the namespace its fields are qualified in.
        field_prefix: &'static str,
    },
}

impl Detail {
    /// The detail an error of the operation gets: the declared exception for two-way
    /// operations, an empty element for in-only ones (Axis2's RPCInOnlyMessageReceiver drops
    /// it).
    pub fn for_store_error(two_way: bool, contract: &Contract) -> Self {
        let exception = contract.service.fault_type;
        if two_way {
            Detail::Declared {
                service: contract.service,
                type_prefix: contract.prefix_of(exception.namespace),
                field_prefix: contract.prefix_of(exception.field_namespace()),
            }
        } else {
            Detail::Empty
        }
    }

    /// The detail's content: the wrapper, and the exception bean with its fields (a
    /// `message` field carries the fault text, any other is nil).
    fn content(&self, reason: &str) -> String {
        let Detail::Declared {
            service,
            type_prefix,
            field_prefix,
        } = *self
        else {
            return String::new();
        };
        let exception: &ComplexType = service.fault_type;
        let (wrapper, namespace, name) = (service.fault_name, service.namespace, exception.name);
        let mut declarations = format!(
            "xmlns:xsi=\"{XSI_NAMESPACE}\" xmlns:{type_prefix}=\"{}\"",
            exception.namespace
        );
        let fields: String = exception
            .all_fields()
            .iter()
            .map(|f| match f.name {
                "message" => format!(
                    "<{field_prefix}:message>{}</{field_prefix}:message>",
                    escape(reason)
                ),
                other => format!("<{field_prefix}:{other} xsi:nil=\"true\"/>"),
            })
            .collect();
        if !fields.is_empty() && field_prefix != type_prefix {
            declarations.push_str(&format!(
                " xmlns:{field_prefix}=\"{}\"",
                exception.field_namespace()
            ));
        }
        let bean = if fields.is_empty() {
            format!("<ns:{name} xsi:type=\"{type_prefix}:{name}\" {declarations}/>")
        } else {
            format!(
                "<ns:{name} xsi:type=\"{type_prefix}:{name}\" {declarations}>{fields}</ns:{name}>"
            )
        };
        format!("<ns:{wrapper} xmlns:ns=\"{namespace}\">{bean}</ns:{wrapper}>")
    }
}

/// A SOAP fault ready to be written in either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The fault code.
    pub code: FaultCode,
    /// Human-readable reason (faultstring / Reason/Text).
    pub reason: String,
    /// The detail element's content.
    pub detail: Detail,
}

/// The prefix Axis2 generates for a handler fault's code (its number varies by server).
const HANDLER_PREFIX: &str = "axis2ns1";

impl Fault {
    /// A fault about a malformed request, raised before any operation ran.
    pub fn client(reason: impl Into<String>) -> Self {
        Self {
            code: FaultCode::Client,
            reason: reason.into(),
            detail: Detail::Empty,
        }
    }

    /// A server-side failure with an empty detail.
    pub fn server(reason: impl Into<String>) -> Self {
        Self {
            code: FaultCode::Server,
            reason: reason.into(),
            detail: Detail::Empty,
        }
    }

    /// A fault of Carbon's authentication (50977) or authorization (50978) handler.
    pub fn handler(code: u32, reason: impl Into<String>) -> Self {
        Self {
            code: FaultCode::Handler(code),
            reason: reason.into(),
            detail: Detail::Empty,
        }
    }

    /// The envelope for this fault (always answered with HTTP 500).
    pub fn to_envelope(&self, version: SoapVersion) -> String {
        let local = self.code.local_name(version);
        let (fault_attrs, code) = match self.code {
            FaultCode::Handler(_) => (
                format!(" xmlns:{HANDLER_PREFIX}=\"{}\"", version.namespace()),
                format!("{HANDLER_PREFIX}:{local}"),
            ),
            _ => (String::new(), format!("soapenv:{local}")),
        };
        let reason = escape(&self.reason);
        let detail_content = self.detail.content(&self.reason);
        let detail = |name: &str| {
            if detail_content.is_empty() {
                format!("<{name}/>")
            } else {
                format!("<{name}>{detail_content}</{name}>")
            }
        };
        let body = match version {
            SoapVersion::V11 => format!(
                "<soapenv:Fault{fault_attrs}><faultcode>{code}</faultcode><faultstring>{reason}</faultstring>{}</soapenv:Fault>",
                detail("detail")
            ),
            SoapVersion::V12 => format!(
                "<soapenv:Fault{fault_attrs}><soapenv:Code><soapenv:Value>{code}</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang=\"en-US\">{reason}</soapenv:Text></soapenv:Reason>{}</soapenv:Fault>",
                detail("soapenv:Detail")
            ),
        };
        write_envelope(version, "", &body)
    }

    /// The fault in Axis2's JSON (`Accept: application/json`): the Fault element as Jettison's
    /// mapped convention writes it, prefixes dropped from element names, every value a string,
    /// an empty element an empty string.
    pub fn to_json(&self, version: SoapVersion) -> String {
        use serde_json::{json, Value};
        let local = self.code.local_name(version);
        let code = match self.code {
            FaultCode::Handler(_) => format!("{HANDLER_PREFIX}:{local}"),
            _ => format!("soapenv:{local}"),
        };
        let detail = match self.detail {
            Detail::Empty => Value::String(String::new()),
            Detail::Declared { service, .. } => {
                let exception = service.fault_type;
                let fields: serde_json::Map<String, Value> = exception
                    .all_fields()
                    .iter()
                    .map(|f| {
                        let value = match f.name {
                            "message" => Value::String(self.reason.clone()),
                            _ => Value::Null,
                        };
                        (f.name.to_string(), value)
                    })
                    .collect();
                let bean = if fields.is_empty() {
                    Value::String(String::new())
                } else {
                    Value::Object(fields)
                };
                json!({ service.fault_name: { exception.name: bean } })
            }
        };
        let fault = match version {
            SoapVersion::V11 => json!({
                "faultcode": code,
                "faultstring": self.reason,
                "detail": detail,
            }),
            SoapVersion::V12 => json!({
                "Code": { "Value": code },
                "Reason": { "Text": self.reason },
                "Detail": detail,
            }),
        };
        json!({ "Fault": fault }).to_string()
    }
}

impl Fault {
    /// The one place a service error becomes a fault: `reason` is the service's WSO2 text for
    /// it, the code and detail follow how Axis2 reports each kind.
    pub fn from_service_error(
        error: &ServiceError,
        reason: String,
        spec: &OperationSpec,
        contract: &Contract,
    ) -> Self {
        match error {
            ServiceError::BadRequest(_) | ServiceError::PreconditionFailed { .. } => {
                Fault::client(reason)
            }
            ServiceError::AccessDenied { .. } => Fault::handler(AUTHORIZATION_FAULT, reason),
            ServiceError::Summarized { cause, .. } => {
                tracing::warn!(cause = %cause, "{reason}");
                Fault {
                    code: FaultCode::Server,
                    reason,
                    detail: Detail::for_store_error(spec.output.is_some(), contract),
                }
            }
            ServiceError::NullArgument { .. } | ServiceError::Refused(_) => Fault {
                code: FaultCode::Server,
                reason,
                detail: Detail::for_store_error(spec.output.is_some(), contract),
            },
            ServiceError::Store(store) => {
                if let StoreError::Database(e) = store {
                    tracing::error!(error = %e, "database error");
                }
                Fault {
                    code: FaultCode::Server,
                    reason,
                    detail: Detail::for_store_error(spec.output.is_some(), contract),
                }
            }
        }
    }
}

/// Carbon's code for a failed authentication (`ServerConstants.AUTHENTICATION_FAULT_CODE`).
pub const AUTHENTICATION_FAULT: u32 = 50977;
/// Carbon's code for a failed authentication caused by a system error.
pub const AUTHENTICATION_SYSTEM_FAULT: u32 = 50976;
/// Carbon's code for a denied authorization (`ServerConstants.AUTHORIZATION_FAULT_CODE`).
pub const AUTHORIZATION_FAULT: u32 = 50978;
