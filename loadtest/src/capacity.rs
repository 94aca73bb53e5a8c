//! The capacity model: what one processor instance renders per second, how many instances a
//! rate needs, and which limit caps the pipeline first, from what a run measured. The report
//! prints its prediction next to the measured throughput (README, "Capacity").

use serde::Serialize;

/// S3's request rates per partitioned prefix (AWS's documented floor, before S3 splits a busy
/// prefix): PUT/COPY/POST/DELETE and GET/HEAD requests per second.
pub const S3_PUTS_PER_PREFIX: f64 = 3_500.0;
pub const S3_GETS_PER_PREFIX: f64 = 5_500.0;
/// The most messages a standard queue holds in flight (received, not yet deleted).
pub const SQS_IN_FLIGHT: f64 = 120_000.0;
/// Lambda's default concurrency quota per account and region (new accounts may get less: the
/// README's first-deploy checks say how to read yours).
pub const ACCOUNT_CONCURRENCY: f64 = 1_000.0;

/// What the model is given: a run's settings and what it measured.
#[derive(Debug, Clone, Copy)]
pub struct ModelInput {
    /// Billed processor milliseconds per image (batches included, so parallel workers count).
    pub processor_ms_per_image: f64,
    /// The mapping's `maximum_concurrency`: the most instances SQS will keep busy.
    pub instances: usize,
    /// Uploads offered per second, if the run was paced.
    pub offered_rate: Option<f64>,
    /// Files written per image (S3 PUTs): one per format of each rendition.
    pub files_per_image: usize,
    /// Seconds from upload to done at the median: how long a message stays in flight.
    pub latency_s: f64,
}

/// One ceiling on images per second, and where it comes from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ceiling {
    pub limit: String,
    pub images_per_second: f64,
}

/// The model's prediction for a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Capacity {
    pub images_per_second_per_instance: f64,
    /// Instances the offered rate needs when each is kept busy (Little's law).
    pub instances_for_offered_rate: Option<f64>,
    /// Every ceiling, lowest first.
    pub ceilings: Vec<Ceiling>,
    /// What the run should reach: the offered rate, or the lowest ceiling if that is lower.
    pub predicted_images_per_second: f64,
}

impl Capacity {
    pub fn model(input: ModelInput) -> Self {
        let per_instance = if input.processor_ms_per_image > 0.0 {
            1000.0 / input.processor_ms_per_image
        } else {
            0.0
        };
        let mut ceilings = vec![
            Ceiling {
                limit: format!(
                    "the mapping's maximum_concurrency ({} instances)",
                    input.instances
                ),
                images_per_second: per_instance * input.instances as f64,
            },
            Ceiling {
                limit: format!("account concurrency ({ACCOUNT_CONCURRENCY} instances)"),
                images_per_second: per_instance * ACCOUNT_CONCURRENCY,
            },
            Ceiling {
                limit: format!(
                    "S3 PUTs per output prefix ({S3_PUTS_PER_PREFIX}/s, {} per image)",
                    input.files_per_image
                ),
                images_per_second: S3_PUTS_PER_PREFIX / input.files_per_image.max(1) as f64,
            },
            Ceiling {
                limit: format!("S3 GETs per upload prefix ({S3_GETS_PER_PREFIX}/s)"),
                images_per_second: S3_GETS_PER_PREFIX,
            },
            Ceiling {
                limit: format!(
                    "SQS messages in flight ({SQS_IN_FLIGHT}, each for {:.1} s)",
                    input.latency_s
                ),
                images_per_second: SQS_IN_FLIGHT / input.latency_s.max(1e-3),
            },
        ];
        ceilings.sort_by(|a, b| a.images_per_second.total_cmp(&b.images_per_second));
        let lowest = ceilings[0].images_per_second;
        Self {
            images_per_second_per_instance: round2(per_instance),
            instances_for_offered_rate: input
                .offered_rate
                .map(|rate| round2(rate * input.processor_ms_per_image / 1000.0)),
            predicted_images_per_second: round2(
                input.offered_rate.map_or(lowest, |r| r.min(lowest)),
            ),
            ceilings: ceilings
                .into_iter()
                .map(|c| Ceiling {
                    images_per_second: round2(c.images_per_second),
                    ..c
                })
                .collect(),
        }
    }

    /// One Markdown line: the prediction, what binds first, and the measured throughput.
    pub fn summary(&self, measured: f64) -> String {
        let needed = self.instances_for_offered_rate.map_or(String::new(), |n| {
            format!("; the offered rate needs {n} busy instances")
        });
        format!(
            "Capacity model: {} images/s per instance{needed}; first limit: {} ({} images/s); predicted **{} images/s**, measured {measured:.2}",
            self.images_per_second_per_instance,
            self.ceilings[0].limit,
            self.ceilings[0].images_per_second,
            self.predicted_images_per_second,
        )
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ModelInput {
        ModelInput {
            processor_ms_per_image: 50.0,
            instances: 2,
            offered_rate: None,
            files_per_image: 3,
            latency_s: 1.5,
        }
    }

    #[test]
    fn two_instances_at_50_ms_cap_at_40_images_per_second() {
        let model = Capacity::model(input());
        assert_eq!(model.images_per_second_per_instance, 20.0);
        assert_eq!(model.ceilings[0].images_per_second, 40.0);
        assert!(model.ceilings[0].limit.contains("maximum_concurrency"));
        assert_eq!(model.predicted_images_per_second, 40.0);
    }

    #[test]
    fn an_offered_rate_below_the_ceiling_is_the_prediction() {
        let model = Capacity::model(ModelInput {
            offered_rate: Some(10.0),
            ..input()
        });
        assert_eq!(model.predicted_images_per_second, 10.0);
        assert_eq!(model.instances_for_offered_rate, Some(0.5));
    }

    #[test]
    fn at_scale_s3_puts_bind_before_concurrency() {
        // 1000 instances at 50 ms could do 20,000 images/s; three PUTs each cap a prefix at 1,166.
        let model = Capacity::model(ModelInput {
            instances: 1000,
            ..input()
        });
        assert!(model.ceilings[0].limit.starts_with("S3 PUTs"));
        assert_eq!(model.predicted_images_per_second, 1166.67);
        let line = model.summary(900.0);
        assert!(
            line.contains("1166.67 images/s**, measured 900.00"),
            "{line}"
        );
    }
}
