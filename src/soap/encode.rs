//! Writing replies the way Axis2 does: `<ns:{op}Response>` with repeated `<ns:return>`, in an
//! envelope or bare (HTTP binding), or as Axis2's JSON.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::xml::{escape, open_envelope, CLOSE_ENVELOPE, XML_DECLARATION};
use super::{Addressing, SoapVersion, XSI_NAMESPACE};
use crate::service::catalogue::{ComplexType, Contract, OperationSpec, XsdType, CLAIM_VALUE};
use crate::service::{Bean, FieldValue, Reply};
use crate::store::ClaimValue;

/// How a reply is framed: its SOAP version, the request's WS-Addressing headers to answer,
/// and whether it goes out bare (the HTTP binding) instead of in an envelope.
#[derive(Debug, Clone, Copy)]
pub struct Framing<'a> {
    /// The request's SOAP version.
    pub version: SoapVersion,
    /// The request's WS-Addressing headers, if any: the reply then carries `wsa:Action` and
    /// `wsa:RelatesTo`, as Carbon's addressing module writes them.
    pub addressing: Option<&'a Addressing>,
    /// The HTTP binding: the response element alone.
    pub bare: bool,
}

/// One `<return>` item of a reply, the same for the XML and the JSON writer.
enum Item<'a> {
    /// A simple value (`None` is nil).
    Text(Option<Cow<'a, str>>),
    /// A bean: its type and each field's value in schema order (`None` is nil).
    Bean(&'static ComplexType, Vec<Option<&'a str>>),
    /// An `ArrayOfString` row.
    Row(&'a [String]),
    /// A structured bean of a catalogue type (fields may nest).
    Tree(&'static ComplexType, &'a Bean),
}

/// A `ClaimDTO` (or Carbon 4.0 `Claim`) as WSO2 fills it: URI and value; the descriptive
/// fields nil because the service copies none of them; primitives at their Java defaults.
fn claim_field<'a>(claim: &'a ClaimValue, field: &str) -> Option<&'a str> {
    match field {
        "claimUri" | "claimURI" => Some(claim.uri.as_str()),
        "value" => Some(&claim.value),
        "displayOrder" => Some("0"),
        "required" | "supportedByDefault" => Some("false"),
        _ => None,
    }
}

fn bean<'a>(ty: &'static ComplexType, claim: &'a ClaimValue) -> Item<'a> {
    let values = ty
        .all_fields()
        .iter()
        .map(|f| claim_field(claim, f.name))
        .collect();
    Item::Bean(ty, values)
}

/// The complex type of an operation's `<return>` beans; `None` (logged) if a handler answered
/// beans where the catalogue declares none, so the reply carries a nil `return` instead.
fn bean_type(contract: &Contract, spec: &OperationSpec) -> Option<&'static ComplexType> {
    match spec.output.map(|o| o.xsd(contract)) {
        Some(XsdType::Complex(ty)) => Some(ty),
        _ => {
            tracing::error!(
                operation = spec.name,
                "a bean reply for an operation whose catalogue output is not a bean"
            );
            None
        }
    }
}

/// The reply's `<return>` items (none for in-only operations).
fn items<'a>(contract: &Contract, spec: &OperationSpec, reply: &'a Reply) -> Vec<Item<'a>> {
    let scalar = |text: String| vec![Item::Text(Some(Cow::Owned(text)))];
    match reply {
        Reply::Accepted => Vec::new(),
        Reply::Void | Reply::Bean(None) => vec![Item::Text(None)],
        Reply::Bean(Some(bean)) => match bean_type(contract, spec) {
            Some(ty) => vec![Item::Tree(ty, bean)],
            None => vec![Item::Text(None)],
        },
        Reply::Beans(beans) => match bean_type(contract, spec) {
            Some(ty) => beans.iter().map(|b| Item::Tree(ty, b)).collect(),
            None => Vec::new(),
        },
        Reply::Boolean(b) => scalar(b.to_string()),
        Reply::Int(i) => scalar(i.to_string()),
        Reply::Long(l) => scalar(l.to_string()),
        Reply::Text(text) => vec![Item::Text(text.as_deref().map(Cow::Borrowed))],
        Reply::Texts(texts) => texts
            .iter()
            .map(|t| Item::Text(Some(Cow::Borrowed(t))))
            .collect(),
        Reply::ClaimValues(claims) => claims.iter().map(|c| bean(&CLAIM_VALUE, c)).collect(),
        Reply::Claims(claims) => claims.iter().map(|c| bean(contract.claim, c)).collect(),
        Reply::StringTable(rows) => rows.iter().map(|r| Item::Row(r)).collect(),
    }
}

fn push_text_element(out: &mut String, prefix: &str, name: &str, value: Option<&str>) {
    match value {
        Some(v) => {
            for part in [
                "<",
                prefix,
                ":",
                name,
                ">",
                &escape(v),
                "</",
                prefix,
                ":",
                name,
                ">",
            ] {
                out.push_str(part);
            }
        }
        None => {
            for part in ["<", prefix, ":", name, " xsi:nil=\"true\"/>"] {
                out.push_str(part);
            }
        }
    }
}

