//! Progress on the terminal while a pass runs.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::run::Timeline;

/// Prints the pass's progress every second (on a terminal) or every five (in a log).
pub async fn show_progress(timeline: Arc<Mutex<Timeline>>, expected: usize, started: Instant) {
    let terminal = std::io::stderr().is_terminal();
    let mut ticks = 0u64;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        ticks += 1;
        let t = timeline.lock().expect("lock").clone();
        let depth = t
            .queue_depth
            .last()
            .map_or(0, |sample| sample.visible + sample.in_flight);
        let line = format!(
            "[{:>4.0}s] uploaded {}/{expected}  done {}  rejected {}  queue {depth}",
            started.elapsed().as_secs_f64(),
            t.uploaded_s.len(),
            t.done_s.len(),
            t.rejected_s.len()
        );
        if terminal {
            eprint!("\r{line}   ");
        } else if ticks.is_multiple_of(5) {
            eprintln!("{line}");
        }
    }
}
