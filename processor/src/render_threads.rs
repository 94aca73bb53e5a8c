//! The threads that render: `cpu_workers` long-lived threads, fed in arrival order, so each
//! render reuses memory an earlier render on the same thread left in its allocator.
//!
//! Tokio's blocking pool would do the work too, but it starts a fresh thread whenever none is
//! idle at the moment of the call, so renders wander between threads and each grows a heap of
//! its own. In the load test (130 uploads) an instance peaked at 285-292 MiB that way and at
//! 212-218 MiB on these threads, for the same CPU time per image.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Task = Box<dyn FnOnce() + Send>;

/// Why work handed to the render threads did not return a value.
#[derive(Debug)]
pub enum RenderThreadError {
    /// The work panicked; the payload, for its message. The thread lives on.
    Panicked(Box<dyn Any + Send>),
    /// No render thread is left to run it (each was started, so this means they all ended).
    Gone,
}

/// A fixed set of render threads; dropping the last handle lets them end.
#[derive(Debug, Clone)]
pub struct RenderThreads {
    tasks: Sender<Task>,
}

impl RenderThreads {
    /// Starts `workers` threads (at least one).
    pub fn start(workers: usize) -> Self {
        let (tasks, queue) = channel::<Task>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..workers.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("render-{index}"))
                .spawn(move || serve(&queue))
                .expect("the system starts a render thread");
        }
        Self { tasks }
    }

    /// Runs `work` on the next free render thread and waits for it without blocking the async
    /// runtime. Work whose caller has stopped waiting (its invocation timed out) is skipped.
    pub async fn run<T, F>(&self, work: F) -> Result<T, RenderThreadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let task: Task = Box::new(move || {
            if done.is_closed() {
                return;
            }
            let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
        });
        self.tasks.send(task).map_err(|_| RenderThreadError::Gone)?;
        match result.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(RenderThreadError::Panicked(panic)),
            Err(_) => Err(RenderThreadError::Gone),
        }
    }
}

fn serve(queue: &Mutex<Receiver<Task>>) {
    loop {
        // The lock is held only while waiting for the next task, never while running one.
        let next = queue.lock().map(|queue| queue.recv());
        match next {
            Ok(Ok(task)) => task(),
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn work_runs_on_the_same_threads_every_time() {
        let threads = RenderThreads::start(2);
        let mut names = HashSet::new();
        for _ in 0..50 {
            names.insert(threads.run(thread_name).await.unwrap());
        }
        assert!(names.len() <= 2, "{names:?}");
        assert!(
            names.iter().all(|name| name.starts_with("render-")),
            "{names:?}"
        );
    }

    #[tokio::test]
    async fn a_panic_fails_its_own_work_only() {
        let threads = RenderThreads::start(1);
        let panicked = threads.run(|| -> u8 { panic!("bad pixels") }).await;
        match panicked {
            Err(RenderThreadError::Panicked(payload)) => {
                assert_eq!(imaging::panic_message(&*payload), "bad pixels");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(threads.run(|| 7).await.unwrap(), 7, "the thread lives on");
    }

    #[tokio::test]
    async fn at_most_workers_run_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let threads = RenderThreads::start(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            threads.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        for result in futures::future::join_all(jobs).await {
            result.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn work_nobody_waits_for_is_skipped() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let threads = RenderThreads::start(1);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, is_started) = oneshot::channel();
        // Occupies the only thread until released.
        let busy = tokio::spawn({
            let threads = threads.clone();
            async move {
                let work = move || {
                    started.send(()).unwrap();
                    hold.recv()
                };
                threads.run(work).await
            }
        });
        is_started.await.unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = {
            let ran = Arc::clone(&ran);
            threads.run(move || ran.store(true, Ordering::SeqCst))
        };
        // Queue it, then stop waiting, as a timed-out invocation does.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(20), abandoned).await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap().unwrap();
        threads.run(|| ()).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst));
    }
}
