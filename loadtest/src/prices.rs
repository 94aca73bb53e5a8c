//! The price table: every figure the cost model uses, in one place, for one region.
//!
//! AWS list prices for us-east-1 (on-demand, no free tier), as published for 2025-2026.
//! Check <https://aws.amazon.com/lambda/pricing/> and the S3, SQS and CloudWatch pages before
//! relying on them.

/// The region these prices are for.
pub const REGION: &str = "us-east-1";
/// Lambda compute, USD per GB-second, arm64 (Graviton).
pub const LAMBDA_GB_SECOND_ARM64: f64 = 0.000_013_333_4;
/// Lambda compute, USD per GB-second, x86_64.
pub const LAMBDA_GB_SECOND_X86_64: f64 = 0.000_016_666_7;
/// Lambda requests, USD per invocation ($0.20 per million).
pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
/// SQS standard queue, USD per request ($0.40 per million).
pub const SQS_REQUEST: f64 = 0.40 / 1e6;
/// S3 Standard PUT, USD per request ($0.005 per 1,000).
pub const S3_PUT: f64 = 0.005 / 1e3;
/// S3 Standard GET, USD per request ($0.0004 per 1,000).
pub const S3_GET: f64 = 0.0004 / 1e3;
/// CloudWatch Logs ingestion, USD per GB.
pub const LOG_INGESTION_GB: f64 = 0.50;
/// S3 Standard storage, USD per GB-month (the first 50 TB).
pub const S3_STORAGE_GB_MONTH: f64 = 0.023;
/// CloudFront data transfer out to the internet, USD per GB (the first 10 TB, North America
/// and Europe).
pub const CLOUDFRONT_EGRESS_GB: f64 = 0.085;
