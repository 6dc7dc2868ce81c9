//! One SOAP (or HTTP-binding) call: who is calling (session cookie or HTTP Basic, as Carbon's
//! authenticators take them), the body within its limits, decoding, the service, and the reply
//! in the form the client asked for (envelope, bare element, or Axis2's JSON).

use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ACCEPT, CONTENT_TYPE, SET_COOKIE};
use hyper::{Request as HttpRequest, Response, StatusCode};

use super::endpoint::{Endpoint, ServicePath};
use super::identity::{self, session_cookie, Refusal, SESSION_COOKIE};
use super::{
    audit, auth, blocking, blocking_read, blocking_write, fault_response, header, internal_error,
    text_response, unauthorized, xml_response, AppState, ClientInfo, Outcome,
};
use crate::service::catalogue::{Contract, OutputType};
use crate::service::{Caller, Operation, OperationSpec, Reply, Service, ServiceError};
use crate::soap::{self, Binding, Fault, Framing, SoapVersion};

/// Carbon's text when checking credentials failed for a system error.
const AUTHENTICATION_SYSTEM_ERROR: &str =
    "Access Denied. Authentication failed - System error occurred. Please check server logs for more details.";

/// Bodies up to this size are decoded on the executor (a few tens of microseconds).
const INLINE_DECODE_BYTES: usize = 16 * 1024;

/// How the request wants its reply.
#[derive(Debug, Clone, Copy)]
struct ReplyForm {
    /// `Accept: application/json`: Axis2's JSON instead of XML.
    json: bool,
    /// The HTTP binding: bare elements.
    bare: bool,
    /// Over HTTPS: the session cookie is marked Secure.
    secure: bool,
}

