//! Object storage behind a small trait: S3 in the function, memory in tests.

mod memory;
mod s3;

use std::future::Future;

pub use memory::MemoryStore;
pub use s3::S3Store;

/// An object read from the store.
#[derive(Debug, Clone)]
pub struct Object {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
}

/// An object to write.
#[derive(Debug, Clone)]
pub struct NewObject {
    pub bucket: String,
    pub key: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub cache_control: Option<String>,
    pub metadata: Vec<(String, String)>,
}

/// Why a store operation failed, split by what a retry can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the object does not exist")]
    NotFound,
    #[error("the object is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// S3 answers 403 both for a denied read and, to a caller it does not trust with listing,
    /// for a missing key: [`ObjectStore::exists`] tells the two apart.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// Throttling, 5xx, timeouts: a later attempt may succeed.
    #[error("{0}")]
    Transient(String),
}

/// The two operations the processor needs. Futures are `Send` so work can move across threads.
pub trait ObjectStore: Send + Sync + 'static {
    /// Reads a whole object, refusing (without downloading) one over `max_bytes`.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Object, StoreError>> + Send;

    fn put(&self, object: NewObject) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether `key` exists, by listing the keys that start with it (a listing the processor's
    /// role is granted for the input prefix, where a read of a missing key may be denied).
    fn exists(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