/// One `<ns:return>`: a nil one or a bean declares `xsi` itself, as Axis2 writes it.
fn push_item(out: &mut String, contract: &Contract, item: &Item<'_>) {
    match item {
        Item::Text(Some(v)) => {
            out.push_str("<ns:return>");
            out.push_str(&escape(v));
            out.push_str("</ns:return>");
        }
        Item::Text(None) => {
            let _ = write!(
                out,
                "<ns:return xsi:nil=\"true\" xmlns:xsi=\"{XSI_NAMESPACE}\"/>"
            );
        }
        Item::Bean(ty, values) => {
            let type_prefix = contract.prefix_of(ty.namespace);
            for part in [
                "<ns:return xsi:type=\"",
                type_prefix,
                ":",
                ty.name,
                "\" xmlns:xsi=\"",
            ] {
                out.push_str(part);
            }
            out.push_str(XSI_NAMESPACE);
            out.push_str("\">");
            let prefix = contract.prefix_of(ty.field_namespace());
            for (f, value) in ty.all_fields().iter().zip(values) {
                push_text_element(out, prefix, f.name, *value);
            }
            out.push_str("</ns:return>");
        }
        Item::Row(cells) => {
            out.push_str("<ns:return>");
            for cell in cells.iter() {
                push_text_element(out, "ns", "array", Some(cell));
            }
            out.push_str("</ns:return>");
        }
        Item::Tree(ty, bean) => {
            push_typed_open(out, contract, "ns", "return", ty);
            for part in [" xmlns:xsi=\"", XSI_NAMESPACE, "\">"] {
                out.push_str(part);
            }
            push_bean_fields(out, contract, ty, bean);
            out.push_str("</ns:return>");
        }
    }
}

/// `<prefix:name xsi:type="p:Type"` (left open for more attributes).
fn push_typed_open(
    out: &mut String,
    contract: &Contract,
    prefix: &str,
    name: &str,
    ty: &ComplexType,
) {
    for part in [
        "<",
        prefix,
        ":",
        name,
        " xsi:type=\"",
        contract.prefix_of(ty.namespace),
        ":",
        ty.name,
        "\"",
    ] {
        out.push_str(part);
    }
}

/// A bean's fields in the type's order, nested beans with their `xsi:type` as Axis2 writes
/// them; a field not set is nil, `false`/`0` for a primitive, absent for an array.
fn push_bean_fields(out: &mut String, contract: &Contract, ty: &ComplexType, bean: &Bean) {
    let prefix = contract.prefix_of(ty.field_namespace());
    for field in ty.all_fields() {
        let nested = |out: &mut String, child: &Bean| {
            if let XsdType::Complex(child_ty) = field.ty {
                push_typed_open(out, contract, prefix, field.name, child_ty);
                out.push('>');
                push_bean_fields(out, contract, child_ty, child);
                for part in ["</", prefix, ":", field.name, ">"] {
                    out.push_str(part);
                }
            }
        };
        match bean.get(field.name) {
            Some(FieldValue::Text(text)) => push_text_element(out, prefix, field.name, Some(text)),
            Some(FieldValue::Flag(flag)) => {
                push_text_element(out, prefix, field.name, Some(&flag.to_string()))
            }
            Some(FieldValue::Int(n)) => {
                push_text_element(out, prefix, field.name, Some(&n.to_string()))
            }
            Some(FieldValue::Texts(texts)) => texts
                .iter()
                .for_each(|t| push_text_element(out, prefix, field.name, Some(t))),
            Some(FieldValue::Bean(child)) => nested(out, child),
            Some(FieldValue::Beans(children)) => children.iter().for_each(|c| nested(out, c)),
            None if field.repeated => {}
            None => push_text_element(out, prefix, field.name, unset_value(field.ty)),
        }
    }
}

/// What Java leaves in a field nobody set: `false`, `0`, or null (nil).
fn unset_value(ty: XsdType) -> Option<&'static str> {
    match ty {
        XsdType::Boolean => Some("false"),
        XsdType::Int | XsdType::Long => Some("0"),
        _ => None,
    }
}

/// Write the response wrapper's namespace declarations: the service namespace as `ns` and, as
/// Axis2 does, every type namespace of the contract with its prefix, used or not.
fn push_response_namespaces(out: &mut String, contract: &Contract) {
    let service = contract.service.namespace;
    for (prefix, namespace) in std::iter::once(("ns", service)).chain(
        contract
            .schemas
            .iter()
            .filter(|(namespace, _)| *namespace != service)
            .map(|(namespace, prefix)| (*prefix, *namespace)),
    ) {
        out.push_str(" xmlns:");
        out.push_str(prefix);
        out.push_str("=\"");
        out.push_str(namespace);
        out.push('"');
    }
}

