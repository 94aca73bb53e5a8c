//! What Terraform created, read from `terraform show -json`, so the local service runs the
//! functions and mappings as configured there rather than from a second copy.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::deployment::{AsyncConfig, Deployment, FunctionConfig};

fn resources(module: &Value, out: &mut Vec<Value>) {
    if let Some(list) = module.get("resources").and_then(Value::as_array) {
        out.extend(list.iter().cloned());
    }
    for child in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        resources(child, out);
    }
}

/// The `values` of every resource of one type.
fn of_type<'a>(all: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    all.iter()
        .filter(move |r| r.get("type").and_then(Value::as_str) == Some(kind))
        .filter_map(|r| r.get("values"))
}

fn text(value: &Value, key: &str) -> Result<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("`{key}` missing in the Terraform state"))
}

fn number(value: &Value, key: &str) -> Result<u64> {
    value
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("`{key}` missing in the Terraform state"))
}

fn async_config(values: &Value) -> Result<AsyncConfig> {
    Ok(AsyncConfig {
        maximum_event_age: Duration::from_secs(number(values, "maximum_event_age_in_seconds")?),
        maximum_retry_attempts: number(values, "maximum_retry_attempts")? as u32,
        on_failure_arn: values
            .pointer("/destination_config/0/on_failure/0/destination")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn function(values: &Value, all: &[Value]) -> Result<FunctionConfig> {
    let name = text(values, "function_name")?;
    let asynchronous = of_type(all, "aws_lambda_function_event_invoke_config")
        .find(|v| v.get("function_name").and_then(Value::as_str) == Some(name.as_str()))
        .map(async_config)
        .transpose()?;
    let environment = values
        .pointer("/environment/0/variables")
        .and_then(Value::as_object)
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(FunctionConfig {
        name,
        environment,
        memory_mb: number(values, "memory_size")? as u32,
        timeout: Duration::from_secs(number(values, "timeout")?),
        architecture: values
            .pointer("/architectures/0")
            .and_then(Value::as_str)
            .unwrap_or("arm64")
            .to_owned(),
        asynchronous,
    })
}

impl Deployment {
    /// Reads `terraform show -json` of a deployment: `terraform/` itself, or the
    /// `examples/local` wrapper (whose `pipeline` output is the root module's outputs).
    pub(crate) fn from_show_json(show: &Value) -> Result<Self> {
        // examples/local wraps the root module's outputs in one `pipeline` output; a real
        // deployment's state (the root module applied directly) has them at the top.
        let top: serde_json::Map<String, Value> = show
            .pointer("/values/outputs")
            .and_then(Value::as_object)
            .context("no outputs in the state: apply the Terraform first")?
            .iter()
            .map(|(name, output)| (name.clone(), output["value"].clone()))
            .collect();
        let top = Value::Object(top);
        let outputs = top.get("pipeline").unwrap_or(&top);
        let mut all = Vec::new();
        resources(
            show.pointer("/values/root_module")
                .context("no root module in the state")?,
            &mut all,
        );
        let processor_name = text(outputs, "processor_function_name")?;
        let trigger_name = outputs
            .get("trigger_function_name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let find = |name: &str| -> Result<FunctionConfig> {
            let values = of_type(&all, "aws_lambda_function")
                .find(|v| v.get("function_name").and_then(Value::as_str) == Some(name))
                .ok_or_else(|| anyhow!("function {name} is not in the state"))?;
            function(values, &all)
        };
        let mapping = of_type(&all, "aws_lambda_event_source_mapping")
            .next()
            .context("no event source mapping in the state")?;
        Ok(Deployment {
            bucket: text(outputs, "bucket")?,
            output_bucket: text(outputs, "output_bucket")?,
            input_prefix: text(outputs, "input_prefix")?,
            output_prefix: text(outputs, "output_prefix")?,
            rejected_prefix: text(outputs, "rejected_prefix")?,
            queue_url: text(outputs, "queue_url")?,
            queue_arn: text(outputs, "queue_arn")?,
            dlq_url: text(outputs, "dlq_url")?,
            notification_mode: text(outputs, "notification_mode")?,
            trigger_failures_url: outputs
                .get("trigger_failures_url")
                .and_then(Value::as_str)
                .map(str::to_owned),
            processor: find(&processor_name)?,
            trigger: trigger_name.map(|name| find(&name)).transpose()?,
            batch_size: number(mapping, "batch_size")? as usize,
            batching_window: Duration::from_secs(
                mapping
                    .get("maximum_batching_window_in_seconds")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ),
            maximum_concurrency: mapping
                .pointer("/scaling_config/0/maximum_concurrency")
                .and_then(Value::as_u64)
                .unwrap_or(2) as usize,
        })
    }
}
