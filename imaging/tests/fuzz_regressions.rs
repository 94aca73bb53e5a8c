//! Replays every input the fuzzers ever flagged (and the seeds they started from) through the
//! same checks the fuzz targets make, so a fixed crash stays fixed without a fuzzer installed.

use testdata::fuzz_checks::{check_message, check_render};

fn replay(target: &str, check: fn(&[u8])) {
    let dir = testdata::path("fuzz-regressions").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    for input in inputs {
        let bytes = std::fs::read(&input).unwrap();
        eprintln!("replaying {}", input.display());
        check(&bytes);
    }
}

#[test]
fn render_findings_stay_fixed() {
    replay("render", check_render);
}

#[test]
fn message_findings_stay_fixed() {
    replay("message", check_message);
}
