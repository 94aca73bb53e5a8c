//! What each function instance of the local Lambda service did and when: its start, its init
//! (process start to its first request for work, Lambda's init phase) and each invocation it
//! held, for the report's instance chart and its `init_ms`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// One instance's life, in seconds since the run started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceTimeline {
    pub instance: u64,
    pub started_s: f64,
    /// Process start to its first `next`; `None` if it never asked for work.
    pub init_ms: Option<f64>,
    /// `[start, end]` of each invocation it held.
    pub busy_s: Vec<[f64; 2]>,
}

#[derive(Debug)]
struct Trace {
    started: Instant,
    first_next: Option<Instant>,
    busy: Vec<(Instant, Option<Instant>)>,
    exited: bool,
}

/// The traces of every instance of one function.
#[derive(Debug, Default)]
pub struct Traces {
    traces: Mutex<BTreeMap<u64, Trace>>,
}

impl Traces {
    fn with(&self, instance: u64, change: impl FnOnce(&mut Trace)) {
        if let Some(trace) = self.traces.lock().expect("lock").get_mut(&instance) {
            change(trace);
        }
    }

    /// The instance's process is being started.
    pub fn started(&self, instance: u64) {
        self.traces.lock().expect("lock").insert(
            instance,
            Trace {
                started: Instant::now(),
                first_next: None,
                busy: Vec::new(),
                exited: false,
            },
        );
    }

    /// The instance asked for work: its init is over, and so is any invocation it held.
    pub fn asked(&self, instance: u64) {
        let now = Instant::now();
        self.with(instance, |trace| {
            trace.first_next.get_or_insert(now);
            close(trace, now);
        });
    }

    /// The instance was given an invocation.
    pub fn took(&self, instance: u64) {
        self.with(instance, |trace| trace.busy.push((Instant::now(), None)));
    }

    /// The instance's process ended (or was killed), ending whatever it held.
    pub fn exited(&self, instance: u64) {
        self.with(instance, |trace| {
            trace.exited = true;
            close(trace, Instant::now());
        });
    }

    /// How many instances are still in their init: started, alive, and not yet asking for work.
    pub fn initialising(&self) -> usize {
        let traces = self.traces.lock().expect("lock");
        traces
            .values()
            .filter(|trace| trace.first_next.is_none() && !trace.exited)
            .count()
    }

    /// Every instance's timeline, in seconds since `origin` (the run's start); an invocation
    /// still open ends now.
    pub fn timelines(&self, origin: Instant) -> Vec<InstanceTimeline> {
        let now = Instant::now();
        let seconds = |t: Instant| {
            let s = t.saturating_duration_since(origin).as_secs_f64();
            (s * 1000.0).round() / 1000.0
        };
        self.traces
            .lock()
            .expect("lock")
            .iter()
            .map(|(&instance, trace)| InstanceTimeline {
                instance,
                started_s: seconds(trace.started),
                init_ms: trace.first_next.map(|first| {
                    let ms = first.duration_since(trace.started).as_secs_f64() * 1000.0;
                    (ms * 10.0).round() / 10.0
                }),
                busy_s: trace
                    .busy
                    .iter()
                    .map(|&(from, to)| [seconds(from), seconds(to.unwrap_or(now))])
                    .collect(),
            })
            .collect()
    }
}

fn close(trace: &mut Trace, at: Instant) {
    if let Some((_, end @ None)) = trace.busy.last_mut() {
        *end = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_ends_at_the_first_request_and_each_request_ends_the_last_invocation() {
        let traces = Traces::default();
        let origin = Instant::now();
        traces.started(7);
        assert_eq!(traces.initialising(), 1);
        traces.asked(7);
        traces.took(7);
        traces.asked(7);
        traces.took(7);
        traces.exited(7);
        traces.took(99); // an instance that was never started is ignored
        assert_eq!(traces.initialising(), 0);
        let timelines = traces.timelines(origin);
        assert_eq!(timelines.len(), 1);
        let t = &timelines[0];
        assert_eq!(t.instance, 7);
        assert!(t.init_ms.is_some());
        assert_eq!(t.busy_s.len(), 2);
        assert!(t.busy_s.iter().all(|[from, to]| from <= to));
        assert!(t.busy_s[0][1] <= t.busy_s[1][0], "one after the other");
    }

    #[test]
    fn an_instance_that_exits_in_its_init_is_no_longer_initialising() {
        let traces = Traces::default();
        traces.started(1);
        traces.started(2);
        assert_eq!(traces.initialising(), 2);
        traces.exited(1);
        assert_eq!(traces.initialising(), 1);
        traces.asked(2);
        assert_eq!(traces.initialising(), 0);
    }
}
