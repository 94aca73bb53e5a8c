//! `render`'s CPU time for the photos a local run rendered: the yardstick that the processor's
//! billed time per image is held against (the same image core, without Lambda, S3 or JSON).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use serde::Deserialize;

use crate::procstat;
use crate::report::Percentiles;

/// `render` goes over the photos this many times; the median run counts.
const RUNS: usize = 3;

/// One line of `render`'s output.
#[derive(Debug, Deserialize)]
struct Line {
    status: String,
    #[serde(default)]
    ms: Option<Timings>,
}

#[derive(Debug, Deserialize)]
struct Timings {
    total: f64,
}

/// The distinct photos among `uploads`, each with how many times it was uploaded, in the
/// order they first appear.
fn distinct(uploads: &[Bytes]) -> Vec<(Bytes, usize)> {
    let mut index: HashMap<&[u8], usize> = HashMap::new();
    let mut photos: Vec<(Bytes, usize)> = Vec::new();
    for body in uploads {
        let at = *index.entry(body.as_ref()).or_insert_with(|| {
            photos.push((body.clone(), 0));
            photos.len() - 1
        });
        photos[at].1 += 1;
    }
    photos
}

/// The CPU time of one run shared out over its photos by each photo's own timing (`render`
/// times its stages per photo; the CPU clock only counts the whole process), then averaged
/// over the uploads: `weights[i]` uploads of photo `i`.
fn per_upload_ms(cpu_ms: f64, photo_ms: &[f64], weights: &[usize]) -> f64 {
    let timed: f64 = photo_ms.iter().sum();
    let uploads: usize = weights.iter().sum();
    if timed <= 0.0 || uploads == 0 {
        return 0.0;
    }
    let weighted: f64 = photo_ms
        .iter()
        .zip(weights)
        .map(|(ms, &w)| ms * w as f64)
        .sum();
    cpu_ms * weighted / timed / uploads as f64
}

/// Mean CPU milliseconds of `render` per upload in `uploads`, given `options` (the renditions
/// and the processor's other image settings): all the distinct photos in one process, as a
/// warm function instance sees them, `RUNS` times. Run it on an idle machine (after the stack
/// has stopped).
pub fn cpu_ms_per_image(
    render: &Path,
    options: &[String],
    uploads: &[Bytes],
    scratch: &Path,
) -> Result<f64> {
    let photos = distinct(uploads);
    if photos.is_empty() {
        bail!("no rendered uploads to time render on");
    }
    std::fs::create_dir_all(scratch)?;
    let timed = time_photos(render, options, &photos, scratch);
    // The photos' copies and renditions go, whatever happened.
    std::fs::remove_dir_all(scratch)?;
    timed
}

/// Writes the photos into `scratch` and has `render` render them `RUNS` times.
fn time_photos(
    render: &Path,
    options: &[String],
    photos: &[(Bytes, usize)],
    scratch: &Path,
) -> Result<f64> {
    let mut files = Vec::with_capacity(photos.len());
    for (i, (body, _)) in photos.iter().enumerate() {
        let file = scratch.join(format!("photo-{i:03}"));
        std::fs::write(&file, body)?;
        files.push(file);
    }
    let weights: Vec<usize> = photos.iter().map(|(_, n)| *n).collect();
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let before = procstat::children_cpu_seconds();
        let output = Command::new(render)
            .args(options)
            .arg("--out")
            .arg(scratch.join("out"))
            .args(&files)
            .output()
            .with_context(|| format!("running {}", render.display()))?;
        let cpu_ms = (procstat::children_cpu_seconds() - before) * 1000.0;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut photo_ms = Vec::with_capacity(files.len());
        for line in stdout.lines() {
            let line: Line = serde_json::from_str(line)
                .with_context(|| format!("reading render's output line {line:?}"))?;
            match line.ms {
                Some(timings) if line.status == "ok" => photo_ms.push(timings.total),
                _ => bail!(
                    "render refused a photo that the processor rendered: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            }
        }
        if photo_ms.len() != files.len() {
            bail!(
                "render answered for {} of {} photos ({})",
                photo_ms.len(),
                files.len(),
                output.status
            );
        }
        runs.push(per_upload_ms(cpu_ms, &photo_ms, &weights));
    }
    // The middle run (nearest-rank p50 of an odd count).
    Ok(Percentiles::of(&runs).p50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_uploads_of_a_photo_count_once_with_their_number() {
        let a = Bytes::from_static(b"photo a");
        let b = Bytes::from_static(b"photo b");
        let uploads = [a.clone(), b.clone(), Bytes::from_static(b"photo a"), a];
        let photos = distinct(&uploads);
        assert_eq!(photos, vec![(uploads[0].clone(), 3), (b, 1)]);
    }

    /// A stand-in for `render` that answers every input with `line`, after burning some CPU.
    fn fake_render(dir: &Path, line: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("render");
        let body = format!(
            "#!/bin/sh\ni=0; while [ $i -lt 100000 ]; do i=$((i+1)); done\n\
             for f in \"$@\"; do case \"$f\" in */photo-*) echo '{line}';; esac; done\n"
        );
        std::fs::write(&script, body).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("render-cpu-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn render_is_timed_by_its_cpu_clock_and_a_refusal_is_an_error() {
        let dir = scratch("fake");
        let uploads = [Bytes::from_static(b"a"), Bytes::from_static(b"b")];
        let options = ["--rendition".to_owned(), "thumb:200x200".to_owned()];
        let ok = fake_render(&dir, r#"{"status":"ok","ms":{"total":5.0}}"#);
        let ms = cpu_ms_per_image(&ok, &options, &uploads, &dir.join("work")).unwrap();
        assert!(ms > 0.0, "{ms}");

        let refused = fake_render(
            &dir,
            r#"{"status":"rejected","error":{"kind":"truncated"}}"#,
        );
        let err = cpu_ms_per_image(&refused, &options, &uploads, &dir.join("work")).unwrap_err();
        assert!(err.to_string().contains("refused"), "{err}");
        assert!(
            !dir.join("work").exists(),
            "the scratch folder is removed after a failure"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cpu_time_is_shared_by_each_photos_timing_then_weighted_by_uploads() {
        // 300 ms of CPU over photos timed 100 and 50 ms: 200 and 100 ms each. Uploaded 1 and 3
        // times: (200 + 3 x 100) / 4.
        assert_eq!(per_upload_ms(300.0, &[100.0, 50.0], &[1, 3]), 125.0);
        assert_eq!(per_upload_ms(300.0, &[100.0, 50.0], &[1, 1]), 150.0);
        assert_eq!(per_upload_ms(300.0, &[], &[]), 0.0);
    }
}
