//! HTTP transport: listener, routing of the legacy endpoint paths, Basic authentication, body
//! limits, time limits and one log line per request.

pub mod audit;
mod auth;
pub mod metrics;
pub mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::service::catalogue::{WsdlVersion, SERVICE_NAME};
use crate::service::{AuthFailure, Caller, Operation, Reply, Service, ServiceError};
use crate::soap::{self, Binding, DecodeLimits, Detail, Fault, SoapVersion};
use crate::store::AuthOutcome;

/// Transport settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// XML bounds.
    pub decode_limits: DecodeLimits,
    /// End-to-end time limit of one request.
    pub request_timeout: Duration,
    /// The contract served (WSDL) and answered in (claim and permission types).
    pub wsdl_version: WsdlVersion,
    /// WSDL publishing; `None` keeps the contract unpublished (404).
    pub wsdl: Option<WsdlPublishing>,
    /// Time to send request headers (and to finish a TLS handshake).
    pub header_read_timeout: Duration,
    /// Most connections served at once.
    pub max_connections: usize,
}

/// How the WSDL is published when enabled.
#[derive(Debug, Clone, Default)]
pub struct WsdlPublishing {
    /// Base URL for port addresses; `None` derives it from the request.
    pub public_url: Option<String>,
}

/// What every connection shares.
pub struct AppState {
    service: Service,
    settings: HttpSettings,
    blocking_slots: Semaphore,
}

impl AppState {
    /// Bundle the service with transport settings. Blocking work (argon2, SQLite) runs at most
    /// `2 × cores` jobs at a time; further requests wait asynchronously, so a burst cannot
    /// allocate hundreds of argon2 memory blocks at once.
    pub fn new(service: Service, settings: HttpSettings) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            service,
            settings,
            blocking_slots: Semaphore::new(2 * cores),
        }
    }
}

/// Per-port suffixes WSO2 publishes after `RemoteUserStoreManagerService.`.
const ENDPOINT_SUFFIXES: [&str; 6] = [
    "HttpsSoap11Endpoint",
    "HttpsSoap12Endpoint",
    "HttpsEndpoint",
    "HttpSoap11Endpoint",
    "HttpSoap12Endpoint",
    "HttpEndpoint",
];

/// Whether `path` is one of the service's endpoint paths (trailing slash optional).
pub fn is_service_path(path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    let Some(rest) = path.strip_prefix("/services/") else {
        return false;
    };
    let Some(after) = rest.strip_prefix(SERVICE_NAME) else {
        return false;
    };
    if after.is_empty() {
        return true;
    }
    after
        .strip_prefix('.')
        .and_then(|port| port.strip_prefix(SERVICE_NAME))
        .is_some_and(|suffix| ENDPOINT_SUFFIXES.contains(&suffix))
}

/// A bound socket and, for HTTPS, its TLS acceptor.
pub struct Listener {
    /// The bound socket.
    pub tcp: TcpListener,
    /// `Some` for HTTPS.
    pub tls: Option<TlsAcceptor>,
}

/// Who is on the other end of a connection, for logs, audit and WSDL addresses.
#[derive(Debug, Clone, Copy)]
struct ClientInfo {
    peer: SocketAddr,
    scheme: &'static str,
}

/// A connection accepted by a listener, holding its slot of `server.max_connections`.
struct Accepted {
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    _slot: OwnedSemaphorePermit,
}

async fn accept_loop(listener: Listener, slots: Arc<Semaphore>, queue: mpsc::Sender<Accepted>) {
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        match listener.tcp.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let accepted = Accepted {
                    stream,
                    peer,
                    tls: listener.tls.clone(),
                    _slot: slot,
                };
                if queue.send(accepted).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serve every listener until `shutdown` resolves, then stop accepting, let in-flight requests
/// finish for up to `grace`, and return.
pub async fn serve(
    listeners: Vec<Listener>,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(state.settings.max_connections));
    let (queue, mut accepted) = mpsc::channel(64);
    let acceptors: Vec<_> = listeners
        .into_iter()
        .map(|listener| tokio::spawn(accept_loop(listener, slots.clone(), queue.clone())))
        .collect();
    drop(queue);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            next = accepted.recv() => match next {
                Some(connection) => {
                    tokio::spawn(serve_accepted(connection, graceful.watcher(), state.clone()));
                }
                None => break,
            }
        }
    }
    acceptors.iter().for_each(|task| task.abort());
    tracing::info!(
        connections = graceful.count(),
        "no longer accepting; finishing in-flight requests"
    );
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; closing the remaining connections");
    }
}

