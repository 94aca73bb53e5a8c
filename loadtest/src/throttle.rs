//! Lambda's throttle as the local service plays it: a function whose reserved concurrency is 0
//! starts no invocation, neither from the SQS mapping nor from S3 (`make destroy` relies on it).
//! The setting is read from the emulator's Lambda API, at most once a second.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whether one function is throttled now.
#[derive(Debug)]
pub struct Throttle {
    lambda: aws_sdk_lambda::Client,
    function: String,
    /// When the setting was last read, and what it said.
    last: Mutex<Option<(Instant, bool)>>,
}

const REREAD_AFTER: Duration = Duration::from_secs(1);

impl Throttle {
    pub fn new(lambda: aws_sdk_lambda::Client, function: &str) -> Self {
        Self {
            lambda,
            function: function.to_owned(),
            last: Mutex::new(None),
        }
    }

    /// True while the function's reserved concurrency is 0; a failed read counts as not
    /// throttled, as the function then still runs on Lambda.
    pub async fn is_throttled(&self) -> bool {
        if let Some((read, throttled)) = *self.last.lock().expect("lock")
            && read.elapsed() < REREAD_AFTER
        {
            return throttled;
        }
        let throttled = self
            .lambda
            .get_function_concurrency()
            .function_name(&self.function)
            .send()
            .await
            .is_ok_and(|c| c.reserved_concurrent_executions() == Some(0));
        *self.last.lock().expect("lock") = Some((Instant::now(), throttled));
        throttled
    }
}
