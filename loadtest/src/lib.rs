//! The load-testing harness: a local Lambda service (Runtime API, function instances, the SQS
//! event source mapping) running the unchanged release binaries, and the cost model.

pub mod cost;
pub mod lambda_service;
pub mod prices;
pub mod procstat;
pub mod report;
pub mod run;
pub mod runtime_api;
pub mod tfstate;
