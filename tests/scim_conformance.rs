//! The independent SCIM conformance checker `scim2-tester` (PyPI, pinned in
//! `tests/conformance/requirements.txt`; `.ci/run` installs it) against a server on a fresh
//! database. Every check must pass or be skipped by the tester itself; the runner names the
//! two false positives it tolerates, and fails if they stop occurring.
//!
//! The server runs with its defaults except three documented settings: the tester makes
//! 36-character UUID names and passwords, longer than WSO2's default policy patterns allow
//! (`{3,30}`, `{5,30}`), and reads group names back as it wrote them, without WSO2's
//! `PRIMARY/` domain (`scim.group_domain_prefix = false`).

mod common;

use std::process::Command;

use common::{Options, Server, ADMIN_PASSWORD};

#[test]
fn scim2_tester_finds_no_violation() {
    let env = [
        ("USERSTORE_REALM__USERNAME_REGEX", r"^[\S]{3,64}$"),
        ("USERSTORE_REALM__ROLENAME_REGEX", r"^[\S]{3,64}$"),
        ("USERSTORE_REALM__PASSWORD_REGEX", r"^[\S]{5,64}$"),
        ("USERSTORE_SCIM__GROUP_DOMAIN_PREFIX", "false"),
    ];
    let server = Server::start_with(Options {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    });
    let output = Command::new("python3")
        .arg("tests/conformance/scim2_tester_run.py")
        .arg(format!("http://{}/scim2", server.addr))
        .arg("admin")
        .arg(ADMIN_PASSWORD)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run python3 (is scim2-tester installed? .ci/run installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "scim2-tester reported violations:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("scim2-tester: "),
        "no summary line:\n{stdout}"
    );
}