/// The WS-Addressing headers of a reply to `addressing` for `action`.
fn addressing_headers(addressing: &Addressing, action: &str) -> String {
    let ns = addressing.namespace;
    let mut header = format!(
        "<wsa:Action xmlns:wsa=\"{ns}\">{}</wsa:Action>",
        escape(action)
    );
    if let Some(id) = &addressing.message_id {
        let _ = write!(
            header,
            "<wsa:RelatesTo xmlns:wsa=\"{ns}\">{}</wsa:RelatesTo>",
            escape(id)
        );
    }
    header
}

/// The reply for a successful call, or `None` for in-only operations (HTTP 202).
pub fn encode_reply(
    framing: Framing<'_>,
    contract: &Contract,
    spec: &OperationSpec,
    reply: &Reply,
) -> Option<String> {
    spec.output?;
    let items = items(contract, spec, reply);
    // Written in one pass into one buffer: this runs for every successful call.
    let mut out = String::with_capacity(1024);
    if framing.bare {
        out.push_str(XML_DECLARATION);
    } else {
        // The action is formatted only for a request that had addressing headers.
        let header = framing
            .addressing
            .map(|a| addressing_headers(a, &format!("{}Response", spec.soap_action())))
            .unwrap_or_default();
        open_envelope(&mut out, framing.version, &header);
    }
    out.push_str("<ns:");
    out.push_str(spec.name);
    out.push_str("Response");
    push_response_namespaces(&mut out, contract);
    out.push('>');
    for item in &items {
        push_item(&mut out, contract, item);
    }
    out.push_str("</ns:");
    out.push_str(spec.name);
    out.push_str("Response>");
    if !framing.bare {
        out.push_str(CLOSE_ENVELOPE);
    }
    Some(out)
}

/// Several sibling elements as Axis2's JSON (Jettison's mapped convention) writes them: none is
/// an empty string, one is the value itself, two or more an array.
fn siblings(mut values: Vec<serde_json::Value>) -> serde_json::Value {
    match values.len() {
        0 => serde_json::Value::String(String::new()),
        1 => values.remove(0),
        _ => serde_json::Value::Array(values),
    }
}

fn json_item(item: &Item<'_>) -> serde_json::Value {
    use serde_json::Value;
    let text = |v: Option<&str>| v.map_or(Value::Null, |v| Value::String(v.to_string()));
    match item {
        Item::Text(v) => text(v.as_deref()),
        Item::Bean(ty, values) => Value::Object(
            ty.all_fields()
                .iter()
                .zip(values)
                .map(|(f, v)| (f.name.to_string(), text(*v)))
                .collect(),
        ),
        Item::Row(cells) => {
            let array = siblings(cells.iter().map(|c| Value::String(c.clone())).collect());
            serde_json::json!({ "array": array })
        }
        Item::Tree(ty, bean) => json_bean(ty, bean),
    }
}

/// A bean as Jettison maps it: fields in type order, every value a string, arrays collapsed
/// like sibling elements.
fn json_bean(ty: &ComplexType, bean: &Bean) -> serde_json::Value {
    use serde_json::Value;
    let mut object = serde_json::Map::new();
    for field in ty.all_fields() {
        let child_type = match field.ty {
            XsdType::Complex(c) => Some(c),
            _ => None,
        };
        let value = match bean.get(field.name) {
            Some(FieldValue::Text(t)) => Value::String(t.clone()),
            Some(FieldValue::Flag(b)) => Value::String(b.to_string()),
            Some(FieldValue::Int(n)) => Value::String(n.to_string()),
            Some(FieldValue::Texts(texts)) => {
                siblings(texts.iter().map(|t| Value::String(t.clone())).collect())
            }
            Some(FieldValue::Bean(child)) => match child_type {
                Some(c) => json_bean(c, child),
                None => Value::Null,
            },
            Some(FieldValue::Beans(children)) => match child_type {
                Some(c) => siblings(children.iter().map(|b| json_bean(c, b)).collect()),
                None => Value::Null,
            },
            None if field.repeated => continue,
            None => unset_value(field.ty).map_or(Value::Null, |v| Value::String(v.into())),
        };
        object.insert(field.name.to_string(), value);
    }
    Value::Object(object)
}

/// The reply in Axis2's JSON (`Accept: application/json`): `{"<op>Response":{"return":…}}`,
/// prefixes dropped and every value a string, as Jettison's mapped convention writes them.
pub fn encode_reply_json(
    contract: &Contract,
    spec: &OperationSpec,
    reply: &Reply,
) -> Option<String> {
    spec.output?;
    let items = items(contract, spec, reply);
    let returns = siblings(items.iter().map(json_item).collect());
    let content = if items.is_empty() {
        returns
    } else {
        serde_json::json!({ "return": returns })
    };
    let mut document = serde_json::Map::new();
    document.insert(format!("{}Response", spec.name), content);
    Some(serde_json::Value::Object(document).to_string())
}
