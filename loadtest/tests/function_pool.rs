//! The local Lambda service's instances as Lambda treats them: one that is still working when
//! an invocation's timeout passes is stopped and replaced, so nothing it does afterwards (an S3
//! write into a bucket being emptied, say) can happen.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_past_the_timeout_is_stopped_and_replaced() {
    let dir = std::env::temp_dir().join(format!("function-pool-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("bootstrap");
    let mut file = std::fs::File::create(&binary).unwrap();
    file.write_all(HANGS.as_bytes()).unwrap();
    drop(file);
    std::fs::set_permissions(&binary, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let spec = FunctionSpec {
        name: "hangs".into(),
        binary,
        environment: Vec::new(),
        memory_mb: 128,
        timeout: Duration::from_secs(1),
    };
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
