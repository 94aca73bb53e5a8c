//! The image pipeline's processor: a pure image core (`imaging`) and, around it, the Lambda
//! edges: the message contract, configuration, storage, per-job pipeline and batch handling.

pub mod batch;
pub mod config;
pub mod imaging;
pub mod message;
pub mod pipeline;
pub mod sample;
pub mod store;
pub mod telemetry;
