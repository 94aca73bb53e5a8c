//! The local Lambda service's instances as Lambda treats them: one that is still working when
//! an invocation's timeout passes is stopped and replaced, so nothing it does afterwards (an S3
//! write into a bucket being emptied, say) can happen; and an instance's init is over when it
//! first asks for work.

use std::io::Write as _;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use loadtest::function_pool::{FunctionPool, FunctionSpec};
use loadtest::runtime_api::InvokeError;

/// A runtime that takes one invocation and then works forever.
const HANGS: &str = r#"#!/usr/bin/env python3
import os, time, urllib.request
urllib.request.urlopen("http://%s/2018-06-01/runtime/invocation/next" % os.environ["AWS_LAMBDA_RUNTIME_API"])
time.sleep(3600)
"#;

/// A runtime whose init takes 0.4 s before it asks for work.
const SLOW_INIT: &str = r#"#!/usr/bin/env python3
import os, time, urllib.request
time.sleep(0.4)
urllib.request.urlopen("http://%s/2018-06-01/runtime/invocation/next" % os.environ["AWS_LAMBDA_RUNTIME_API"])
"#;

/// A function whose `bootstrap` is `script`, in a folder of its own.
fn function(name: &str, script: &str) -> (FunctionSpec, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("function-pool-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("bootstrap");
    let mut file = std::fs::File::create(&binary).unwrap();
    file.write_all(script.as_bytes()).unwrap();
    drop(file);
    std::fs::set_permissions(&binary, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let spec = FunctionSpec {
        name: name.into(),
        binary,
        environment: Vec::new(),
        memory_mb: 128,
        timeout: Duration::from_secs(1),
    };
    (spec, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_past_the_timeout_is_stopped_and_replaced() {
    let (spec, dir) = function("hangs", HANGS);
    let pool = FunctionPool::start(&spec, 1, &dir).await.unwrap();
    let outcome = pool
        .api
        .invoke(Bytes::from_static(b"{}"), spec.timeout)
        .await;
    assert!(
        matches!(outcome, Err(InvokeError::TimedOut(_))),
        "{outcome:?}"
    );
    let waited = Instant::now();
    while pool.replaced() == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(5),
            "the instance kept running past the timeout"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(pool);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_lasts_until_the_first_request_for_work() {
    let (spec, dir) = function("slow-init", SLOW_INIT);
    let started = Instant::now();
    let pool = FunctionPool::start(&spec, 2, &dir).await.unwrap();
    assert!(
        !pool.api.init_finished(Duration::from_millis(50)).await,
        "both instances sleep 0.4 s before asking for work"
    );
    assert!(pool.api.init_finished(Duration::from_secs(10)).await);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let timelines = pool.api.timelines(started);
    assert_eq!(timelines.len(), 2);
    for timeline in timelines {
        let init_ms = timeline.init_ms.expect("each instance asked for work");
        assert!(init_ms >= 400.0, "{init_ms}");
    }
    drop(pool);
    let _ = std::fs::remove_dir_all(&dir);
}
