//! Streaming envelope decoder over quick-xml: no DOM, no DOCTYPE or entities, bounded depth and
//! element count. Produces the operation and its [`Params`].

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::fault::Detail;
use super::xml::is_xml_char;
use super::{action_operation_name, Binding, Fault, FaultCode, SoapVersion, XSI_NAMESPACE};
use crate::service::catalogue::Contract;
use crate::service::{Operation, ParamValue, Params};

/// Bounds on the XML a request may contain.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Deepest element nesting accepted (the Envelope is depth 1).
    pub max_depth: usize,
    /// Most elements accepted in one request.
    pub max_elements: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_elements: 10_000,
        }
    }
}

/// A decoded request: the SOAP version to answer in, the operation and its parameters.
#[derive(Debug)]
pub struct Envelope {
    /// Version of the request envelope.
    pub version: SoapVersion,
    /// The Body's operation.
    pub operation: Operation,
    /// The operation element's children.
    pub params: Params,
    /// The request's WS-Addressing headers, when it had any.
    pub addressing: Option<Addressing>,
}

/// What a request's WS-Addressing headers say that the reply must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    /// The WS-Addressing namespace the request used (2005/08 or the 2004/08 submission).
    pub namespace: &'static str,
    /// `wsa:MessageID`, which the reply's `wsa:RelatesTo` names.
    pub message_id: Option<String>,
}

/// WS-Addressing 1.0 (what zeep and Axis2 clients send).
pub const WSA_NAMESPACE: &str = "http://www.w3.org/2005/08/addressing";
/// The 2004/08 member submission, still sent by older stubs.
pub const WSA_SUBMISSION_NAMESPACE: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";

/// Where decoding failed: the fault to send, and the version to send it in.
pub type DecodeError = (SoapVersion, Fault);

struct Decoder<'a> {
    reader: NsReader<&'a [u8]>,
    version: SoapVersion,
    depth: usize,
    elements: usize,
    limits: DecodeLimits,
    contract: &'static Contract,
    addressing: Option<Addressing>,
}

/// An element start with its resolved namespace, owned so the reader can move on.
struct Element {
    namespace: Option<Vec<u8>>,
    local: String,
    nil: bool,
    must_understand: bool,
}

fn xml_error(e: impl std::fmt::Display) -> Fault {
    Fault::client(format!("malformed XML: {e}"))
}

impl<'a> Decoder<'a> {
    fn fault(&self, fault: Fault) -> DecodeError {
        (self.version, fault)
    }

