//! The object store on Amazon S3 (or any S3 API endpoint, such as a local emulator).

use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use super::{NewObject, Object, ObjectStore, StoreError};

/// S3 through the AWS SDK; build once per container.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
}

impl S3Store {
    /// Loads the SDK configuration from the environment, which honours `AWS_ENDPOINT_URL` and
    /// `AWS_ENDPOINT_URL_S3`; `S3_FORCE_PATH_STYLE=true` selects path-style addressing.
    pub async fn from_env() -> Self {
        let shared = aws_config::load_from_env().await;
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(3))
            .build();
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true"))
            .timeout_config(timeouts)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(config),
        }
    }
}

/// Maps an SDK failure: `NoSuchKey` is final, a denial is told apart by the caller, and
/// everything else may pass on a later attempt.
fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = || aws_sdk_s3::error::DisplayErrorContext(&err).to_string();
    match err.code() {
        Some("NoSuchKey" | "NotFound") => StoreError::NotFound,
        Some("AccessDenied" | "Forbidden") => StoreError::AccessDenied(text()),
        _ => StoreError::Transient(text()),
    }
}

impl ObjectStore for S3Store {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Object, StoreError> {
        let response = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(classify)?;
        let size = response.content_length().unwrap_or(0).max(0) as u64;
        if size > max_bytes {
            return Err(StoreError::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        let etag = response.e_tag().map(|tag| tag.trim_matches('"').to_owned());
        let bytes = response
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Transient(format!("reading the body: {e}")))?
            .to_vec();
        Ok(Object { bytes, etag })
    }

    async fn put(&self, object: NewObject) -> Result<(), StoreError> {
        let mut request = self
            .client
            .put_object()
            .bucket(object.bucket)
            .key(object.key)
            .content_type(object.content_type)
            .body(ByteStream::from(object.body));
        if let Some(cache_control) = object.cache_control {
            request = request.cache_control(cache_control);
        }
        for (name, value) in object.metadata {
            request = request.metadata(name, value);
        }
        request.send().await.map_err(classify)?;
        Ok(())
    }

    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, StoreError> {
        // A key sorts before every longer key it is a prefix of: if it exists, it comes first.
        let listing = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(key)
            .max_keys(1)
            .send()
            .await
            .map_err(classify)?;
        Ok(listing.contents().first().and_then(|o| o.key()) == Some(key))
    }
}
