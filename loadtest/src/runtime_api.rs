//! The AWS Lambda Runtime API for one function, served on loopback, so the real `bootstrap`
//! binaries run here unchanged: they long-poll `next`, and post a response or an error.
//! Each instance gets its own port, so the service knows which invocation an instance held when
//! it died, and fails that invocation at once as Lambda does (`Runtime.ExitError`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, oneshot};

use crate::instance_trace::{InstanceTimeline, Traces};

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    Response(Bytes),
    /// The function posted to `/error` (the body is Lambda's error JSON).
    Error(Bytes),
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("no function instance answered within {0:?}")]
    TimedOut(Duration),
    #[error("the Runtime API server stopped")]
    Stopped,
}

struct Pending {
    id: String,
    payload: Bytes,
    deadline: SystemTime,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Pending>>,
    arrived: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Completion>>>,
    init_errors: Mutex<Vec<Bytes>>,
    next_id: AtomicU64,
    function_arn: String,
    /// The invocation each instance is working on.
    held: Mutex<HashMap<u64, String>>,
    /// Instances whose process exited: a `next` request still pending from one is not served.
    exited: Mutex<HashSet<u64>>,
    /// Instances still working on an invocation past its timeout: Lambda stops them there.
    overdue: Mutex<HashSet<u64>>,
    next_instance: AtomicU64,
    traces: Traces,
}

/// The Runtime API of one function: an invocation queue that instances' endpoints serve.
#[derive(Clone)]
pub struct RuntimeApi {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeApi")
            .field("function_arn", &self.shared.function_arn)
            .finish()
    }
}

type InstanceState = (Arc<Shared>, u64);

impl RuntimeApi {
    pub fn new(function_name: &str) -> Self {
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
            ..Shared::default()
        });
        Self { shared }
    }

    /// Serves the API to one new instance on an ephemeral loopback port until the runtime
    /// ends; returns the instance's id and `host:port`, its `AWS_LAMBDA_RUNTIME_API`.
    pub fn serve_instance(&self) -> std::io::Result<(u64, String)> {
        let instance = self.shared.next_instance.fetch_add(1, Ordering::Relaxed);
        // The caller starts the process next: its init runs from here to its first `next`.
        self.shared.traces.started(instance);
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{id}}/response"),
                post(respond),
            )
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(fail))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state((Arc::clone(&self.shared), instance));
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok((instance, address.to_string()))
    }

    /// Fails the invocation instance `instance` held, if any, as Lambda does when a runtime
    /// process exits mid-invocation. Returns whether there was one.
    pub fn instance_exited(&self, instance: u64) -> bool {
        self.shared.exited.lock().expect("lock").insert(instance);
        self.shared.traces.exited(instance);
        // Wake any `next` still pending from it, so it gives up its turn.
        self.shared.arrived.notify_waiters();
        let held = self.shared.held.lock().expect("lock").remove(&instance);
        held.is_some_and(|id| {
            let error = serde_json::json!({
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: the runtime process exited before completing the request",
            });
            complete(&self.shared, &id, Completion::Error(error.to_string().into()))
                == StatusCode::ACCEPTED
        })
    }

    /// Queues one invocation for the next free instance and waits for its result; the function
    /// sees a deadline `timeout` from now.
    pub async fn invoke(
        &self,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Completion, InvokeError> {
        let id = format!(
            "req-{:08}",
            self.shared.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let (sender, receiver) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .expect("lock")
            .insert(id.clone(), sender);
        self.shared.queue.lock().expect("lock").push_back(Pending {
            id: id.clone(),
            payload,
            deadline: SystemTime::now() + timeout,
        });
        self.shared.arrived.notify_one();
        // A little grace past the deadline for the response to travel back.
        match tokio::time::timeout(timeout + Duration::from_secs(2), receiver).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err(InvokeError::Stopped),
            Err(_) => {
                self.shared.waiting.lock().expect("lock").remove(&id);
                // Lambda never starts a synchronous invoke its caller has given up on; left in the
                // queue, it would run on the next free instance, long after (make destroy saw one
                // write into a bucket it had emptied 30 s before).
                self.shared
                    .queue
                    .lock()
                    .expect("lock")
                    .retain(|pending| pending.id != id);
                let holder = self
                    .shared
                    .held
                    .lock()
                    .expect("lock")
                    .iter()
                    .find_map(|(instance, held)| (*held == id).then_some(*instance));
                if let Some(instance) = holder {
                    self.shared.overdue.lock().expect("lock").insert(instance);
                }
                Err(InvokeError::TimedOut(timeout))
            }
        }
    }

    /// The instances that ran past an invocation's timeout since the last call, for the pool to
    /// stop: Lambda ends an invocation at its timeout, whatever the code was doing.
    pub fn take_overdue(&self) -> Vec<u64> {
        self.shared.overdue.lock().expect("lock").drain().collect()
    }

    /// Each instance's start, init and invocations, in seconds since `origin`.
    pub fn timelines(&self, origin: std::time::Instant) -> Vec<InstanceTimeline> {
        self.shared.traces.timelines(origin)
    }

    /// Waits until no instance is still in its init (each has asked for work, or exited), for
    /// at most `limit`; returns whether that happened in time.
    pub async fn init_finished(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.shared.traces.initialising() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        true
    }

    /// The bodies the functions posted to `/init/error` (bad configuration, for example).
    pub fn init_errors(&self) -> Vec<Bytes> {
        self.shared.init_errors.lock().expect("lock").clone()
    }
}

