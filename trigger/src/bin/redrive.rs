//! `redrive` (`make redrive`): once the cause of the failures is fixed, brings back what the
//! pipeline set aside. Reads the stack's `terraform output -json`: asks SQS to move the
//! dead-letter queue's messages back to the work queue, and in trigger mode turns the trigger's
//! failure records back into jobs with the trigger's own rules.

use std::process::ExitCode;

use trigger::redrive::redrive;
use trigger::{SqsFailureQueue, SqsQueue, TriggerConfig};

const USAGE: &str = "usage: redrive OUTPUTS_JSON [--skip-dlq]";

#[tokio::main]
async fn main() -> ExitCode {
    contract::logging::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("redrive: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or(USAGE)?;
    let skip_dlq = args.iter().any(|a| a == "--skip-dlq");
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let outputs = Outputs::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let shared = aws_config::from_env()
        .region(aws_config::Region::new(outputs.text("region")?.to_owned()))
        .load()
        .await;
    let sqs = aws_sdk_sqs::Client::new(&shared);

    if !skip_dlq {
        let task = sqs
            .start_message_move_task()
            .source_arn(outputs.text("dlq_arn")?)
            .destination_arn(outputs.text("queue_arn")?)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "moving the dead-letter queue back: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
        println!(
            "redrive: dead-letter queue: move task {} started",
            task.task_handle().unwrap_or("(no handle)")
        );
    }

    let Some(failures_url) = outputs.optional("trigger_failures_url") else {
        println!("redrive: direct mode, no trigger failure queue");
        return Ok(());
    };
    let config = TriggerConfig::from_env(|name| outputs.setting(name))
        .map_err(|e| format!("the trigger's settings in the outputs: {e}"))?;
    let jobs = SqsQueue::new(sqs.clone(), config.queue_url.clone());
    let failures = SqsFailureQueue::new(sqs, failures_url.to_owned());
    let summary = redrive(&config, &failures, &jobs)
        .await
        .map_err(|e| format!("reading the trigger failure queue: {e}"))?;
    println!(
        "redrive: trigger failures: {} records, {} jobs enqueued, {} skipped by the trigger's rules, {} kept",
        summary.records, summary.enqueued, summary.skipped, summary.kept
    );
    if summary.kept > 0 {
        return Err(format!(
            "{} records stay in the failure queue (see the log lines above)",
            summary.kept
        ));
    }
    Ok(())
}

/// `terraform output -json` of the root module, or of `examples/local` (one `pipeline` output).
struct Outputs(serde_json::Map<String, serde_json::Value>);

impl Outputs {
    fn parse(text: &str) -> Result<Self, String> {
        let all: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        let values: serde_json::Map<String, serde_json::Value> = all
            .into_iter()
            .map(|(name, output)| (name, output["value"].clone()))
            .collect();
        match values.get("pipeline").and_then(|p| p.as_object()) {
            Some(pipeline) => Ok(Self(pipeline.clone())),
            None => Ok(Self(values)),
        }
    }

    fn optional(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.as_str())
    }

    fn text(&self, name: &str) -> Result<&str, String> {
        self.optional(name)
            .ok_or_else(|| format!("no `{name}` output: apply the Terraform first"))
    }

    /// The trigger's environment variables, from the outputs that carry them.
    fn setting(&self, variable: &str) -> Option<String> {
        let output = match variable {
            "QUEUE_URL" => "queue_url",
            "INPUT_PREFIX" => "input_prefix",
            "OUTPUT_PREFIX" => "output_prefix",
            "REJECTED_PREFIX" => "rejected_prefix",
            "MAX_BYTES" => return self.0.get("max_bytes").map(|v| v.to_string()),
            _ => return None,
        };
        self.optional(output).map(str::to_owned)
    }
}
