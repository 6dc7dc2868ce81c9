//! Prometheus metrics: the exporter, the transport's own series, and `GET /metrics` on a listener
//! of its own, so the SOAP port never exposes them. Labels are operation names, outcomes and
//! reasons from fixed sets: never a user name.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::store::metrics as store_metrics;

/// Requests by operation (`none` before one is known) and outcome.
pub const REQUESTS: &str = "userstore_requests_total";
/// Request latency by operation, in seconds.
pub const REQUEST_DURATION: &str = "userstore_request_duration_seconds";
/// Connections being served.
pub const ACTIVE_CONNECTIONS: &str = "userstore_active_connections";

/// Histogram buckets in seconds: from a cached read (~0.1 ms) to a slow argon2 login.
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Install the process-wide recorder; before this every metric call is a no-op.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)?
        .install_recorder()?;
    metrics::describe_counter!(REQUESTS, "SOAP and HTTP requests by operation and outcome");
    metrics::describe_histogram!(
        REQUEST_DURATION,
        metrics::Unit::Seconds,
        "request latency by operation"
    );
    metrics::describe_gauge!(ACTIVE_CONNECTIONS, "connections being served");
    metrics::describe_counter!(
        store_metrics::AUTH_FAILURES,
        "failed logins (HTTP Basic and authenticate) by reason"
    );
    metrics::describe_counter!(
        store_metrics::LOCKOUTS,
        "accounts locked after repeated failed logins"
    );
    metrics::describe_histogram!(
        store_metrics::POOL_WAIT,
        metrics::Unit::Seconds,
        "time to get a database reader connection or the write transaction"
    );
    Ok(handle)
}

/// The outcome label of a finished request, from its HTTP status.
fn outcome_label(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=299 => "ok",
        401 => "unauthorized",
        500 => "fault",
        400..=499 => "rejected",
        _ => "error",
    }
}

/// Count one finished request and its latency; a refused login counts as `unauthorized`
/// whatever its status (Carbon answers it with a fault).
pub(crate) fn record_request(
    operation: Option<&'static str>,
    status: StatusCode,
    refused_login: bool,
    took: Duration,
) {
    let operation = operation.unwrap_or("none");
    let outcome = if refused_login {
        "unauthorized"
    } else {
        outcome_label(status)
    };
    metrics::counter!(REQUESTS, "operation" => operation, "outcome" => outcome).increment(1);
    metrics::histogram!(REQUEST_DURATION, "operation" => operation).record(took);
}

/// Counts a connection while it is alive.
pub(crate) struct ConnectionGauge;

impl ConnectionGauge {
    pub(crate) fn open() -> Self {
        metrics::gauge!(ACTIVE_CONNECTIONS).increment(1.0);
        ConnectionGauge
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        metrics::gauge!(ACTIVE_CONNECTIONS).decrement(1.0);
    }
}

/// Serve `GET /metrics` on `listener` until the task is dropped; also drains histogram samples
/// every few seconds so memory stays flat between scrapes.
pub async fn serve(listener: TcpListener, handle: PrometheusHandle) {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "metrics accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let handle = handle.clone();
                async move {
                    let (status, body) = match (req.method(), req.uri().path()) {
                        (&Method::GET, "/metrics") => (StatusCode::OK, handle.render()),
                        _ => (
                            StatusCode::NOT_FOUND,
                            "only GET /metrics here\n".to_string(),
                        ),
                    };
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = status;
                    response.headers_mut().insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "metrics connection ended with an error");
            }
        });
    }
}
