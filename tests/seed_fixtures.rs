//! Every sample envelope of the seed document (`fixtures/seed/`, verbatim, including SoapUI's `?`
//! placeholders, obfuscated e-mail values and one envelope missing its first `<`) is sent to a
//! real server. None may cause a transport error; each gets the answer its data makes right.

mod common;

use common::{basic, Server, Soap, ADMIN_PASSWORD, SERVICE_PATH, SOAP12};

/// What a fixture must produce.
enum Expect {
    /// HTTP 200 with these `<ns:return>` texts.
    Returns(&'static [&'static str]),
    /// HTTP 202, empty body.
    Accepted,
    /// A SOAP fault whose reason contains this text.
    Fault(&'static str),
}

const OBFUSCATED_USER_MISSING: Expect =
    Expect::Fault("30007 - UserNotFound: User [email protected] does not exist in: PRIMARY");

/// Each fixture with its expected outcome, in the order they are sent.
const PLAN: &[(&str, Expect)] = &[
    ("24_addUser.xml", Expect::Accepted),
    ("01_authenticate.xml", Expect::Returns(&["true"])),
    ("02_isReadOnly.xml", Expect::Returns(&["false"])),
    ("03_getUserClaimValue.xml", OBFUSCATED_USER_MISSING),
    ("04_getUserList.xml", Expect::Returns(&[])),
    ("05_getUserListOfRole.xml", Expect::Returns(&[])),
    ("06_updateCredential.xml", OBFUSCATED_USER_MISSING),
    (
        "07_getUserClaimValuesForClaims.xml",
        OBFUSCATED_USER_MISSING,
    ),
    ("08_setUserClaimValue.xml", OBFUSCATED_USER_MISSING),
    ("09_deleteUserClaimValue.xml", OBFUSCATED_USER_MISSING),
    ("10_isExistingUser.xml", Expect::Returns(&["false"])),
    ("11_deleteUserClaimValues.xml", OBFUSCATED_USER_MISSING),
    (
        "12_updateCredentialByAdmin.xml",
        Expect::Fault("30007-UserNotFound: User [email protected] does not exist in: PRIMARY"),
    ),
    (
        "13_getRoleNames.xml",
        // The store's roles first, then the hybrid ones, as WSO2 lists them.
        Expect::Returns(&[
            "admin",
            "Doctor",
            "Engineer",
            "teacher",
            "Internal/everyone",
        ]),
    ),
    ("14_getAllProfileNames.xml", Expect::Returns(&["default"])),
    ("15_listUsers.xml", Expect::Returns(&[])),
    ("16_deleteRole.xml", Expect::Accepted),
    ("17_deleteUser.xml", OBFUSCATED_USER_MISSING),
    (
        "18_getRoleListOfUser.xml",
        Expect::Returns(&["Internal/everyone"]),
    ),
    // Role names are case-insensitive: "Teacher" is taken by "teacher".
    (
        "19_updateRoleName.xml",
        Expect::Fault("30012 - RoleExistingRole name: Teacher exists in the system."),
    ),
    ("20_isExistingRole.xml", Expect::Returns(&["true"])),
    ("21_updateRoleListOfUser.xml", OBFUSCATED_USER_MISSING),
    (
        "22_getHybridRoles.xml",
        Expect::Returns(&["Internal/everyone"]),
    ),
    // The seed's sample lacks the leading '<' of the Envelope.
    (
        "23_getUserClaimValues.xml",
        Expect::Fault("content before the SOAP Envelope"),
    ),
    ("25_addRole.xml", OBFUSCATED_USER_MISSING),
    ("26_updateUserListOfRole.xml", OBFUSCATED_USER_MISSING),
    ("27_setUserClaimValues.xml", OBFUSCATED_USER_MISSING),
    // The sample names a user that does not exist here: WSO2 answers -1 for those.
    ("28_getTenantIdOfUser.xml", Expect::Returns(&["-1"])),
    ("29_getProfileNames.xml", OBFUSCATED_USER_MISSING),
];

#[test]
fn every_seed_envelope_gets_the_right_answer() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed");
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, PLAN.len(), "every fixture file has an expectation");

    let s = Server::start();
    // The data the samples refer to: the roles addUser assigns and the role they list/delete.
    for role in ["teacher", "Doctor", "Engineer"] {
        s.call(
            Soap::V11,
            "addRole",
            &format!("<ser:roleName>{role}</ser:roleName>"),
        )
        .assert_accepted();
    }
    for (file, expect) in PLAN {
        let body = std::fs::read(dir.join(file)).unwrap();
        let is_soap12 = String::from_utf8_lossy(&body).contains(SOAP12);
        let content_type = if is_soap12 {
            "application/soap+xml; charset=UTF-8"
        } else {
            "text/xml; charset=UTF-8"
        };
        let r = s.post(
            SERVICE_PATH,
            &[
                ("Content-Type".into(), content_type.into()),
                basic("admin", ADMIN_PASSWORD),
            ],
            &body,
        );
        match expect {
            Expect::Returns(values) => {
                assert_eq!(r.status, 200, "{file}: {}", r.body);
                assert_eq!(r.return_texts(), *values, "{file}");
            }
            Expect::Accepted => {
                assert_eq!(r.status, 202, "{file}: {}", r.body);
            }
            Expect::Fault(text) => {
                assert_eq!(r.status, 500, "{file}: {}", r.body);
                assert!(
                    r.fault_string().contains(text),
                    "{file}: {}",
                    r.fault_string()
                );
            }
        }
    }
    // The addUser sample's data arrived: roles and claims.
    let r = s.call(
        Soap::V11,
        "getRoleListOfUser",
        "<ser:userName>nilasini</ser:userName>",
    );
    assert_eq!(r.return_texts(), ["Doctor", "Internal/everyone", "teacher"]);
    let r = s.call(Soap::V11, "getUserClaimValue", "<ser:userName>nilasini</ser:userName><ser:claim>http://wso2.org/claims/organization</ser:claim>");
    assert_eq!(r.return_text(), "Intuit");
}
