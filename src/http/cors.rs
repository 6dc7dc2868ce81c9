//! Cross-origin requests from browser clients, as WSO2's CORS filter answers them (`[cors]`):
//! off until an origin is allowed; then a request whose `Origin` is not allowed gets 403, a
//! preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, and every other
//! answer to an allowed origin carries the CORS headers.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use hyper::{Method, Request as HttpRequest, Response, StatusCode};

/// The CORS settings in force (`None` in the settings: CORS is off).
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    /// Any origin may call.
    pub any_origin: bool,
    /// The origins that may, lower-cased.
    pub origins: Vec<String>,
    /// The methods allowed.
    pub methods: Vec<String>,
    /// Any request header is allowed.
    pub any_header: bool,
    /// The request headers allowed otherwise, lower-cased.
    pub headers: Vec<String>,
    /// Response headers scripts may read.
    pub exposed: Vec<String>,
    /// Browsers may send credentials.
    pub credentials: bool,
    /// Seconds a preflight may be cached.
    pub max_age: u64,
}

/// What CORS makes of a request.
pub enum Decision {
    /// Not a cross-origin request (no `Origin`): served as ever.
    NotCors,
    /// An allowed origin: serve, then [`CorsPolicy::decorate`] the answer with this origin.
    Allowed(String),
    /// Answered here: a preflight, or a refusal.
    Answer(Response<Full<Bytes>>),
}

fn forbidden(reason: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{reason}\n"))));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

fn value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

impl CorsPolicy {
    fn allows_origin(&self, origin: &str) -> bool {
        self.any_origin || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// Decide what to do with `req`.
    pub fn decide(&self, req: &HttpRequest<Incoming>) -> Decision {
        let Some(origin) = req.headers().get(ORIGIN).and_then(|v| v.to_str().ok()) else {
            return Decision::NotCors;
        };
        if !self.allows_origin(origin) {
            return Decision::Answer(forbidden("CORS: this origin is not allowed"));
        }
        let requested = req
            .headers()
            .get(ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| v.to_str().ok());
        if req.method() != Method::OPTIONS || requested.is_none() {
            if !self.methods.iter().any(|m| m == req.method().as_str()) {
                return Decision::Answer(forbidden("CORS: this method is not allowed"));
            }
            return Decision::Allowed(origin.to_string());
        }
        // A preflight.
        let method = requested.unwrap_or_default();
        if !self.methods.iter().any(|m| m == method) {
            return Decision::Answer(forbidden("CORS: this method is not allowed"));
        }
        let asked: Vec<String> = req
            .headers()
            .get(ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if !self.any_header && !asked.iter().all(|h| self.headers.contains(h)) {
            return Decision::Answer(forbidden("CORS: a requested header is not allowed"));
        }
        let mut response = Response::new(Full::new(Bytes::new()));
        self.decorate(&mut response, origin);
        let headers = response.headers_mut();
        if let Some(v) = value(&self.methods.join(", ")) {
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, v);
        }
        if let Some(v) = value(&asked.join(", ")).filter(|_| !asked.is_empty()) {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(self.max_age));
        Decision::Answer(response)
    }

    /// The headers an answer to an allowed `origin` carries.
    pub fn decorate(&self, response: &mut Response<Full<Bytes>>, origin: &str) {
        let headers = response.headers_mut();
        let named = if self.any_origin && !self.credentials {
            Some(HeaderValue::from_static("*"))
        } else {
            value(origin)
        };
        if let Some(named) = named {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, named);
        }
        headers.append(VARY, HeaderValue::from_static("Origin"));
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(v) = value(&self.exposed.join(", ")).filter(|_| !self.exposed.is_empty()) {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v);
        }
    }
}