async fn next(State((shared, instance)): State<InstanceState>) -> Response {
    // Asking for the next invocation means the previous one is over.
    shared.held.lock().expect("lock").remove(&instance);
    shared.traces.asked(instance);
    loop {
        // Register interest before looking, so an invocation queued in between is not missed.
        let notified = shared.arrived.notified();
        if shared.exited.lock().expect("lock").contains(&instance) {
            // Pass the wake-up on: an invocation may be waiting for a live instance.
            shared.arrived.notify_one();
            return StatusCode::GONE.into_response();
        }
        if let Some(pending) = shared.queue.lock().expect("lock").pop_front() {
            shared
                .held
                .lock()
                .expect("lock")
                .insert(instance, pending.id.clone());
            shared.traces.took(instance);
            let deadline_ms = pending
                .deadline
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let mut headers = HeaderMap::new();
            let mut set = |name: &'static str, value: String| {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            };
            set("lambda-runtime-aws-request-id", pending.id);
            set("lambda-runtime-deadline-ms", deadline_ms.to_string());
            set(
                "lambda-runtime-invoked-function-arn",
                shared.function_arn.clone(),
            );
            set("content-type", "application/json".to_owned());
            return (StatusCode::OK, headers, pending.payload).into_response();
        }
        notified.await;
    }
}

fn complete(shared: &Shared, id: &str, outcome: Completion) -> StatusCode {
    match shared.waiting.lock().expect("lock").remove(id) {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn respond(
    State((shared, _)): State<InstanceState>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(&shared, &id, Completion::Response(body))
}

async fn fail(
    State((shared, _)): State<InstanceState>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(&shared, &id, Completion::Error(body))
}

async fn init_error(State((shared, _)): State<InstanceState>, body: Bytes) -> StatusCode {
    shared.init_errors.lock().expect("lock").push(body);
    StatusCode::ACCEPTED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_invocation_no_instance_took_in_time_is_dropped() {
        let api = RuntimeApi::new("idle");
        let outcome = api
            .invoke(Bytes::from_static(b"{}"), Duration::from_millis(10))
            .await;
        assert!(
            matches!(outcome, Err(InvokeError::TimedOut(_))),
            "{outcome:?}"
        );
        assert!(
            api.shared.queue.lock().expect("lock").is_empty(),
            "a later instance would run an invocation its caller gave up on"
        );
    }
}
