//! Progress while a pass runs: on a terminal, two bars (uploads and completions) with rates and
//! an ETA; elsewhere (CI logs), a plain line every five seconds.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::Timeline;

/// How far a pass has come, from its timeline.
struct Counts {
    uploaded: u64,
    finished: u64,
    done: usize,
    rejected: usize,
    queued: u64,
}

fn counts(timeline: &Mutex<Timeline>) -> Counts {
    let t = timeline.lock().expect("lock");
    Counts {
        uploaded: t.uploaded_s.len() as u64,
        finished: (t.done_s.len() + t.rejected_s.len()) as u64,
        done: t.done_s.len(),
        rejected: t.rejected_s.len(),
        queued: t
            .queue_depth
            .last()
            .map_or(0, |sample| sample.visible + sample.in_flight),
    }
}

fn bar(multi: &MultiProgress, expected: u64, prefix: &'static str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{prefix:>9} [{bar:32.cyan/blue}] {pos}/{len} {per_sec:>12} ETA {eta:>4} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bar = multi.add(ProgressBar::new(expected).with_style(style));
    bar.set_prefix(prefix);
    bar
}

/// Shows the pass's progress until it is aborted.
pub async fn show_progress(timeline: Arc<Mutex<Timeline>>, expected: usize, started: Instant) {
    if std::io::stderr().is_terminal() {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let uploads = bar(&multi, expected as u64, "uploaded");
        let finished = bar(&multi, expected as u64, "finished");
        loop {
            let c = counts(&timeline);
            uploads.set_position(c.uploaded);
            finished.set_position(c.finished);
            finished.set_message(format!(
                "done {} rejected {} queue {}",
                c.done, c.rejected, c.queued
            ));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let c = counts(&timeline);
        eprintln!(
            "[{:>4.0}s] uploaded {}/{expected}  done {}  rejected {}  queue {}",
            started.elapsed().as_secs_f64(),
            c.uploaded,
            c.done,
            c.rejected,
            c.queued
        );
    }
}
