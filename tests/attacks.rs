//! Attack suite: hostile requests against a real server (oversized and deeply nested bodies,
//! entity expansion and XXE, broken encodings, truncations, wrong media types, huge arrays, slow
//! clients, connection exhaustion, header floods, pipelining, ambiguous framing, and a seeded
//! mutation fuzzer over the fixture envelopes). Every test asserts the exact status (and fault
//! text where there is one) and ends by proving that the server process is alive and still
//! answers `isExistingUser` correctly.

mod common;

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{
    basic, elements_in, parse_next_response, HttpResponse, Options, Server, Soap, ADMIN_PASSWORD,
    NS, SERVICE_PATH, SOAP11, SOAP12,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn start_with_env(env: &[(&str, &str)]) -> Server {
    Server::start_with(Options {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    })
}

/// Content-Type (+ SOAPAction) for `soap` and admin credentials.
fn admin_headers(soap: Soap, op: &str) -> Vec<(String, String)> {
    let mut headers = soap.headers(op);
    headers.push(basic("admin", ADMIN_PASSWORD));
    headers
}

/// A complete `POST` of `body` to the service path.
fn post_bytes(host: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    common::post_request(host, SERVICE_PATH, headers, body)
}

/// What one connection produced: every byte read until EOF, a read error or the timeout.
struct Exchange {
    bytes: Vec<u8>,
    /// `None` for a clean EOF.
    read_error: Option<ErrorKind>,
    elapsed: Duration,
}

impl Exchange {
    fn timed_out(&self) -> bool {
        matches!(
            self.read_error,
            Some(ErrorKind::WouldBlock) | Some(ErrorKind::TimedOut)
        )
    }

    fn try_response(&self) -> Result<HttpResponse, String> {
        if self.timed_out() {
            return Err(format!(
                "no complete answer within {:?} (read so far: {:?})",
                self.elapsed,
                String::from_utf8_lossy(&self.bytes)
            ));
        }
        parse_next_response(&self.bytes).map(|(r, _)| r)
    }

    fn response(&self) -> HttpResponse {
        self.try_response()
            .unwrap_or_else(|e| panic!("bad HTTP answer: {e}"))
    }
}

/// Send `request` on a new connection and read until the server closes it. The request is
/// written from a second thread, so a server that answers (and closes) before reading all of a
/// large body is observed as it is, not as a client-side write error.
fn exchange(addr: &str, request: &[u8], timeout: Duration) -> Exchange {
    let stream = TcpStream::connect(addr).expect("connect to the server");
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.set_write_timeout(Some(timeout)).unwrap();
    let started = Instant::now();
    let writer = if request.len() <= 32 * 1024 {
        (&stream).write_all(request).expect("write a small request");
        None
    } else {
        let mut w = stream.try_clone().unwrap();
        let data = request.to_vec();
        Some(std::thread::spawn(move || {
            let _ = w.write_all(&data);
        }))
    };
    let (bytes, read_error) = read_all(&stream);
    let elapsed = started.elapsed();
    let _ = stream.shutdown(Shutdown::Both);
    if let Some(w) = writer {
        let _ = w.join();
    }
    Exchange {
        bytes,
        read_error,
        elapsed,
    }
}

fn read_all(mut stream: &TcpStream) -> (Vec<u8>, Option<ErrorKind>) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (bytes, None),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (bytes, Some(e.kind())),
        }
    }
}

/// The fault as (code, reason), or an error when the body is not a well-formed SOAP fault.
fn try_fault(r: &HttpResponse) -> Result<(String, String), String> {
    let owned = HttpResponse {
        status: r.status,
        headers: r.headers.clone(),
        body: r.body.clone(),
    };
    std::panic::catch_unwind(move || (owned.fault_code(), owned.fault_string()))
        .map_err(|_| format!("not a well-formed SOAP fault: {:?}", r.body))
}

/// Characters XML 1.0 does not allow anywhere in a document.
fn illegal_xml_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        })
        .collect()
}

/// Assert a SOAP fault (HTTP 500) with the given code (local part) and exact reason.
fn assert_fault_exact(r: &HttpResponse, code: &str, reason: &str) {
    assert_eq!(
        r.status, 500,
        "expected a fault, got {}: {}",
        r.status, r.body
    );
    assert_eq!(r.fault_string(), reason, "in {}", r.body);
    assert_eq!(r.fault_code(), code, "in {}", r.body);
}

/// The server process itself exists and is not a zombie (found by its unique database path).
fn assert_process_alive(s: &Server) {
    let db = s.db.to_string_lossy().to_string();
    let mut found = false;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmdline).contains(&db) {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim().chars().next();
        assert!(
            !matches!(state, Some('Z') | Some('X')),
            "server process {pid} is dead (state {state:?})"
        );
        found = true;
    }
    assert!(found, "no live server process for database {db}");
}

/// The end of every test: the process lives and answers `isExistingUser` correctly in both
/// SOAP versions.
fn assert_still_serving(s: &Server) {
    assert_process_alive(s);
    for soap in [Soap::V11, Soap::V12] {
        let r = s.call(soap, "isExistingUser", "<ser:userName>admin</ser:userName>");
        assert_eq!(r.status, 200, "isExistingUser after the attack: {}", r.body);
        assert_eq!(r.return_text(), "true");
    }
    let r = s.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>no-such-user</ser:userName>",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.return_text(), "false");
    assert_process_alive(s);
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fixture files of a directory, sorted.
fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

/// A fixture envelope with what is needed to send it.
struct Fixture {
    name: String,
    body: Vec<u8>,
    soap: Soap,
    op: String,
}

fn load_fixtures(dirs: &[&str]) -> Vec<Fixture> {
    let mut out = Vec::new();
    for dir in dirs {
        for path in fixture_files(&manifest_dir().join(dir)) {
            let body = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&body).to_string();
            let soap = if text.contains(SOAP12) {
                Soap::V12
            } else {
                assert!(text.contains(SOAP11), "{}", path.display());
                Soap::V11
            };
            // The operation is the first `ser:` element after the Body start.
            let after_body = &text[text.find(":Body>").expect("a Body") + 6..];
            let op: String = after_body[after_body.find("<ser:").expect("an operation") + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            out.push(Fixture {
                name: format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()),
                body,
                soap,
                op,
            });
        }
    }
    out
}

