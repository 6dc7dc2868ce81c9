//! The SCIM 2.0 endpoints under `/scim2` (WSO2's base path): discovery without credentials,
//! Users and `/Me` with the same logins (Basic or the session cookie) and permissions as the
//! SOAP service. JSON in and out as `application/scim+json`; errors in SCIM's Error schema.

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION, WWW_AUTHENTICATE};
use hyper::{Method, Request as HttpRequest, Response, StatusCode};
use serde_json::{json, Value};

use super::identity::{self, Refusal};
use super::soap_call::read_body;
use super::{
    audit, auth, blocking, blocking_read, blocking_write, header, AppState, ClientInfo, Outcome,
};
use crate::scim::projection::Projection;
use crate::scim::resource::{self, LIST_SCHEMA};
use crate::scim::{bulk, discovery, filter, group, ScimError, View};
use crate::service::provisioning::{self, Account, GroupUpdate, GroupView};
use crate::service::{Caller, ServiceError};
use crate::store::{GroupOrder, GroupQuery, UserOrder, UserQuery};

/// The SCIM media type.
const SCIM_JSON: &str = "application/scim+json";

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

fn error_response(error: &ScimError) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &error.to_json())
}

/// The service's base URL, for `meta.location` and `Location`.
fn base_url(req: &HttpRequest<Incoming>, client: ClientInfo, state: &AppState) -> String {
    if let Some(url) = state
        .settings
        .wsdl
        .as_ref()
        .and_then(|w| w.public_url.clone())
    {
        return url.trim_end_matches('/').to_string();
    }
    let host = header(req, hyper::header::HOST)
        .filter(|h| !h.is_empty() && !h.contains(['/', '"', '<', '>', ' ']))
        .unwrap_or("localhost");
    format!("{}://{host}", client.scheme)
}

/// Decode one `application/x-www-form-urlencoded` component.
fn url_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let decoded = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match decoded {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(req: &HttpRequest<Incoming>, name: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        url_decode(key)
            .eq_ignore_ascii_case(name)
            .then(|| url_decode(value))
    })
}

/// The page a list request asks for: a filter, 1-based `startIndex`, `count`, and the
/// `sortBy` / `sortOrder` texts.
struct Page {
    filter: Option<String>,
    start_index: usize,
    count: usize,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

impl Page {
    /// The part of the list this page asks for (`startIndex` is 1-based).
    fn window(&self) -> Window {
        Window {
            offset: self.start_index - 1,
            count: self.count,
        }
    }

    /// The filter, parsed (a syntax error is SCIM's `invalidFilter`).
    fn parsed_filter(&self) -> Result<Option<filter::Filter>, ScimError> {
        self.filter
            .as_deref()
            .map(|text| {
                filter::parse(text)
                    .map_err(|e| ScimError::bad_request("invalidFilter", e.to_string()))
            })
            .transpose()
    }
}

/// Which part of a list a page is: how many to skip, and at most how many to return.
#[derive(Debug, Clone, Copy)]
struct Window {
    offset: usize,
    count: usize,
}

/// The page named by a request's parameters: the query string's, or a `.search` body's.
fn page(
    text: impl Fn(&str) -> Option<String>,
    number: impl Fn(&str) -> Result<Option<i64>, ScimError>,
    max: usize,
) -> Result<Page, ScimError> {
    Ok(Page {
        filter: text("filter").filter(|f| !f.trim().is_empty()),
        start_index: number("startIndex")?.filter(|s| *s >= 1).unwrap_or(1) as usize,
        count: number("count")?.map_or(max, |c| c.clamp(0, max as i64) as usize),
        sort_by: text("sortBy"),
        sort_order: text("sortOrder"),
    })
}

/// The page a GET list asks for in its query string.
fn query_page(req: &HttpRequest<Incoming>, max: usize) -> Result<Page, ScimError> {
    page(
        |name| query_param(req, name),
        |name| parse_number(query_param(req, name), name),
        max,
    )
}

fn parse_number(raw: Option<String>, name: &str) -> Result<Option<i64>, ScimError> {
    raw.map(|r| {
        r.trim().parse::<i64>().map_err(|_| {
            ScimError::bad_request("invalidValue", format!("{name} must be an integer"))
        })
    })
    .transpose()
}

/// Serve a request under `/scim2`.
/// The read-only discovery endpoints (RFC 7644 §4).
fn is_discovery(rest: &str) -> bool {
    ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"]
        .iter()
        .any(|prefix| {
            rest.strip_prefix(prefix)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('/'))
        })
}

