//! Writing replies the way Axis2 does: `<ns:{op}Response>` with repeated `<ns:return>`.

use std::fmt::Write as _;

use super::{SoapVersion, XSI_NAMESPACE};
use crate::service::catalogue::{
    OperationSpec, OutputType, API_NAMESPACE, CLAIM_NAMESPACE, COMMON_NAMESPACE, SERVICE_NAMESPACE,
};
use crate::service::Reply;
use crate::store::ClaimValue;

/// Escape text for element content (`<`, `>`, `&`; quotes stay readable as Axis2 writes them).
/// Characters XML 1.0 forbids are replaced with U+FFFD so a reply is always well-formed; the
/// decoder refuses them, so only data from outside the API could carry them.
pub(crate) fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(super::decode::is_xml_char) {
        return quick_xml::escape::partial_escape(text);
    }
    let clean: String = text
        .chars()
        .map(|c| {
            if super::decode::is_xml_char(c) {
                c
            } else {
                '\u{FFFD}'
            }
        })
        .collect();
    std::borrow::Cow::Owned(quick_xml::escape::partial_escape(&clean).into_owned())
}

/// Wrap a body fragment in an envelope of `version`.
pub(crate) fn write_envelope(version: SoapVersion, body: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"{}\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>",
        version.namespace()
    )
}

/// The dialect a claim URI belongs to (everything before its last `/`), as WSO2 reports it.
fn dialect_of(uri: &str) -> Option<&str> {
    uri.rfind('/').map(|i| &uri[..i]).filter(|d| !d.is_empty())
}

fn push_text_element(out: &mut String, prefix: &str, name: &str, value: Option<&str>) {
    match value {
        Some(v) => {
            let _ = write!(out, "<{prefix}:{name}>{}</{prefix}:{name}>", escape(v));
        }
        None => {
            let _ = write!(out, "<{prefix}:{name} xsi:nil=\"true\"/>");
        }
    }
}

fn push_claim_value(out: &mut String, claim: &ClaimValue) {
    out.push_str("<ns:return xsi:type=\"ax2438:ClaimValue\">");
    push_text_element(out, "ax2438", "claimURI", Some(claim.uri.as_str()));
    push_text_element(out, "ax2438", "value", Some(&claim.value));
    out.push_str("</ns:return>");
}

fn push_claim(out: &mut String, claim: &ClaimValue) {
    out.push_str("<ns:return xsi:type=\"ax2442:Claim\">");
    push_text_element(out, "ax2435", "claimUri", Some(claim.uri.as_str()));
    push_text_element(out, "ax2435", "description", None);
    push_text_element(out, "ax2435", "dialectURI", dialect_of(claim.uri.as_str()));
    push_text_element(out, "ax2435", "displayOrder", Some("0"));
    push_text_element(out, "ax2435", "displayTag", None);
    push_text_element(out, "ax2435", "regEx", None);
    push_text_element(out, "ax2435", "required", Some("false"));
    push_text_element(out, "ax2435", "supportedByDefault", Some("false"));
    push_text_element(out, "ax2435", "value", Some(&claim.value));
    out.push_str("</ns:return>");
}

/// The namespace declarations the response element needs for `output`.
fn response_namespaces(output: OutputType) -> String {
    let mut decls = format!(" xmlns:ns=\"{SERVICE_NAMESPACE}\"");
    match output {
        OutputType::ClaimValueArray => {
            let _ = write!(
                decls,
                " xmlns:xsi=\"{XSI_NAMESPACE}\" xmlns:ax2438=\"{COMMON_NAMESPACE}\""
            );
        }
        OutputType::ClaimArray => {
            let _ = write!(
                decls,
                " xmlns:xsi=\"{XSI_NAMESPACE}\" xmlns:ax2442=\"{CLAIM_NAMESPACE}\" xmlns:ax2435=\"{API_NAMESPACE}\""
            );
        }
        OutputType::String | OutputType::StringArray | OutputType::StringTable => {
            let _ = write!(decls, " xmlns:xsi=\"{XSI_NAMESPACE}\"");
        }
        OutputType::Boolean | OutputType::Int | OutputType::Long => {}
    }
    decls
}

/// The reply envelope for a successful call, or `None` for in-only operations (HTTP 202).
pub fn encode_reply(version: SoapVersion, spec: &OperationSpec, reply: &Reply) -> Option<String> {
    let output = spec.output?;
    let mut body = String::with_capacity(256);
    let _ = write!(
        body,
        "<ns:{}Response{}>",
        spec.name,
        response_namespaces(output)
    );
    match reply {
        Reply::Accepted => {}
        Reply::Boolean(b) => push_text_element(&mut body, "ns", "return", Some(&b.to_string())),
        Reply::Int(i) => push_text_element(&mut body, "ns", "return", Some(&i.to_string())),
        Reply::Long(l) => push_text_element(&mut body, "ns", "return", Some(&l.to_string())),
        Reply::Text(text) => push_text_element(&mut body, "ns", "return", text.as_deref()),
        Reply::Texts(items) => {
            for item in items {
                push_text_element(&mut body, "ns", "return", Some(item));
            }
        }
        Reply::ClaimValues(claims) => claims.iter().for_each(|c| push_claim_value(&mut body, c)),
        Reply::Claims(claims) => claims.iter().for_each(|c| push_claim(&mut body, c)),
        Reply::StringTable(rows) => {
            for row in rows {
                body.push_str("<ns:return>");
                for cell in row {
                    push_text_element(&mut body, "ns", "array", Some(cell));
                }
                body.push_str("</ns:return>");
            }
        }
    }
    let _ = write!(body, "</ns:{}Response>", spec.name);
    Some(write_envelope(version, &body))
}
