//! Fuzzes the message contract: SQS bodies and rendition specs.
#![no_main]

#[allow(dead_code)] // each target uses one check
#[path = "../../processor/tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_message(data));
