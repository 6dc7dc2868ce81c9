//! The namespaces, bean types, services and contracts of the Carbon user-admin services beside
//! RemoteUserStoreManagerService: UserAdmin, RemoteAuthorizationManagerService,
//! UserProfileMgtService and UserIdentityManagementAdminService, as their WSDLs declare them.

use super::{
    field, fields_of, ComplexType, Contract, ServiceInfo, TypeField, WsdlVersion, XsdType,
    CLAIM_DTO, CLAIM_VALUE, COMMON_NAMESPACE, CORE_NAMESPACE, PERMISSION_DTO, SERVICE_NAMESPACE,
    TENANT,
};

/// UserAdmin's element namespace: its services.xml sets Axis2's default schema namespace.
pub const AXIS2_NAMESPACE: &str = "http://org.apache.axis2/xsd";
/// UserAdmin's WSDL target namespace (not its elements' namespace).
pub const USER_ADMIN_WSDL_NAMESPACE: &str = "http://mgt.user.carbon.wso2.org";
/// UserProfileMgtService's namespace.
pub const PROFILE_NAMESPACE: &str = "http://mgt.profile.user.identity.carbon.wso2.org";
/// Namespace of UserProfileMgtService's DTOs.
pub const PROFILE_DTO_NAMESPACE: &str = "http://mgt.profile.user.identity.carbon.wso2.org/xsd";
/// Namespace of Carbon's `IdentityException`.
pub const IDENTITY_BASE_NAMESPACE: &str = "http://base.identity.carbon.wso2.org/xsd";
/// UserIdentityManagementAdminService's namespace.
pub const IDENTITY_MGT_NAMESPACE: &str = "http://services.mgt.identity.carbon.wso2.org";
/// Namespace of UserIdentityManagementAdminService's DTOs.
pub const IDENTITY_DTO_NAMESPACE: &str = "http://dto.mgt.identity.carbon.wso2.org/xsd";
/// Namespace of `IdentityMgtServiceException`.
pub const IDENTITY_EXCEPTION_NAMESPACE: &str = "http://mgt.identity.carbon.wso2.org/xsd";

const fn bean(
    namespace: &'static str,
    name: &'static str,
    fields: &'static [TypeField],
) -> ComplexType {
    ComplexType {
        namespace,
        name,
        base: None,
        fields,
    }
}

/// UserAdmin's list item: a user or role name with flags (and the pagination tail).
pub static FLAGGED_NAME: ComplexType = bean(
    COMMON_NAMESPACE,
    "FlaggedName",
    &[
        field("dn", XsdType::String),
        field("domainName", XsdType::String),
        field("editable", XsdType::Boolean),
        field("itemDisplayName", XsdType::String),
        field("itemName", XsdType::String),
        field("readOnly", XsdType::Boolean),
        field("roleType", XsdType::String),
        field("selected", XsdType::Boolean),
        field("shared", XsdType::Boolean),
    ],
);

/// A node of the UI permission tree, with its children.
pub static UI_PERMISSION_NODE: ComplexType = bean(
    COMMON_NAMESPACE,
    "UIPermissionNode",
    &[
        field("displayName", XsdType::String),
        fields_of("nodeList", XsdType::Complex(&UI_PERMISSION_NODE)),
        field("resourcePath", XsdType::String),
        field("selected", XsdType::Boolean),
    ],
);

/// One user store as getUserRealmInfo describes it.
pub static USER_STORE_INFO: ComplexType = bean(
    COMMON_NAMESPACE,
    "UserStoreInfo",
    &[
        field("bulkImportSupported", XsdType::Boolean),
        field("caseSensitiveUsername", XsdType::Boolean),
        field("domainName", XsdType::String),
        field("externalIdP", XsdType::String),
        field("maxRoleLimit", XsdType::Int),
        field("maxUserLimit", XsdType::Int),
        field("passwordRegEx", XsdType::String),
        field("passwordRegExViolationErrorMsg", XsdType::String),
        field("passwordsExternallyManaged", XsdType::Boolean),
        field("readGroupsEnabled", XsdType::Boolean),
        field("readOnly", XsdType::Boolean),
        field("roleNameRegEx", XsdType::String),
        field("userNameRegEx", XsdType::String),
        field("usernameRegExViolationErrorMsg", XsdType::String),
        field("writeGroupsEnabled", XsdType::Boolean),
    ],
);

/// The realm as the management console sees it.
pub static USER_REALM_INFO: ComplexType = bean(
    COMMON_NAMESPACE,
    "UserRealmInfo",
    &[
        field("adminRole", XsdType::String),
        field("adminUser", XsdType::String),
        field("bulkImportSupported", XsdType::Boolean),
        fields_of("defaultUserClaims", XsdType::String),
        fields_of("domainNames", XsdType::String),
        field("enableUIPageCache", XsdType::Boolean),
        field("everyOneRole", XsdType::String),
        field("maxItemsPerUIPage", XsdType::Int),
        field("maxUIPagesInCache", XsdType::Int),
        field("multipleUserStore", XsdType::Boolean),
        field("primaryUserStoreInfo", XsdType::Complex(&USER_STORE_INFO)),
        fields_of("requiredUserClaims", XsdType::String),
        fields_of("userClaims", XsdType::String),
        fields_of("userStoresInfo", XsdType::Complex(&USER_STORE_INFO)),
    ],
);