async fn serve_accepted(connection: Accepted, watcher: Watcher, state: Arc<AppState>) {
    let Accepted {
        stream,
        peer,
        tls,
        _slot,
    } = connection;
    let _counted = metrics::ConnectionGauge::open();
    match tls {
        None => {
            let client = ClientInfo {
                peer,
                scheme: "http",
            };
            serve_connection(stream, client, watcher, state).await
        }
        Some(acceptor) => {
            let handshake = state.settings.header_read_timeout;
            match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let client = ClientInfo {
                        peer,
                        scheme: "https",
                    };
                    serve_connection(stream, client, watcher, state).await
                }
                Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// Serve HTTP/1.1 on one (plain or TLS) stream.
async fn serve_connection<S>(stream: S, client: ClientInfo, watcher: Watcher, state: Arc<AppState>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = state.settings.header_read_timeout;
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(req, client, state).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(error = %e, peer = %client.peer, "connection ended with an error");
    }
}

/// The outcome recorded in the request log line.
struct Outcome {
    response: Response<Full<Bytes>>,
    operation: Option<&'static str>,
    caller: Option<String>,
    /// The caller's credentials were missing or refused.
    refused_login: bool,
}

impl Outcome {
    fn plain(response: Response<Full<Bytes>>) -> Self {
        Self {
            response,
            operation: None,
            caller: None,
            refused_login: false,
        }
    }

    fn refused(response: Response<Full<Bytes>>) -> Self {
        Self {
            refused_login: true,
            ..Self::plain(response)
        }
    }
}

async fn handle(
    req: HttpRequest<Incoming>,
    client: ClientInfo,
    state: Arc<AppState>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let timeout = state.settings.request_timeout;
    let outcome = match tokio::time::timeout(timeout, route(req, client, state)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::plain(fault_response(
            SoapVersion::V11,
            &Fault {
                code: soap::FaultCode::Server,
                reason: format!("the request did not complete within {}s", timeout.as_secs()),
                detail: Detail::Empty,
            },
        )),
    };
    let took = started.elapsed();
    metrics::record_request(
        outcome.operation,
        outcome.response.status(),
        outcome.refused_login,
        took,
    );
    tracing::info!(
        target: "userstore::request",
        peer = %client.peer,
        %method,
        path = %path,
        operation = outcome.operation.unwrap_or("-"),
        caller = outcome.caller.as_deref().unwrap_or("-"),
        status = outcome.response.status().as_u16(),
        latency_ms = format_args!("{:.2}", took.as_secs_f64() * 1000.0),
        "request"
    );
    outcome.response
}

fn text_response(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

fn xml_response(status: StatusCode, version: SoapVersion, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(version.content_type()),
    );
    response
}

fn fault_response(version: SoapVersion, fault: &Fault) -> Response<Full<Bytes>> {
    xml_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        version,
        fault.to_envelope(version),
    )
}

/// No usable credentials: Carbon's challenge, an empty `text/html` 401.
fn unauthorized() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static(auth::BASIC_CHALLENGE),
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

fn header(req: &HttpRequest<Incoming>, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Run blocking service work on the blocking pool so argon2 and SQLite never stall the executor,
/// bounded by the state's slots.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _slot = state.blocking_slots.acquire().await.ok()?;
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::error!(error = %e, "service task failed");
            None
        }
    }
}

fn internal_error(version: SoapVersion) -> Response<Full<Bytes>> {
    fault_response(
        version,
        &Fault {
            code: soap::FaultCode::Server,
            reason: "internal server error".into(),
            detail: Detail::Empty,
        },
    )
}

