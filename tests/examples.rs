//! The admin scripts in `examples/` run against a real server, and their effects are checked
//! with independent SOAP calls, so the examples cannot rot. Every run also checks that no
//! password reached the scripts' output or the command line of curl, sed or grep (which a
//! PATH shim records).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{xml_escape, HttpResponse, Options, Server, Soap, SERVICE_PATH};

/// An admin password with the characters that break naive quoting in shell, XML and curl's
/// config syntax.
const ADMIN_PW: &str = r#"Adm1n"p\w$&<'"#;
const GIVEN_NAME: &str = "http://wso2.org/claims/givenname";
const ACCOUNT_LOCKED: &str = "http://wso2.org/claims/identity/accountLocked";
/// Commands the scripts run whose argv the shim records.
const WATCHED: &[&str] = &["curl", "sed", "grep"];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn start(env: Vec<(String, String)>) -> Server {
    Server::start_with(Options {
        admin_password: Some(ADMIN_PW.into()),
        cheap_hashing: true,
        env,
        ..Default::default()
    })
}

fn call(server: &Server, op: &str, inner: &str) -> HttpResponse {
    server.call_as("admin", ADMIN_PW, Soap::V11, op, inner)
}

fn el(name: &str, value: &str) -> String {
    format!("<ser:{name}>{}</ser:{name}>", xml_escape(value))
}

fn authenticate(server: &Server, user: &str, password: &str) -> bool {
    let inner = el("userName", user) + &el("credential", password);
    match call(server, "authenticate", &inner).return_text().as_str() {
        "true" => true,
        "false" => false,
        other => panic!("authenticate returned {other:?}"),
    }
}

fn claim(server: &Server, user: &str, uri: &str) -> Option<String> {
    let inner = el("userName", user) + &el("claim", uri) + &el("profileName", "default");
    let r = call(server, "getUserClaimValue", &inner);
    assert_eq!(r.status, 200, "{}", r.body);
    r.returns().into_iter().next().flatten()
}

fn add_user(server: &Server, user: &str, password: &str) {
    let inner = el("userName", user) + &el("credential", password);
    call(server, "addUser", &inner).assert_accepted();
}

fn exists(server: &Server, op: &str, element: &str, name: &str) -> bool {
    call(server, op, &el(element, name)).return_text() == "true"
}

/// What a script run produced.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_ok(&self, what: &str) {
        assert_eq!(
            self.code,
            Some(0),
            "{what} failed:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs scripts as an admin would, with a PATH shim that logs the argv of [`WATCHED`].
struct Runner<'a> {
    server: &'a Server,
    shim: tempfile::TempDir,
}

impl<'a> Runner<'a> {
    fn new(server: &'a Server) -> Self {
        let shim = tempfile::tempdir().unwrap();
        for name in WATCHED {
            let real = which(name);
            let script = format!(
                "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" >> \"$ARGV_LOG\"\nexec '{}' \"$@\"\n",
                real.display()
            );
            let path = shim.path().join(name);
            std::fs::write(&path, script).unwrap();
            make_executable(&path);
        }
        Runner { server, shim }
    }

    fn url(&self) -> String {
        format!("http://{}{SERVICE_PATH}", self.server.addr)
    }

