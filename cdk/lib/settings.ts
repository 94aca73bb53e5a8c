/**
 * The settings both deployers read: config/pipeline.json, keyed by the Terraform variable
 * names, with their types and defaults (equal to the Terraform variables' defaults).
 */

/** CloudFront's sets of edge locations, cheapest first. */
export type PriceClass = "PriceClass_100" | "PriceClass_200" | "PriceClass_All";

/** Every setting the CDK stack takes, as config/pipeline.json names it. */
export interface PipelineConfig {
  name: string;
  region: string;
  notification_mode: "direct" | "trigger";
  architecture: "arm64" | "x86_64";
  bucket_name: string | null;
  separate_output_bucket: boolean;
  renditions: string;
  webp_method: number;
  avif_speed: number;
  input_prefix: string;
  output_prefix: string;
  rejected_prefix: string;
  rejected_retention_days: number;
  max_pixels: number;
  max_bytes: number;
  on_reject: "record" | "dlq";
  processor_memory_mb: number;
  processor_timeout_seconds: number;
  processor_reserved_concurrency: number;
  batch_size: number;
  batching_window_seconds: number;
  maximum_concurrency: number;
  queue_visibility_timeout_seconds: number | null;
  max_receive_count: number;
  log_retention_days: number;
  trigger_maximum_event_age_seconds: number;
  trigger_maximum_retry_attempts: number;
  metrics_namespace: string;
  alarm_actions: string[];
  create_alarm_topic: boolean;
  alarm_topic_arn: string | null;
  alarm_emails: string[];
  create_dashboard: boolean;
  kms_key_arn: string | null;
  cloudwatch_logs_skip_destroy: boolean;
  role_path: string;
  role_permissions_boundary: string | null;
  tags: Record<string, string>;
  cdn_enabled: boolean;
  cdn_price_class: PriceClass;
  processor_zip: string;
  trigger_zip: string;
  /** A local AWS emulator (make loadtest DEPLOYER=cdk); null deploys to AWS. */
  local_endpoint: string | null;
}

/** The Terraform variables' defaults. */
export const DEFAULTS: PipelineConfig = {
  name: "image-pipeline",
  region: "eu-west-1",
  notification_mode: "direct",
  architecture: "arm64",
  bucket_name: null,
  separate_output_bucket: false,
  renditions: "thumb:200x200:cover:q75,medium:800x800:q80,large:1600x1600:q80",
  webp_method: 4,
  avif_speed: 9,
  input_prefix: "uploads/",
  output_prefix: "processed/",
  rejected_prefix: "rejected/",
  rejected_retention_days: 30,
  max_pixels: 50000000,
  max_bytes: 52428800,
  on_reject: "record",
  processor_memory_mb: 1769,
  processor_timeout_seconds: 60,
  processor_reserved_concurrency: -1,
  batch_size: 10,
  batching_window_seconds: 1,
  maximum_concurrency: 5,
  queue_visibility_timeout_seconds: null,
  max_receive_count: 5,
  log_retention_days: 30,
  trigger_maximum_event_age_seconds: 21600,
  trigger_maximum_retry_attempts: 2,
  metrics_namespace: "ImagePipeline",
  alarm_actions: [],
  create_alarm_topic: false,
  alarm_topic_arn: null,
  alarm_emails: [],
  create_dashboard: true,
  kms_key_arn: null,
  cloudwatch_logs_skip_destroy: false,
  role_path: "/",
  role_permissions_boundary: null,
  tags: {},
  cdn_enabled: false,
  cdn_price_class: "PriceClass_100",
  processor_zip: "../target/lambda/processor/bootstrap.zip",
  trigger_zip: "../target/lambda/trigger/bootstrap.zip",
  local_endpoint: null,
};

/** CloudWatch Logs' retention periods, in days (0: forever). */
export const LOG_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
  3288, 3653,
];

/** The queue's visibility timeout: set, or 6x the function timeout plus the window (AWS's guidance). */
export function visibilityTimeout(config: PipelineConfig): number {
  return (
    config.queue_visibility_timeout_seconds ??
    6 * config.processor_timeout_seconds + config.batching_window_seconds
  );
}

/** What each setting holds; `?` allows null. */
export const TYPES: Record<keyof PipelineConfig, string> = {
  name: "string",
  region: "string",
  notification_mode: "string",
  architecture: "string",
  bucket_name: "string?",
  separate_output_bucket: "boolean",
  renditions: "string",
  webp_method: "number",
  avif_speed: "number",
  input_prefix: "string",
  output_prefix: "string",
  rejected_prefix: "string",
  rejected_retention_days: "number",
  max_pixels: "number",
  max_bytes: "number",
  on_reject: "string",
  processor_memory_mb: "number",
  processor_timeout_seconds: "number",
  processor_reserved_concurrency: "number",
  batch_size: "number",
  batching_window_seconds: "number",
  maximum_concurrency: "number",
  queue_visibility_timeout_seconds: "number?",
  max_receive_count: "number",
  log_retention_days: "number",
  trigger_maximum_event_age_seconds: "number",
  trigger_maximum_retry_attempts: "number",
  metrics_namespace: "string",
  alarm_actions: "array",
  create_alarm_topic: "boolean",
  alarm_topic_arn: "string?",
  alarm_emails: "array",
  create_dashboard: "boolean",
  kms_key_arn: "string?",
  cloudwatch_logs_skip_destroy: "boolean",
  role_path: "string",
  role_permissions_boundary: "string?",
  tags: "object",
  cdn_enabled: "boolean",
  cdn_price_class: "string",
  processor_zip: "string",
  trigger_zip: "string",
  local_endpoint: "string?",
};

/** Settings of the Terraform stack alone (GitHub deploy roles, its state, its apply pause). */
export const TERRAFORM_ONLY = [
  "github_repository",
  "github_branch",
  "github_oidc_provider_arn",
  "terraform_state_bucket",
  "notification_propagation_seconds",
  "force_destroy",
];
