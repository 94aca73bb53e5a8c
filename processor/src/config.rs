//! The processor's configuration: read from environment variables once, at cold start, and
//! validated there so a bad value stops the function with a clear message.

use std::time::Duration;

use contract::defaults;
use imaging::{Limits, RenderOptions, Rendition, parse_hex_colour, parse_renditions};

/// What happens to a message whose image can never be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnReject {
    /// Write a rejection record and acknowledge the message (default).
    Record,
    /// Report the message failed, so after `maxReceiveCount` receives it lands in the DLQ.
    DeadLetter,
}

/// Everything the processor needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub renditions: Vec<Rendition>,
    /// Where renditions and rejection records go; `None` means the source object's bucket.
    pub output_bucket: Option<String>,
    pub input_prefix: String,
    pub output_prefix: String,
    pub rejected_prefix: String,
    pub render: RenderOptions,
    pub cache_control: String,
    pub on_reject: OnReject,
    /// How many images are decoded and resized at once; sized to the vCPUs by default.
    pub cpu_workers: usize,
    /// How many messages are in flight at once (S3 transfers overlap with CPU work).
    pub messages_in_flight: usize,
    /// No new message is started with less time than this left before the deadline.
    pub time_per_message: Duration,
    /// The CloudWatch namespace of the per-image metrics.
    pub metrics_namespace: String,
    /// How the per-image memory budget (`render.memory_budget`) was worked out and how to raise
    /// it, for the reason of an image refused for it.
    pub memory_advice: String,
}

/// What the processor holds besides images: the runtime, the AWS SDK and its TLS buffers, the
/// code (about 40 MiB measured at rest), with room to spare.
const RUNTIME_RESERVE_MIB: u64 = 64;

/// The smallest per-image budget worth starting with: less, and the configuration is refused.
const MIN_BUDGET_MIB: u64 = 64;

/// Each image being rendered may use an equal share of the function's memory, after the
/// runtime and every download in flight at its largest (`MAX_BYTES`) are set aside. Returns
/// the budget in bytes and a sentence saying so.
fn memory_budget(
    memory_mb: u64,
    in_flight: u64,
    max_bytes: u64,
    cpu_workers: u64,
) -> Result<(u64, String), String> {
    let downloads = in_flight * max_bytes;
    let shared = (memory_mb << 20).saturating_sub((RUNTIME_RESERVE_MIB << 20) + downloads);
    let budget = shared / cpu_workers;
    let advice = format!(
        "The budget is the function's {memory_mb} MB, less {RUNTIME_RESERVE_MIB} MiB for the runtime and \
         MESSAGES_IN_FLIGHT ({in_flight}) x MAX_BYTES ({} MiB) for downloads, shared by CPU_WORKERS \
         ({cpu_workers}); raise processor_memory_mb, or lower those",
        max_bytes >> 20
    );
    if budget < MIN_BUDGET_MIB << 20 {
        return Err(format!(
            "leaves {} MiB per image, under {MIN_BUDGET_MIB} MiB. {advice}",
            budget >> 20
        ));
    }
    Ok((budget, advice))
}

/// A configuration value that cannot be used; names the variable and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

/// Lambda gives one vCPU per 1,769 MB of memory, up to six.
pub fn vcpus_for_memory_mb(memory_mb: u64) -> usize {
    memory_mb.div_ceil(1769).clamp(1, 6) as usize
}

