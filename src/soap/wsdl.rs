//! The WSDL 1.1 document, generated from the operation catalogue and the contract's complex
//! types: the same target namespace, element names, types, SOAPActions, bindings and port names
//! as the WSDL WSO2 publishes, so stubs generated from either work against this service.

use std::fmt::Write as _;

use crate::service::catalogue::{ComplexType, Contract, OperationSpec, OutputType, XsdType};

/// The prefix the WSDL binds its target namespace to: `ns` where the elements live there too,
/// `tns` for UserAdmin, whose elements are in Axis2's default schema namespace.
fn tns(contract: &Contract) -> &'static str {
    if contract.service.wsdl_namespace == contract.service.namespace {
        "ns"
    } else {
        "tns"
    }
}

/// The kinds of binding WSO2 publishes, in its document order.
#[derive(Clone, Copy)]
enum Binding {
    Soap12,
    Http,
    Soap11,
}

impl Binding {
    const ALL: [Binding; 3] = [Binding::Soap12, Binding::Http, Binding::Soap11];

    fn name(self, service: &str) -> String {
        let kind = match self {
            Binding::Soap12 => "Soap12Binding",
            Binding::Http => "HttpBinding",
            Binding::Soap11 => "Soap11Binding",
        };
        format!("{service}{kind}")
    }

    /// The service port bound to this binding; its name is also the endpoint path suffix.
    fn port(self, service: &str) -> String {
        let kind = match self {
            Binding::Soap12 => "HttpsSoap12Endpoint",
            Binding::Http => "HttpsEndpoint",
            Binding::Soap11 => "HttpsSoap11Endpoint",
        };
        format!("{service}{kind}")
    }

    /// The extension-element prefix (`soap12`, `http`, `soap`).
    fn prefix(self) -> &'static str {
        match self {
            Binding::Soap12 => "soap12",
            Binding::Http => "http",
            Binding::Soap11 => "soap",
        }
    }
}

fn type_ref(contract: &Contract, ty: XsdType) -> String {
    match ty {
        XsdType::String => "xs:string".into(),
        XsdType::Int => "xs:int".into(),
        XsdType::Long => "xs:long".into(),
        XsdType::Boolean => "xs:boolean".into(),
        XsdType::Date => "xs:date".into(),
        XsdType::Base64 => "xs:base64Binary".into(),
        XsdType::Complex(c) => format!("{}:{}", contract.prefix_of(c.namespace), c.name),
    }
}

fn element(
    out: &mut String,
    contract: &Contract,
    indent: &str,
    name: &str,
    ty: XsdType,
    repeated: bool,
) {
    let max = if repeated {
        " maxOccurs=\"unbounded\""
    } else {
        ""
    };
    let nillable = if ty.is_nillable() {
        " nillable=\"true\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{indent}<xs:element{max} minOccurs=\"0\" name=\"{name}\"{nillable} type=\"{}\"/>",
        type_ref(contract, ty)
    );
}

/// A wrapper element whose anonymous type is a sequence of `children`.
fn wrapper_element(out: &mut String, name: &str, children: impl FnOnce(&mut String)) {
    let mut inner = String::new();
    children(&mut inner);
    let _ = writeln!(out, "        <xs:element name=\"{name}\">");
    out.push_str("            <xs:complexType>\n");
    if inner.is_empty() {
        out.push_str("                <xs:sequence/>\n");
    } else {
        out.push_str("                <xs:sequence>\n");
        out.push_str(&inner);
        out.push_str("                </xs:sequence>\n");
    }
    out.push_str("            </xs:complexType>\n");
    out.push_str("        </xs:element>\n");
}

fn complex_type(out: &mut String, contract: &Contract, ty: &ComplexType) {
    let _ = writeln!(out, "        <xs:complexType name=\"{}\">", ty.name);
    if let Some(base) = ty.base {
        out.push_str("            <xs:complexContent>\n");
        let _ = writeln!(
            out,
            "                <xs:extension base=\"{}\">",
            type_ref(contract, XsdType::Complex(base))
        );
        out.push_str("                    <xs:sequence/>\n");
        out.push_str("                </xs:extension>\n");
        out.push_str("            </xs:complexContent>\n");
    } else if ty.fields.is_empty() {
        out.push_str("            <xs:sequence/>\n");
    } else {
        out.push_str("            <xs:sequence>\n");
        for f in ty.fields {
            element(out, contract, "                ", f.name, f.ty, f.repeated);
        }
        out.push_str("            </xs:sequence>\n");
    }
    out.push_str("        </xs:complexType>\n");
}

