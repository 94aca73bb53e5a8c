//! Cost per million images, from what a run measured and the price table.

use serde::Serialize;

use crate::prices;

/// What a run measured, per image where it says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsagePerImage {
    /// Billed processor milliseconds per image (invocation durations rounded up to 1 ms, summed,
    /// divided by images).
    pub billed_ms_per_image: f64,
    pub memory_mb: u32,
    /// Function invocations per image (processor, plus the trigger in trigger mode).
    pub invocations_per_image: f64,
    /// SQS API requests per image (notification sends, receives, deletes).
    pub sqs_requests_per_image: f64,
    pub s3_puts_per_image: f64,
    pub s3_gets_per_image: f64,
    pub log_bytes_per_image: f64,
}

/// USD per million images, split by what is billed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostPerMillion {
    pub region: &'static str,
    pub lambda_compute_arm64: f64,
    /// The same run priced as x86_64, for comparison (not added to `total`).
    pub lambda_compute_x86_64: f64,
    pub lambda_requests: f64,
    pub sqs_requests: f64,
    pub s3_put: f64,
    pub s3_get: f64,
    pub log_ingestion: f64,
    /// arm64 compute plus every other part.
    pub total: f64,
}

const MILLION: f64 = 1e6;

impl CostPerMillion {
    /// Every part that `total` adds up, named as the report shows them.
    pub fn parts(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("Lambda compute (arm64)", self.lambda_compute_arm64),
            ("Lambda requests", self.lambda_requests),
            ("SQS requests", self.sqs_requests),
            ("S3 PUT", self.s3_put),
            ("S3 GET", self.s3_get),
            ("CloudWatch Logs ingestion", self.log_ingestion),
        ]
    }
}

impl UsagePerImage {
    /// GB-seconds of processor time per image.
    pub fn gb_seconds_per_image(&self) -> f64 {
        f64::from(self.memory_mb) / 1024.0 * self.billed_ms_per_image / 1000.0
    }

    pub fn cost_per_million(&self) -> CostPerMillion {
        let gb_s = self.gb_seconds_per_image() * MILLION;
        let lambda_compute_arm64 = gb_s * prices::LAMBDA_GB_SECOND_ARM64;
        let lambda_requests = self.invocations_per_image * MILLION * prices::LAMBDA_REQUEST;
        let sqs_requests = self.sqs_requests_per_image * MILLION * prices::SQS_REQUEST;
        let s3_put = self.s3_puts_per_image * MILLION * prices::S3_PUT;
        let s3_get = self.s3_gets_per_image * MILLION * prices::S3_GET;
        let log_ingestion = self.log_bytes_per_image * MILLION / 1e9 * prices::LOG_INGESTION_GB;
        CostPerMillion {
            region: prices::REGION,
            lambda_compute_arm64,
            lambda_compute_x86_64: gb_s * prices::LAMBDA_GB_SECOND_X86_64,
            lambda_requests,
            sqs_requests,
            s3_put,
            s3_get,
            log_ingestion,
            total: lambda_compute_arm64
                + lambda_requests
                + sqs_requests
                + s3_put
                + s3_get
                + log_ingestion,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6 * b.abs().max(1.0)
    }

    #[test]
    fn matches_hand_computed_figures() {
        // 1024 MB for 100 ms is 0.1 GB-s per image: 100,000 GB-s per million images.
        let usage = UsagePerImage {
            billed_ms_per_image: 100.0,
            memory_mb: 1024,
            invocations_per_image: 0.1, // batches of ten
            sqs_requests_per_image: 1.3,
            s3_puts_per_image: 4.0, // three renditions plus the upload
            s3_gets_per_image: 1.0,
            log_bytes_per_image: 1000.0,
        };
        let cost = usage.cost_per_million();
        assert!(close(
            cost.lambda_compute_arm64,
            100_000.0 * 0.000_013_333_4
        )); // $1.33334
        assert!(close(
            cost.lambda_compute_x86_64,
            100_000.0 * 0.000_016_666_7
        )); // $1.66667
        assert!(close(cost.lambda_requests, 0.02)); // 100,000 invocations at $0.20/M
        assert!(close(cost.sqs_requests, 0.52)); // 1.3 M requests at $0.40/M
        assert!(close(cost.s3_put, 20.0)); // 4 M PUTs at $5/M
        assert!(close(cost.s3_get, 0.4)); // 1 M GETs at $0.40/M
        assert!(close(cost.log_ingestion, 0.5)); // 1 GB at $0.50
        assert!(close(cost.total, 1.333_34 + 0.02 + 0.52 + 20.0 + 0.4 + 0.5));
    }

    #[test]
    fn one_vcpu_memory_size_in_gb_seconds() {
        let usage = UsagePerImage {
            billed_ms_per_image: 80.0,
            memory_mb: 1769,
            invocations_per_image: 0.0,
            sqs_requests_per_image: 0.0,
            s3_puts_per_image: 0.0,
            s3_gets_per_image: 0.0,
            log_bytes_per_image: 0.0,
        };
        assert!(close(usage.gb_seconds_per_image(), 1769.0 / 1024.0 * 0.08));
    }
}
