//! The request SoapUI generates from the reference WSDL for every operation, in SOAP 1.1 and
//! 1.2 (`fixtures/soapui/`, with `<!--Optional:-->` comments and `?` placeholders), is sent to a
//! real server. None may meet a transport error or be refused for its shape: each gets a reply,
//! a 202, or a fault about its data (a `?` where a number is due, a user that does not exist).

mod common;

use common::{basic, Server, Soap, ADMIN_PASSWORD, SERVICE_PATH};

/// Fault texts that would mean we rejected a request the WSDL allows.
const STRUCTURAL_REJECTIONS: &[&str] = &[
    "unexpected element",
    "malformed",
    "at most once",
    "does not have the content",
    "unknown operation",
    "truncated",
    "does not match",
    "Envelope",
    "Body",
];

#[test]
fn every_soapui_request_is_accepted_by_shape() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/soapui");
    let server = Server::start();
    let (mut replies, mut accepted, mut data_faults) = (0, 0, 0);
    for (dir, soap) in [("soap11", Soap::V11), ("soap12", Soap::V12)] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 35, "one request per operation in {dir}");
        for path in files {
            let op = path.file_stem().unwrap().to_str().unwrap().to_string();
            let body = std::fs::read(&path).unwrap();
            let mut headers = soap.headers(&op);
            headers.push(basic("admin", ADMIN_PASSWORD));
            let r = server.post(SERVICE_PATH, &headers, &body);
            match r.status {
                200 => {
                    assert!(
                        r.body.contains(&format!("{op}Response")),
                        "{dir}/{op}: {}",
                        r.body
                    );
                    replies += 1;
                }
                202 => {
                    assert!(r.body.is_empty());
                    accepted += 1;
                }
                500 => {
                    let reason = r.fault_string();
                    for phrase in STRUCTURAL_REJECTIONS {
                        assert!(
                            !reason.contains(phrase),
                            "{dir}/{op} refused for its shape: {reason}"
                        );
                    }
                    data_faults += 1;
                }
                other => panic!("{dir}/{op}: HTTP {other}: {}", r.body),
            }
        }
    }
    println!(
        "SoapUI requests: {replies} replies, {accepted} accepted (202), {data_faults} data faults"
    );
    assert_eq!(replies + accepted + data_faults, 70);
    assert!(
        replies >= 20,
        "most read operations answer their placeholders with data"
    );
}