/// Namespaces a schema must import: those of the types its declarations reference.
fn imports_of(contract: &Contract, namespace: &str) -> Vec<&'static str> {
    let mut referenced: Vec<&str> = Vec::new();
    let mut note = |ty: XsdType| {
        if let XsdType::Complex(c) = ty {
            referenced.push(c.namespace);
        }
    };
    for ty in contract
        .complex_types
        .iter()
        .filter(|t| t.namespace == namespace)
    {
        ty.base.iter().for_each(|b| note(XsdType::Complex(b)));
        ty.fields.iter().for_each(|f| note(f.ty));
    }
    if namespace == contract.service.namespace {
        note(XsdType::Complex(contract.service.fault_type));
        for spec in contract.operations() {
            spec.input.iter().for_each(|f| note(f.ty.xsd(contract)));
            spec.output
                .iter()
                .filter(|o| **o != OutputType::Void)
                .for_each(|o| note(o.xsd(contract)));
        }
    }
    contract
        .schemas
        .iter()
        .map(|(ns, _)| *ns)
        .filter(|ns| *ns != namespace && referenced.contains(ns))
        .collect()
}

fn operation_elements(out: &mut String, contract: &Contract) {
    let fault = contract.service.fault_name;
    wrapper_element(out, fault, |inner| {
        element(
            inner,
            contract,
            "                    ",
            contract.service.fault_type.name,
            XsdType::Complex(contract.service.fault_type),
            false,
        )
    });
    for spec in contract.operations() {
        wrapper_element(out, spec.name, |inner| {
            for f in spec.input {
                element(
                    inner,
                    contract,
                    "                    ",
                    f.name,
                    f.ty.xsd(contract),
                    f.repeated,
                );
            }
        });
        if let Some(output) = spec.output.filter(|o| *o != OutputType::Void) {
            wrapper_element(out, &format!("{}Response", spec.name), |inner| {
                element(
                    inner,
                    contract,
                    "                    ",
                    "return",
                    output.xsd(contract),
                    output.is_array(),
                )
            });
        }
    }
}

fn types(out: &mut String, contract: &Contract) {
    out.push_str("  <wsdl:types>\n");
    for &(namespace, _) in contract.schemas {
        let _ = writeln!(
            out,
            "    <xs:schema attributeFormDefault=\"qualified\" elementFormDefault=\"qualified\" targetNamespace=\"{namespace}\">"
        );
        for import in imports_of(contract, namespace) {
            let _ = writeln!(out, "        <xs:import namespace=\"{import}\"/>");
        }
        if namespace == contract.service.namespace {
            operation_elements(out, contract);
        }
        for ty in contract
            .complex_types
            .iter()
            .filter(|t| t.namespace == namespace)
        {
            complex_type(out, contract, ty);
        }
        out.push_str("    </xs:schema>\n");
    }
    out.push_str("  </wsdl:types>\n");
}

fn messages(out: &mut String, contract: &Contract) {
    let message = |out: &mut String, name: &str, element: &str| {
        let _ = writeln!(
            out,
            "  <wsdl:message name=\"{name}\">\n    <wsdl:part name=\"parameters\" element=\"ns:{element}\"/>\n  </wsdl:message>"
        );
    };
    let fault = contract.service.fault_name;
    message(out, fault, fault);
    for spec in contract.operations() {
        message(out, &format!("{}Request", spec.name), spec.name);
        match spec.output {
            // Axis2 publishes a void in-out operation's output as a message without parts.
            Some(OutputType::Void) => {
                let _ = writeln!(out, "  <wsdl:message name=\"{}Response\"/>", spec.name);
            }
            Some(_) => {
                let response = format!("{}Response", spec.name);
                message(out, &response, &response);
            }
            None => {}
        }
    }
}

fn port_type(out: &mut String, contract: &Contract) {
    let fault = contract.service.fault_name;
    let tns = tns(contract);
    let _ = writeln!(
        out,
        "  <wsdl:portType name=\"{}PortType\">",
        contract.service.name
    );
    for spec in contract.operations() {
        let op = spec.name;
        // Axis2 derives the output and fault actions from the input's SOAPAction.
        let action = spec.soap_action();
        let _ = writeln!(out, "    <wsdl:operation name=\"{op}\">");
        let _ = writeln!(
            out,
            "      <wsdl:input message=\"{tns}:{op}Request\" wsaw:Action=\"{action}\"/>"
        );
        if spec.output.is_some() {
            let _ = writeln!(
                out,
                "      <wsdl:output message=\"{tns}:{op}Response\" wsaw:Action=\"{action}Response\"/>"
            );
        }
        let _ = writeln!(
            out,
            "      <wsdl:fault name=\"{fault}\" message=\"{tns}:{fault}\" wsaw:Action=\"{action}{fault}\"/>"
        );
        out.push_str("    </wsdl:operation>\n");
    }
    out.push_str("  </wsdl:portType>\n");
}

