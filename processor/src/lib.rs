//! The `processor` Lambda's edge around the image core: configuration, object storage, one job
//! (`pipeline`), the threads that render, one SQS batch, and what a job reports when it ends.

pub mod batch;
pub mod config;
pub mod outcome;
pub mod pipeline;
pub mod render_threads;
pub mod store;
pub mod telemetry;
