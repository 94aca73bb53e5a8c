//! The load-testing harness: a local Lambda service (Runtime API, function instances, the SQS
//! event source mapping) running the unchanged release binaries, and the cost model.

pub mod chaos;
pub mod cost;
pub mod fault_proxy;
pub mod lambda_report;
pub mod lambda_service;
pub mod local_service;
pub mod memory_sweep;
pub mod prices;
pub mod procstat;
pub mod report;
pub mod run;
pub mod runtime_api;
pub mod tfstate;

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
