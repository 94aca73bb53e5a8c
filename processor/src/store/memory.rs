//! An in-memory object store with injectable failures, for tests.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::{NewObject, Object, ObjectStore, StoreError};

/// Objects keyed by (bucket, key); keys listed in `fail_gets` answer with a transient error, and
/// keys in `deny_gets` with access denied.
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: Mutex<HashMap<(String, String), NewObject>>,
    fail_gets: Mutex<HashSet<String>>,
    deny_gets: Mutex<HashSet<String>>,
    deny_missing: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    pub fn insert(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        let object = NewObject {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            body: bytes,
            content_type: "application/octet-stream",
            cache_control: None,
            metadata: Vec::new(),
        };
        self.lock()
            .insert((bucket.to_owned(), key.to_owned()), object);
    }

    /// Makes every read of `key` fail as S3 does when throttling (503 SlowDown).
    pub fn fail_gets_of(&self, key: &str) {
        self.fail_gets.lock().expect("lock").insert(key.to_owned());
    }

    /// Makes every read of `key` denied, as S3 does when the role may not read it.
    pub fn deny_gets_of(&self, key: &str) {
        self.deny_gets.lock().expect("lock").insert(key.to_owned());
    }

    /// Answers a read of a missing key with access denied instead of not found, as S3 does for
    /// a caller without `s3:ListBucket` on the bucket.
    pub fn deny_missing_keys(&self) {
        self.deny_missing
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn object(&self, bucket: &str, key: &str) -> Option<NewObject> {
        self.lock()
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }

    /// Every key in `bucket` that starts with `prefix`, sorted.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .lock()
            .keys()
            .filter(|(b, k)| b == bucket && k.starts_with(prefix))
            .map(|(_, k)| k.clone())
            .collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), NewObject>> {
        self.objects.lock().expect("store lock")
    }
}

impl ObjectStore for MemoryStore {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Object, StoreError> {
        if self.fail_gets.lock().expect("lock").contains(key) {
            return Err(StoreError::Transient("503 SlowDown (injected)".to_owned()));
        }
        let denied = || StoreError::AccessDenied("403 AccessDenied (injected)".to_owned());
        if self.deny_gets.lock().expect("lock").contains(key) {
            return Err(denied());
        }
        let missing = if self.deny_missing.load(std::sync::atomic::Ordering::Relaxed) {
            denied()
        } else {
            StoreError::NotFound
        };
        let object = self.object(bucket, key).ok_or(missing)?;
        let size = object.body.len() as u64;
        if size > max_bytes {
            return Err(StoreError::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        Ok(Object {
            bytes: object.body,
            etag: Some(format!("etag-{size}")),
        })
    }

    async fn put(&self, object: NewObject) -> Result<(), StoreError> {
        self.lock()
            .insert((object.bucket.clone(), object.key.clone()), object);
        Ok(())
    }

    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, StoreError> {
        Ok(self.object(bucket, key).is_some())
    }
}
