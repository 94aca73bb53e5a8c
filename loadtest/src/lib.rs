//! The load-testing harness. So far: the local Lambda service's Runtime API, which runs the
//! unchanged release binaries of the functions as child processes.

pub mod runtime_api;
