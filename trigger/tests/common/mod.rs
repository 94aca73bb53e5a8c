//! A fake job queue and event builders shared by the trigger's tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::HashMap;
use std::sync::Mutex;

use contract::{Request, parse_body};
use trigger::{Entry, JobQueue, QueueError, TriggerConfig};

/// Records every call; fails entries whose body contains a marker, a set number of times.
#[derive(Debug, Default)]
pub struct FakeQueue {
    pub calls: Mutex<Vec<Vec<Entry>>>,
    /// body substring -> how many more times entries containing it fail
    pub failures: Mutex<HashMap<String, u32>>,
    pub failing_calls: Mutex<u32>,
}

impl FakeQueue {
    pub fn failing(marker: &str, times: u32) -> Self {
        let queue = Self::default();
        queue
            .failures
            .lock()
            .unwrap()
            .insert(marker.to_owned(), times);
        queue
    }

    pub fn delivered_keys(&self) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        let failures = self.failures.lock().unwrap();
        let mut keys: Vec<String> = calls
            .iter()
            .flatten()
            .filter_map(|e| match parse_body(&e.body) {
                Ok(Request::Jobs(jobs)) => Some(jobs[0].key.clone()),
                _ => None,
            })
            .filter(|k| {
                !failures
                    .iter()
                    .any(|(marker, left)| *left > 0 && k.contains(marker.as_str()))
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

impl JobQueue for FakeQueue {
    async fn send_batch(&self, entries: &[Entry]) -> Result<Vec<String>, QueueError> {
        assert!(
            entries.len() <= trigger::MAX_BATCH,
            "SQS takes at most 10 entries"
        );
        self.calls.lock().unwrap().push(entries.to_vec());
        {
            let mut failing_calls = self.failing_calls.lock().unwrap();
            if *failing_calls > 0 {
                *failing_calls -= 1;
                return Err(QueueError("throttled".to_owned()));
            }
        }
        let mut failures = self.failures.lock().unwrap();
        let mut failed = Vec::new();
        for entry in entries {
            for (marker, left) in failures.iter_mut() {
                if *left > 0 && entry.body.contains(marker.as_str()) {
                    failed.push(entry.id.clone());
                }
            }
        }
        for left in failures.values_mut() {
            *left = left.saturating_sub(1);
        }
        Ok(failed)
    }
}

pub fn config() -> TriggerConfig {
    TriggerConfig::from_env(|name| (name == "QUEUE_URL").then(|| "https://sqs.local/q".to_owned()))
        .unwrap()
}

pub fn s3_event(keys: &[(&str, u64)]) -> serde_json::Value {
    let mut event: serde_json::Value =
        serde_json::from_str(&testdata::event("s3_put_aws.json")).unwrap();
    let template = event["Records"][0].clone();
    event["Records"] = keys
        .iter()
        .map(|(key, size)| {
            let mut record = template.clone();
            record["s3"]["object"]["key"] = (*key).into();
            record["s3"]["object"]["size"] = (*size).into();
            record
        })
        .collect();
    event
}