    /// The next structural event; comments, processing instructions and the XML declaration are
    /// skipped, DOCTYPE is refused, depth and element count are enforced.
    fn next(&mut self) -> Result<Event<'a>, DecodeError> {
        loop {
            let event = self
                .reader
                .read_event()
                .map_err(|e| (self.version, xml_error(e)))?;
            match &event {
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => continue,
                Event::DocType(_) => {
                    return Err(self.fault(Fault::client(
                        "DOCTYPE and entity declarations are not allowed in SOAP messages",
                    )))
                }
                Event::Start(_) => {
                    self.depth += 1;
                    self.elements += 1;
                    if self.depth > self.limits.max_depth {
                        return Err(self.fault(Fault::client(format!(
                            "XML nesting deeper than {} levels",
                            self.limits.max_depth
                        ))));
                    }
                    if self.elements > self.limits.max_elements {
                        return Err(self.fault(Fault::client(format!(
                            "more than {} XML elements in one request",
                            self.limits.max_elements
                        ))));
                    }
                }
                Event::End(_) => self.depth -= 1,
                _ => {}
            }
            return Ok(event);
        }
    }

    fn element(&self, start: &BytesStart<'_>) -> Result<Element, DecodeError> {
        let (ns, _) = self.reader.resolve_element(start.name());
        let namespace = match ns {
            ResolveResult::Bound(n) => Some(n.into_inner().to_vec()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => {
                return Err(self.fault(Fault::client(format!(
                    "undeclared namespace prefix '{}'",
                    String::from_utf8_lossy(&prefix)
                ))))
            }
        };
        let local = std::str::from_utf8(start.local_name().into_inner())
            .map_err(|e| self.fault(xml_error(e)))?
            .to_string();
        let mut element = Element {
            namespace,
            local,
            nil: false,
            must_understand: false,
        };
        // Without quick-xml's duplicate check, which is quadratic in the attribute count; the
        // count itself is bounded instead.
        for (index, attr) in start.attributes().with_checks(false).enumerate() {
            if index >= MAX_ATTRIBUTES {
                return Err(self.fault(Fault::client(format!(
                    "more than {MAX_ATTRIBUTES} attributes on element '{}'",
                    element.local
                ))));
            }
            let attr = attr.map_err(|e| self.fault(xml_error(e)))?;
            let (attr_ns, attr_local) = self.reader.resolve_attribute(attr.key);
            let value = attr
                .unescape_value()
                .map_err(|e| self.fault(xml_error(e)))?;
            if let Cow::Owned(changed) = &value {
                self.check_chars(changed)?;
            }
            let truthy = matches!(value.trim(), "true" | "1");
            let attr_ns = match attr_ns {
                ResolveResult::Bound(n) => n.into_inner(),
                _ => continue,
            };
            match attr_local.into_inner() {
                b"nil" if attr_ns == XSI_NAMESPACE.as_bytes() => element.nil = truthy,
                b"mustUnderstand" if SoapVersion::from_namespace(attr_ns).is_some() => {
                    element.must_understand = truthy
                }
                _ => {}
            }
        }
        Ok(element)
    }

    /// Skip to the end of the element whose start was just read.
    fn skip_element(&mut self) -> Result<(), DecodeError> {
        let target = self.depth - 1;
        while self.depth > target {
            if let Event::Eof = self.next()? {
                return Err(self.fault(Fault::client("truncated XML document")));
            }
        }
        Ok(())
    }

    /// Read the content of an element whose start was just read: its text, or its child
    /// elements, nested as deep as they go (within the depth limit).
    fn read_value(&mut self, nil: bool) -> Result<ParamValue, DecodeError> {
        let mut text = String::new();
        let mut children: Vec<(String, ParamValue)> = Vec::new();
        loop {
            let event = self.next()?;
            match event {
                Event::Text(t) => {
                    let unescaped = t.unescape().map_err(|e| self.fault(xml_error(e)))?;
                    if let Cow::Owned(changed) = &unescaped {
                        self.check_chars(changed)?;
                    }
                    text.push_str(&unescaped)
                }
                Event::CData(c) => text.push_str(
                    std::str::from_utf8(&c.into_inner()).map_err(|e| self.fault(xml_error(e)))?,
                ),
                Event::Start(start) => {
                    let child = self.element(&start)?;
                    let value = self.read_value(child.nil)?;
                    children.push((child.local, value));
                }
                Event::End(_) => break,
                Event::Eof => return Err(self.fault(Fault::client("truncated XML document"))),
                _ => {}
            }
        }
        Ok(if nil {
            ParamValue::Nil
        } else if !children.is_empty() {
            ParamValue::Complex(children)
        } else {
            ParamValue::Text(text)
        })
    }

    /// Skip whitespace up to the next element start or end; text there is an error.
    fn next_element_or_end(&mut self) -> Result<Option<Element>, DecodeError> {
        loop {
            let event = self.next()?;
            match event {
                Event::Start(start) => return self.element(&start).map(Some),
                Event::End(_) => return Ok(None),
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Eof => return Err(self.fault(Fault::client("truncated XML document"))),
                _ => return Err(self.fault(Fault::client("unexpected text between SOAP elements"))),
            }
        }
    }

    /// Headers: WS-Addressing ones are understood (Carbon engages the addressing module) and
    /// remembered for the reply; any other marked mustUnderstand is refused.
    fn check_header(&mut self) -> Result<(), DecodeError> {
        while let Some(entry) = self.next_element_or_end()? {
            let wsa = [WSA_NAMESPACE, WSA_SUBMISSION_NAMESPACE]
                .into_iter()
                .find(|ns| entry.namespace.as_deref() == Some(ns.as_bytes()));
            if let Some(namespace) = wsa {
                let message_id = if entry.local == "MessageID" {
                    match self.read_value(false)? {
                        ParamValue::Text(id) => Some(id.trim().to_string()),
                        _ => None,
                    }
                } else {
                    self.skip_element()?;
                    None
                };
                let addressing = self.addressing.get_or_insert(Addressing {
                    namespace,
                    message_id: None,
                });
                if message_id.is_some() {
                    addressing.message_id = message_id;
                }
                continue;
            }
            if entry.must_understand {
                return Err(self.fault(Fault {
                    code: FaultCode::MustUnderstand,
                    reason: format!(
                        "header '{}' is marked mustUnderstand but is not understood by this service",
                        entry.local
                    ),
                    detail: Detail::Empty,
                }));
            }
            self.skip_element()?;
        }
        Ok(())
    }

    fn read_operation(&mut self, binding: &Binding) -> Result<(Operation, Params), DecodeError> {
        let Some(op_element) = self.next_element_or_end()? else {
            return Err(self.fault(Fault::client(
                "the SOAP Body is empty: it must contain one operation element",
            )));
        };
        let result = self.read_operation_element(binding, op_element)?;
        if self.next_element_or_end()?.is_some() {
            return Err(self.fault(Fault::client(
                "the SOAP Body must contain exactly one operation element",
            )));
        }
        Ok(result)
    }

    /// The operation element (already started) and its parameters.
    fn read_operation_element(
        &mut self,
        binding: &Binding,
        op_element: Element,
    ) -> Result<(Operation, Params), DecodeError> {
        let namespace = self.contract.service.namespace;
        let in_service_ns = op_element.namespace.as_deref() == Some(namespace.as_bytes());
        let operation = match self.contract.operation_named(&op_element.local) {
            Some(op) if in_service_ns => op,
            // Axis2 found the operation (by name or action) and RPCUtil then checks the
            // element's namespace.
            Some(_) => {
                let found = op_element
                    .namespace
                    .as_deref()
                    .map(|ns| String::from_utf8_lossy(ns).into_owned())
                    .unwrap_or_else(|| "none".to_string());
                // RPCUtil raises a plain AxisFault: a Server (Receiver) fault.
                return Err(self.fault(Fault::server(format!(
                    "namespace mismatch require {namespace} found {found}"
                ))));
            }
            // Neither the action nor the Body names an operation: Axis2's DispatchPhase fault,
            // code Client.
            None => {
                return Err(self.fault(Fault::client(format!(
                    "The endpoint reference (EPR) for the Operation not found is {} and the WSA Action = {}",
                    binding.endpoint.as_deref().unwrap_or("/"),
                    binding.action.as_deref().unwrap_or("null")
                ))))
            }
        };
        let mut params = Params::default();
        while let Some(param) = self.next_element_or_end()? {
            let value = self.read_value(param.nil)?;
            params.push(param.local, value);
        }
        Ok((operation, params))
    }

    fn read_envelope(&mut self, binding: &Binding) -> Result<(Operation, Params), DecodeError> {
        let root = loop {
            let event = self.next()?;
            match event {
                Event::Start(start) => break self.element(&start)?,
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Eof => return Err(self.fault(Fault::client("the request body is empty"))),
                _ => return Err(self.fault(Fault::client("content before the SOAP Envelope"))),
            }
        };
        // The HTTP binding (`...HttpsEndpoint/<op>`): the operation element is the document.
        if binding.bare {
            let result = self.read_operation_element(binding, root)?;
            self.finish_document()?;
            return Ok(result);
        }
        let envelope_version = root
            .namespace
            .as_deref()
            .and_then(SoapVersion::from_namespace);
        match (root.local.as_str(), envelope_version) {
            // The envelope's namespace decides the version, whatever the Content-Type says:
            // clients post SOAP 1.1 envelopes as text/xml to the SOAP 1.2 port and the reverse.
            ("Envelope", Some(version)) => self.version = version,
            ("Envelope", None) => {
                return Err(self.fault(Fault {
                    code: FaultCode::VersionMismatch,
                    reason: "the Envelope is not in the SOAP 1.1 or SOAP 1.2 namespace".into(),
                    detail: Detail::Empty,
                }))
            }
            (other, _) => {
                return Err(self.fault(Fault::client(format!(
                    "the root element is '{other}', not a SOAP Envelope"
                ))))
            }
        }
        let mut section = self.next_element_or_end()?;
        if section
            .as_ref()
            .is_some_and(|s| s.local == "Header" && self.is_envelope_ns(s))
        {
            self.check_header()?;
            section = self.next_element_or_end()?;
        }
        match section {
            Some(body) if body.local == "Body" && self.is_envelope_ns(&body) => {}
            _ => return Err(self.fault(Fault::client("the SOAP Envelope has no Body"))),
        }
        let (operation, params) = self.read_operation(binding)?;
        self.finish_document()?;
        Ok((operation, params))
    }

    /// Whatever follows the operation must be well-formed, and the document must close: a
    /// request cut off after the Body is not acted upon.
    fn finish_document(&mut self) -> Result<(), DecodeError> {
        loop {
            if let Event::Eof = self.next()? {
                break;
            }
        }
        if self.depth != 0 {
            return Err(self.fault(Fault::client("truncated XML document")));
        }
        Ok(())
    }

    /// Refuse characters XML 1.0 does not allow (control characters other than tab, line feed
    /// and carriage return), so nothing stored can make a later reply malformed. The raw body
    /// is checked as a whole in `decode_request`; callers check only text that unescaping
    /// changed (a character reference such as `&#1;` can produce what raw text may not hold).
    fn check_chars(&self, text: &str) -> Result<(), DecodeError> {
        match text.chars().find(|c| !is_xml_char(*c)) {
            None => Ok(()),
            Some(c) => Err(self.fault(Fault::client(format!(
                "character U+{:04X} is not allowed in XML 1.0",
                c as u32
            )))),
        }
    }

    fn is_envelope_ns(&self, element: &Element) -> bool {
        element.namespace.as_deref() == Some(self.version.namespace().as_bytes())
    }
}