/// UserAdmin's declared exception.
pub static USER_ADMIN_EXCEPTION: ComplexType = bean(
    COMMON_NAMESPACE,
    "UserAdminException",
    &[field("message", XsdType::String)],
);

/// Carbon's `IdentityException`, base of the identity services' exceptions.
pub static IDENTITY_EXCEPTION: ComplexType = bean(
    IDENTITY_BASE_NAMESPACE,
    "IdentityException",
    &[field("errorCode", XsdType::String)],
);

/// UserProfileMgtService's declared exception.
pub static USER_PROFILE_EXCEPTION: ComplexType = ComplexType {
    namespace: PROFILE_DTO_NAMESPACE,
    name: "UserProfileException",
    base: Some(&IDENTITY_EXCEPTION),
    fields: &[],
};

/// UserIdentityManagementAdminService's declared exception.
pub static IDENTITY_MGT_EXCEPTION: ComplexType = ComplexType {
    namespace: IDENTITY_EXCEPTION_NAMESPACE,
    name: "IdentityMgtServiceException",
    base: Some(&IDENTITY_EXCEPTION),
    fields: &[],
};

/// One claim of a profile, with its display metadata.
pub static USER_FIELD_DTO: ComplexType = bean(
    PROFILE_DTO_NAMESPACE,
    "UserFieldDTO",
    &[
        field("checkedAttribute", XsdType::Boolean),
        field("claimUri", XsdType::String),
        field("displayName", XsdType::String),
        field("displayOrder", XsdType::Int),
        field("fieldValue", XsdType::String),
        field("readOnly", XsdType::Boolean),
        field("regEx", XsdType::String),
        field("required", XsdType::Boolean),
    ],
);

/// A user's profile: its name and fields (`profileConifuration` is misspelt in the contract).
pub static USER_PROFILE_DTO: ComplexType = bean(
    PROFILE_DTO_NAMESPACE,
    "UserProfileDTO",
    &[
        fields_of("fieldValues", XsdType::Complex(&USER_FIELD_DTO)),
        fields_of("profileConfigurations", XsdType::String),
        field("profileConifuration", XsdType::String),
        field("profileName", XsdType::String),
    ],
);

/// A federated account associated with a local user.
pub static ASSOCIATED_ACCOUNT_DTO: ComplexType = bean(
    PROFILE_DTO_NAMESPACE,
    "AssociatedAccountDTO",
    &[
        field("id", XsdType::String),
        field("identityProviderName", XsdType::String),
        field("username", XsdType::String),
    ],
);

/// A claim of the calling user, as the identity-management service lists and sets them.
pub static USER_IDENTITY_CLAIM_DTO: ComplexType = bean(
    IDENTITY_DTO_NAMESPACE,
    "UserIdentityClaimDTO",
    &[
        field("claimUri", XsdType::String),
        field("claimValue", XsdType::String),
        field("displayName", XsdType::String),
        field("required", XsdType::Boolean),
    ],
);

/// One challenge question of a user (`verfied` is misspelt in the contract).
pub static USER_CHALLENGES_DTO: ComplexType = bean(
    IDENTITY_DTO_NAMESPACE,
    "UserChallengesDTO",
    &[
        field("answer", XsdType::String),
        field("error", XsdType::String),
        field("id", XsdType::String),
        field("key", XsdType::String),
        field("order", XsdType::Int),
        field("primary", XsdType::Boolean),
        field("question", XsdType::String),
        field("verfied", XsdType::Boolean),
    ],
);

/// The questions of one question set.
pub static USER_CHALLENGES_SET_DTO: ComplexType = bean(
    IDENTITY_DTO_NAMESPACE,
    "UserChallengesSetDTO",
    &[
        fields_of("challengesDTOs", XsdType::Complex(&USER_CHALLENGES_DTO)),
        field("id", XsdType::String),
    ],
);

/// A question of the tenant's catalogue.
pub static CHALLENGE_QUESTION_DTO: ComplexType = bean(
    IDENTITY_DTO_NAMESPACE,
    "ChallengeQuestionDTO",
    &[
        field("order", XsdType::Int),
        field("promoteQuestion", XsdType::Boolean),
        field("question", XsdType::String),
        field("questionSetId", XsdType::String),
    ],
);

/// UserAdmin, the management console's user and role back end.
pub static USER_ADMIN: ServiceInfo = ServiceInfo {
    name: "UserAdmin",
    namespace: AXIS2_NAMESPACE,
    wsdl_namespace: USER_ADMIN_WSDL_NAMESPACE,
    fault_name: "UserAdminUserAdminException",
    fault_type: &USER_ADMIN_EXCEPTION,
};