/// `isExistingUser` for `admin` with `pad` inserted in the Body before the operation.
fn padded_envelope(soap: Soap, pad: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="{}" xmlns:ser="{NS}"><soapenv:Body>{pad}<ser:isExistingUser><ser:userName>admin</ser:userName></ser:isExistingUser></soapenv:Body></soapenv:Envelope>"#,
        soap.namespace()
    )
}

/// An `isExistingUser` envelope exactly `len` bytes long (a comment takes up the room).
fn envelope_of_len(len: usize) -> String {
    let base = padded_envelope(Soap::V11, "<!---->").len();
    assert!(len >= base);
    let e = padded_envelope(Soap::V11, &format!("<!--{}-->", "x".repeat(len - base)));
    assert_eq!(e.len(), len);
    e
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

// ---------------------------------------------------------------------------------------------
// 1. Oversized bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn oversized_bodies_get_413() {
    let t0 = Instant::now();
    let s = Server::start();
    let headers = admin_headers(Soap::V11, "isExistingUser");
    let limit = 1024 * 1024;

    // Just under the default limit: answered normally.
    let body = envelope_of_len(limit);
    let r = exchange(
        &s.addr,
        &post_bytes(&s.addr, &headers, body.as_bytes()),
        Duration::from_secs(20),
    )
    .response();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.return_text(), "true");

    // One byte over (Content-Length framing), then 2 MiB and 16 MiB.
    for len in [limit + 1, 2 * limit, 16 * limit] {
        let body = envelope_of_len(len);
        let e = exchange(
            &s.addr,
            &post_bytes(&s.addr, &headers, body.as_bytes()),
            Duration::from_secs(20),
        );
        let r = e.response();
        assert_eq!(r.status, 413, "{len} bytes: {}", r.body);
        assert_eq!(r.body, "request body larger than 1048576 bytes\n");
        assert!(
            e.elapsed < Duration::from_secs(10),
            "413 took {:?}",
            e.elapsed
        );
    }

    // Chunked framing (no Content-Length): 2 MiB in 64 KiB chunks.
    let body = envelope_of_len(2 * limit);
    let mut req = format!(
        "POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    );
    for (n, v) in &headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut req = req.into_bytes();
    for chunk in body.as_bytes().chunks(64 * 1024) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = exchange(&s.addr, &req, Duration::from_secs(20)).response();
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.body, "request body larger than 1048576 bytes\n");

    // Without credentials the body is never read: 401.
    let anon = Soap::V11.headers("isExistingUser");
    let body = envelope_of_len(2 * limit);
    let r = exchange(
        &s.addr,
        &post_bytes(&s.addr, &anon, body.as_bytes()),
        Duration::from_secs(20),
    )
    .response();
    assert_eq!(r.status, 401, "{}", r.body);
    assert_still_serving(&s);

    // A small configured limit: exactly at the limit passes, one byte over is refused.
    let small = start_with_env(&[("USERSTORE_LIMITS__MAX_BODY_BYTES", "2048")]);
    let r = small.post(SERVICE_PATH, &headers, envelope_of_len(2048).as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.return_text(), "true");
    for len in [2049, 4096, 300_000] {
        let body = envelope_of_len(len);
        let r = exchange(
            &small.addr,
            &post_bytes(&small.addr, &headers, body.as_bytes()),
            Duration::from_secs(20),
        )
        .response();
        assert_eq!(r.status, 413, "{len} bytes: {}", r.body);
        assert_eq!(r.body, "request body larger than 2048 bytes\n");
    }
    assert_still_serving(&small);
    assert_still_serving(&s);
    println!(
        "[attacks] oversized_bodies_get_413: {:.2}s",
        secs(t0.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Deep nesting
// ---------------------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_refused_fast() {
    let t0 = Instant::now();
    let s = Server::start();
    let levels = 10_000;
    for soap in [Soap::V11, Soap::V12] {
        // Balanced, unbalanced (never closed) and nesting placed in the Header.
        let balanced = format!(
            "<ser:userName>{}x{}</ser:userName>",
            "<a>".repeat(levels),
            "</a>".repeat(levels)
        );
        let unclosed = format!("<ser:userName>{}", "<a>".repeat(levels));
        let bodies = [
            soap.envelope("isExistingUser", &balanced),
            soap.envelope("isExistingUser", &unclosed),
            format!(
                r#"<s:Envelope xmlns:s="{}"><s:Header>{}</s:Header><s:Body/></s:Envelope>"#,
                soap.namespace(),
                "<h>".repeat(levels)
            ),
        ];
        for body in bodies {
            let started = Instant::now();
            let r = s.post(
                SERVICE_PATH,
                &admin_headers(soap, "isExistingUser"),
                body.as_bytes(),
            );
            let took = started.elapsed();
            let code = if soap == Soap::V11 {
                "Client"
            } else {
                "Sender"
            };
            assert_fault_exact(&r, code, "XML nesting deeper than 32 levels");
            assert!(took < Duration::from_secs(2), "deep nesting took {took:?}");
        }
    }
    // Exactly 32 levels pass and 33 do not (Envelope and Header are levels 1 and 2; Header
    // entries are skipped, so the answer is the normal one).
    let nested_header = |levels: usize| {
        format!(
            r#"<s:Envelope xmlns:s="{SOAP11}" xmlns:ser="{NS}"><s:Header>{}{}</s:Header><s:Body><ser:isExistingUser><ser:userName>admin</ser:userName></ser:isExistingUser></s:Body></s:Envelope>"#,
            "<h>".repeat(levels - 2),
            "</h>".repeat(levels - 2)
        )
    };
    let headers = admin_headers(Soap::V11, "isExistingUser");
    let r = s.post(SERVICE_PATH, &headers, nested_header(32).as_bytes());
    assert_eq!(r.status, 200, "32 levels should be accepted: {}", r.body);
    assert_eq!(r.return_text(), "true");
    let r = s.post(SERVICE_PATH, &headers, nested_header(33).as_bytes());
    assert_fault_exact(&r, "Client", "XML nesting deeper than 32 levels");
    assert_still_serving(&s);
    println!(
        "[attacks] deep_nesting_is_refused_fast: {:.2}s",
        secs(t0.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Entity expansion and external entities
// ---------------------------------------------------------------------------------------------

const BILLION_LAUGHS: &str = r#"<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"#;

const DOCTYPE_REFUSED: &str = "DOCTYPE and entity declarations are not allowed in SOAP messages";

#[test]
fn entity_expansion_and_external_entities_are_refused() {
    let t0 = Instant::now();
    let s = Server::start();
    let user = |soap: Soap, name: &str| {
        soap.envelope(
            "isExistingUser",
            &format!("<ser:userName>{name}</ser:userName>"),
        )
    };
    for soap in [Soap::V11, Soap::V12] {
        let client = if soap == Soap::V11 {
            "Client"
        } else {
            "Sender"
        };
        let prolog = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
        let strip_decl = |e: String| e.replacen(prolog, "", 1);
        let doctype_payloads = [
            // Billion laughs, referenced from the user name.
            format!(
                "{prolog}\n{BILLION_LAUGHS}\n{}",
                strip_decl(user(soap, "&lol9;"))
            ),
            // Classic XXE.
            format!(
                "{prolog}\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n{}",
                strip_decl(user(soap, "&xxe;"))
            ),
            // External DTD subset and parameter entities.
            format!(
                "<!DOCTYPE soapenv:Envelope SYSTEM \"file:///etc/passwd\">{}",
                strip_decl(user(soap, "admin"))
            ),
            format!(
                "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>{}",
                strip_decl(user(soap, "admin"))
            ),
            format!(
                "<!DOCTYPE x PUBLIC \"-//x//y\" \"http://127.0.0.1:1/evil.dtd\">{}",
                strip_decl(user(soap, "admin"))
            ),
            // A DOCTYPE inside the Body.
            user(
                soap,
                "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>&xxe;",
            ),
        ];
        for body in doctype_payloads {
            let started = Instant::now();
            let r = s.post(
                SERVICE_PATH,
                &admin_headers(soap, "isExistingUser"),
                body.as_bytes(),
            );
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "took {:?}",
                started.elapsed()
            );
            assert_fault_exact(&r, client, DOCTYPE_REFUSED);
            assert!(
                !r.body.contains("root:") && !r.body.contains("lollol"),
                "{}",
                r.body
            );
        }
        // Bare entity references (no declaration at all): malformed XML, never resolved.
        let bare = [
            (user(soap, "&xxe;"), "xxe"),
            (user(soap, "a&lol9;b"), "lol9"),
            (
                soap.envelope(
                    "isExistingUser",
                    "<ser:userName xmlns:q=\"&xxe;\" q:x=\"&xxe;\">admin</ser:userName>",
                ),
                "xxe",
            ),
        ];
        for (body, entity) in bare {
            let r = s.post(
                SERVICE_PATH,
                &admin_headers(soap, "isExistingUser"),
                body.as_bytes(),
            );
            assert_eq!(r.status, 500, "{}", r.body);
            assert_eq!(r.fault_code(), client);
            let reason = r.fault_string();
            assert!(
                reason.starts_with("malformed XML: ")
                    && reason.contains(&format!("unrecognized entity `{entity}`")),
                "{reason}"
            );
            assert!(!r.body.contains("root:"), "{}", r.body);
        }
    }
    assert_still_serving(&s);
    println!(
        "[attacks] entity_expansion_and_external_entities_are_refused: {:.2}s",
        secs(t0.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Broken encodings, truncations, empty bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_utf8_and_empty_bodies_are_client_faults() {
    let t0 = Instant::now();
    let s = Server::start();
    for soap in [Soap::V11, Soap::V12] {
        let client = if soap == Soap::V11 {
            "Client"
        } else {
            "Sender"
        };
        let valid = soap.envelope("isExistingUser", "<ser:userName>NAME</ser:userName>");
        let with = |bytes: &[u8]| {
            let (a, b) = valid.split_once("NAME").unwrap();
            [a.as_bytes(), bytes, b.as_bytes()].concat()
        };
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in valid.replace("NAME", "admin").encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let invalid: Vec<Vec<u8>> = vec![
            with(b"\xFF\xFE"),
            with(b"\xC0\xAF"),         // overlong '/'
            with(b"\xED\xA0\x80"),     // UTF-16 surrogate
            with(b"\xE2\x82"),         // truncated sequence
            with(b"\xF4\x90\x80\x80"), // above U+10FFFF
            with(b"caf\xE9"),          // Latin-1
            valid
                .replace("UTF-8", "ISO-8859-1")
                .replace("NAME", "caf\u{E9}")
                .chars()
                .map(|c| c as u32 as u8)
                .collect(),
            utf16,
            b"\x80".to_vec(),
        ];
        for body in invalid {
            let r = s.post(SERVICE_PATH, &admin_headers(soap, "isExistingUser"), &body);
            assert_fault_exact(&r, client, "the request body is not valid UTF-8");
        }
        for body in ["", " ", "\r\n\t  \n"] {
            let r = s.post(
                SERVICE_PATH,
                &admin_headers(soap, "isExistingUser"),
                body.as_bytes(),
            );
            assert_fault_exact(&r, client, "the request body is empty");
        }
    }
    assert_still_serving(&s);
    println!(
        "[attacks] invalid_utf8_and_empty_bodies_are_client_faults: {:.2}s",
        secs(t0.elapsed())
    );
}

/// Where a fixture's Body element ends (just after `</...:Body>`).
fn body_end(text: &str) -> usize {
    text.rfind(":Body>").expect("a Body end tag") + ":Body>".len()
}

/// Reasons the decoder may give for a document cut short.
fn is_truncation_reason(reason: &str) -> bool {
    reason.starts_with("malformed XML: ")
        || [
            "truncated XML document",
            "the request body is empty",
            "content before the SOAP Envelope",
        ]
        .contains(&reason)
}

#[test]
fn truncated_seed_envelopes_are_client_faults() {
    let t0 = Instant::now();
    let s = Server::start();
    let fixtures = load_fixtures(&["fixtures/seed"]);
    assert_eq!(fixtures.len(), 29);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut sent = 0;
    for f in &fixtures {
        let text = String::from_utf8(f.body.clone()).unwrap();
        let end = body_end(&text);
        let body_close = text[..end].rfind("</").unwrap();
        let mut cuts: Vec<usize> = (0..6).map(|k| end * k / 6).collect();
        cuts.extend([body_close, body_close + 3, end - 1]);
        cuts.sort();
        cuts.dedup();
        for cut in cuts {
            let r = s.post(SERVICE_PATH, &admin_headers(f.soap, &f.op), &f.body[..cut]);
            sent += 1;
            assert_eq!(r.status, 500, "{} cut at {cut}: {}", f.name, r.body);
            let code = r.fault_code();
            let expected = if f.soap == Soap::V11 {
                "Client"
            } else {
                "Sender"
            };
            assert_eq!(code, expected, "{} cut at {cut}: {}", f.name, r.body);
            let reason = r.fault_string();
            assert!(
                is_truncation_reason(&reason),
                "{} cut at {cut}: unexpected reason {reason:?}",
                f.name
            );
            if cut == 0 {
                assert_eq!(reason, "the request body is empty");
            }
            let key = if reason.starts_with("malformed XML") {
                "malformed XML: …".to_string()
            } else {
                reason
            };
            *reasons.entry(key).or_default() += 1;
        }
    }
    println!("[attacks] truncations: {sent} requests, reasons {reasons:?}");
    assert_still_serving(&s);
    println!(
        "[attacks] truncated_seed_envelopes_are_client_faults: {:.2}s",
        secs(t0.elapsed())
    );
}

/// A document cut after `</soapenv:Body>` (the Envelope never closed) is not well-formed XML;
/// it must be refused like any other truncation, not executed.
#[test]
fn envelope_truncated_after_the_body_is_rejected() {
    let s = Server::start();
    let mut problems = Vec::new();
    // Read-only: isExistingUser cut after the Body.
    let env = Soap::V11.envelope("isExistingUser", "<ser:userName>admin</ser:userName>");
    let cut = &env[..body_end(&env)];
    let r = s.post(
        SERVICE_PATH,
        &admin_headers(Soap::V11, "isExistingUser"),
        cut.as_bytes(),
    );
    if r.status != 500 || r.fault_string() != "truncated XML document" {
        problems.push(format!(
            "isExistingUser cut after </soapenv:Body>: HTTP {} {}",
            r.status, r.body
        ));
    }
    // State-changing: addRole cut after the Body must not create the role.
    let env = Soap::V12.envelope("addRole", "<ser:roleName>half-sent</ser:roleName>");
    let cut = &env[..body_end(&env)];
    let r = s.post(
        SERVICE_PATH,
        &admin_headers(Soap::V12, "addRole"),
        cut.as_bytes(),
    );
    if r.status != 500 || r.fault_string() != "truncated XML document" {
        problems.push(format!(
            "addRole cut after </soapenv:Body>: HTTP {} {:?}",
            r.status, r.body
        ));
    }
    let role = s.call(
        Soap::V11,
        "isExistingRole",
        "<ser:roleName>half-sent</ser:roleName>",
    );
    if role.return_text() != "false" {
        problems.push("the truncated addRole created role 'half-sent'".into());
    }
    // Every seed fixture cut right after its Body.
    for f in load_fixtures(&["fixtures/seed"]) {
        let text = String::from_utf8(f.body.clone()).unwrap();
        if !text.starts_with('<') {
            continue; // 23_getUserClaimValues lacks its first '<' anyway
        }
        let end = body_end(&text);
        let r = s.post(SERVICE_PATH, &admin_headers(f.soap, &f.op), &f.body[..end]);
        if r.status != 500 || !is_truncation_reason(&r.fault_string()) {
            problems.push(format!("{} cut after its Body: HTTP {}", f.name, r.status));
        }
    }
    assert_still_serving(&s);
    assert!(
        problems.is_empty(),
        "{} truncated envelopes accepted:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Media types and SOAP versions
// ---------------------------------------------------------------------------------------------

#[test]
fn wrong_media_types_get_415_and_foreign_envelopes_fault() {
    let t0 = Instant::now();
    let s = Server::start();
    let body = Soap::V11.envelope("isExistingUser", "<ser:userName>admin</ser:userName>");
    for (content_type, media) in [
        ("application/json", "application/json"),
        ("application/json; charset=UTF-8", "application/json"),
        (
            "multipart/related; type=\"application/xop+xml\"; boundary=\"MIMEBoundary\"; start-info=\"text/xml\"",
            "multipart/related",
        ),
        ("multipart/form-data; boundary=xyz", "multipart/form-data"),
        ("text/plain", "text/plain"),
        ("TEXT/PLAIN; charset=utf-8", "text/plain"),
        ("application/xml", "application/xml"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    ] {
        let headers = vec![
            ("Content-Type".to_string(), content_type.to_string()),
            ("SOAPAction".to_string(), "\"urn:isExistingUser\"".to_string()),
            basic("admin", ADMIN_PASSWORD),
        ];
        let r = s.post(SERVICE_PATH, &headers, body.as_bytes());
        assert_eq!(r.status, 415, "{content_type}: {}", r.body);
        assert_eq!(
            r.body,
            format!(
                "unsupported media type '{media}': send SOAP 1.1 as text/xml or SOAP 1.2 as application/soap+xml\n"
            )
        );
    }
    // A media type of one version with an envelope of the other: the envelope decides, as
    // clients post SOAP 1.1 envelopes to the SOAP 1.2 port (and the reverse).
    let v12 = Soap::V12.envelope("isExistingUser", "<ser:userName>admin</ser:userName>");
    for (announced, envelope, answered) in [
        (Soap::V11, &v12, "application/soap+xml"),
        (Soap::V12, &body, "text/xml"),
    ] {
        let r = s.post(
            SERVICE_PATH,
            &admin_headers(announced, "isExistingUser"),
            envelope.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.header("content-type").unwrap().starts_with(answered));
    }
    // An Envelope in neither namespace.
    for soap in [Soap::V11, Soap::V12] {
        let other = body.replace(SOAP11, "http://example.com/not-soap");
        let r = s.post(
            SERVICE_PATH,
            &admin_headers(soap, "isExistingUser"),
            other.as_bytes(),
        );
        assert_fault_exact(
            &r,
            "VersionMismatch",
            "the Envelope is not in the SOAP 1.1 or SOAP 1.2 namespace",
        );
    }
    assert_still_serving(&s);
    println!(
        "[attacks] wrong_media_types_get_415_and_foreign_envelopes_fault: {:.2}s",
        secs(t0.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Huge arrays
// ---------------------------------------------------------------------------------------------

fn add_role_with_members(n: usize) -> String {
    let mut inner = String::from("<ser:roleName>crowd</ser:roleName>");
    for i in 0..n {
        inner.push_str(&format!("<ser:userList>member-{i}</ser:userList>"));
    }
    inner
}

#[test]
fn huge_arrays_are_bounded() {
    let t0 = Instant::now();
    let s = Server::start();
    // Over max_xml_elements.
    let body = Soap::V11.envelope("addRole", &add_role_with_members(20_000));
    assert!(body.len() < 1024 * 1024, "stays under the body limit");
    let started = Instant::now();
    let r = s.post(
        SERVICE_PATH,
        &admin_headers(Soap::V11, "addRole"),
        body.as_bytes(),
    );
    let over = started.elapsed();
    assert_fault_exact(&r, "Client", "more than 10000 XML elements in one request");
    assert!(
        over < Duration::from_secs(3),
        "20,000 entries took {over:?}"
    );
    // Under the limit: every member is looked up and the first unknown one is named.
    let body = Soap::V12.envelope("addRole", &add_role_with_members(5_000));
    let started = Instant::now();
    let r = s.post(
        SERVICE_PATH,
        &admin_headers(Soap::V12, "addRole"),
        body.as_bytes(),
    );
    let under = started.elapsed();
    assert_fault_exact(
        &r,
        "Receiver",
        "30007 - UserNotFound: User member-0 does not exist in: PRIMARY",
    );
    assert!(
        r.body.contains("<soapenv:Detail/>"),
        "in-only faults have an empty detail"
    );
    assert!(
        under < Duration::from_secs(5),
        "5,000 entries took {under:?}"
    );
    let r = s.call(
        Soap::V11,
        "isExistingRole",
        "<ser:roleName>crowd</ser:roleName>",
    );
    assert_eq!(r.return_text(), "false", "nothing was created");
    println!(
        "[attacks] huge arrays: 20,000 entries answered in {:.3}s, 5,000 in {:.3}s",
        secs(over),
        secs(under)
    );
    assert_still_serving(&s);
    println!(
        "[attacks] huge_arrays_are_bounded: {:.2}s",
        secs(t0.elapsed())
    );
}

/// 100,000 attributes on one element: each is checked against all previous ones, which makes
/// this single 1 MiB request cost seconds of CPU on an executor thread (the request timeout
/// cannot interrupt it). Two such requests in parallel stall every other client.
#[test]
fn attribute_floods_are_answered_quickly_and_do_not_stall_others() {
    let s = Server::start();
    let mut attrs = String::new();
    let mut i = 0;
    while attrs.len() < 1_000_000 - 2_000 {
        attrs.push_str(&format!(" a{i}=\"\""));
        i += 1;
    }
    let body = Soap::V11.envelope(
        "isExistingUser",
        &format!("<ser:userName{attrs}>admin</ser:userName>"),
    );
    let request = post_bytes(
        &s.addr,
        &admin_headers(Soap::V11, "isExistingUser"),
        body.as_bytes(),
    );
    let bombs: Vec<_> = (0..2)
        .map(|_| {
            let (addr, request) = (s.addr.clone(), request.clone());
            std::thread::spawn(move || exchange(&addr, &request, Duration::from_secs(120)))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let r = s.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    );
    let bystander = started.elapsed();
    let bomb_times: Vec<_> = bombs
        .into_iter()
        .map(|b| b.join().unwrap().elapsed)
        .collect();
    println!("[attacks] attribute flood: bombs {bomb_times:?}, bystander {bystander:?}");
    assert_eq!(r.return_text(), "true");
    assert!(
        bystander < Duration::from_secs(2),
        "a bystander waited {bystander:?}"
    );
    for t in bomb_times {
        assert!(t < Duration::from_secs(3), "an attribute flood took {t:?}");
    }
    assert_still_serving(&s);
}

/// Control characters a client smuggles in (as `&#1;` or raw) must not make the server emit
/// documents that XML 1.0 parsers (Axis2, JAX-WS, lxml/zeep, gSOAP) reject.
#[test]
fn faults_and_replies_stay_well_formed_xml_with_control_characters() {
    let s = Server::start();
    let mut problems = Vec::new();
    let mut check = |what: &str, r: &HttpResponse| {
        let bad = illegal_xml_chars(&r.body);
        if !bad.is_empty() {
            problems.push(format!(
                "{what}: HTTP {} with {bad:?} in {:?}",
                r.status, r.body
            ));
        }
    };
    // Reflected in faults: a character reference and a raw escape character.
    let r = s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>a&#1;b</ser:userName><ser:credential>Secret-1</ser:credential>",
    );
    assert_eq!(r.status, 500, "{}", r.body);
    check("addUser fault", &r);
    let r = s.call(
        Soap::V12,
        "addRole",
        "<ser:roleName>r\u{1b}[31m</ser:roleName>",
    );
    assert_eq!(r.status, 500, "{}", r.body);
    check("addRole fault", &r);
    // Stored: a claim value with a backspace poisons every later read of it.
    let r = s.call(Soap::V11, "setUserClaimValue", "<ser:userName>admin</ser:userName><ser:claimURI>http://wso2.org/claims/country</ser:claimURI><ser:claimValue>x&#x8;y</ser:claimValue>");
    if r.status == 202 {
        let r = s.call(Soap::V11, "getUserClaimValue", "<ser:userName>admin</ser:userName><ser:claim>http://wso2.org/claims/country</ser:claim>");
        check("getUserClaimValue reply", &r);
    } else {
        check("setUserClaimValue fault", &r);
    }
    assert_still_serving(&s);
    assert!(
        problems.is_empty(),
        "not well-formed XML 1.0:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Slow clients and connection exhaustion
// ---------------------------------------------------------------------------------------------

#[test]
fn slow_header_senders_are_disconnected() {
    let t0 = Instant::now();
    let s = start_with_env(&[("USERSTORE_SERVER__HEADER_READ_TIMEOUT_SECS", "1")]);
    let stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 10\r\n\r\n"
    );
    let started = Instant::now();
    let drip = std::thread::spawn(move || {
        let mut sent = 0;
        for byte in head.bytes() {
            if writer.write_all(&[byte]).is_err() {
                break;
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        sent
    });
    let (bytes, error) = read_all(&stream);
    let closed_after = started.elapsed();
    let _ = stream.shutdown(Shutdown::Both);
    let sent = drip.join().unwrap();
    assert!(
        !matches!(
            error,
            Some(ErrorKind::WouldBlock) | Some(ErrorKind::TimedOut)
        ),
        "the server kept a byte-by-byte header sender for over 6 s"
    );
    assert!(
        closed_after >= Duration::from_millis(700) && closed_after < Duration::from_secs(3),
        "closed after {closed_after:?}"
    );
    if !bytes.is_empty() {
        let (r, _) = parse_next_response(&bytes).unwrap();
        assert_eq!(r.status, 408, "{}", r.body);
    }
    println!(
        "[attacks] slow headers: closed after {:.2}s, {sent} header bytes sent, {} response bytes",
        secs(closed_after),
        bytes.len()
    );
    assert_still_serving(&s);
    println!(
        "[attacks] slow_header_senders_are_disconnected: {:.2}s",
        secs(t0.elapsed())
    );
}

#[test]
fn stalled_and_trickled_bodies_hit_the_request_timeout() {
    let t0 = Instant::now();
    let s = start_with_env(&[("USERSTORE_LIMITS__REQUEST_TIMEOUT_SECS", "2")]);
    let headers = admin_headers(Soap::V11, "isExistingUser");
    let body = Soap::V11.envelope("isExistingUser", "<ser:userName>admin</ser:userName>");
    let mut head = format!("POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    // (a) Content-Length larger than what is sent, then silence; (b) a chunked body that never
    // ends; (c) a body trickled one byte every 150 ms.
    let stalled = format!(
        "{head}Content-Length: {}\r\n\r\n{}",
        body.len() + 500,
        &body[..100]
    );
    let chunked = format!(
        "{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n",
        100,
        &body[..100]
    );
    let trickle_head = format!("{head}Content-Length: {}\r\n\r\n", body.len());
    let mut timings = Vec::new();
    for (label, request, trickle) in [
        ("stalled", stalled, false),
        ("chunked", chunked, false),
        ("trickled", trickle_head, true),
    ] {
        let stream = TcpStream::connect(&s.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(8)))
            .unwrap();
        let started = Instant::now();
        (&stream).write_all(request.as_bytes()).unwrap();
        let dripper = trickle.then(|| {
            let mut w = stream.try_clone().unwrap();
            let body = body.clone();
            std::thread::spawn(move || {
                for b in body.bytes() {
                    if w.write_all(&[b]).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(150));
                }
            })
        });
        let (bytes, error) = read_all(&stream);
        let took = started.elapsed();
        let _ = stream.shutdown(Shutdown::Both);
        if let Some(d) = dripper {
            d.join().unwrap();
        }
        assert!(
            !matches!(
                error,
                Some(ErrorKind::WouldBlock) | Some(ErrorKind::TimedOut)
            ),
            "{label}: no answer and no close within 8 s"
        );
        assert!(
            took >= Duration::from_millis(1500) && took < Duration::from_secs(4),
            "{label}: answered after {took:?}"
        );
        let (r, _) = parse_next_response(&bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_fault_exact(&r, "Server", "the request did not complete within 2s");
        timings.push(format!("{label} {:.2}s", secs(took)));
    }
    println!("[attacks] request timeout 2s: {}", timings.join(", "));
    assert_still_serving(&s);
    println!(
        "[attacks] stalled_and_trickled_bodies_hit_the_request_timeout: {:.2}s",
        secs(t0.elapsed())
    );
}

#[test]
fn idle_connections_do_not_starve_other_clients() {
    let t0 = Instant::now();
    let s = start_with_env(&[
        ("USERSTORE_SERVER__MAX_CONNECTIONS", "4"),
        ("USERSTORE_SERVER__HEADER_READ_TIMEOUT_SECS", "1"),
    ]);
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let c = TcpStream::connect(&s.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
            c
        })
        .collect();
    // The four slots are taken; the fifth client waits in the accept backlog.
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let r = s.call(
        Soap::V11,
        "isExistingUser",
        "<ser:userName>admin</ser:userName>",
    );
    let fifth = started.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.return_text(), "true");
    assert!(
        fifth < Duration::from_secs(5),
        "the fifth client waited {fifth:?}"
    );
    assert!(
        fifth >= Duration::from_millis(400),
        "the fifth client was served at once ({fifth:?}): max_connections = 4 was not enforced"
    );
    for c in &idle {
        let (bytes, error) = read_all(c);
        assert!(
            !matches!(
                error,
                Some(ErrorKind::WouldBlock) | Some(ErrorKind::TimedOut)
            ),
            "an idle connection was not closed"
        );
        assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    }
    println!(
        "[attacks] max_connections=4 with 4 idle: fifth client served after {:.2}s",
        secs(fifth)
    );
    assert_still_serving(&s);
    println!(
        "[attacks] idle_connections_do_not_starve_other_clients: {:.2}s",
        secs(t0.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// Extra transport attacks
// ---------------------------------------------------------------------------------------------

#[test]
fn header_floods_and_bad_framing_are_refused() {
    let t0 = Instant::now();
    let s = Server::start();
    let body = Soap::V11.envelope("isExistingUser", "<ser:userName>admin</ser:userName>");
    let headers = admin_headers(Soap::V11, "isExistingUser");
    let base = |extra: &str, framing: &str, body: &str| {
        let mut req = format!("POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for (n, v) in &headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        format!("{req}{extra}{framing}\r\n{body}")
    };
    let cl = format!("Content-Length: {}\r\n", body.len());
    let t = Duration::from_secs(10);

    // Too many headers, one huge header, a huge request line.
    let many: String = (0..200).map(|i| format!("X-Flood-{i}: {i}\r\n")).collect();
    let r = exchange(&s.addr, base(&many, &cl, &body).as_bytes(), t).response();
    assert_eq!(r.status, 431, "200 headers: {}", r.body);
    let huge = format!("X-Huge: {}\r\n", "a".repeat(1024 * 1024));
    let r = exchange(&s.addr, base(&huge, &cl, &body).as_bytes(), t).response();
    assert_eq!(r.status, 431, "1 MiB header: {}", r.body);
    let long_uri = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(70_000)
    );
    let r = exchange(&s.addr, long_uri.as_bytes(), t).response();
    assert_eq!(r.status, 414, "{}", r.body);

    // Garbage request line and a bad version.
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..], // a TLS ClientHello on plain HTTP
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST\r\n\r\n",
        b"\0\0\0\0\r\n\r\n",
    ] {
        let e = exchange(&s.addr, garbage, t);
        assert!(!e.timed_out(), "{garbage:?} left hanging");
        if !e.bytes.is_empty() {
            let (r, _) = parse_next_response(&e.bytes).unwrap();
            assert!((400..500).contains(&r.status), "{garbage:?}: {}", r.status);
        }
    }

    // Invalid, conflicting and duplicated Content-Length; CL together with chunked.
    for framing in [
        "Content-Length: abc\r\n".to_string(),
        "Content-Length: -5\r\n".to_string(),
        "Content-Length: 99999999999999999999999\r\n".to_string(),
        format!(
            "Content-Length: {}\r\nContent-Length: {}\r\n",
            body.len(),
            body.len() + 1
        ),
        "Transfer-Encoding: gzip\r\n".to_string(),
    ] {
        let r = exchange(&s.addr, base("", &framing, &body).as_bytes(), t).response();
        assert_eq!(r.status, 400, "{framing:?}: {}", r.body);
    }
    // Content-Length and Transfer-Encoding: chunked together on a keep-alive connection: the
    // chunked framing wins and the connection is closed after the answer, so the bytes that
    // follow (a complete addRole) are never taken for a second request.
    let chunked_body = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    let mut req = format!(
        "POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n",
        chunked_body.len()
    );
    for (n, v) in &headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    let mut req = format!("{req}\r\n{chunked_body}").into_bytes();
    let smuggled = Soap::V11.envelope("addRole", "<ser:roleName>smuggled</ser:roleName>");
    req.extend_from_slice(&post_bytes(
        "x",
        &admin_headers(Soap::V11, "addRole"),
        smuggled.as_bytes(),
    ));
    let e = exchange(&s.addr, &req, t);
    let (first, used) = parse_next_response(&e.bytes).unwrap();
    assert_eq!(first.status, 200, "CL+TE: {}", first.body);
    assert_eq!(first.return_text(), "true");
    assert_eq!(
        used,
        e.bytes.len(),
        "a second response came back: {:?}",
        String::from_utf8_lossy(&e.bytes[used..])
    );
    let r = s.call(
        Soap::V11,
        "isExistingRole",
        "<ser:roleName>smuggled</ser:roleName>",
    );
    assert_eq!(
        r.return_text(),
        "false",
        "the smuggled request was executed"
    );

    // Other methods, traversal and WSDL probing on an unpublished contract.
    let r = s.raw(
        format!("TRACE {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 405, "{}", r.body);
    assert_eq!(r.header("allow"), Some("POST, GET"));
    for path in [
        "/services/RemoteUserStoreManagerService/../../../../etc/passwd",
        "/services/..%2f..%2fetc%2fpasswd",
        "/services/RemoteUserStoreManagerService?wsdl",
        "/services/RemoteUserStoreManagerService?xsd=../../etc/passwd",
    ] {
        let r = s
            .raw(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes());
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(r.body, "not found\n");
    }

    // Credentials: garbage, oversized and non-UTF-8 Basic tokens get 401, never a crash.
    for auth in [
        "Basic".to_string(),
        "Basic !!!!".to_string(),
        format!("Basic {}", "QUFB".repeat(20_000)),
        "Basic //79/w==".to_string(), // decodes to non-UTF-8 bytes
        "Bearer abc".to_string(),
    ] {
        let headers = vec![
            ("Content-Type".to_string(), "text/xml".to_string()),
            ("Authorization".to_string(), auth.clone()),
        ];
        let r = exchange(&s.addr, &post_bytes("x", &headers, body.as_bytes()), t).response();
        assert_eq!(r.status, 401, "{}: {}", &auth[..auth.len().min(20)], r.body);
    }
    assert_still_serving(&s);
    println!(
        "[attacks] header_floods_and_bad_framing_are_refused: {:.2}s",
        secs(t0.elapsed())
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let t0 = Instant::now();
    let s = Server::start();
    let mut req = Vec::new();
    let names = ["admin", "ghost", "ADMIN"];
    for (i, name) in names.iter().enumerate() {
        let body = Soap::V11.envelope(
            "isExistingUser",
            &format!("<ser:userName>{name}</ser:userName>"),
        );
        let mut head = format!(
            "POST {SERVICE_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
            body.len()
        );
        if i == names.len() - 1 {
            head.push_str("Connection: close\r\n");
        }
        for (n, v) in admin_headers(Soap::V11, "isExistingUser") {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        req.extend_from_slice(head.as_bytes());
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body.as_bytes());
    }
    req.extend_from_slice(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); // after close: ignored
    let e = exchange(&s.addr, &req, Duration::from_secs(10));
    let mut rest = &e.bytes[..];
    let mut answers = Vec::new();
    while !rest.is_empty() {
        let (r, used) = parse_next_response(rest).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        answers.push(r.return_text());
        rest = &rest[used..];
    }
    assert_eq!(answers, ["true", "false", "true"]);
    assert_still_serving(&s);
    println!(
        "[attacks] pipelined_requests_are_answered_in_order: {:.2}s",
        secs(t0.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Seeded mutation fuzzing of the fixture envelopes
// ---------------------------------------------------------------------------------------------

/// xorshift64: deterministic, no crates.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform-ish in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "<",
    ">",
    "&",
    "]]>",
    "<![CDATA[",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    "&a;",
    "&#0;",
    "&#x1;",
    "&#xD800;",
    "&#1114112;",
    "&lt;",
    "&amp;",
    "\0",
    "</",
    "/>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "<?pi x?>",
    "\"",
    "'",
    "=",
    ":",
    "xmlns=\"\"",
    " xmlns:ser=\"urn:other\"",
    " xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
    " soapenv:mustUnderstand=\"1\"",
    "<soapenv:Body>",
    "</soapenv:Body>",
    "<ser:userList>x</ser:userList>",
    "<ser:roleName>fuzz</ser:roleName>",
    "\u{FEFF}",
    "\u{FFFF}",
    "\u{1F600}",
    "\r\n",
    "%",
    "*",
    "PRIMARY/",
    "Internal/",
];

fn random_char(rng: &mut XorShift) -> char {
    loop {
        let cp = match rng.below(4) {
            0 => rng.below(0x80) as u32,
            1 => rng.below(0x800) as u32,
            2 => rng.below(0x10000) as u32,
            _ => rng.below(0x110000) as u32,
        };
        if let Some(c) = char::from_u32(cp) {
            return c;
        }
    }
}

fn mutate(data: &mut Vec<u8>, rng: &mut XorShift) -> &'static str {
    if data.is_empty() {
        data.extend_from_slice(TOKENS[rng.below(TOKENS.len())].as_bytes());
        return "insert-token";
    }
    let len = data.len();
    match rng.below(10) {
        0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
            "bit-flip"
        }
        1 => {
            let i = rng.below(len);
            data[i] = rng.below(256) as u8;
            "byte-set"
        }
        2 => {
            let start = rng.below(len);
            let n = 1 + rng.below((len - start).min(32));
            data.drain(start..start + n);
            "delete-range"
        }
        3 => {
            let start = rng.below(len);
            let n = 1 + rng.below((len - start).min(64));
            let copy = data[start..start + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, copy);
            "duplicate-range"
        }
        4 | 5 => {
            let at = rng.below(len + 1);
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            data.splice(at..at, token.iter().copied());
            "insert-token"
        }
        6 => {
            let start = rng.below(len);
            let n = 1 + rng.below((len - start).min(16));
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            data.splice(start..start + n, token.iter().copied());
            "replace-with-token"
        }
        7 => {
            let at = rng.below(len + 1);
            let nuls = vec![0u8; 1 + rng.below(3)];
            data.splice(at..at, nuls);
            "insert-nul"
        }
        8 => {
            let at = rng.below(len + 1);
            let mut buf = [0u8; 4];
            let c = random_char(rng).encode_utf8(&mut buf).as_bytes().to_vec();
            data.splice(at..at, c);
            "insert-unicode"
        }
        _ => {
            data.truncate(rng.below(len));
            "truncate"
        }
    }
}

#[test]
fn random_mutations_never_break_the_server() {
    const CASES: usize = 2_000;
    const TIME_BUDGET: Duration = Duration::from_secs(40);
    const SEED: u64 = 0x5EED_CAFE_F00D_2024;
    let t0 = Instant::now();
    let s = Server::start();
    // Some state so mutated requests also reach the store's success paths.
    for role in ["teacher", "Doctor", "Engineer"] {
        s.call(
            Soap::V11,
            "addRole",
            &format!("<ser:roleName>{role}</ser:roleName>"),
        )
        .assert_accepted();
    }
    s.call(
        Soap::V11,
        "addUser",
        "<ser:userName>nilasini</ser:userName><ser:credential>Nila-pw1</ser:credential><ser:roleList>teacher</ser:roleList>",
    )
    .assert_accepted();

    let fixtures = load_fixtures(&["fixtures/seed", "fixtures/soapui/soap11"]);
    assert_eq!(fixtures.len(), 29 + 35);
    let failures_dir =
        std::env::temp_dir().join(format!("userstore-attacks-{}", std::process::id()));
    let mut rng = XorShift(SEED);
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fault_codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut ill_formed_xml_1_0 = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut ran = 0;
    let loop_start = Instant::now();
    while ran < CASES && loop_start.elapsed() < TIME_BUDGET {
        let case = ran;
        ran += 1;
        let f = &fixtures[rng.below(fixtures.len())];
        let mut body = f.body.clone();
        let mut applied = Vec::new();
        for _ in 0..1 + rng.below(3) {
            applied.push(mutate(&mut body, &mut rng));
        }
        for k in &applied {
            *kinds.entry(k).or_default() += 1;
        }
        // Usually the fixture's own binding; sometimes no SOAPAction, or the other version.
        let soap = if rng.below(10) == 0 {
            if f.soap == Soap::V11 {
                Soap::V12
            } else {
                Soap::V11
            }
        } else {
            f.soap
        };
        let mut headers = admin_headers(soap, &f.op);
        if soap == Soap::V11 && rng.below(3) == 0 {
            headers.retain(|(n, _)| n != "SOAPAction");
        }
        let e = exchange(
            &s.addr,
            &post_bytes(&s.addr, &headers, &body),
            Duration::from_secs(15),
        );
        let verdict: Result<u16, String> = match e.try_response() {
            Err(err) => Err(err),
            Ok(r) => {
                let status = r.status;
                match status {
                    200 => {
                        let body = r.body.clone();
                        std::panic::catch_unwind(move || elements_in(&body, NS, "return"))
                            .map(|_| status)
                            .map_err(|_| format!("200 with a malformed body: {:?}", r.body))
                    }
                    202 if r.body.is_empty() => Ok(status),
                    202 => Err(format!("202 with a body: {:?}", r.body)),
                    400..=499 => Ok(status),
                    500 => {
                        let soap_type = r.header("content-type").is_some_and(|t| {
                            t.starts_with("text/xml") || t.starts_with("application/soap+xml")
                        });
                        if !soap_type {
                            Err(format!(
                                "500 that is not SOAP: {:?} {:?}",
                                r.header("content-type"),
                                r.body
                            ))
                        } else {
                            match try_fault(&r) {
                                Ok((code, _)) => {
                                    if !illegal_xml_chars(&r.body).is_empty() {
                                        ill_formed_xml_1_0 += 1;
                                    }
                                    *fault_codes.entry(code).or_default() += 1;
                                    Ok(status)
                                }
                                Err(e) => Err(e),
                            }
                        }
                    }
                    other => Err(format!("unexpected status {other}: {:?}", r.body)),
                }
            }
        };
        match verdict {
            Ok(status) => *statuses.entry(status).or_default() += 1,
            Err(err) => {
                std::fs::create_dir_all(&failures_dir).unwrap();
                let saved = failures_dir.join(format!("case-{case}.xml"));
                std::fs::write(&saved, &body).unwrap();
                failures.push(format!(
                    "case {case} ({} via {:?}, mutations {applied:?}, body saved to {}): {err}",
                    f.name,
                    soap,
                    saved.display()
                ));
                if failures.len() >= 5 {
                    break;
                }
            }
        }
    }
    let loop_time = loop_start.elapsed();
    println!(
        "[attacks] mutations: ran {ran} of {CASES} in {:.2}s (seed {SEED:#x}); statuses {statuses:?}; fault codes {fault_codes:?}; faults with characters XML 1.0 forbids: {ill_formed_xml_1_0}",
        secs(loop_time)
    );
    println!("[attacks] mutation kinds applied: {kinds:?}");
    assert!(
        failures.is_empty(),
        "{} bad answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        ran >= 500,
        "only {ran} mutations ran within {TIME_BUDGET:?}"
    );
    assert_still_serving(&s);
    println!(
        "[attacks] random_mutations_never_break_the_server: {:.2}s",
        secs(t0.elapsed())
    );
}