    /// Run `program script args...` with the admin environment plus `env`.
    fn run(&self, program: &str, script: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let log = self.shim.path().join("argv.log");
        let _ = std::fs::remove_file(&log);
        let path = format!(
            "{}:{}",
            self.shim.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(program);
        cmd.arg(examples_dir().join(script))
            .args(args)
            .current_dir(examples_dir())
            .env("PATH", path)
            .env("ARGV_LOG", &log)
            .env("USERSTORE_URL", self.url())
            .env("USERSTORE_ADMIN_USER", "admin")
            .env("USERSTORE_ADMIN_PASSWORD", ADMIN_PW)
            .env_remove("NEW_PASSWORD")
            .env_remove("NEW_USER_PASSWORD");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let run = Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        println!(
            "$ {script} {}\n{}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        let argv = std::fs::read_to_string(&log).unwrap_or_default();
        let secrets = std::iter::once(ADMIN_PW).chain(
            env.iter()
                .filter(|(k, v)| k.contains("PASSWORD") && !v.is_empty())
                .map(|(_, v)| *v),
        );
        for secret in secrets {
            for (place, text) in [
                ("stdout", &run.stdout),
                ("stderr", &run.stderr),
                ("argv of curl/sed/grep", &argv),
            ] {
                assert!(
                    !text.contains(secret),
                    "{script} leaked a password to its {place}:\n{text}"
                );
            }
        }
        if program == "bash" && run.code == Some(0) {
            assert!(
                argv.lines().any(|l| l.ends_with("/curl")),
                "the argv shim saw no curl call from {script}: {argv}"
            );
        }
        run
    }

    fn bash(&self, script: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run("bash", script, args, env)
    }
}

fn which(name: &str) -> PathBuf {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed (the example scripts need it)"))
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn add_user_creates_missing_roles_the_user_and_its_claims() {
    let server = start(vec![]);
    let run = Runner::new(&server);
    // `teacher` exists already: the script must notice instead of failing on addRole.
    call(&server, "addRole", &el("roleName", "teacher")).assert_accepted();
    let pw = r#"N3w"u$er&<pw\"#;
    let given = "Al<i>ce & \"Co\" 'x'";

    let r = run.bash(
        "add-user.sh",
        &[
            "alice",
            "teacher,doctor",
            &format!("{GIVEN_NAME}={given}"),
            "http://wso2.org/claims/emailaddress=alice@example.org",
        ],
        &[("NEW_USER_PASSWORD", pw)],
    );
    r.assert_ok("add-user.sh");
    assert_eq!(r.stdout, "created role doctor\ncreated user alice\n");

    assert!(exists(&server, "isExistingUser", "userName", "alice"));
    assert!(exists(&server, "isExistingRole", "roleName", "doctor"));
    let roles = call(&server, "getRoleListOfUser", &el("userName", "alice")).return_texts();
    assert_eq!(roles, ["doctor", "Internal/everyone", "teacher"]);
    assert_eq!(claim(&server, "alice", GIVEN_NAME).as_deref(), Some(given));
    assert_eq!(
        claim(&server, "alice", "http://wso2.org/claims/emailaddress").as_deref(),
        Some("alice@example.org")
    );
    assert!(authenticate(&server, "alice", pw));

    // Adding her again: the script fails and passes on the server's own fault reason.
    let expected = call(
        &server,
        "addUser",
        &(el("userName", "alice") + &el("credential", "Other-pw-1")),
    );
    expected.assert_fault("already exists");
    let again = run.bash(
        "add-user.sh",
        &["alice", "teacher"],
        &[("NEW_USER_PASSWORD", "Other-pw-1")],
    );
    assert_ne!(again.code, Some(0), "re-adding alice succeeded");
    assert!(
        again.stderr.contains(&expected.fault_string()),
        "stderr lacks the fault reason {:?}:\n{}",
        expected.fault_string(),
        again.stderr
    );
    assert!(
        !again.stderr.contains("<faultstring>"),
        "the reason should be extracted, not the raw XML:\n{}",
        again.stderr
    );
    assert!(authenticate(&server, "alice", pw), "alice was changed");

    // Missing inputs get a clear message, not a call.
    let no_pw = run.bash("add-user.sh", &["bob", "teacher"], &[]);
    assert_eq!(no_pw.code, Some(2));
    assert!(
        no_pw.stderr.contains("NEW_USER_PASSWORD"),
        "{}",
        no_pw.stderr
    );
    assert!(!exists(&server, "isExistingUser", "userName", "bob"));
}

#[test]
fn reset_lock_and_unlock() {
    let server = start(vec![]);
    let run = Runner::new(&server);
    let (old, new) = ("Old-pw-123", r#"N3w"pw&<\x"#);
    add_user(&server, "carol", old);

    let r = run.bash("reset-password.sh", &["carol"], &[("NEW_PASSWORD", new)]);
    r.assert_ok("reset-password.sh");
    assert!(authenticate(&server, "carol", new), "new password refused");
    assert!(
        !authenticate(&server, "carol", old),
        "old password accepted"
    );

    run.bash("lock-user.sh", &["carol"], &[])
        .assert_ok("lock-user.sh");
    assert_eq!(
        claim(&server, "carol", ACCOUNT_LOCKED).as_deref(),
        Some("true")
    );
    assert!(
        !authenticate(&server, "carol", new),
        "locked user logged in"
    );

    run.bash("unlock-user.sh", &["carol"], &[])
        .assert_ok("unlock-user.sh");
    assert_eq!(
        claim(&server, "carol", ACCOUNT_LOCKED).as_deref(),
        Some("false")
    );
    assert!(authenticate(&server, "carol", new), "unlocked user refused");

    // A lock left by too many failed logins (default: 5) is lifted the same way.
    let check = |password: &str| {
        let r = run.bash(
            "authenticate.sh",
            &["carol"],
            &[("CHECK_PASSWORD", password)],
        );
        r.assert_ok("authenticate.sh");
        r.stdout
    };
    for _ in 0..5 {
        assert_eq!(check("Wrong-pw-1"), "false\n");
    }
    assert_eq!(check(new), "false\n", "brute-force lock missing");
    run.bash("unlock-user.sh", &["carol"], &[])
        .assert_ok("unlock-user.sh after failed logins");
    assert_eq!(check(new), "true\n", "still locked");

    // An unknown user: non-zero exit with the server's fault reason.
    let r = run.bash("lock-user.sh", &["nobody"], &[]);
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr
            .contains("30007 - UserNotFound: User nobody does not exist in: PRIMARY"),
        "{}",
        r.stderr
    );
}

#[test]
fn list_users_prints_the_matching_names() {
    let server = start(vec![]);
    let run = Runner::new(&server);
    for user in ["acme-bob", "Acme-Carol", "acme-r&d", "acme-alice", "other"] {
        add_user(&server, user, "Some-pw-1");
    }

    let r = run.bash("list-users.sh", &["acme-*"], &[]);
    r.assert_ok("list-users.sh");
    // In Java's Arrays.sort order, as WSO2 lists them.
    let expected = ["Acme-Carol", "acme-alice", "acme-bob", "acme-r&d"];
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), expected);
    // The same as the server's own answer.
    let direct = call(
        &server,
        "listUsers",
        &(el("filter", "acme-*") + &el("maxItemLimit", "100")),
    );
    assert_eq!(direct.return_texts(), expected);

    let r = run.bash("list-users.sh", &["ACME-*", "2"], &[]);
    r.assert_ok("list-users.sh with a limit");
    assert_eq!(r.stdout, "acme-alice\nacme-bob\n");

    let r = run.bash("list-users.sh", &[], &[]);
    r.assert_ok("list-users.sh without arguments");
    let mut all: Vec<_> = expected.to_vec();
    all.extend(["admin", "other"]);
    all.sort();
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), all);

    let r = run.bash("list-users.sh", &["nobody*"], &[]);
    r.assert_ok("list-users.sh with no match");
    assert_eq!(r.stdout, "");
}

