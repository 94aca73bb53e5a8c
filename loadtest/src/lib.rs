//! The load-testing harness: a local Lambda service (Runtime API, function instances, the SQS
//! event source mapping) running the unchanged release binaries, and the cost model.

pub mod cost;
pub mod lambda_service;
pub mod prices;
pub mod runtime_api;
