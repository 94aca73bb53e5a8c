//! The `processor` Lambda: wiring only. Configuration and the S3 client are built once per
//! container; every SQS batch goes to `batch::handle_batch`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use processor::batch::handle_batch;
use processor::config::Config;
use processor::pipeline::Processor;
use processor::store::S3Store;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    contract::logging::init();
    let config = Config::from_env(|name| std::env::var(name).ok())
        .inspect_err(|err| tracing::error!(error = %err, "bad configuration"))?;
    let processor = Arc::new(Processor::new(S3Store::from_env().await, config));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let processor = Arc::clone(&processor);
        async move {
            let deadline = instant_of(event.context.deadline());
            Ok::<_, Error>(handle_batch(&processor, event.payload, deadline).await)
        }
    }))
    .await
}

/// The invocation deadline (wall clock) as a monotonic instant.
fn instant_of(deadline: SystemTime) -> Instant {
    let left = deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Instant::now() + left
}