pub(super) async fn handle(
    req: HttpRequest<Incoming>,
    client: ClientInfo,
    state: Arc<AppState>,
) -> Outcome {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let rest = path.strip_prefix("/scim2").unwrap_or("").to_string();
    let method = req.method().clone();
    let max_results = state.settings.scim_max_results;
    match (&method, rest.as_str()) {
        (method, _) if method != Method::GET && is_discovery(&rest) => {
            return Outcome::plain(error_response(&ScimError::status(
                405,
                "discovery documents are read with GET",
            )))
        }
        (&Method::GET, "/ServiceProviderConfig") => {
            return Outcome::plain(json_response(
                StatusCode::OK,
                &discovery::service_provider_config(
                    max_results,
                    state.settings.scim_bulk_max_operations,
                    state.settings.max_body_bytes,
                ),
            ))
        }
        (&Method::GET, "/ResourceTypes" | "/Schemas") => {
            let documents = if rest == "/Schemas" {
                discovery::schemas()
            } else {
                discovery::resource_types()
            };
            return Outcome::plain(list_response(documents.len(), 1, documents));
        }
        (&Method::GET, _)
            if rest.starts_with("/ResourceTypes/") || rest.starts_with("/Schemas/") =>
        {
            let (collection, id) = rest[1..].split_once('/').unwrap_or_default();
            let documents = if collection == "Schemas" {
                discovery::schemas()
            } else {
                discovery::resource_types()
            };
            return Outcome::plain(match documents.into_iter().find(|d| d["id"] == id) {
                Some(found) => json_response(StatusCode::OK, &found),
                None => error_response(&ScimError::not_found("schema or resource type")),
            });
        }
        _ => {}
    }
    let changes_own_password =
        (method == Method::PUT || method == Method::PATCH) && rest.trim_end_matches('/') == "/Me";
    let (caller, new_session, password_change_only) =
        match identity::identify(&req, client, &state).await {
            Ok((caller, session)) => (caller, session, false),
            // Whoever must change the password may still change it, and only it (WSO2's JDBC store
            // refuses every other login then).
            Err(Refusal::PasswordChangeRequired(caller)) if changes_own_password => {
                (caller, None, true)
            }
            Err(refusal) => {
                let mut response = match refusal {
                    Refusal::NoCredentials | Refusal::Refused => {
                        error_response(&ScimError::status(401, "authentication required"))
                    }
                    Refusal::PasswordChangeRequired(_) => error_response(&ScimError::status(
                        401,
                        "Password change required. Change it with PATCH /scim2/Me (path password).",
                    )),
                    Refusal::BadToken => error_response(&ScimError::status(
                        401,
                        "the token is unknown, revoked or expired, or its user may not log in",
                    )),
                    Refusal::SystemError => error_response(&ScimError::status(
                        500,
                        "authentication failed with a system error",
                    )),
                };
                let challenge = match refusal {
                    Refusal::BadToken => auth::BEARER_CHALLENGE,
                    _ => auth::BASIC_CHALLENGE,
                };
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                return Outcome::refused(response);
            }
        };
    let who = caller.name.clone();
    let view = View {
        base: base_url(&req, client, &state),
        group_domain: state.settings.scim_group_domain,
        projection: Projection::new(
            query_param(&req, "attributes").as_deref(),
            query_param(&req, "excludedAttributes").as_deref(),
        ),
    };
    let input = if password_change_only {
        match password_patch(&method, req, &state).await {
            Ok(input) => input,
            Err(error) => return Outcome::plain(error_response(&error)),
        }
    } else {
        Input::Http(req)
    };
    let (operation, result) = route(input, method, &rest, caller, &view, client, &state).await;
    let mut response = match result {
        Ok(response) => response,
        Err(error) => error_response(&error),
    };
    if let Some(id) = new_session {
        super::soap_call::set_session_cookie(&mut response, &id, client.scheme == "https");
    }
    Outcome {
        response,
        operation: Some(operation),
        caller: Some(who),
        refused_login: false,
    }
}

