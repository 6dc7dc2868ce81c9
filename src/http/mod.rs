//! HTTP transport: listener, routing of the legacy endpoint paths, Basic authentication, body
//! limits, time limits and one log line per request.

pub mod audit;
mod auth;
pub mod cors;
mod endpoint;
mod identity;
pub mod log_writer;
pub mod metrics;
mod scim;
mod soap_call;
pub mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::service::catalogue::{Contract, WsdlVersion, AUTHENTICATION_CONTRACT};
use crate::service::Service;
use crate::soap::{self, DecodeLimits, Detail, Fault, SoapVersion};

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
    /// Most users one SCIM list response holds (ServiceProviderConfig's `filter.maxResults`).
    pub scim_max_results: usize,
    /// SCIM group names with WSO2's user-store domain (`scim.group_domain_prefix`).
    pub scim_group_domain: bool,
    /// Most operations in one SCIM Bulk request (`scim.bulk_max_operations`).
    pub scim_bulk_max_operations: usize,
    /// Cross-origin requests from browsers (`[cors]`); `None` when no origin is allowed.
    pub cors: Option<cors::CorsPolicy>,
}

impl HttpSettings {
    /// The contract a service is served in: the user store in the configured WSDL version.
    fn contract(&self, service: endpoint::ServicePath) -> &'static Contract {
        match service {
            endpoint::ServicePath::UserStore => self.wsdl_version.contract(),
            endpoint::ServicePath::AuthenticationAdmin => &AUTHENTICATION_CONTRACT,
            endpoint::ServicePath::Admin(contract) => contract,
        }
    }
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
    /// Slots for single-account reads of a store that answers them over the network: they wait
    /// on the database, not on a core, and must not queue behind hashing.
    read_slots: Semaphore,
    /// Slots for writes that hash no password, beside hashing: where the store shares a commit
    /// among the writes waiting together (group commit), many may wait at once for the price
    /// of a thread each, not of argon2 memory.
    write_slots: Semaphore,
}

impl AppState {
    /// Bundle the service with transport settings. Hashing and other heavy blocking work runs
    /// at most `2 × cores` jobs at a time; further requests wait asynchronously, so a burst
    /// cannot allocate hundreds of argon2 memory blocks at once. Writes that hash nothing have
    /// slots of their own, more of them where the store shares commits among waiting writes.
    pub fn new(service: Service, settings: HttpSettings) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let write_slots_per_core = if service.writes_share_commits() {
            SHARED_COMMIT_WRITE_SLOTS_PER_CORE
        } else {
            2
        };
        Self {
            service,
            settings,
            blocking_slots: Semaphore::new(2 * cores),
            read_slots: Semaphore::new(READ_SLOTS_PER_CORE * cores),
            write_slots: Semaphore::new(write_slots_per_core * cores),
        }
    }
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
    let decision = state
        .settings
        .cors
        .as_ref()
        .map(|policy| policy.decide(&req));
    let cors_origin = match decision {
        Some(cors::Decision::Answer(response)) => {
            tracing::info!(target: "userstore::request", peer = %client.peer, %method, path = %path,
                status = response.status().as_u16(), "CORS");
            return response;
        }
        Some(cors::Decision::Allowed(origin)) => Some(origin),
        Some(cors::Decision::NotCors) | None => None,
    };
    // The policy is read again after routing; keep the state (not a copy of the policy) only
    // for the requests that need it.
    let cors = cors_origin.map(|origin| (origin, Arc::clone(&state)));
    let mut outcome = match tokio::time::timeout(timeout, route(req, client, state)).await {
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
    if let Some((origin, state)) = &cors {
        if let Some(policy) = &state.settings.cors {
            policy.decorate(&mut outcome.response, origin);
        }
    }
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

/// A refused bearer token: 401 with the `Bearer` challenge (RFC 6750), whatever the protocol.
fn bearer_unauthorized() -> Response<Full<Bytes>> {
    let mut response = unauthorized();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static(auth::BEARER_CHALLENGE),
    );
    response
}

fn header(req: &HttpRequest<Incoming>, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// How many network-bound reads per core may wait on the database at once.
const READ_SLOTS_PER_CORE: usize = 8;
/// How many writes that hash nothing may run or wait for their commit at once, per core, on a
/// store that shares commits: the most writes one commit can gather.
const SHARED_COMMIT_WRITE_SLOTS_PER_CORE: usize = 8;

/// Run blocking service work on the blocking pool so argon2 and SQLite never stall the executor,
/// bounded by the state's slots.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    on_blocking_pool(&state.blocking_slots, work).await
}

/// Run a single-account read on the blocking pool, beside (not behind) hashing and writes: for
/// stores whose reads wait on the network (see `UserStore::reads_in_place`).
async fn blocking_read<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    on_blocking_pool(&state.read_slots, work).await
}

/// Run a write that hashes no password on the blocking pool, beside (not behind) hashing.
async fn blocking_write<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    on_blocking_pool(&state.write_slots, work).await
}

/// Run `work` on the blocking pool once one of `slots` is free.
async fn on_blocking_pool<T: Send + 'static>(
    slots: &Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _slot = slots.acquire().await.ok()?;
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
    if req.uri().path() == "/scim2" || req.uri().path().starts_with("/scim2/") {
        return scim::handle(req, client, state).await;
    }
    let Some(endpoint) = endpoint::endpoint(req.uri().path()) else {
        return Outcome::plain(text_response(StatusCode::NOT_FOUND, "not found"));
    };
    match *req.method() {
        Method::POST => soap_call::call(req, endpoint, client, state).await,
        Method::GET => Outcome::plain(get_wsdl(&req, &endpoint, client, &state.settings)),
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
    endpoint: &endpoint::Endpoint,
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
    let contract = settings.contract(endpoint.service);
    let mut response = Response::new(Full::new(Bytes::from(soap::wsdl_document(contract, &base))));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=UTF-8"),
    );
    response
}