fn binding_operation(out: &mut String, fault: &str, binding: Binding, spec: &OperationSpec) {
    let op = spec.name;
    let p = binding.prefix();
    let _ = writeln!(out, "    <wsdl:operation name=\"{op}\">");
    let body = match binding {
        Binding::Http => {
            let _ = writeln!(out, "      <http:operation location=\"{op}\"/>");
            "<mime:content part=\"parameters\" type=\"text/xml\"/>".to_string()
        }
        Binding::Soap11 | Binding::Soap12 => {
            let _ = writeln!(
                out,
                "      <{p}:operation soapAction=\"{}\" style=\"document\"/>",
                spec.soap_action()
            );
            format!("<{p}:body use=\"literal\"/>")
        }
    };
    let _ = writeln!(
        out,
        "      <wsdl:input>\n        {body}\n      </wsdl:input>"
    );
    if spec.output.is_some() {
        let _ = writeln!(
            out,
            "      <wsdl:output>\n        {body}\n      </wsdl:output>"
        );
    }
    if !matches!(binding, Binding::Http) {
        let _ = writeln!(
            out,
            "      <wsdl:fault name=\"{fault}\">\n        <{p}:fault name=\"{fault}\" use=\"literal\"/>\n      </wsdl:fault>"
        );
    }
    out.push_str("    </wsdl:operation>\n");
}

fn bindings(out: &mut String, contract: &Contract) {
    for binding in Binding::ALL {
        let _ = writeln!(
            out,
            "  <wsdl:binding name=\"{}\" type=\"{}:{}PortType\">",
            binding.name(contract.service.name),
            tns(contract),
            contract.service.name
        );
        match binding {
            Binding::Http => out.push_str("    <http:binding verb=\"POST\"/>\n"),
            Binding::Soap11 | Binding::Soap12 => {
                let _ = writeln!(
                    out,
                    "    <{}:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>",
                    binding.prefix()
                );
            }
        }
        for spec in contract.operations() {
            binding_operation(out, contract.service.fault_name, binding, spec);
        }
        out.push_str("  </wsdl:binding>\n");
    }
}

fn service(out: &mut String, contract: &Contract, base_url: &str) {
    let base = super::xml::escape(base_url.trim_end_matches('/')).into_owned();
    let name = contract.service.name;
    let _ = writeln!(out, "  <wsdl:service name=\"{name}\">");
    for binding in Binding::ALL {
        let _ = writeln!(
            out,
            "    <wsdl:port name=\"{port}\" binding=\"{}:{}\">\n      <{}:address location=\"{base}/services/{name}.{port}/\"/>\n    </wsdl:port>",
            tns(contract),
            binding.name(name),
            binding.prefix(),
            port = binding.port(name)
        );
    }
    out.push_str("  </wsdl:service>\n");
}

/// The WSDL of `contract` whose port addresses start with `base_url` (scheme, host and
/// port, e.g. `https://localhost:9443`).
pub fn wsdl_document(contract: &Contract, base_url: &str) -> String {
    let mut out = String::with_capacity(96 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<wsdl:definitions targetNamespace=\"{}\"",
        contract.service.wsdl_namespace
    );
    if tns(contract) == "tns" {
        let _ = write!(out, " xmlns:tns=\"{}\"", contract.service.wsdl_namespace);
    }
    for (namespace, prefix) in contract.schemas {
        let _ = write!(out, " xmlns:{prefix}=\"{namespace}\"");
    }
    out.push_str(concat!(
        " xmlns:ns1=\"http://org.apache.axis2/xsd\"",
        " xmlns:wsaw=\"http://www.w3.org/2006/05/addressing/wsdl\"",
        " xmlns:http=\"http://schemas.xmlsoap.org/wsdl/http/\"",
        " xmlns:mime=\"http://schemas.xmlsoap.org/wsdl/mime/\"",
        " xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\"",
        " xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\"",
        " xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\"",
        " xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n",
    ));
    let _ = writeln!(
        out,
        "  <wsdl:documentation>{}</wsdl:documentation>",
        contract.service.name
    );
    types(&mut out, contract);
    messages(&mut out, contract);
    port_type(&mut out, contract);
    bindings(&mut out, contract);
    service(&mut out, contract, base_url);
    out.push_str("</wsdl:definitions>\n");
    out
}