type ScimResult = Result<Response<Full<Bytes>>, ScimError>;

/// The request of a caller who must change the password before anything else: a PATCH of
/// `/Me` whose every operation sets the password (by path, or as the only attribute of its
/// value) passes, read; anything else is refused.
async fn password_patch(
    method: &Method,
    req: HttpRequest<Incoming>,
    state: &AppState,
) -> Result<Input, ScimError> {
    let refused = || {
        ScimError::status(
            403,
            "until the required password change, /Me accepts only a PATCH of password",
        )
    };
    if method != Method::PATCH {
        return Err(refused());
    }
    let version = header(&req, IF_MATCH).map(str::to_string);
    let body = json_body(req, state).await?;
    let is_password = |key: &str| key.eq_ignore_ascii_case("password");
    let only_password = body
        .get("Operations")
        .and_then(Value::as_array)
        .is_some_and(|operations| {
            !operations.is_empty()
                && operations
                    .iter()
                    .all(|op| match op.get("path").and_then(Value::as_str) {
                        Some(path) => is_password(path.trim()),
                        None => op
                            .get("value")
                            .and_then(Value::as_object)
                            .is_some_and(|value| {
                                value.keys().any(|k| is_password(k))
                                    && value.keys().all(|k| is_password(k) || k == "schemas")
                            }),
                    })
        });
    if !only_password {
        return Err(refused());
    }
    Ok(Input::Given {
        body: Some(body),
        version,
    })
}

/// What a route reads its request from: the HTTP request, or one operation of a Bulk request.
enum Input {
    Http(HttpRequest<Incoming>),
    Given {
        body: Option<Value>,
        version: Option<String>,
    },
}

impl Input {
    fn is_http(&self) -> bool {
        matches!(self, Input::Http(_))
    }

    /// The JSON body.
    async fn json(self, state: &AppState) -> Result<Value, ScimError> {
        match self {
            Input::Http(req) => json_body(req, state).await,
            Input::Given {
                body: Some(body), ..
            } => Ok(body),
            Input::Given { body: None, .. } => Err(ScimError::bad_request(
                "invalidSyntax",
                "this operation needs data",
            )),
        }
    }

    /// The `If-Match` precondition (a Bulk operation's `version`).
    fn if_match(&self) -> Option<String> {
        match self {
            Input::Http(req) => header(req, IF_MATCH).map(str::to_string),
            Input::Given { version, .. } => version.clone(),
        }
    }

    /// The page a list asks for (a Bulk operation lists nothing: the defaults).
    fn page(&self, max: usize) -> Result<Page, ScimError> {
        match self {
            Input::Http(req) => query_page(req, max),
            Input::Given { .. } => page(|_| None, |_| Ok(None), max),
        }
    }
}

/// The account a PATCH addresses: by id, or the caller's own (`/Me`).
#[derive(Clone, PartialEq)]
enum Target {
    Id(String),
    Me,
}

