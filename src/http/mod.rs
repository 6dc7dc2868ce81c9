//! HTTP transport: listener, routing of the legacy endpoint paths, Basic authentication, body
//! limits, time limits and one log line per request.

mod auth;

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
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::service::catalogue::SERVICE_NAME;
use crate::service::{AuthFailure, Request, Service, ServiceError};
use crate::soap::{self, Binding, DecodeLimits, Fault, SoapVersion};

/// Transport settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// XML bounds.
    pub decode_limits: DecodeLimits,
    /// End-to-end time limit of one request.
    pub request_timeout: Duration,
    /// WSDL publishing; `None` keeps the contract unpublished (404).
    pub wsdl: Option<WsdlPublishing>,
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

/// Serve connections from `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_connection(stream, peer, state.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Serve one connection; generic over the stream so a TLS stream can be passed the same way.
pub async fn serve_connection<S>(stream: S, peer: SocketAddr, state: Arc<AppState>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(req, peer, state).await) }
    });
    let result = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, %peer, "connection ended with an error");
    }
}

/// The outcome recorded in the request log line.
struct Outcome {
    response: Response<Full<Bytes>>,
    operation: Option<&'static str>,
    caller: Option<String>,
}

impl Outcome {
    fn plain(response: Response<Full<Bytes>>) -> Self {
        Self {
            response,
            operation: None,
            caller: None,
        }
    }
}

async fn handle(
    req: HttpRequest<Incoming>,
    peer: SocketAddr,
    state: Arc<AppState>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let timeout = state.settings.request_timeout;
    let outcome = match tokio::time::timeout(timeout, route(req, state)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::plain(fault_response(
            SoapVersion::V11,
            &Fault {
                code: soap::FaultCode::Server,
                reason: format!("the request did not complete within {}s", timeout.as_secs()),
                user_store_exception: false,
            },
        )),
    };
    tracing::info!(
        target: "userstore::request",
        %peer,
        %method,
        path = %path,
        operation = outcome.operation.unwrap_or("-"),
        caller = outcome.caller.as_deref().unwrap_or("-"),
        status = outcome.response.status().as_u16(),
        latency_ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
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

fn unauthorized() -> Response<Full<Bytes>> {
    let mut response = text_response(
        StatusCode::UNAUTHORIZED,
        "authentication required: send HTTP Basic credentials of a user in the admin role",
    );
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static(auth::BASIC_CHALLENGE),
    );
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
            user_store_exception: false,
        },
    )
}

async fn route(req: HttpRequest<Incoming>, state: Arc<AppState>) -> Outcome {
    if !is_service_path(req.uri().path()) {
        return Outcome::plain(text_response(StatusCode::NOT_FOUND, "not found"));
    }
    match *req.method() {
        Method::POST => call_operation(req, state).await,
        Method::GET => Outcome::plain(get_wsdl(&req, &state.settings)),
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
fn get_wsdl(req: &HttpRequest<Incoming>, settings: &HttpSettings) -> Response<Full<Bytes>> {
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
            format!("http://{host}")
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(soap::wsdl_document(&base))));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=UTF-8"),
    );
    response
}

async fn call_operation(req: HttpRequest<Incoming>, state: Arc<AppState>) -> Outcome {
    let binding =
        match Binding::from_headers(header(&req, CONTENT_TYPE), header(&req, "soapaction")) {
            Ok(binding) => binding,
            Err(message) => {
                return Outcome::plain(text_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message))
            }
        };
    let version = binding.version.unwrap_or(SoapVersion::V11);
    let Some((user, password)) = auth::basic_credentials(header(&req, AUTHORIZATION)) else {
        return Outcome::plain(unauthorized());
    };
    let service = state.service.clone();
    let caller = match blocking(&state, move || service.authenticate_caller(&user, password)).await
    {
        Some(Ok(caller)) => caller,
        Some(Err(AuthFailure::Unauthenticated(_))) => return Outcome::plain(unauthorized()),
        Some(Err(AuthFailure::Failed(e))) => {
            return Outcome::plain(fault_response(version, &Fault::from(&e)))
        }
        None => return Outcome::plain(internal_error(version)),
    };
    let mut outcome = Outcome {
        response: internal_error(version),
        operation: None,
        caller: Some(caller.name.clone()),
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
    let envelope = match soap::decode_request(&body, &binding, state.settings.decode_limits) {
        Ok(envelope) => envelope,
        Err((version, fault)) => {
            outcome.response = fault_response(version, &fault);
            return outcome;
        }
    };
    let version = envelope.version;
    let spec = envelope.operation.spec();
    outcome.operation = Some(spec.name);
    let service = state.service.clone();
    let result = blocking(&state, move || -> Result<_, ServiceError> {
        service.require_admin(&caller, spec.name)?;
        let request = Request::decode(envelope.operation, &envelope.params)?;
        service.execute(request)
    })
    .await;
    outcome.response = match result {
        Some(Ok(reply)) => match soap::encode_reply(version, spec, &reply) {
            Some(xml) => xml_response(StatusCode::OK, version, xml),
            None => {
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::ACCEPTED;
                response
            }
        },
        Some(Err(error)) => fault_response(version, &Fault::from(&error)),
        None => internal_error(version),
    };
    outcome
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
