//! A fault-injecting HTTP proxy in front of the local AWS endpoint: a share of S3 object GETs
//! and PUTs fail with 503 SlowDown before reaching the emulator, or with 500 InternalError after
//! it did the work (so the caller cannot know whether a PUT happened), as S3 does under load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What the proxy did so far.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub object_calls: AtomicU64,
    pub failed_before: AtomicU64,
    pub failed_after: AtomicU64,
}

/// The counts at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FaultTally {
    /// S3 object GETs and PUTs that reached the proxy.
    pub object_calls: u64,
    /// Failed with 503 SlowDown before reaching S3.
    pub failed_before: u64,
    /// Failed with 500 InternalError after S3 did the work.
    pub failed_after: u64,
}

impl FaultCounts {
    pub fn tally(&self) -> FaultTally {
        FaultTally {
            object_calls: self.object_calls.load(Ordering::Relaxed),
            failed_before: self.failed_before.load(Ordering::Relaxed),
            failed_after: self.failed_after.load(Ordering::Relaxed),
        }
    }
}

struct Proxy {
    upstream: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    share: f64,
    rng: Mutex<fastrand::Rng>,
    counts: Arc<FaultCounts>,
}

/// A running proxy; point the function's `AWS_ENDPOINT_URL` at [`FaultProxy::endpoint`].
#[derive(Debug, Clone)]
pub struct FaultProxy {
    pub endpoint: String,
    pub counts: Arc<FaultCounts>,
}

impl FaultProxy {
    /// Proxies to `upstream` (`http://host:port`), failing `share` (0..1) of object calls, half
    /// before and half after forwarding; `seed` makes the choice repeatable.
    pub fn start(upstream: &str, share: f64, seed: u64) -> std::io::Result<Self> {
        let upstream: Uri = upstream
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let counts = Arc::new(FaultCounts::default());
        let proxy = Arc::new(Proxy {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
            share,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            counts: Arc::clone(&counts),
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { endpoint, counts })
    }
}

/// A path-style object GET or PUT: `/bucket/key`, not a listing or a multipart call.
fn is_object_call(method: &Method, uri: &Uri) -> bool {
    let object_path = uri
        .path()
        .trim_start_matches('/')
        .split_once('/')
        .is_some_and(|(bucket, key)| !bucket.is_empty() && !key.is_empty());
    let plain = !uri
        .query()
        .is_some_and(|q| q.contains("uploads") || q.contains("uploadId"));
    (method == Method::GET || method == Method::PUT) && object_path && plain
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
    );
    (status, [("content-type", "application/xml")], body).into_response()
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    Before,
    After,
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let fault = if is_object_call(&parts.method, &parts.uri) {
        proxy.counts.object_calls.fetch_add(1, Ordering::Relaxed);
        let roll = proxy.rng.lock().expect("lock").f64();
        match roll {
            r if r < proxy.share / 2.0 => Fault::Before,
            r if r < proxy.share => Fault::After,
            _ => Fault::None,
        }
    } else {
        Fault::None
    };
    if fault == Fault::Before {
        proxy.counts.failed_before.fetch_add(1, Ordering::Relaxed);
        return s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        );
    }
    let mut upstream = proxy.upstream.clone().into_parts();
    upstream.path_and_query = parts.uri.path_and_query().cloned();
    let Ok(uri) = Uri::from_parts(upstream) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    parts.uri = uri;
    let answer = proxy
        .client
        .request(axum::http::Request::from_parts(parts, Full::new(body)))
        .await;
    match answer {
        Ok(_) if fault == Fault::After => {
            proxy.counts.failed_after.fetch_add(1, Ordering::Relaxed);
            s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )
        }
        Ok(response) => response.map(Body::new),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_object_gets_and_puts_are_faulted() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(is_object_call(
            &Method::GET,
            &uri("/b/uploads/a.jpg?x-id=GetObject")
        ));
        assert!(is_object_call(
            &Method::PUT,
            &uri("/b/processed/a/thumb.jpg")
        ));
        assert!(!is_object_call(&Method::GET, &uri("/b?list-type=2")));
        assert!(!is_object_call(&Method::GET, &uri("/b/")));
        assert!(!is_object_call(&Method::POST, &uri("/b/k?uploads")));
        assert!(!is_object_call(
            &Method::PUT,
            &uri("/b/k?partNumber=1&uploadId=x")
        ));
        assert!(!is_object_call(&Method::POST, &uri("/")));
    }
}
