//! Fuzzes the image core: any bytes through probe, decode, resize and encode.
#![no_main]

#[allow(dead_code)] // each target uses one check
#[path = "../../processor/tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_render(data));
