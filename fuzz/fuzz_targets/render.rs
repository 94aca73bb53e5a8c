//! Fuzzes the image core: any bytes through probe, decode, resize and encode.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| testdata::fuzz_checks::check_render(data));