pub(super) fn set_session_cookie(response: &mut Response<Full<Bytes>>, id: &str, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(value) =
        HeaderValue::from_str(&format!("{SESSION_COOKIE}={id}; Path=/{secure}; HttpOnly"))
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// Serve a POST to a service endpoint.
pub(super) async fn call(
    req: HttpRequest<Incoming>,
    endpoint: Endpoint,
    client: ClientInfo,
    state: Arc<AppState>,
) -> Outcome {
    let path = req.uri().path().to_string();
    let binding = if endpoint.bare_operation.is_some() {
        // The HTTP binding: plain XML (text/xml or application/xml), no envelope.
        Binding {
            version: None,
            action: None,
            endpoint: Some(path),
            bare: true,
        }
    } else {
        match Binding::from_headers(header(&req, CONTENT_TYPE), header(&req, "soapaction")) {
            Ok(binding) => Binding {
                endpoint: Some(path),
                ..binding
            },
            Err(message) => {
                return Outcome::plain(text_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message))
            }
        }
    };
    let form = ReplyForm {
        json: header(&req, ACCEPT).is_some_and(|a| a.contains("application/json")),
        bare: binding.bare,
        secure: client.scheme == "https",
    };
    let version = binding.version.unwrap_or(SoapVersion::V11);
    let contract = state.settings.contract(endpoint.service);
    let session = session_cookie(&req);
    if endpoint.service == ServicePath::AuthenticationAdmin {
        let body = match read_body(req, &state).await {
            Ok(body) => body,
            Err(response) => return Outcome::plain(response),
        };
        return authentication_admin(body, binding, session, form, client, state, contract).await;
    }
    let identified = identity::identify(&req, client, &state).await;
    // The body is read here when the caller could not be identified, later otherwise.
    let (caller, new_session, early_body) = match identified {
        Ok((caller, session)) => (caller, session, Err(req)),
        Err(refusal) => {
            // UserAdmin's changePasswordByUser is open to callers without credentials: it
            // checks the old password itself.
            let open = contract
                .operations()
                .any(|spec| !spec.needs_authentication());
            if !open {
                return refused(refusal, version);
            }
            let body = match read_body(req, &state).await {
                Ok(body) => body,
                Err(response) => return Outcome::plain(response),
            };
            let limits = state.settings.decode_limits;
            match soap::decode_request(&body, &binding, limits, contract) {
                Ok(envelope) if !envelope.operation.spec().needs_authentication() => {
                    (Caller::anonymous(), None, Ok(body))
                }
                _ => return refused(refusal, version),
            }
        }
    };
    let mut outcome = Outcome {
        response: Response::default(),
        operation: None,
        caller: Some(caller.name.clone()),
        refused_login: false,
    };
    let actor = caller.clone();
    let body = match early_body {
        Ok(body) => body,
        Err(req) => match read_body(req, &state).await {
            Ok(body) => body,
            Err(response) => {
                outcome.response = response;
                return outcome;
            }
        },
    };
    // Small bodies are decoded here and cheap reads answered here; hashing, writes and large
    // bodies go to the blocking pool so they never hold up the executor, writes that hash no
    // password with slots of their own.
    let service = state.service.clone();
    let limits = state.settings.decode_limits;
    let work = if body.len() <= INLINE_DECODE_BYTES {
        match soap::decode_request(&body, &binding, limits, contract) {
            Err(failed) => Some(Err(failed)),
            Ok(envelope) if envelope.operation.spec().is_cheap_read() => {
                if service.reads_in_place() {
                    Some(Ok(run_envelope(&service, &caller, envelope)))
                } else {
                    blocking_read(&state, move || {
                        Ok(run_envelope(&service, &caller, envelope))
                    })
                    .await
                }
            }
            Ok(envelope) if envelope.operation.spec().hashes() => {
                blocking(&state, move || {
                    Ok(run_envelope(&service, &caller, envelope))
                })
                .await
            }
            Ok(envelope) => {
                blocking_write(&state, move || {
                    Ok(run_envelope(&service, &caller, envelope))
                })
                .await
            }
        }
    } else {
        blocking(&state, move || {
            soap::decode_request(&body, &binding, limits, contract)
                .map(|envelope| run_envelope(&service, &caller, envelope))
        })
        .await
    };
    let executed = match work {
        Some(Ok(executed)) => executed,
        Some(Err((version, fault))) => {
            outcome.response = fault_response(version, &fault);
            return outcome;
        }
        None => {
            outcome.response = internal_error(version);
            return outcome;
        }
    };
    outcome.operation = Some(executed.spec.name);
    // The state-changing operations are exactly the void ones (in-only, or answered with a nil
    // return); authenticate is a login attempt.
    let spec = executed.spec;
    if matches!(spec.output, None | Some(OutputType::Void))
        || spec.operation == Operation::Authenticate
    {
        let label = match &executed.result {
            Ok(Reply::Boolean(false)) => "failure",
            Ok(_) => "success",
            Err(ServiceError::AccessDenied { .. }) => "denied",
            Err(_) => "error",
        };
        // The other admin services' operations carry their service's name (UserAdmin's
        // addUser is not RemoteUserStoreManagerService's).
        let action = if endpoint.service == ServicePath::UserStore {
            spec.name.to_string()
        } else {
            format!("{}.{}", spec.service.name, spec.name)
        };
        audit::operation(
            client.peer,
            &actor,
            &action,
            executed.target.as_deref().unwrap_or("-"),
            label,
        );
    }
    outcome.response = respond(&state.service, contract, form, &executed);
    if let Some(id) = new_session {
        set_session_cookie(&mut outcome.response, &id, form.secure);
    }
    outcome
}

/// The answer to a caller that could not be identified, as Carbon's authenticators give it.
fn refused(refusal: Refusal, version: SoapVersion) -> Outcome {
    match refusal {
        Refusal::NoCredentials => Outcome::refused(unauthorized()),
        Refusal::BadToken => Outcome::refused(super::bearer_unauthorized()),
        Refusal::Refused | Refusal::PasswordChangeRequired(_) => Outcome::refused(fault_response(
            version,
            &Fault::handler(soap::AUTHENTICATION_FAULT, auth::INVALID_CREDENTIALS),
        )),
        Refusal::SystemError => Outcome::plain(fault_response(
            version,
            &Fault::handler(
                soap::AUTHENTICATION_SYSTEM_FAULT,
                AUTHENTICATION_SYSTEM_ERROR,
            ),
        )),
    }
}