async fn route(req: HttpRequest<Incoming>, client: ClientInfo, state: Arc<AppState>) -> Outcome {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => return Outcome::plain(text_response(StatusCode::OK, "ok")),
        (&Method::GET, "/health/ready") => return Outcome::plain(readiness(&state).await),
        _ => {}
    }
    if !is_service_path(req.uri().path()) {
        return Outcome::plain(text_response(StatusCode::NOT_FOUND, "not found"));
    }
    match *req.method() {
        Method::POST => call_operation(req, client, state).await,
        Method::GET => Outcome::plain(get_wsdl(&req, client, &state.settings)),
        _ => {
            let mut response =
                text_response(StatusCode::METHOD_NOT_ALLOWED, "use POST for SOAP requests");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST, GET"));
            Outcome::plain(response)
        }
    }
}

/// `?wsdl` (any case) on a service path: the WSDL when publishing is enabled. Disabled, the
/// answer is the same 404 as for any unknown resource, so the contract is not revealed.
/// Readiness: the database answers a query.
async fn readiness(state: &Arc<AppState>) -> Response<Full<Bytes>> {
    let service = state.service.clone();
    match blocking(state, move || service.check_ready()).await {
        Some(Ok(())) => text_response(StatusCode::OK, "ready"),
        Some(Err(e)) => {
            tracing::error!(error = %e, "readiness check failed");
            text_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: the database does not answer",
            )
        }
        None => text_response(StatusCode::SERVICE_UNAVAILABLE, "not ready"),
    }
}

fn get_wsdl(
    req: &HttpRequest<Incoming>,
    client: ClientInfo,
    settings: &HttpSettings,
) -> Response<Full<Bytes>> {
    let asks_for_wsdl = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.eq_ignore_ascii_case("wsdl")));
    let Some(publishing) = settings.wsdl.as_ref().filter(|_| asks_for_wsdl) else {
        return text_response(StatusCode::NOT_FOUND, "not found");
    };
    let base = match &publishing.public_url {
        Some(url) => url.clone(),
        None => {
            let host = header(req, hyper::header::HOST)
                .filter(|h| !h.is_empty() && !h.contains(['/', '"', '<', '>', ' ']))
                .unwrap_or("localhost");
            format!("{}://{host}", client.scheme)
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(soap::wsdl_document(
        settings.wsdl_version,
        &base,
    ))));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=UTF-8"),
    );
    response
}

