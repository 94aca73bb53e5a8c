//! The deployed stack as the harness needs it, whichever deployer made it: read from Terraform's
//! state (`terraform show -json`, see `tfstate`) or from the description that
//! `cdk/scripts/describe_stack.py` writes of the CDK stack from CloudFormation and Lambda.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::Value;

/// The deployment as the harness needs it.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub bucket: String,
    pub output_bucket: String,
    pub input_prefix: String,
    pub output_prefix: String,
    pub rejected_prefix: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub dlq_url: String,
    pub notification_mode: String,
    /// Trigger mode: where Lambda sends the events the trigger could not handle.
    pub trigger_failures_url: Option<String>,
    pub processor: FunctionConfig,
    pub trigger: Option<FunctionConfig>,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub maximum_concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub name: String,
    pub environment: BTreeMap<String, String>,
    pub memory_mb: u32,
    pub timeout: Duration,
    pub architecture: String,
    /// Asynchronous invocation settings, for a function S3 invokes.
    pub asynchronous: Option<AsyncConfig>,
}

/// What Lambda does with an asynchronous event the function fails or cannot take yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncConfig {
    pub maximum_event_age: Duration,
    pub maximum_retry_attempts: u32,
    /// ARN of the on-failure destination.
    pub on_failure_arn: Option<String>,
}

impl Deployment {
    /// Reads a deployment file: `terraform show -json` of the Terraform stack, or the CDK
    /// stack's description (it says `"kind": "stack-description"`).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let value: Value = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        if value.get("kind").and_then(Value::as_str) == Some("stack-description") {
            let description: Description = serde_json::from_value(value)
                .with_context(|| format!("{} is not a stack description", path.display()))?;
            Ok(description.into())
        } else {
            Self::from_show_json(&value)
        }
    }

    /// The processor's renditions as the deployment configured them.
    pub fn rendition_spec(&self) -> &str {
        self.processor
            .environment
            .get("RENDITIONS")
            .map_or(contract::defaults::RENDITIONS, String::as_str)
    }
}

/// The stack description `describe_stack.py` writes: the stack's outputs, the functions'
/// configuration and the mapping's settings, as the AWS APIs report them.
#[derive(Debug, Deserialize)]
struct Description {
    bucket: String,
    output_bucket: String,
    input_prefix: String,
    output_prefix: String,
    rejected_prefix: String,
    queue_url: String,
    queue_arn: String,
    dlq_url: String,
    notification_mode: String,
    trigger_failures_url: Option<String>,
    processor: FunctionDescription,
    trigger: Option<FunctionDescription>,
    batch_size: usize,
    batching_window_seconds: u64,
    maximum_concurrency: usize,
}

#[derive(Debug, Deserialize)]
struct FunctionDescription {
    name: String,
    environment: BTreeMap<String, String>,
    memory_mb: u32,
    timeout_seconds: u64,
    architecture: String,
    asynchronous: Option<AsyncDescription>,
}

#[derive(Debug, Deserialize)]
struct AsyncDescription {
    maximum_event_age_seconds: u64,
    maximum_retry_attempts: u32,
    on_failure_arn: Option<String>,
}

impl From<FunctionDescription> for FunctionConfig {
    fn from(f: FunctionDescription) -> Self {
        FunctionConfig {
            name: f.name,
            environment: f.environment,
            memory_mb: f.memory_mb,
            timeout: Duration::from_secs(f.timeout_seconds),
            architecture: f.architecture,
            asynchronous: f.asynchronous.map(|a| AsyncConfig {
                maximum_event_age: Duration::from_secs(a.maximum_event_age_seconds),
                maximum_retry_attempts: a.maximum_retry_attempts,
                on_failure_arn: a.on_failure_arn,
            }),
        }
    }
}

impl From<Description> for Deployment {
    fn from(d: Description) -> Self {
        Deployment {
            bucket: d.bucket,
            output_bucket: d.output_bucket,
            input_prefix: d.input_prefix,
            output_prefix: d.output_prefix,
            rejected_prefix: d.rejected_prefix,
            queue_url: d.queue_url,
            queue_arn: d.queue_arn,
            dlq_url: d.dlq_url,
            notification_mode: d.notification_mode,
            trigger_failures_url: d.trigger_failures_url,
            processor: d.processor.into(),
            trigger: d.trigger.map(Into::into),
            batch_size: d.batch_size,
            batching_window: Duration::from_secs(d.batching_window_seconds),
            maximum_concurrency: d.maximum_concurrency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_description_reads_as_a_deployment() {
        let path = std::env::temp_dir().join(format!("description-{}.json", std::process::id()));
        let description = serde_json::json!({
            "kind": "stack-description",
            "bucket": "b", "output_bucket": "b", "input_prefix": "uploads/",
            "output_prefix": "processed/", "rejected_prefix": "rejected/",
            "queue_url": "http://q", "queue_arn": "arn:q", "dlq_url": "http://dlq",
            "notification_mode": "trigger", "trigger_failures_url": "http://f",
            "processor": {"name": "p", "environment": {"RENDITIONS": "a:10x10"}, "memory_mb": 1769,
                          "timeout_seconds": 60, "architecture": "arm64", "asynchronous": null},
            "trigger": {"name": "t", "environment": {}, "memory_mb": 128, "timeout_seconds": 30,
                        "architecture": "arm64",
                        "asynchronous": {"maximum_event_age_seconds": 21600,
                                         "maximum_retry_attempts": 2, "on_failure_arn": "arn:f"}},
            "batch_size": 10, "batching_window_seconds": 1, "maximum_concurrency": 5
        });
        std::fs::write(&path, description.to_string()).unwrap();
        let deployment = Deployment::from_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(deployment.rendition_spec(), "a:10x10");
        assert_eq!(deployment.processor.timeout, Duration::from_secs(60));
        let trigger = deployment.trigger.unwrap();
        assert_eq!(
            trigger.asynchronous.unwrap().maximum_event_age,
            Duration::from_secs(21600)
        );
        assert_eq!(deployment.batching_window, Duration::from_secs(1));
    }
}
