//! The load-testing harness: a local Lambda service (Runtime API, function instances, the SQS
//! event source mapping) running the unchanged release binaries, the uploads and their
//! reconciliation, chaos, the cost model and the report.

pub mod args;
pub mod async_invoke;
pub mod capacity;
pub mod chaos;
pub mod cost;
pub mod deployment;
pub mod emf;
pub mod event_source_mapping;
pub mod fault_log;
pub mod fault_proxy;
pub mod format_cost;
pub mod function_pool;
pub mod instance_trace;
pub mod lambda_report;
pub mod local_stack;
pub mod memory_sweep;
pub mod pass;
pub mod prices;
pub mod procstat;
pub mod progress;
pub mod reconcile;
pub mod render_cpu;
pub mod report;
pub mod run;
pub mod runtime_api;
pub mod tfstate;
pub mod throttle;
pub mod upload;

/// SDK configuration for a local AWS emulator at `endpoint` (fixed test credentials, us-east-1).
pub async fn local_aws_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::from_env()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await
}

/// An S3 client for the emulator, with the path-style addressing it needs.
pub fn local_s3(shared: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(shared)
            .force_path_style(true)
            .build(),
    )
}

/// Seconds since the Unix epoch.
pub fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