async fn call_operation(
    req: HttpRequest<Incoming>,
    client: ClientInfo,
    state: Arc<AppState>,
) -> Outcome {
    let binding =
        match Binding::from_headers(header(&req, CONTENT_TYPE), header(&req, "soapaction")) {
            Ok(binding) => Binding {
                endpoint: Some(req.uri().path().to_string()),
                ..binding
            },
            Err(message) => {
                return Outcome::plain(text_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message))
            }
        };
    let version = binding.version.unwrap_or(SoapVersion::V11);
    let Some((user, password)) = auth::basic_credentials(header(&req, AUTHORIZATION)) else {
        return Outcome::refused(unauthorized());
    };
    // Recently verified credentials are recognised without hashing, on the executor; only a
    // miss pays for argon2 on the blocking pool, and is audited as a login.
    let caller = match state.service.cached_caller(&user, &password) {
        Some(hit) => {
            if hit.refresh_due {
                // Re-verify before the entry expires, off the request's path.
                let service = state.service.clone();
                let login = user.clone();
                tokio::task::spawn_blocking(move || service.refresh_caller(&login, password));
            }
            hit.caller
        }
        None => {
            let service = state.service.clone();
            let login = user.clone();
            match blocking(&state, move || {
                service.authenticate_caller(&login, password)
            })
            .await
            {
                Some(Ok(caller)) => {
                    audit::login(client.peer, &user, AuthOutcome::Success.label());
                    caller
                }
                Some(Err(AuthFailure::Unauthenticated(outcome))) => {
                    audit::login(client.peer, &user, outcome.label());
                    return Outcome::refused(fault_response(
                        version,
                        &Fault::handler(soap::AUTHENTICATION_FAULT, auth::INVALID_CREDENTIALS),
                    ));
                }
                Some(Err(AuthFailure::Failed(e))) => {
                    tracing::error!(error = %e, "authentication failed with a system error");
                    return Outcome::plain(fault_response(
                        version,
                        &Fault::handler(
                            soap::AUTHENTICATION_SYSTEM_FAULT,
                            AUTHENTICATION_SYSTEM_ERROR,
                        ),
                    ));
                }
                None => return Outcome::plain(internal_error(version)),
            }
        }
    };
    // Every path below sets the response; the placeholder costs nothing to build.
    let mut outcome = Outcome {
        response: Response::default(),
        operation: None,
        caller: Some(caller.name.clone()),
        refused_login: false,
    };
    let body = match Limited::new(req.into_body(), state.settings.max_body_bytes)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            outcome.response = text_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "request body larger than {} bytes",
                    state.settings.max_body_bytes
                ),
            );
            return outcome;
        }
        Err(_) => {
            outcome.response =
                text_response(StatusCode::BAD_REQUEST, "could not read the request body");
            return outcome;
        }
    };
    // Small bodies are decoded here and cheap reads answered here; hashing, writes and large
    // bodies go to the blocking pool so they never hold up the executor.
    let service = state.service.clone();
    let limits = state.settings.decode_limits;
    let work = if body.len() <= INLINE_DECODE_BYTES {
        match soap::decode_request(&body, &binding, limits) {
            Err(failed) => Some(Err(failed)),
            Ok(envelope) if envelope.operation.spec().is_cheap_read() => {
                Some(Ok(run_envelope(&service, &caller, envelope)))
            }
            Ok(envelope) => {
                blocking(&state, move || {
                    Ok(run_envelope(&service, &caller, envelope))
                })
                .await
            }
        }
    } else {
        blocking(&state, move || {
            soap::decode_request(&body, &binding, limits)
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
    let Executed {
        version,
        spec,
        target,
        result,
    } = executed;
    outcome.operation = Some(spec.name);
    // In-only operations are exactly the state-changing ones; authenticate is a login attempt.
    if spec.output.is_none() || spec.operation == Operation::Authenticate {
        let label = match &result {
            Ok(Reply::Boolean(false)) => "failure",
            Ok(_) => "success",
            Err(ServiceError::AccessDenied { .. }) => "denied",
            Err(_) => "error",
        };
        let who = outcome.caller.as_deref().unwrap_or("-");
        audit::operation(
            client.peer,
            who,
            spec.name,
            target.as_deref().unwrap_or("-"),
            label,
        );
    }
    outcome.response = match result {
        Ok(reply) => match soap::encode_reply(
            version,
            state.settings.wsdl_version.contract(),
            spec,
            &reply,
        ) {
            Some(xml) => xml_response(StatusCode::OK, version, xml),
            None => {
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::ACCEPTED;
                response
            }
        },
        Err(error) => {
            let reason = state.service.fault_text(&error, spec.operation);
            let contract = state.settings.wsdl_version.contract();
            let fault = Fault::from_service_error(&error, reason, spec, contract);
            fault_response(version, &fault)
        }
    };
    outcome
}

/// Carbon's text when checking credentials failed for a system error.
const AUTHENTICATION_SYSTEM_ERROR: &str =
    "Access Denied. Authentication failed - System error occurred. Please check server logs for more details.";

/// Bodies up to this size are decoded on the executor (a few tens of microseconds).
const INLINE_DECODE_BYTES: usize = 16 * 1024;

/// Authorise, decode the typed request and run it.
fn run_envelope(service: &Service, caller: &Caller, envelope: soap::Envelope) -> Executed {
    let spec = envelope.operation.spec();
    let (target, result) = service.call(caller, envelope.operation, &envelope.params);
    Executed {
        version: envelope.version,
        spec,
        target,
        result,
    }
}

/// What running a call produced.
struct Executed {
    version: SoapVersion,
    spec: &'static crate::service::OperationSpec,
    target: Option<String>,
    result: Result<Reply, ServiceError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_paths_are_recognised() {
        for path in [
            "/services/RemoteUserStoreManagerService",
            "/services/RemoteUserStoreManagerService/",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsSoap11Endpoint",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpsSoap12Endpoint/",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpSoap11Endpoint/",
            "/services/RemoteUserStoreManagerService.RemoteUserStoreManagerServiceHttpSoap12Endpoint",
        ] {
            assert!(is_service_path(path), "{path}");
        }
        for path in [
            "/",
            "/services/Other",
            "/services/RemoteUserStoreManagerService.Nope",
        ] {
            assert!(!is_service_path(path), "{path}");
        }
    }
}
