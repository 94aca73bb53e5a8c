//! Lambda's throttle as the local service plays it: a function whose reserved concurrency is 0
//! starts no invocation, neither from the SQS mapping nor from S3 (`make destroy` relies on it),
//! and neither does a function that no longer exists. The setting is read from the emulator's
//! Lambda API, at most once a second.

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

    /// True while the function's reserved concurrency is 0, and once the function is deleted
    /// (`terraform destroy` deletes it while the harness still runs its instances, and a batch
    /// started then would write into buckets already emptied). A read that fails for another
    /// reason keeps the last answer: the setting did not change because the emulator was slow.
    pub async fn is_throttled(&self) -> bool {
        let last = *self.last.lock().expect("lock");
        if let Some((read, throttled)) = last
            && read.elapsed() < REREAD_AFTER
        {
            return throttled;
        }
        let read = self
            .lambda
            .get_function_concurrency()
            .function_name(&self.function)
            .send()
            .await;
        let throttled = match read {
            Ok(concurrency) => concurrency.reserved_concurrent_executions() == Some(0),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                true
            }
            Err(_) => last.is_some_and(|(_, throttled)| throttled),
        };
        *self.last.lock().expect("lock") = Some((Instant::now(), throttled));
        throttled
    }
}