/// The body, within the size limit.
pub(super) async fn read_body(
    req: HttpRequest<Incoming>,
    state: &AppState,
) -> Result<Bytes, Response<Full<Bytes>>> {
    let limit = state.settings.max_body_bytes;
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(text_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body larger than {limit} bytes"),
            ))
        }
        Err(_) => Err(text_response(
            StatusCode::BAD_REQUEST,
            "could not read the request body",
        )),
    }
}

/// AuthenticationAdmin: `login` checks the credentials in the body and opens a session (its
/// cookie in the reply); `logout` ends the session the cookie names. Neither needs Basic.
async fn authentication_admin(
    body: Bytes,
    binding: Binding,
    session: Option<String>,
    form: ReplyForm,
    client: ClientInfo,
    state: Arc<AppState>,
    contract: &'static Contract,
) -> Outcome {
    let limits = state.settings.decode_limits;
    let envelope = match soap::decode_request(&body, &binding, limits, contract) {
        Ok(envelope) => envelope,
        Err((version, fault)) => return Outcome::plain(fault_response(version, &fault)),
    };
    let spec = envelope.operation.spec();
    let mut executed = Executed {
        version: envelope.version,
        addressing: envelope.addressing.clone(),
        spec,
        target: None,
        result: Ok(Reply::Accepted),
    };
    let mut new_session = None;
    let mut caller = None;
    if spec.operation == Operation::Login {
        let service = state.service.clone();
        let params = envelope.params;
        let user = params.text("username").unwrap_or("").to_string();
        match blocking(&state, move || service.login(&params)).await {
            Some(Ok((opened, outcome))) => {
                audit::login(client.peer, &user, outcome);
                executed.result = Ok(Reply::Boolean(opened.is_some()));
                if opened.is_some() {
                    caller = Some(user);
                }
                new_session = opened;
            }
            Some(Err(e)) => executed.result = Err(e),
            None => return Outcome::plain(internal_error(envelope.version)),
        }
    } else {
        state.service.logout(session.as_deref());
    }
    let mut response = respond(&state.service, contract, form, &executed);
    if let Some(id) = &new_session {
        set_session_cookie(&mut response, id, form.secure);
    }
    Outcome {
        response,
        operation: Some(spec.name),
        caller,
        refused_login: false,
    }
}

/// The HTTP response for a call's result, in the form the client asked for.
fn respond(
    service: &Service,
    contract: &Contract,
    form: ReplyForm,
    executed: &Executed,
) -> Response<Full<Bytes>> {
    let spec = executed.spec;
    let version = executed.version;
    match &executed.result {
        Ok(reply) if form.json => match soap::encode_reply_json(contract, spec, reply) {
            Some(json) => {
                let mut response = Response::new(Full::new(Bytes::from(json)));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=UTF-8"),
                );
                response
            }
            None => accepted(),
        },
        Ok(reply) => {
            let framing = Framing {
                version,
                addressing: executed.addressing.as_ref(),
                bare: form.bare,
            };
            match soap::encode_reply(framing, contract, spec, reply) {
                Some(xml) if form.bare => {
                    let mut response = Response::new(Full::new(Bytes::from(xml)));
                    response.headers_mut().insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/xml; charset=UTF-8"),
                    );
                    response
                }
                Some(xml) => xml_response(StatusCode::OK, version, xml),
                None => accepted(),
            }
        }
        Err(error) => {
            let reason = service.fault_text(error, spec.operation);
            let fault = Fault::from_service_error(error, reason, spec, contract);
            if form.json {
                let mut response = Response::new(Full::new(Bytes::from(fault.to_json(version))));
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=UTF-8"),
                );
                response
            } else {
                fault_response(version, &fault)
            }
        }
    }
}

/// An in-only operation's success: HTTP 202 with an empty body.
fn accepted() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

/// Authorise, decode the typed request and run it.
fn run_envelope(service: &Service, caller: &Caller, envelope: soap::Envelope) -> Executed {
    let spec = envelope.operation.spec();
    let (target, result) = service.call(caller, envelope.operation, &envelope.params);
    Executed {
        version: envelope.version,
        addressing: envelope.addressing,
        spec,
        target,
        result,
    }
}

/// What running a call produced.
struct Executed {
    version: SoapVersion,
    addressing: Option<soap::Addressing>,
    spec: &'static OperationSpec,
    target: Option<String>,
    result: Result<Reply, ServiceError>,
}
