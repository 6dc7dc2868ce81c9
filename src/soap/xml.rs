//! The XML both directions share: which characters XML 1.0 allows, escaping text, and the
//! envelope around a reply or a fault. Below the decoder, the encoder and the fault writer, so
//! none of them needs another.

use super::SoapVersion;

/// Whether XML 1.0 allows the character (its `Char` production).
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escape text for element content (`<`, `>`, `&`; quotes stay readable as Axis2 writes them).
/// Characters XML 1.0 forbids are replaced with U+FFFD so a reply is always well-formed; the
/// decoder refuses them, so only data from outside the API could carry them.
pub(crate) fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        return quick_xml::escape::partial_escape(text);
    }
    let clean: String = text
        .chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect();
    std::borrow::Cow::Owned(quick_xml::escape::partial_escape(&clean).into_owned())
}

pub(super) const XML_DECLARATION: &str = "<?xml version='1.0' encoding='UTF-8'?>";

/// Write the XML declaration and an envelope of `version` up to its open Body, with an
/// optional header block.
pub(super) fn open_envelope(out: &mut String, version: SoapVersion, header: &str) {
    out.push_str(XML_DECLARATION);
    out.push_str("<soapenv:Envelope xmlns:soapenv=\"");
    out.push_str(version.namespace());
    out.push_str("\">");
    if !header.is_empty() {
        out.push_str("<soapenv:Header>");
        out.push_str(header);
        out.push_str("</soapenv:Header>");
    }
    out.push_str("<soapenv:Body>");
}

pub(super) const CLOSE_ENVELOPE: &str = "</soapenv:Body></soapenv:Envelope>";

/// Wrap a body fragment in an envelope of `version`, with an optional header block.
pub(super) fn write_envelope(version: SoapVersion, header: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + header.len() + 160);
    open_envelope(&mut out, version, header);
    out.push_str(body);
    out.push_str(CLOSE_ENVELOPE);
    out
}
