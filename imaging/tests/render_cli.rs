//! The `render` command-line contract: files written, one JSON line per input, exit status.

use std::process::Command;

use testdata::{decode_output, fixture_path};

/// The `render` binary, run through `CROSS_RUNNER` (qemu, set by `make test-arm64`) when the
/// tests are cross-compiled: cargo's runner wraps the test executables only.
fn render_command() -> Command {
    let binary = env!("CARGO_BIN_EXE_render");
    let runner = std::env::var("CROSS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(binary);
            command
        }
        None => Command::new(binary),
    }
}

#[test]
fn renders_good_inputs_and_reports_bad_ones_after_processing_the_rest() {
    let out = std::env::temp_dir().join(format!("render-cli-{}", std::process::id()));
    let output = render_command()
        .args([
            "--rendition",
            "thumb:40x40:cover:q70",
            "-r",
            "medium:100x100",
        ])
        .arg("--out")
        .arg(&out)
        .arg(fixture_path("truncated.jpg"))
        .arg(fixture_path("baseline_420.jpg"))
        .output()
        .expect("render runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "a rejected input fails the run"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line per rejected input: {stderr}"
    );
    assert!(
        stderr.contains("truncated.jpg") && stderr.contains("truncated JPEG"),
        "{stderr}"
    );

    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], "rejected");
    assert_eq!(lines[0]["error"]["kind"], "truncated");
    assert_eq!(lines[1]["status"], "ok");
    for stage in ["decode", "resize", "encode", "total"] {
        assert!(
            lines[1]["ms"][stage].as_f64().is_some(),
            "ms.{stage} missing"
        );
    }
    let renditions = lines[1]["renditions"].as_array().unwrap();
    assert_eq!(renditions.len(), 2);
    for (rendition, size) in renditions.iter().zip([(40, 40), (100, 75)]) {
        let path = out
            .join("baseline_420")
            .join(format!("{}.jpg", rendition["name"].as_str().unwrap()));
        let bytes = std::fs::read(&path).expect("rendition written");
        assert_eq!(rendition["bytes"], bytes.len());
        let pixels = decode_output(&bytes);
        assert_eq!((pixels.width, pixels.height), size);
    }
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_bad_rendition_is_a_usage_error() {
    let output = render_command()
        .args(["-r", "thumb:0x10", "--out", "/tmp/unused", "x.jpg"])
        .output()
        .expect("render runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("side length"));
}

#[test]
fn a_file_over_max_bytes_is_refused_from_its_size_without_reading_it() {
    // 10 GiB, sparse: reading it whole first would take minutes and all of the memory.
    let big = std::env::temp_dir().join(format!("render-cli-big-{}.jpg", std::process::id()));
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(10 << 30))
        .unwrap();
    let output = render_command()
        .args([
            "-r",
            "a:10x10",
            "--out",
            "/tmp/unused",
            "--max-bytes",
            "1000",
        ])
        .arg(&big)
        .output()
        .expect("render runs");
    std::fs::remove_file(&big).ok();
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["error"]["kind"], "too_large");
    assert_eq!(
        line["error"]["message"],
        "input is 10737418240 bytes, over the limit of 1000 bytes"
    );
}

#[test]
fn what_was_read_past_is_in_the_warnings_field() {
    let out = std::env::temp_dir().join(format!("render-cli-warn-{}", std::process::id()));
    let output = render_command()
        .args(["-r", "a:40x40", "--out"])
        .arg(&out)
        .arg(fixture_path("wild/missing_eoi.jpg"))
        .arg(fixture_path("baseline_420.jpg"))
        .output()
        .expect("render runs");
    std::fs::remove_dir_all(&out).ok();
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0]["warnings"],
        serde_json::json!(["no end-of-image marker after the scan data"])
    );
    assert_eq!(lines[1]["warnings"], serde_json::json!([]));
}