impl Config {
    /// Reads the configuration through `var` (`std::env::var` in the function, a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| -> (&'static str, String) {
            (
                name,
                var(name)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| default.to_owned()),
            )
        };
        let fail = |(name, value): (&'static str, String), reason: String| ConfigError {
            name,
            value,
            reason,
        };
        let number = |entry: (&'static str, String)| -> Result<u64, ConfigError> {
            entry
                .1
                .parse::<u64>()
                .map_err(|e| fail(entry.clone(), format!("not a whole number: {e}")))
        };
        // An encoder setting: a whole number from 0 to `max`.
        let at_most = |entry: &(&'static str, String), max: u8| -> Result<u8, ()> {
            entry.1.parse::<u8>().ok().filter(|&v| v <= max).ok_or(())
        };

        let renditions_var = get("RENDITIONS", defaults::RENDITIONS);
        let renditions = parse_renditions(&renditions_var.1)
            .map_err(|e| fail(renditions_var.clone(), e.to_string()))?;

        let input_prefix = get("INPUT_PREFIX", defaults::INPUT_PREFIX);
        let output_prefix = get("OUTPUT_PREFIX", defaults::OUTPUT_PREFIX);
        let rejected_prefix = get("REJECTED_PREFIX", defaults::REJECTED_PREFIX);
        for (a, b) in [
            (&output_prefix, &input_prefix),
            (&rejected_prefix, &input_prefix),
            (&rejected_prefix, &output_prefix),
        ] {
            if a.1.starts_with(&b.1) || b.1.starts_with(&a.1) {
                return Err(fail(
                    a.clone(),
                    format!(
                        "overlaps {}={:?}; give inputs, outputs and rejections disjoint prefixes so outputs never trigger processing",
                        b.0, b.1
                    ),
                ));
            }
        }

        let max_pixels = number(get("MAX_PIXELS", &defaults::MAX_PIXELS.to_string()))?;
        let max_bytes = number(get("MAX_BYTES", &defaults::MAX_BYTES.to_string()))?;
        let max_side = number(get("MAX_SIDE", &defaults::MAX_SIDE.to_string()))?;
        let background_var = get("BACKGROUND", "ffffff");
        let background = parse_hex_colour(&background_var.1)
            .map_err(|reason| fail(background_var.clone(), reason))?;

        let webp_method_var = get("WEBP_METHOD", &imaging::DEFAULT_WEBP_METHOD.to_string());
        let webp_method = at_most(&webp_method_var, 6).map_err(|()| {
            fail(
                webp_method_var,
                "must be 0 (fastest) to 6 (smallest)".into(),
            )
        })?;
        let avif_speed_var = get("AVIF_SPEED", &imaging::DEFAULT_AVIF_SPEED.to_string());
        let avif_speed = at_most(&avif_speed_var, 10).map_err(|()| {
            fail(
                avif_speed_var,
                "must be 0 (smallest) to 10 (fastest)".into(),
            )
        })?;

        let on_reject_var = get("ON_REJECT", "record");
        let on_reject = match on_reject_var.1.as_str() {
            "record" => OnReject::Record,
            "dlq" => OnReject::DeadLetter,
            _ => return Err(fail(on_reject_var, "expected `record` or `dlq`".to_owned())),
        };

        let memory = number(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769"))?;
        let available = std::thread::available_parallelism().map_or(1, usize::from);
        let default_workers = vcpus_for_memory_mb(memory).min(available);
        let cpu_workers = number(get("CPU_WORKERS", &default_workers.to_string()))?;
        if !(1..=64).contains(&cpu_workers) {
            return Err(fail(
                ("CPU_WORKERS", cpu_workers.to_string()),
                "must be 1 to 64".to_owned(),
            ));
        }
        let in_flight = number(get("MESSAGES_IN_FLIGHT", &(cpu_workers * 3).to_string()))?;
        if !(1..=100).contains(&in_flight) {
            return Err(fail(
                ("MESSAGES_IN_FLIGHT", in_flight.to_string()),
                "must be 1 to 100".to_owned(),
            ));
        }
        let (memory_budget, memory_advice) =
            memory_budget(memory, in_flight, max_bytes, cpu_workers).map_err(|reason| {
                fail(
                    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string()),
                    reason,
                )
            })?;
        let time_per_message = number(get("TIME_PER_MESSAGE_MS", "3000"))?;
        let namespace_var = get("METRICS_NAMESPACE", "ImagePipeline");
        check_namespace(&namespace_var.1).map_err(|reason| fail(namespace_var.clone(), reason))?;

        Ok(Config {
            renditions,
            output_bucket: var("OUTPUT_BUCKET").filter(|b| !b.is_empty()),
            input_prefix: input_prefix.1,
            output_prefix: output_prefix.1,
            rejected_prefix: rejected_prefix.1,
            render: RenderOptions {
                limits: Limits {
                    max_pixels,
                    max_width: u32::try_from(max_side).unwrap_or(u32::MAX),
                    max_height: u32::try_from(max_side).unwrap_or(u32::MAX),
                    max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
                },
                background,
                memory_budget: Some(memory_budget),
                webp_method,
                avif_speed,
                ..RenderOptions::default()
            },
            cache_control: get("CACHE_CONTROL", "public, max-age=86400").1,
            on_reject,
            cpu_workers: cpu_workers as usize,
            messages_in_flight: in_flight as usize,
            time_per_message: Duration::from_millis(time_per_message),
            metrics_namespace: namespace_var.1,
            memory_advice,
        })
    }

    /// The bucket renditions and rejection records of an upload in `source_bucket` go to.
    pub fn output_bucket_for<'a>(&'a self, source_bucket: &'a str) -> &'a str {
        self.output_bucket.as_deref().unwrap_or(source_bucket)
    }
}