/// RemoteAuthorizationManagerService, the permission tree's admin API.
pub static AUTHORIZATION_SERVICE: ServiceInfo = ServiceInfo {
    name: "RemoteAuthorizationManagerService",
    namespace: SERVICE_NAMESPACE,
    wsdl_namespace: SERVICE_NAMESPACE,
    fault_name: "RemoteAuthorizationManagerServiceUserStoreException",
    fault_type: &AUTHORIZATION_USER_STORE_EXCEPTION,
};

/// UserProfileMgtService, users' profiles and federated associations.
pub static PROFILE_SERVICE: ServiceInfo = ServiceInfo {
    name: "UserProfileMgtService",
    namespace: PROFILE_NAMESPACE,
    wsdl_namespace: PROFILE_NAMESPACE,
    fault_name: "UserProfileMgtServiceUserProfileException",
    fault_type: &USER_PROFILE_EXCEPTION,
};

/// UserIdentityManagementAdminService, account locking, enabling and identity claims.
pub static IDENTITY_MGT_SERVICE: ServiceInfo = ServiceInfo {
    name: "UserIdentityManagementAdminService",
    namespace: IDENTITY_MGT_NAMESPACE,
    wsdl_namespace: IDENTITY_MGT_NAMESPACE,
    fault_name: "UserIdentityManagementAdminServiceIdentityMgtServiceException",
    fault_type: &IDENTITY_MGT_EXCEPTION,
};

/// UserAdmin's contract; `ax2644` is the bean prefix real clients parse replies with.
pub static USER_ADMIN_CONTRACT: Contract = Contract {
    service: &USER_ADMIN,
    version: WsdlVersion::Current,
    schemas: &[(AXIS2_NAMESPACE, "ns"), (COMMON_NAMESPACE, "ax2644")],
    complex_types: &[
        &USER_ADMIN_EXCEPTION,
        &UI_PERMISSION_NODE,
        &FLAGGED_NAME,
        &USER_REALM_INFO,
        &USER_STORE_INFO,
        &CLAIM_VALUE,
    ],
    claim: &CLAIM_DTO,
    permission: &PERMISSION_DTO,
    tenant: &TENANT,
};

/// RemoteAuthorizationManagerService's contract.
pub static AUTHORIZATION_CONTRACT: Contract = Contract {
    service: &AUTHORIZATION_SERVICE,
    version: WsdlVersion::Current,
    schemas: &[(SERVICE_NAMESPACE, "ns"), (CORE_NAMESPACE, "ax2307")],
    complex_types: &[&AUTHORIZATION_USER_STORE_EXCEPTION],
    claim: &CLAIM_DTO,
    permission: &PERMISSION_DTO,
    tenant: &TENANT,
};

/// `UserStoreException` declared directly in the core namespace, as this service's WSDL has it.
pub static AUTHORIZATION_USER_STORE_EXCEPTION: ComplexType =
    bean(CORE_NAMESPACE, "UserStoreException", &[]);

/// UserProfileMgtService's contract.
pub static PROFILE_CONTRACT: Contract = Contract {
    service: &PROFILE_SERVICE,
    version: WsdlVersion::Current,
    schemas: &[
        (PROFILE_NAMESPACE, "ns"),
        (IDENTITY_BASE_NAMESPACE, "ax2468"),
        (PROFILE_DTO_NAMESPACE, "ax2464"),
    ],
    complex_types: &[
        &IDENTITY_EXCEPTION,
        &ASSOCIATED_ACCOUNT_DTO,
        &USER_PROFILE_DTO,
        &USER_FIELD_DTO,
        &USER_PROFILE_EXCEPTION,
    ],
    claim: &CLAIM_DTO,
    permission: &PERMISSION_DTO,
    tenant: &TENANT,
};

/// UserIdentityManagementAdminService's contract.
pub static IDENTITY_MGT_CONTRACT: Contract = Contract {
    service: &IDENTITY_MGT_SERVICE,
    version: WsdlVersion::Current,
    schemas: &[
        (IDENTITY_MGT_NAMESPACE, "ns"),
        (IDENTITY_DTO_NAMESPACE, "ax2378"),
        (IDENTITY_BASE_NAMESPACE, "ax2375"),
        (IDENTITY_EXCEPTION_NAMESPACE, "ax2374"),
    ],
    complex_types: &[
        &USER_CHALLENGES_DTO,
        &USER_CHALLENGES_SET_DTO,
        &CHALLENGE_QUESTION_DTO,
        &USER_IDENTITY_CLAIM_DTO,
        &IDENTITY_EXCEPTION,
        &IDENTITY_MGT_EXCEPTION,
    ],
    claim: &CLAIM_DTO,
    permission: &PERMISSION_DTO,
    tenant: &TENANT,
};

/// The contracts of the admin services beside RemoteUserStoreManagerService and
/// AuthenticationAdmin, each served at `/services/<name>`.
pub static ADMIN_CONTRACTS: [&Contract; 4] = [
    &USER_ADMIN_CONTRACT,
    &AUTHORIZATION_CONTRACT,
    &PROFILE_CONTRACT,
    &IDENTITY_MGT_CONTRACT,
];
