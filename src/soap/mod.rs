//! SOAP 1.1 / 1.2 codec: turns request bodies into (operation, parameters) and replies or
//! errors into Axis2-shaped envelopes. Knows the catalogue, never the store.

mod decode;
mod encode;
mod fault;
pub mod wsdl;
mod xml;

pub use decode::{
    decode_request, Addressing, DecodeError, DecodeLimits, Envelope, WSA_NAMESPACE,
    WSA_SUBMISSION_NAMESPACE,
};
pub use encode::{encode_reply, encode_reply_json, Framing};
pub use fault::{
    Detail, Fault, FaultCode, AUTHENTICATION_FAULT, AUTHENTICATION_SYSTEM_FAULT,
    AUTHORIZATION_FAULT,
};
pub use wsdl::wsdl_document;

/// SOAP 1.1 envelope namespace.
pub const SOAP11_NAMESPACE: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12_NAMESPACE: &str = "http://www.w3.org/2003/05/soap-envelope";
/// XML Schema instance namespace (`xsi:nil`, `xsi:type`).
pub const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Which SOAP version a message uses; replies use the request's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    /// SOAP 1.1 (`text/xml`).
    V11,
    /// SOAP 1.2 (`application/soap+xml`).
    V12,
}

impl SoapVersion {
    /// The envelope namespace of this version.
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_NAMESPACE,
            SoapVersion::V12 => SOAP12_NAMESPACE,
        }
    }

    /// The Content-Type of replies in this version.
    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=UTF-8",
            SoapVersion::V12 => "application/soap+xml; charset=UTF-8",
        }
    }

    fn from_namespace(ns: &[u8]) -> Option<Self> {
        if ns == SOAP11_NAMESPACE.as_bytes() {
            Some(SoapVersion::V11)
        } else if ns == SOAP12_NAMESPACE.as_bytes() {
            Some(SoapVersion::V12)
        } else {
            None
        }
    }
}

/// What the transport headers say about a request: version from the media type and the
/// action from `SOAPAction` (1.1) or the `action` media-type parameter (1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The version the Content-Type announces, if it announces one.
    pub version: Option<SoapVersion>,
    /// The requested action, quotes removed; `None` when absent or empty.
    pub action: Option<String>,
    /// The request path, which Axis2 names in its "operation not found" fault.
    pub endpoint: Option<String>,
    /// The HTTP binding: the body is the bare operation element, without an envelope.
    pub bare: bool,
}

impl Binding {
    /// Interpret Content-Type and SOAPAction headers. `Err` when the media type is not a SOAP
    /// one (the transport answers 415).
    pub fn from_headers(
        content_type: Option<&str>,
        soap_action: Option<&str>,
    ) -> Result<Self, String> {
        let mut binding = Binding {
            version: None,
            action: soap_action.and_then(clean_action),
            endpoint: None,
            bare: false,
        };
        let Some(content_type) = content_type else {
            return Ok(binding);
        };
        let mut parts = content_type.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        binding.version = match media.as_str() {
            "text/xml" => Some(SoapVersion::V11),
            "application/soap+xml" => Some(SoapVersion::V12),
            "" => None,
            other => {
                return Err(format!(
                    "unsupported media type '{other}': send SOAP 1.1 as text/xml or SOAP 1.2 as application/soap+xml"
                ))
            }
        };
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                if key.trim().eq_ignore_ascii_case("action") && binding.action.is_none() {
                    binding.action = clean_action(value);
                }
            }
        }
        Ok(binding)
    }
}

fn clean_action(raw: &str) -> Option<String> {
    let action = raw.trim().trim_matches('"').trim();
    (!action.is_empty()).then(|| action.to_string())
}

/// The operation name a SOAPAction ends in: `op` of `urn:op`, of a URI ending in `/op`, `:op`
/// or `#op`, or of a bare `op`.
pub fn action_operation_name(action: &str) -> &str {
    action.rsplit(['/', ':', '#']).next().unwrap_or(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_from_headers() {
        let b = Binding::from_headers(Some("text/xml; charset=UTF-8"), Some("\"urn:addUser\""))
            .unwrap();
        assert_eq!(b.version, Some(SoapVersion::V11));
        assert_eq!(b.action.as_deref(), Some("urn:addUser"));
        let b = Binding::from_headers(
            Some("application/soap+xml; charset=UTF-8; action=\"urn:getRoleNames\""),
            None,
        )
        .unwrap();
        assert_eq!(b.version, Some(SoapVersion::V12));
        assert_eq!(b.action.as_deref(), Some("urn:getRoleNames"));
        assert!(Binding::from_headers(Some("application/json"), None).is_err());
        assert_eq!(
            Binding::from_headers(None, Some("\"\"")).unwrap().action,
            None
        );
    }

    #[test]
    fn actions_match_operations() {
        assert_eq!(action_operation_name("urn:addUser"), "addUser");
        assert_eq!(action_operation_name("addUser"), "addUser");
        assert_eq!(
            action_operation_name("http://service.ws.um.carbon.wso2.org/addUser"),
            "addUser"
        );
        assert_eq!(action_operation_name("urn:x#addUser"), "addUser");
        assert_ne!(action_operation_name("urn:deleteUser"), "addUser");
    }
}
