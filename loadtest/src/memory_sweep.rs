//! The memory sweep of `make loadtest TARGET=aws SWEEP=...`: setting the deployed processor's
//! memory size between passes, as AWS Lambda Power Tuning does.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Sets the processor's memory size and waits until Lambda has applied it.
pub async fn set_memory(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    memory_mb: u32,
) -> Result<()> {
    use aws_sdk_lambda::types::LastUpdateStatus;
    lambda
        .update_function_configuration()
        .function_name(function)
        .memory_size(memory_mb as i32)
        .send()
        .await
        .with_context(|| format!("setting {function} to {memory_mb} MB"))?;
    for _ in 0..120 {
        let config = lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await?;
        match config.last_update_status() {
            Some(LastUpdateStatus::InProgress) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Some(LastUpdateStatus::Failed) => bail!(
                "{function}: update to {memory_mb} MB failed: {}",
                config.last_update_status_reason().unwrap_or("no reason")
            ),
            _ => return Ok(()),
        }
    }
    bail!("{function}: update to {memory_mb} MB did not finish in 2 minutes")
}