/// A route's reply as a Bulk operation's outcome: status, Location, body.
async fn bulk_outcome(response: Response<Full<Bytes>>) -> bulk::Outcome {
    use http_body_util::BodyExt;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    let bytes = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    bulk::Outcome {
        status,
        location,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// An audit line's outcome.
fn outcome<T, E>(result: &Result<T, E>) -> &'static str {
    if result.is_ok() {
        "success"
    } else {
        "error"
    }
}

/// A created resource's reply with its `Location`.
fn with_location(mut response: Response<Full<Bytes>>, location: &str) -> Response<Full<Bytes>> {
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// A user read or written, or 404.
fn found_user(found: Option<Account>, view: &View) -> ScimResult {
    found
        .map(|account| user_response(StatusCode::OK, &account, view))
        .ok_or_else(|| ScimError::not_found("user"))
}

/// A group read or written, or 404.
fn found_group(found: Option<GroupView>, view: &View) -> ScimResult {
    found
        .map(|g| group_response(StatusCode::OK, &g, view))
        .ok_or_else(|| ScimError::not_found("group"))
}

/// A group's representation with its `ETag`.
fn group_response(status: StatusCode, group: &GroupView, view: &View) -> Response<Full<Bytes>> {
    with_etag(
        json_response(status, &group::render_group(group, view)),
        group.record.version,
    )
}

/// A resource's reply with the entity tag of `version`.
fn with_etag(mut response: Response<Full<Bytes>>, version: i64) -> Response<Full<Bytes>> {
    if let Ok(tag) = HeaderValue::from_str(&provisioning::entity_tag(version)) {
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

/// A DELETE's reply: 204 when `found`, else 404 naming `what`.
fn no_content(found: bool, what: &str) -> ScimResult {
    if !found {
        return Err(ScimError::not_found(what));
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// The JSON body of a request, within the size limit, in a SCIM (or plain JSON) media type.
async fn json_body(req: HttpRequest<Incoming>, state: &AppState) -> Result<Value, ScimError> {
    let media = header(&req, CONTENT_TYPE).map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    if media
        .as_deref()
        .is_some_and(|m| m != SCIM_JSON && m != "application/json")
    {
        return Err(ScimError::status(
            415,
            "send application/scim+json (or application/json)",
        ));
    }
    let body = read_body(req, state).await.map_err(|response| {
        if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ScimError::status(413, "the request body is too large")
        } else {
            ScimError::bad_request("invalidSyntax", "the request body could not be read")
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| ScimError::bad_request("invalidSyntax", format!("the body is not JSON: {e}")))
}

/// Run service work on the blocking pool (it may hash and always touches the database).
async fn run<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ScimError> {
    scim_result(blocking(state, work).await)
}

/// Run a write on the blocking pool: with the write slots when it sets no password (it waits
/// mostly for a commit it may share), else as hashing work.
async fn run_write<T: Send + 'static>(
    state: &Arc<AppState>,
    sets_password: bool,
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ScimError> {
    if sets_password {
        return run(state, work).await;
    }
    scim_result(blocking_write(state, work).await)
}

/// Service work's outcome from the blocking pool as a SCIM result (`None`: the task failed).
fn scim_result<T>(done: Option<Result<T, ServiceError>>) -> Result<T, ScimError> {
    match done {
        Some(result) => result.map_err(|e| ScimError::from(&e)),
        None => Err(ScimError::status(500, "internal server error")),
    }
}

/// A read of at most one account: a few indexed lookups in one snapshot, answered on the executor
/// as SOAP's cheap reads are (the hop to the blocking pool would cost more than the work), unless
/// the store's reads wait on the network.
async fn cheap_read<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ScimError> {
    if state.service.reads_in_place() {
        return scim_result(Some(work()));
    }
    scim_result(blocking_read(state, work).await)
}

fn user_response(status: StatusCode, account: &Account, view: &View) -> Response<Full<Bytes>> {
    with_etag(
        json_response(status, &resource::render_user(account, view)),
        account.record.version,
    )
}

#[allow(clippy::too_many_arguments)]
async fn route(
    req: Input,
    method: Method,
    rest: &str,
    caller: Caller,
    view: &View,
    client: ClientInfo,
    state: &Arc<AppState>,
) -> (&'static str, ScimResult) {
    let service = state.service.clone();
    let max_results = state.settings.scim_max_results;
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["Users"]) => {
            let result = match req.page(max_results) {
                Ok(page) => list(&service, caller, page, view, state).await,
                Err(e) => Err(e),
            };
            ("scim.Users.list", result)
        }
        (&Method::POST, [".search"] | ["Users" | "Groups", ".search"]) => {
            let result = async {
                let body = req.json(state).await?;
                let page = page(
                    |key| body.get(key).and_then(Value::as_str).map(str::to_string),
                    |key| Ok(body.get(key).and_then(Value::as_i64)),
                    max_results,
                )?;
                let view = View {
                    base: view.base.clone(),
                    group_domain: view.group_domain,
                    projection: Projection::from_search(&body),
                };
                match segments.first() {
                    Some(&"Users") => list(&service, caller, page, &view, state).await,
                    Some(&"Groups") => list_groups(&service, caller, page, &view, state).await,
                    _ => search_everything(&service, caller, page, &view, state).await,
                }
            }
            .await;
            let operation = match segments.first() {
                Some(&"Users") => "scim.Users.search",
                Some(&"Groups") => "scim.Groups.search",
                _ => "scim.search",
            };
            (operation, result)
        }
        (&Method::POST, ["Users"]) => {
            let who = caller.clone();
            let result = async {
                let write = resource::parse_user(&req.json(state).await?)?;
                let name = write.name.clone();
                let created = run(state, move || service.create_account(&caller, write)).await;
                let label = outcome(&created);
                audit::operation(
                    client.peer,
                    &who,
                    "scim.createUser",
                    &format!("user:{name}"),
                    label,
                );
                let account = created?;
                let response = user_response(StatusCode::CREATED, &account, view);
                Ok(with_location(
                    response,
                    &view.location("Users", &account.id),
                ))
            }
            .await;
            ("scim.Users.create", result)
        }
        (&Method::GET, ["Users", id]) => {
            let (id, reader) = (id.to_string(), service.clone());
            let result = cheap_read(state, move || reader.account(&caller, &id))
                .await
                .and_then(|found| found_user(found, view));
            ("scim.Users.get", result)
        }
        (&Method::PUT, ["Users", id]) => {
            let id = id.to_string();
            let who = caller.clone();
            let if_match = req.if_match();
            let result = async {
                let write = resource::parse_user(&req.json(state).await?)?;
                let target = format!("user:{}", write.name);
                let sets_password = write.password.is_some();
                let replaced = run_write(state, sets_password, move || {
                    service.replace_account(&caller, &id, write, if_match.as_deref())
                })
                .await;
                let label = outcome(&replaced);
                audit::operation(client.peer, &who, "scim.replaceUser", &target, label);
                found_user(replaced?, view)
            }
            .await;
            ("scim.Users.replace", result)
        }
        (&Method::DELETE, ["Users", id]) => {
            let id = id.to_string();
            let who = caller.clone();
            let target = format!("user:{id}");
            let if_match = req.if_match();
            let deleted = run_write(state, false, move || {
                service.delete_account(&caller, &id, if_match.as_deref())
            })
            .await;
            let label = outcome(&deleted);
            audit::operation(client.peer, &who, "scim.deleteUser", &target, label);
            let result = deleted.and_then(|found| no_content(found, "user"));
            ("scim.Users.delete", result)
        }
        (&Method::GET, ["Me"]) => {
            let reader = service.clone();
            let result = cheap_read(state, move || reader.own_account(&caller))
                .await
                .and_then(|found| found_user(found, view));
            ("scim.Me.get", result)
        }
        (&Method::PUT, ["Me"]) => {
            let who = caller.clone();
            let if_match = req.if_match();
            let result = async {
                let write = resource::parse_user(&req.json(state).await?)?;
                let sets_password = write.password.is_some();
                let replaced = run_write(state, sets_password, move || {
                    service.replace_own_account(&caller, write, if_match.as_deref())
                })
                .await;
                let label = outcome(&replaced);
                audit::operation(
                    client.peer,
                    &who,
                    "scim.replaceMe",
                    &format!("user:{}", who.name),
                    label,
                );
                found_user(replaced?, view)
            }
            .await;
            ("scim.Me.replace", result)
        }
        (&Method::PATCH, ["Me"]) => {
            let who = caller.clone();
            let if_match = req.if_match();
            let result = async {
                let body = req.json(state).await?;
                let patched = patch(&service, caller, Target::Me, &body, if_match, state).await;
                let label = outcome(&patched);
                audit::operation(
                    client.peer,
                    &who,
                    "scim.patchMe",
                    &format!("user:{}", who.name),
                    label,
                );
                patched.map(|account| user_response(StatusCode::OK, &account, view))
            }
            .await;
            ("scim.Me.patch", result)
        }
        (&Method::PATCH, ["Users", id]) => {
            let id = id.to_string();
            let who = caller.clone();
            let if_match = req.if_match();
            let result = async {
                let body = req.json(state).await?;
                let patched = patch(
                    &service,
                    caller,
                    Target::Id(id.clone()),
                    &body,
                    if_match,
                    state,
                )
                .await;
                let label = outcome(&patched);
                audit::operation(
                    client.peer,
                    &who,
                    "scim.patchUser",
                    &format!("user-id:{id}"),
                    label,
                );
                patched.map(|account| user_response(StatusCode::OK, &account, view))
            }
            .await;
            ("scim.Users.patch", result)
        }
        (&Method::GET, ["Groups"]) => {
            let result = match req.page(max_results) {
                Ok(page) => list_groups(&service, caller, page, view, state).await,
                Err(e) => Err(e),
            };
            ("scim.Groups.list", result)
        }
        (&Method::POST, ["Groups"]) => {
            let who = caller.clone();
            let result = async {
                let body = group::parse_group(&req.json(state).await?)?;
                let target = format!("role:{}", body.name);
                let created = run_write(state, false, move || {
                    service.create_group(&caller, &body.name, body.external_id, &body.members)
                })
                .await;
                let label = outcome(&created);
                audit::operation(client.peer, &who, "scim.createGroup", &target, label);
                let group = created?;
                let response = group_response(StatusCode::CREATED, &group, view);
                Ok(with_location(
                    response,
                    &view.location("Groups", &group.record.id),
                ))
            }
            .await;
            ("scim.Groups.create", result)
        }
        (&Method::GET, ["Groups", id]) => {
            let id = id.to_string();
            // Not a cheap read: a group may hold any number of members.
            let result = run(state, move || service.group(&caller, &id))
                .await
                .and_then(|found| found_group(found, view));
            ("scim.Groups.get", result)
        }
        (&Method::PUT | &Method::PATCH, ["Groups", id]) => {
            let id = id.to_string();
            let who = caller.clone();
            let is_put = method == Method::PUT;
            let if_match = req.if_match();
            let result = async {
                let body = req.json(state).await?;
                let updated =
                    update_group(&service, &caller, &id, &body, is_put, if_match, state).await;
                let label = outcome(&updated);
                audit::operation(
                    client.peer,
                    &who,
                    "scim.updateGroup",
                    &format!("role-id:{id}"),
                    label,
                );
                found_group(updated?, view)
            }
            .await;
            ("scim.Groups.update", result)
        }
        (&Method::DELETE, ["Groups", id]) => {
            let id = id.to_string();
            let who = caller.clone();
            let target = format!("role-id:{id}");
            let if_match = req.if_match();
            let deleted = run_write(state, false, move || {
                service.delete_group(&caller, &id, if_match.as_deref())
            })
            .await;
            let label = outcome(&deleted);
            audit::operation(client.peer, &who, "scim.deleteGroup", &target, label);
            let result = deleted.and_then(|found| no_content(found, "group"));
            ("scim.Groups.delete", result)
        }
        (&Method::POST, ["Bulk"]) if req.is_http() => {
            let result = async {
                let body = req.json(state).await?;
                let reply = bulk::run(&body, state.settings.scim_bulk_max_operations, |op| {
                    let (caller, view) = (caller.clone(), view);
                    async move {
                        let input = Input::Given {
                            body: op.data,
                            version: op.version,
                        };
                        let method = Method::from_bytes(op.method.as_str().as_bytes())
                            .unwrap_or(Method::POST);
                        let (_, result) =
                            Box::pin(route(input, method, &op.path, caller, view, client, state))
                                .await;
                        bulk_outcome(result.unwrap_or_else(|e| error_response(&e))).await
                    }
                })
                .await?;
                Ok(json_response(StatusCode::OK, &reply))
            }
            .await;
            ("scim.Bulk", result)
        }
        (_, ["Users" | "Groups"] | ["Users" | "Groups", _] | ["Me"]) => (
            "scim.method",
            Err(ScimError::status(
                405,
                format!("{method} is not allowed here"),
            )),
        ),
        _ => ("scim.unknown", Err(ScimError::not_found("resource"))),
    }
}

/// 412 when `if_match` is given and does not name `version`.
fn precondition(version: i64, if_match: Option<&str>) -> Result<(), ScimError> {
    provisioning::check_precondition(version, if_match).map_err(|e| ScimError::from(&e))
}

/// Without If-Match a lost race is retried this many times: each attempt loses only to a write
/// of the same resource that landed between its read and its write.
const WRITE_ATTEMPTS: usize = 8;

/// A lost race retried [`WRITE_ATTEMPTS`] times, still lost.
fn kept_changing() -> ScimError {
    ScimError::status(409, "the resource kept changing; try again")
}

/// Apply a Group PUT or PATCH computed from the group as read, only if it is still at that
/// version; a lost race is recomputed and retried when the client set no If-Match.
async fn update_group(
    service: &crate::service::Service,
    caller: &Caller,
    id: &str,
    body: &Value,
    is_put: bool,
    if_match: Option<String>,
    state: &Arc<AppState>,
) -> Result<Option<GroupView>, ScimError> {
    for _ in 0..WRITE_ATTEMPTS {
        let (reading, reader, target) = (service.clone(), caller.clone(), id.to_string());
        // Not a cheap read: a group may hold any number of members.
        let Some(current) = run(state, move || reading.group(&reader, &target)).await? else {
            return Ok(None);
        };
        precondition(current.record.version, if_match.as_deref())?;
        let current_ids: Vec<String> = current.members.iter().map(|(id, _)| id.clone()).collect();
        let mut change = if is_put {
            let body = group::parse_group(body)?;
            GroupUpdate {
                name: Some(body.name),
                external_id: Some(body.external_id),
                add: body
                    .members
                    .iter()
                    .filter(|m| !current_ids.contains(m))
                    .cloned()
                    .collect(),
                remove: current_ids
                    .iter()
                    .filter(|m| !body.members.contains(m))
                    .cloned()
                    .collect(),
                base_version: None,
            }
        } else {
            group::group_change(&current_ids, body)?
        };
        change.base_version = Some(current.record.version);
        let (writing, writer, target) = (service.clone(), caller.clone(), id.to_string());
        match run_write(state, false, move || {
            writing.update_group(&writer, &target, change)
        })
        .await
        {
            Err(e) if e.status == 412 && if_match.is_none() => continue,
            result => return result,
        }
    }
    Err(kept_changing())
}

/// Apply a PatchOp to account `id`: computed against the account as read, applied only if it
/// is still at that version (retried a few times when another write came between).
async fn patch(
    service: &crate::service::Service,
    caller: Caller,
    target: Target,
    body: &Value,
    if_match: Option<String>,
    state: &Arc<AppState>,
) -> Result<Account, ScimError> {
    for _ in 0..WRITE_ATTEMPTS {
        let (reader, asking, wanted) = (service.clone(), caller.clone(), target.clone());
        let account = cheap_read(state, move || match &wanted {
            Target::Id(id) => reader.account(&asking, id),
            Target::Me => reader.own_account(&asking),
        })
        .await?
        .ok_or_else(|| ScimError::not_found("user"))?;
        precondition(account.record.version, if_match.as_deref())?;
        let change = crate::scim::patch::change_for(&account, body)?;
        let (writing, writer, own) = (service.clone(), caller.clone(), target == Target::Me);
        let sets_password = change.password.is_some();
        match run_write(state, sets_password, move || {
            if own {
                writing.patch_own_account(&writer, &account, change)
            } else {
                writing.patch_account(&writer, &account, change)
            }
        })
        .await
        {
            Err(e) if e.status == 412 && if_match.is_none() => continue,
            result => return result,
        }
    }
    Err(kept_changing())
}

/// A page of groups matching the filter, as a ListResponse.
async fn list_groups(
    service: &crate::service::Service,
    caller: Caller,
    page: Page,
    view: &View,
    state: &Arc<AppState>,
) -> ScimResult {
    let query = match page.parsed_filter()? {
        Some(parsed) => group::compile_group_filter(&parsed)?,
        None => GroupQuery::All,
    };
    let order = group::group_sort_order(page.sort_by.as_deref(), page.sort_order.as_deref())?;
    let (total, resources) =
        group_page(service, caller, query, order, page.window(), view, state).await?;
    Ok(list_response(total, page.start_index, resources))
}

/// How many groups match `query`, and the `window` of them in `order`, rendered.
async fn group_page(
    service: &crate::service::Service,
    caller: Caller,
    query: GroupQuery,
    order: GroupOrder,
    window: Window,
    view: &View,
    state: &Arc<AppState>,
) -> Result<(usize, Vec<Value>), ScimError> {
    let service = service.clone();
    let Window { offset, count } = window;
    let (total, groups) = run(state, move || {
        service.find_groups(&caller, &query, order, offset, count)
    })
    .await?;
    let resources = groups
        .iter()
        .map(|g| group::render_group(g, view))
        .collect();
    Ok((total, resources))
}

/// A page of users matching the filter, as a ListResponse.
async fn list(
    service: &crate::service::Service,
    caller: Caller,
    page: Page,
    view: &View,
    state: &Arc<AppState>,
) -> ScimResult {
    let query = match page.parsed_filter()? {
        Some(parsed) => resource::compile_filter(&parsed)?,
        None => UserQuery::All,
    };
    let order = resource::sort_order(page.sort_by.as_deref(), page.sort_order.as_deref())?;
    let (total, resources) =
        user_page(service, caller, query, order, page.window(), view, state).await?;
    Ok(list_response(total, page.start_index, resources))
}

/// How many users match `query`, and the `window` of them in `order`, rendered.
async fn user_page(
    service: &crate::service::Service,
    caller: Caller,
    query: UserQuery,
    order: UserOrder,
    window: Window,
    view: &View,
    state: &Arc<AppState>,
) -> Result<(usize, Vec<Value>), ScimError> {
    let service = service.clone();
    let Window { offset, count } = window;
    let (total, accounts) = if query.selects_at_most_one() {
        cheap_read(state, move || {
            service.find_accounts(&caller, &query, &order, offset, count)
        })
        .await?
    } else {
        run(state, move || {
            service.find_accounts(&caller, &query, &order, offset, count)
        })
        .await?
    };
    let resources = accounts
        .iter()
        .map(|a| resource::render_user(a, view))
        .collect();
    Ok((total, resources))
}

/// `POST /.search` at the root (RFC 7644 §3.4.3): the users and then the groups that match the
/// filter, paged as one list. A filter on an attribute only one type has selects only that type;
/// `sortBy` has no meaning across both and is refused.
async fn search_everything(
    service: &crate::service::Service,
    caller: Caller,
    page: Page,
    view: &View,
    state: &Arc<AppState>,
) -> ScimResult {
    if page.sort_by.is_some() {
        return Err(ScimError::bad_request(
            "invalidValue",
            "sortBy is not supported when searching Users and Groups at once: search /Users/.search or /Groups/.search",
        ));
    }
    let (users, groups) = match page.parsed_filter()? {
        None => (Ok(UserQuery::All), Ok(GroupQuery::All)),
        Some(parsed) => (
            resource::compile_filter(&parsed),
            group::compile_group_filter(&parsed),
        ),
    };
    let (users, groups) = match (users, groups) {
        (Err(error), Err(_)) => return Err(error),
        (users, groups) => (users.ok(), groups.ok()),
    };
    let window = page.window();
    let (mut total, mut resources) = (0, Vec::new());
    if let Some(query) = users {
        let order = UserOrder::default();
        (total, resources) =
            user_page(service, caller.clone(), query, order, window, view, state).await?;
    }
    if let Some(query) = groups {
        // The groups' part of the window: what the users did not fill.
        let rest = Window {
            offset: window.offset.saturating_sub(total),
            count: window.count - resources.len(),
        };
        let order = GroupOrder::default();
        let (groups_total, rendered) =
            group_page(service, caller, query, order, rest, view, state).await?;
        total += groups_total;
        resources.extend(rendered);
    }
    Ok(list_response(total, page.start_index, resources))
}

/// A ListResponse holding `resources`, the page from `start_index` of `total`.
fn list_response(total: usize, start_index: usize, resources: Vec<Value>) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}
