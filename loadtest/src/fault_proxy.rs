//! A fault-injecting HTTP proxy in front of the local AWS endpoint, for one kind of call:
//! - S3 object GETs and PUTs (the processor's): 503 SlowDown before reaching the emulator, or
//!   500 InternalError after it did the work (so the caller cannot know whether a PUT happened),
//!   as S3 does under load;
//! - SQS `SendMessageBatch` (the trigger's): 500 InternalError before or after SQS took the
//!   batch, and optionally a burst during which every such call fails, long enough for Lambda to
//!   give the trigger's events up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::fault_log::FaultLog;

/// Which calls a proxy faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    S3Objects,
    SqsSendBatch,
}

/// What a proxy faults, and how often.
#[derive(Debug, Clone, Copy)]
pub struct FaultPlan {
    pub target: Target,
    /// The share (0..1) of the target's calls that fail, half before and half after forwarding.
    pub share: f64,
    /// A window, from the proxy's start, in which every call of the target fails before it is
    /// forwarded.
    pub burst: Option<(Duration, Duration)>,
    /// Makes the choices repeatable.
    pub seed: u64,
}

/// What the proxy did so far.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub target_calls: AtomicU64,
    pub failed_before: AtomicU64,
    pub failed_after: AtomicU64,
}

/// The counts at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FaultTally {
    /// Calls of the target kind that reached the proxy.
    pub target_calls: u64,
    /// Failed before reaching the emulator.
    pub failed_before: u64,
    /// Failed after the emulator did the work.
    pub failed_after: u64,
}

impl FaultCounts {
    pub fn tally(&self) -> FaultTally {
        FaultTally {
            target_calls: self.target_calls.load(Ordering::Relaxed),
            failed_before: self.failed_before.load(Ordering::Relaxed),
            failed_after: self.failed_after.load(Ordering::Relaxed),
        }
    }
}

struct Proxy {
    upstream: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    plan: FaultPlan,
    started: Instant,
    rng: Mutex<fastrand::Rng>,
    counts: Arc<FaultCounts>,
    log: Arc<FaultLog>,
}

/// A running proxy; point the function's `AWS_ENDPOINT_URL` at [`FaultProxy::endpoint`].
#[derive(Debug, Clone)]
pub struct FaultProxy {
    pub endpoint: String,
    pub counts: Arc<FaultCounts>,
}

impl FaultProxy {
    /// Proxies to `upstream` (`http://host:port`), faulting calls as `plan` says and noting
    /// each fault in `log`.
    pub fn start(upstream: &str, plan: FaultPlan, log: Arc<FaultLog>) -> std::io::Result<Self> {
        let upstream: Uri = upstream
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let counts = Arc::new(FaultCounts::default());
        let started = Instant::now();
        if let Some((start, length)) = plan.burst {
            log.record_span(
                plan.target.burst_label(),
                started + start,
                started + start + length,
            );
        }
        let proxy = Arc::new(Proxy {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
            plan,
            started,
            rng: Mutex::new(fastrand::Rng::with_seed(plan.seed)),
            counts: Arc::clone(&counts),
            log,
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

/// An SQS `SendMessageBatch` in the JSON protocol the SDK speaks, or in the query protocol.
fn is_send_batch(parts: &Parts, body: &[u8]) -> bool {
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    target == Some("AmazonSQS.SendMessageBatch")
        || (target.is_none() && body.windows(24).any(|w| w == b"Action=SendMessageBatch&"))
}

impl Target {
    /// How the report names this target's faults (see `FaultLog`).
    fn label(self) -> &'static str {
        match self {
            Self::S3Objects => "S3 faults",
            Self::SqsSendBatch => "SQS faults",
        }
    }

    fn burst_label(self) -> &'static str {
        match self {
            Self::S3Objects => "S3 fault burst",
            Self::SqsSendBatch => "SQS fault burst",
        }
    }

    fn matches(self, parts: &Parts, body: &[u8]) -> bool {
        match self {
            Self::S3Objects => is_object_call(&parts.method, &parts.uri),
            Self::SqsSendBatch => is_send_batch(parts, body),
        }
    }

    /// The error the service answers with: throttling before the work, a 500 after it.
    fn error(self, fault: Fault) -> Response {
        match (self, fault) {
            (Self::S3Objects, Fault::Before) => s3_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "Please reduce your request rate.",
            ),
            (Self::S3Objects, _) => s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
            (Self::SqsSendBatch, _) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                [
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amzn-query-error", "InternalError;Receiver"),
                ],
                r#"{"__type":"com.amazonaws.sqs#InternalError","message":"We encountered an internal error. Please try again."}"#,
            )
                .into_response(),
        }
    }
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
    );
    (status, [("content-type", "application/xml")], body).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    Before,
    After,
}

impl Proxy {
    fn choose(&self) -> Fault {
        let now = self.started.elapsed();
        if self
            .plan
            .burst
            .is_some_and(|(start, length)| now >= start && now < start + length)
        {
            return Fault::Before;
        }
        let roll = self.rng.lock().expect("lock").f64();
        match roll {
            r if r < self.plan.share / 2.0 => Fault::Before,
            r if r < self.plan.share => Fault::After,
            _ => Fault::None,
        }
    }
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let target = proxy.plan.target;
    let fault = if target.matches(&parts, &body) {
        proxy.counts.target_calls.fetch_add(1, Ordering::Relaxed);
        proxy.choose()
    } else {
        Fault::None
    };
    if fault == Fault::Before {
        proxy.counts.failed_before.fetch_add(1, Ordering::Relaxed);
        proxy.log.record(target.label());
        return target.error(fault);
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
            proxy.log.record(target.label());
            target.error(fault)
        }
        Ok(response) => response.map(Body::new),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_object_gets_and_puts_are_s3_targets() {
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

    #[test]
    fn send_batch_is_found_in_both_sqs_protocols() {
        let parts = |target: Option<&str>| {
            let mut request = axum::http::Request::post("/");
            if let Some(target) = target {
                request = request.header("x-amz-target", target);
            }
            request.body(()).unwrap().into_parts().0
        };
        assert!(is_send_batch(
            &parts(Some("AmazonSQS.SendMessageBatch")),
            b"{}"
        ));
        assert!(!is_send_batch(
            &parts(Some("AmazonSQS.ReceiveMessage")),
            b"{}"
        ));
        assert!(is_send_batch(
            &parts(None),
            b"Action=SendMessageBatch&QueueUrl=x"
        ));
        assert!(!is_send_batch(
            &parts(None),
            b"Action=SendMessage&QueueUrl=x"
        ));
    }
}
