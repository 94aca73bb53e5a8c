//! When a chaos run's faults happened: instance kills, S3 and SQS faults, the SQS fault burst
//! and duplicate deliveries, so the report can draw them on its time axis next to their effect.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// Faults on the run's time axis: a moment (`from_s == to_s`) or a stretch, in seconds since
/// the run started, and how many of its kind it stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultEvent {
    pub kind: String,
    pub from_s: f64,
    pub to_s: f64,
    pub count: u32,
}

/// The faults injected so far; shared by everything that injects them.
#[derive(Debug, Default)]
pub struct FaultLog {
    events: Mutex<Vec<(&'static str, Instant, Instant)>>,
}

/// Faults that come by the hundred (one per failed call) are drawn per second, with a count.
const PER_SECOND: &[&str] = &["S3 faults", "SQS faults"];

fn seconds(t: Instant, origin: Instant) -> f64 {
    let s = t.saturating_duration_since(origin).as_secs_f64();
    (s * 1000.0).round() / 1000.0
}

impl FaultLog {
    pub fn record(&self, kind: &'static str) {
        let now = Instant::now();
        self.record_span(kind, now, now);
    }

    pub fn record_span(&self, kind: &'static str, from: Instant, to: Instant) {
        self.events.lock().expect("lock").push((kind, from, to));
    }

    /// The events in seconds since `origin`, in time order; the kinds that come by the hundred
    /// become one event per second that had any.
    pub fn events(&self, origin: Instant) -> Vec<FaultEvent> {
        let mut per_second: BTreeMap<(&str, u64), u32> = BTreeMap::new();
        let mut events = Vec::new();
        for &(kind, from, to) in self.events.lock().expect("lock").iter() {
            let from_s = seconds(from, origin);
            if PER_SECOND.contains(&kind) {
                *per_second.entry((kind, from_s as u64)).or_default() += 1;
            } else {
                events.push(FaultEvent {
                    kind: kind.to_owned(),
                    from_s,
                    to_s: seconds(to, origin),
                    count: 1,
                });
            }
        }
        events.extend(
            per_second
                .into_iter()
                .map(|((kind, second), count)| FaultEvent {
                    kind: kind.to_owned(),
                    from_s: second as f64,
                    to_s: second as f64 + 1.0,
                    count,
                }),
        );
        events.sort_by(|a, b| a.from_s.total_cmp(&b.from_s));
        events
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn single_faults_stay_and_frequent_ones_are_counted_per_second() {
        let log = FaultLog::default();
        let origin = Instant::now() - Duration::from_millis(2500);
        log.record("instance killed");
        log.record("S3 faults");
        log.record("S3 faults");
        let events = log.events(origin);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kind, "S3 faults");
        assert_eq!(
            (events[0].from_s, events[0].to_s, events[0].count),
            (2.0, 3.0, 2)
        );
        assert_eq!(events[1].kind, "instance killed");
        assert_eq!(events[1].from_s, events[1].to_s);
    }
}
