//! Fuzzes the message contract: SQS bodies and rendition specs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| testdata::fuzz_checks::check_message(data));