#[test]
fn scripts_fail_clearly_without_valid_admin_credentials() {
    let server = start(vec![]);
    let run = Runner::new(&server);
    let r = run.bash("list-users.sh", &[], &[("USERSTORE_ADMIN_PASSWORD", "")]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("USERSTORE_ADMIN_PASSWORD is not set"),
        "{}",
        r.stderr
    );

    let r = run.bash(
        "list-users.sh",
        &[],
        &[("USERSTORE_ADMIN_PASSWORD", "Wrong-pw-1")],
    );
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr
            .contains("Access Denied. Authentication failed - Invalid credentials provided."),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn zeep_client_example_runs_end_to_end() {
    let probe = Command::new("python3")
        .args(["-c", "import zeep, requests"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (.ci/run installs it): {e}"));
    assert!(
        probe.status.success(),
        "python zeep is not importable; install it with \
         `pip install -r tests/clients/zeep/requirements.txt`:\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );

    let server = start(vec![(
        "USERSTORE_ADMIN_SERVICE__WSDL__ENABLE".into(),
        "true".into(),
    )]);
    let run = Runner::new(&server);
    let r = run.run("python3", "zeep_client.py", &["zeep-demo"], &[]);
    r.assert_ok("zeep_client.py");
    let expected = [
        format!("loaded WSDL: {}?wsdl", run.url()),
        "addRole: zeep-demo-role".into(),
        "addUser: zeep-demo".into(),
        "authenticate: True".into(),
        "getRoleListOfUser: Internal/everyone, zeep-demo-role".into(),
        format!("getUserClaimValue: {GIVEN_NAME} = Zeep"),
        "listUsers zeep-demo*: zeep-demo".into(),
        "deleteUser: zeep-demo".into(),
        "deleteRole: zeep-demo-role".into(),
    ];
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), expected);
    assert!(!exists(&server, "isExistingUser", "userName", "zeep-demo"));
    assert!(!exists(
        &server,
        "isExistingRole",
        "roleName",
        "zeep-demo-role"
    ));
}
