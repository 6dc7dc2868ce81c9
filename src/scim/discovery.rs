//! The discovery documents (RFC 7644 §4): what this server implements, and nothing more.

use serde_json::{json, Value};

use super::resource::{ENTERPRISE_SCHEMA, USER_SCHEMA, WSO2_SCHEMA};

/// `GET /scim2/ServiceProviderConfig`.
pub fn service_provider_config(
    max_results: usize,
    bulk_max_operations: usize,
    max_payload_bytes: usize,
) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        "bulk": {
            "supported": true,
            "maxOperations": bulk_max_operations,
            "maxPayloadSize": max_payload_bytes
        },
        "filter": { "supported": true, "maxResults": max_results },
        "changePassword": { "supported": true },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "httpbasic",
            "name": "HTTP Basic",
            "description": "HTTP Basic credentials of a user whose roles grant WSO2's usermgt permissions (or the JSESSIONID of a login)",
            "primary": true
        }, {
            "type": "oauthbearertoken",
            "name": "API token",
            "description": "Authorization: Bearer with an API token made by `userstore token create`; it acts as its user",
            "primary": false
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": "/scim2/ServiceProviderConfig" }
    })
}

/// `GET /scim2/ResourceTypes`: Users and Groups.
pub fn resource_types() -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [
                { "schema": ENTERPRISE_SCHEMA, "required": false },
                { "schema": WSO2_SCHEMA, "required": false }
            ],
            "meta": { "resourceType": "ResourceType", "location": "/scim2/ResourceTypes/User" }
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group (a role of the user store)",
            "schema": super::group::GROUP_SCHEMA,
            "meta": { "resourceType": "ResourceType", "location": "/scim2/ResourceTypes/Group" }
        }),
    ]
}

/// `GET /scim2/Schemas`: every schema the resource types use.
pub fn schemas() -> Vec<Value> {
    let mut all = super::resource::user_schemas();
    all.push(super::group::group_schema());
    all
}
