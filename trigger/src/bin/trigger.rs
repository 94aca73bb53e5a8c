//! The `trigger` Lambda: wiring only. S3 invokes it; it enqueues jobs for the processor.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use trigger::{SqsQueue, TriggerConfig, handle_event};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    contract::logging::init();
    let config = TriggerConfig::from_env(|name| std::env::var(name).ok())
        .inspect_err(|err| tracing::error!(error = %err, "bad configuration"))?;
    let queue = SqsQueue::from_env(config.queue_url.clone()).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (config, queue) = (&config, &queue);
        async move {
            let summary = handle_event(config, queue, event.payload).await?;
            Ok::<_, Error>(
                serde_json::json!({"enqueued": summary.enqueued, "skipped": summary.skipped}),
            )
        }
    }))
    .await
}