/// CloudWatch's rules for a namespace: 1-255 characters from `0-9A-Za-z.-_/#:` and space, not
/// blank, and not in the `AWS/` space that AWS's own services use.
fn check_namespace(namespace: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
    if namespace.len() > 255 || namespace.trim().is_empty() || !namespace.chars().all(allowed) {
        return Err(
            "a CloudWatch namespace is 1-255 characters of letters, digits and . - _ / # : space"
                .to_owned(),
        );
    }
    if namespace.starts_with("AWS/") {
        return Err("the AWS/ namespaces belong to AWS's own services".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_env(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_usable() {
        let c = config(&[]).unwrap();
        assert_eq!(c.renditions.len(), 3);
        assert_eq!(
            (
                c.input_prefix.as_str(),
                c.output_prefix.as_str(),
                c.rejected_prefix.as_str()
            ),
            ("uploads/", "processed/", "rejected/")
        );
        assert_eq!(c.output_bucket, None);
        assert_eq!(c.render.limits.max_pixels, 50_000_000);
        assert_eq!(c.on_reject, OnReject::Record);
        assert_eq!(c.metrics_namespace, "ImagePipeline");
        assert_eq!(c.output_bucket_for("source"), "source");
        let separate = config(&[
            ("OUTPUT_BUCKET", "out"),
            ("METRICS_NAMESPACE", "Shop/Images"),
        ])
        .unwrap();
        assert_eq!(separate.output_bucket_for("source"), "out");
        assert_eq!(separate.metrics_namespace, "Shop/Images");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (vars, name) in [
            (vec![("RENDITIONS", "thumb:0x1")], "RENDITIONS"),
            (vec![("RENDITIONS", "thumb:9x9:gif")], "RENDITIONS"),
            (vec![("WEBP_METHOD", "7")], "WEBP_METHOD"),
            (vec![("AVIF_SPEED", "11")], "AVIF_SPEED"),
            (vec![("AVIF_SPEED", "fast")], "AVIF_SPEED"),
            (vec![("MAX_PIXELS", "lots")], "MAX_PIXELS"),
            (vec![("OUTPUT_PREFIX", "uploads/out/")], "OUTPUT_PREFIX"),
            (vec![("REJECTED_PREFIX", "processed/")], "REJECTED_PREFIX"),
            (vec![("ON_REJECT", "drop")], "ON_REJECT"),
            (vec![("BACKGROUND", "white")], "BACKGROUND"),
            (vec![("CPU_WORKERS", "0")], "CPU_WORKERS"),
            (
                vec![("METRICS_NAMESPACE", "AWS/Lambda")],
                "METRICS_NAMESPACE",
            ),
            (vec![("METRICS_NAMESPACE", "bad|name")], "METRICS_NAMESPACE"),
        ] {
            let err = config(&vars).expect_err(name);
            assert_eq!(err.name, name, "{err}");
        }
    }

    #[test]
    fn the_memory_budget_shares_what_downloads_and_the_runtime_leave() {
        let c = config(&[]).unwrap();
        // 1769 MB less 64 MiB and three 50 MiB downloads, for one CPU worker.
        assert_eq!(c.render.memory_budget, Some((1769 - 64 - 150) << 20));
        let two = config(&[
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3538"),
            ("CPU_WORKERS", "2"),
        ])
        .unwrap();
        assert_eq!(two.render.memory_budget, Some((3538 - 64 - 300) << 20 >> 1));
        let err = config(&[("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")]).unwrap_err();
        assert_eq!(err.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        assert!(err.reason.contains("raise processor_memory_mb"), "{err}");
    }

    #[test]
    fn vcpus_follow_lambda_memory() {
        assert_eq!(vcpus_for_memory_mb(128), 1);
        assert_eq!(vcpus_for_memory_mb(1769), 1);
        assert_eq!(vcpus_for_memory_mb(1770), 2);
        assert_eq!(vcpus_for_memory_mb(10240), 6);
    }
}