/// Most attributes accepted on one element (SOAP needs a handful).
const MAX_ATTRIBUTES: usize = 64;

/// Decode a request body. The error carries the version to answer in: the envelope's when it
/// was recognised, else the one the Content-Type announced, else 1.1.
pub fn decode_request(
    body: &[u8],
    binding: &Binding,
    limits: DecodeLimits,
    contract: &'static Contract,
) -> Result<Envelope, DecodeError> {
    let fallback = binding.version.unwrap_or(SoapVersion::V11);
    let text = std::str::from_utf8(body).map_err(|_| {
        (
            fallback,
            Fault::client("the request body is not valid UTF-8"),
        )
    })?;
    if let Some(c) = text.chars().find(|c| !is_xml_char(*c)) {
        return Err((
            fallback,
            Fault::client(format!(
                "character U+{:04X} is not allowed in XML 1.0",
                c as u32
            )),
        ));
    }
    let mut reader = NsReader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut decoder = Decoder {
        reader,
        version: fallback,
        depth: 0,
        elements: 0,
        limits,
        contract,
        addressing: None,
    };
    let (operation, params) = decoder.read_envelope(binding)?;
    let version = decoder.version;
    // A SOAPAction that names another operation of the service contradicts the Body; one that
    // names none (or nothing) is ignored, as real clients send all kinds.
    if let Some(action) = &binding.action {
        // Split once: this runs on every request, against every operation of the contract.
        let named = action_operation_name(action);
        let names_another = contract
            .operations()
            .any(|spec| spec.operation != operation && spec.name == named);
        if names_another {
            return Err((
                version,
                Fault::client(format!(
                    "the SOAP action '{action}' does not match the operation '{}' in the Body (expected urn:{})",
                    operation.name(),
                    operation.name()
                )),
            ));
        }
    }
    Ok(Envelope {
        version,
        operation,
        params,
        addressing: decoder.addressing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str) -> Result<Envelope, DecodeError> {
        decode_request(
            body.as_bytes(),
            &Binding {
                version: None,
                action: None,
                endpoint: None,
                bare: false,
            },
            DecodeLimits::default(),
            &crate::service::catalogue::CURRENT_CONTRACT,
        )
    }

    #[test]
    fn decodes_soapui_style_request() {
        let env = decode(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://service.ws.um.carbon.wso2.org" xmlns:xsd="http://common.mgt.user.carbon.wso2.org/xsd">
<soapenv:Header/><soapenv:Body><ser:addUser>
<!--Optional:--><ser:userName>bob</ser:userName>
<ser:roleList>a</ser:roleList><ser:roleList>b</ser:roleList>
<ser:claims><xsd:claimURI>http://wso2.org/claims/country</xsd:claimURI><xsd:value>England</xsd:value></ser:claims>
<ser:profileName xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>
</ser:addUser></soapenv:Body></soapenv:Envelope>"#,
        )
        .unwrap();
        assert_eq!(env.version, SoapVersion::V11);
        assert_eq!(env.operation, Operation::AddUser);
        assert_eq!(env.params.text("userName"), Some("bob"));
        assert_eq!(env.params.texts("roleList"), vec!["a", "b"]);
        assert_eq!(
            env.params.records("claims")[0].get("value"),
            Some("England")
        );
        assert_eq!(env.params.text("profileName"), None);
    }

    #[test]
    fn refuses_doctype_and_deep_nesting() {
        let (_, fault) = decode(r#"<!DOCTYPE x [<!ENTITY a "b">]><x/>"#).unwrap_err();
        assert!(fault.reason.contains("DOCTYPE"));
        let deep = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><o:getRoleNames xmlns:o="http://service.ws.um.carbon.wso2.org">{}{}</o:getRoleNames></s:Body></s:Envelope>"#,
            "<a>".repeat(40),
            "</a>".repeat(40)
        );
        let (version, fault) = decode(&deep).unwrap_err();
        assert_eq!(version, SoapVersion::V12);
        assert!(fault.reason.contains("deeper"));
    }

    #[test]
    fn must_understand_headers_fault() {
        let (_, fault) = decode(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><x:Sec xmlns:x="urn:x" s:mustUnderstand="true"/></s:Header><s:Body><ser:getRoleNames xmlns:ser="http://service.ws.um.carbon.wso2.org"/></s:Body></s:Envelope>"#,
        )
        .unwrap_err();
        assert_eq!(fault.code, FaultCode::MustUnderstand);
    }
}
