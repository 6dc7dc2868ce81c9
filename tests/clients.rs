//! Real third-party SOAP clients, generated at run time from the WSDL, against a real server:
//! Python zeep (from our served WSDL and from the reference WSDL with the address overridden),
//! Node `soap` (SOAP 1.1 and 1.2) and a gSOAP C++ client (wsdl2h + soapcpp2 + g++).
//! `.ci/run` installs them; a missing client fails the test instead of skipping it.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Options, Server, ADMIN_PASSWORD};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wsdl_server() -> Server {
    Server::start_with(Options {
        env: vec![(
            "USERSTORE_ADMIN_SERVICE__WSDL__ENABLE".into(),
            "true".into(),
        )],
        ..Default::default()
    })
}

fn wsdl_url(server: &Server) -> String {
    format!(
        "http://{}/services/RemoteUserStoreManagerService?wsdl",
        server.addr
    )
}

/// Run a client program; fail with its whole output when it fails or cannot start.
fn run(program: &str, args: &[String]) {
    run_with(program, args, &[]);
}

fn run_with(program: &str, args: &[String], env: &[(&str, &str)]) {
    let output = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} (is it installed? .ci/run installs it): {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("$ {program} {}\n{stdout}{stderr}", args.join(" "));
    assert!(
        output.status.success(),
        "{program} {} failed ({}):\n{stdout}\n{stderr}",
        args.join(" "),
        output.status
    );
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn zeep_from_served_wsdl_over_soap11_and_soap12() {
    let server = wsdl_server();
    let url = wsdl_url(&server);
    for (binding, prefix) in [("soap11", "z11"), ("soap12", "z12")] {
        run(
            "python3",
            &args(&[
                "tests/clients/zeep/scenario.py",
                "--wsdl",
                &url,
                "--user",
                "admin",
                "--password",
                ADMIN_PASSWORD,
                "--binding",
                binding,
                "--prefix",
                prefix,
            ]),
        );
    }
}

#[test]
fn zeep_from_reference_wsdl_with_address_override() {
    let server = wsdl_server();
    let address = format!(
        "http://{}/services/RemoteUserStoreManagerService",
        server.addr
    );
    let auth = auth_wsdl_url(&server);
    for (binding, prefix) in [("soap11", "ref11"), ("soap12", "ref12")] {
        run(
            "python3",
            &args(&[
                "tests/clients/zeep/scenario.py",
                "--wsdl",
                &reference_wsdl("RemoteUserStoreManagerService.wsdl"),
                "--address",
                &address,
                "--auth-wsdl",
                &auth,
                "--user",
                "admin",
                "--password",
                ADMIN_PASSWORD,
                "--binding",
                binding,
                "--prefix",
                prefix,
            ]),
        );
    }
}

#[test]
fn zeep_from_the_carbon40_wsdl_against_the_carbon40_contract() {
    let server = Server::start_with(Options {
        env: vec![(
            "USERSTORE_ADMIN_SERVICE__WSDL_VERSION".into(),
            "carbon-4.0".into(),
        )],
        ..Default::default()
    });
    let address = format!(
        "http://{}/services/RemoteUserStoreManagerService",
        server.addr
    );
    run(
        "python3",
        &args(&[
            "tests/clients/zeep/scenario.py",
            "--wsdl",
            &reference_wsdl("RemoteUserStoreManagerService.old.wsdl"),
            "--address",
            &address,
            "--contract",
            "carbon-4.0",
            "--user",
            "admin",
            "--password",
            ADMIN_PASSWORD,
            "--prefix",
            "old",
        ]),
    );
}

fn reference_wsdl(file: &str) -> String {
    let path = repo().join("../shared/reference").join(file);
    assert!(
        path.exists(),
        "reference WSDL beside the repo: {}",
        path.display()
    );
    path.to_str().unwrap().to_string()
}

fn auth_wsdl_url(server: &Server) -> String {
    format!("http://{}/services/AuthenticationAdmin?wsdl", server.addr)
}

#[test]
fn node_soap_from_reference_wsdl_over_soap11_and_soap12() {
    let server = wsdl_server();
    let wsdl = reference_wsdl("RemoteUserStoreManagerService.wsdl");
    let address = format!(
        "http://{}/services/RemoteUserStoreManagerService",
        server.addr
    );
    let auth = auth_wsdl_url(&server);
    let base = [
        "tests/clients/node/scenario.js",
        "--wsdl",
        &wsdl,
        "--address",
        &address,
        "--auth-wsdl",
        &auth,
        "--user",
        "admin",
        "--password",
        ADMIN_PASSWORD,
    ];
    let mut soap11 = args(&base);
    soap11.extend(args(&["--prefix", "n11"]));
    run("node", &soap11);
    let mut soap12 = args(&base);
    soap12.extend(args(&["--soap12", "--prefix", "n12"]));
    run("node", &soap12);
}

#[test]
fn gsoap_cpp_client_generated_from_served_wsdl() {
    let server = wsdl_server();
    run(
        "bash",
        &args(&[
            "tests/clients/gsoap/run.sh",
            &wsdl_url(&server),
            "admin",
            ADMIN_PASSWORD,
        ]),
    );
}

#[test]
fn gsoap_cpp_client_generated_from_reference_wsdl() {
    let server = wsdl_server();
    let address = format!(
        "http://{}/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsSoap11Endpoint/",
        server.addr
    );
    let auth = auth_wsdl_url(&server);
    run_with(
        "bash",
        &args(&[
            "tests/clients/gsoap/run.sh",
            &format!(
                "file://{}",
                reference_wsdl("RemoteUserStoreManagerService.wsdl")
            ),
            "admin",
            ADMIN_PASSWORD,
            &address,
        ]),
        &[("GSOAP_AUTH_WSDL", &auth)],
    );
}

/// The four admin services beside RemoteUserStoreManagerService through zeep, from WSO2's
/// reference WSDLs (address overridden) over SOAP 1.1 and from the WSDLs userstore serves over
/// SOAP 1.2.
#[test]
fn zeep_drives_the_other_admin_services() {
    let server = wsdl_server();
    let base = format!("http://{}", server.addr);
    let reference = repo().join("../shared/reference/services");
    for (wsdl_dir, binding, prefix) in [
        (reference.to_string_lossy().into_owned(), "soap11", "zr"),
        ("served".to_string(), "soap12", "zs"),
    ] {
        run(
            "python3",
            &args(&[
                "tests/clients/zeep/admin_services.py",
                "--base",
                &base,
                "--user",
                "admin",
                "--password",
                ADMIN_PASSWORD,
                "--wsdl-dir",
                &wsdl_dir,
                "--binding",
                binding,
                "--prefix",
                prefix,
            ]),
        );
    }
}

/// The four admin services through node-soap, from WSO2's reference WSDLs over SOAP 1.1 and
/// from the served WSDLs over SOAP 1.2.
#[test]
fn node_soap_drives_the_other_admin_services() {
    let server = wsdl_server();
    let base = format!("http://{}", server.addr);
    let reference = repo().join("../shared/reference/services");
    let reference = reference.to_string_lossy().into_owned();
    for (wsdl_dir, soap12, prefix) in [(reference.as_str(), false, "nr"), ("served", true, "ns")] {
        let mut list = args(&[
            "tests/clients/node/admin_services.js",
            "--base",
            &base,
            "--user",
            "admin",
            "--password",
            ADMIN_PASSWORD,
            "--wsdl-dir",
            wsdl_dir,
            "--prefix",
            prefix,
        ]);
        if soap12 {
            list.push("--soap12".into());
        }
        run("node", &list);
    }
}

/// The four admin services through a gSOAP C++ client generated from WSO2's reference WSDLs
/// and from the served ones, over SOAP 1.1 and 1.2.
#[test]
fn gsoap_drives_the_other_admin_services() {
    let server = wsdl_server();
    let base = format!("http://{}", server.addr);
    let reference = repo().join("../shared/reference/services");
    for source in [
        reference.to_string_lossy().into_owned(),
        "served".to_string(),
    ] {
        run(
            "bash",
            &args(&[
                "tests/clients/gsoap/admin_services.sh",
                &base,
                "admin",
                ADMIN_PASSWORD,
                &source,
            ]),
        );
    }
}
