//! Writing replies the way Axis2 does: `<ns:{op}Response>` with repeated `<ns:return>`.

use std::fmt::Write as _;

use super::{SoapVersion, XSI_NAMESPACE};
use crate::service::catalogue::{
    ComplexType, Contract, OperationSpec, CLAIM_VALUE, SERVICE_NAMESPACE,
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

/// One `<ns:return>` text item; a nil one declares `xsi` itself, as Axis2 writes it.
fn push_return(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => {
            let _ = write!(out, "<ns:return>{}</ns:return>", escape(v));
        }
        None => {
            let _ = write!(
                out,
                "<ns:return xsi:nil=\"true\" xmlns:xsi=\"{XSI_NAMESPACE}\"/>"
            );
        }
    }
}

/// One bean item: `<ns:return xsi:type="axNNNN:Type">` with every field of the type, in schema
/// order, qualified in the namespace that declares the fields; `field` gives each value (`None`
/// is written nil).
fn push_bean<'v>(
    out: &mut String,
    contract: &Contract,
    ty: &ComplexType,
    field: impl Fn(&str) -> Option<&'v str>,
) {
    let _ = write!(
        out,
        "<ns:return xsi:type=\"{}:{}\" xmlns:xsi=\"{XSI_NAMESPACE}\">",
        contract.prefix_of(ty.namespace),
        ty.name
    );
    let prefix = contract.prefix_of(ty.field_namespace());
    for f in ty.all_fields() {
        push_text_element(out, prefix, f.name, field(f.name));
    }
    out.push_str("</ns:return>");
}

fn push_claim_value(out: &mut String, contract: &Contract, claim: &ClaimValue) {
    push_bean(out, contract, &CLAIM_VALUE, |name| match name {
        "claimURI" => Some(claim.uri.as_str()),
        "value" => Some(&claim.value),
        _ => None,
    });
}

/// A `ClaimDTO` (or Carbon 4.0 `Claim`) as WSO2 fills it: URI and value; the descriptive
/// fields nil because the service copies none of them; primitives at their Java defaults.
fn push_claim(out: &mut String, contract: &Contract, claim: &ClaimValue) {
    push_bean(out, contract, contract.claim, |name| match name {
        "claimUri" => Some(claim.uri.as_str()),
        "value" => Some(&claim.value),
        "displayOrder" => Some("0"),
        "required" | "supportedByDefault" => Some("false"),
        _ => None,
    });
}

/// The response wrapper's namespace declarations: the service namespace as `ns` and, as Axis2
/// does, every type namespace of the contract with its prefix, used or not.
fn response_namespaces(contract: &Contract) -> String {
    let mut decls = format!(" xmlns:ns=\"{SERVICE_NAMESPACE}\"");
    for (namespace, prefix) in contract.schemas {
        if *namespace != SERVICE_NAMESPACE {
            let _ = write!(decls, " xmlns:{prefix}=\"{namespace}\"");
        }
    }
    decls
}

/// The reply envelope for a successful call, or `None` for in-only operations (HTTP 202).
pub fn encode_reply(
    version: SoapVersion,
    contract: &Contract,
    spec: &OperationSpec,
    reply: &Reply,
) -> Option<String> {
    spec.output?;
    let mut body = String::with_capacity(512);
    let _ = write!(
        body,
        "<ns:{}Response{}>",
        spec.name,
        response_namespaces(contract)
    );
    match reply {
        Reply::Accepted => {}
        Reply::Boolean(b) => push_return(&mut body, Some(&b.to_string())),
        Reply::Int(i) => push_return(&mut body, Some(&i.to_string())),
        Reply::Long(l) => push_return(&mut body, Some(&l.to_string())),
        Reply::Text(text) => push_return(&mut body, text.as_deref()),
        Reply::Texts(items) => items.iter().for_each(|i| push_return(&mut body, Some(i))),
        Reply::ClaimValues(claims) => claims
            .iter()
            .for_each(|c| push_claim_value(&mut body, contract, c)),
        Reply::Claims(claims) => claims
            .iter()
            .for_each(|c| push_claim(&mut body, contract, c)),
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
