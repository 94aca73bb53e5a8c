/**
 * The guardrails: the CDK app refuses what the Terraform validations refuse, in the same words
 * (the parity test compares both).
 */
import { LOG_RETENTION_DAYS, PipelineConfig } from "./settings";

const between = (value: number, low: number, high: number) => value >= low && value <= high;

/**
 * The guardrails: each entry refuses what the Terraform variable of the same name refuses,
 * with its error message; the fourth element names the other settings it reads.
 */
type Guardrail = [
  keyof PipelineConfig,
  (c: PipelineConfig) => boolean,
  string,
  (keyof PipelineConfig)[]?,
];

const GUARDRAILS: Guardrail[] = [
  [
    "name",
    (c) => /^[a-z][a-z0-9-]{2,30}$/.test(c.name),
    "name must be 3-31 lower-case letters, digits or hyphens, starting with a letter.",
  ],
  [
    "notification_mode",
    (c) => ["direct", "trigger"].includes(c.notification_mode),
    'notification_mode must be "direct" or "trigger".',
  ],
  [
    "architecture",
    (c) => ["arm64", "x86_64"].includes(c.architecture),
    'architecture must be "arm64" or "x86_64".',
  ],
  [
    "input_prefix",
    (c) => c.input_prefix.length > 1 && c.input_prefix.endsWith("/"),
    'input_prefix must be a folder-like prefix ending in "/", such as "uploads/".',
  ],
  [
    "output_prefix",
    (c) =>
      c.output_prefix.endsWith("/") &&
      !c.output_prefix.startsWith(c.input_prefix) &&
      !c.input_prefix.startsWith(c.output_prefix),
    'output_prefix must end in "/" and be disjoint from input_prefix (neither may start with the other), or outputs would trigger processing again.',
    ["input_prefix"],
  ],
  [
    "rejected_prefix",
    (c) =>
      c.rejected_prefix.endsWith("/") &&
      !c.rejected_prefix.startsWith(c.input_prefix) &&
      !c.input_prefix.startsWith(c.rejected_prefix) &&
      !c.rejected_prefix.startsWith(c.output_prefix) &&
      !c.output_prefix.startsWith(c.rejected_prefix),
    'rejected_prefix must end in "/" and be disjoint from input_prefix and output_prefix.',
    ["input_prefix", "output_prefix"],
  ],
  [
    "rejected_retention_days",
    (c) => c.rejected_retention_days >= 1,
    "rejected_retention_days must be at least 1.",
  ],
  [
    "webp_method",
    (c) => Number.isInteger(c.webp_method) && between(c.webp_method, 0, 6),
    "webp_method must be a whole number from 0 to 6 (libwebp's methods).",
  ],
  [
    "avif_speed",
    (c) => Number.isInteger(c.avif_speed) && between(c.avif_speed, 0, 10),
    "avif_speed must be a whole number from 0 to 10 (libaom's speeds).",
  ],
  ["max_pixels", (c) => c.max_pixels >= 1, "max_pixels must be at least 1."],
  ["max_bytes", (c) => c.max_bytes >= 1, "max_bytes must be at least 1."],
  [
    "on_reject",
    (c) => ["record", "dlq"].includes(c.on_reject),
    'on_reject must be "record" or "dlq".',
  ],
  [
    "processor_memory_mb",
    (c) => between(c.processor_memory_mb, 128, 10240),
    "processor_memory_mb must be 128 to 10240 (Lambda's limits).",
  ],
  [
    "processor_memory_mb",
    (c) => imageBudgetMib(c.processor_memory_mb, c.max_bytes) >= 64,
    "processor_memory_mb must leave each image the processor renders 64 MiB, after 64 MiB for the runtime and three downloads of max_bytes per vCPU (at the default max_bytes, at least 278).",
    ["max_bytes"],
  ],
  [
    "processor_timeout_seconds",
    (c) => between(c.processor_timeout_seconds, 1, 900),
    "processor_timeout_seconds must be 1 to 900 (Lambda's limits).",
  ],
  [
    "processor_reserved_concurrency",
    (c) => c.processor_reserved_concurrency === -1 || c.processor_reserved_concurrency >= 0,
    "processor_reserved_concurrency must be -1 (no reservation) or a count of executions.",
  ],
  [
    "batch_size",
    (c) => between(c.batch_size, 1, 100),
    "batch_size must be 1 to 100 (more than 10 also needs a batching window).",
  ],
  [
    "batching_window_seconds",
    (c) => between(c.batching_window_seconds, 0, 300),
    "batching_window_seconds must be 0 to 300.",
  ],
  [
    "batching_window_seconds",
    (c) => c.batch_size <= 10 || c.batching_window_seconds >= 1,
    "batch_size over 10 needs batching_window_seconds of at least 1.",
    ["batch_size"],
  ],
  [
    "maximum_concurrency",
    (c) => between(c.maximum_concurrency, 2, 1000),
    "maximum_concurrency must be 2 to 1000 (the event source mapping's limits).",
  ],
  [
    "maximum_concurrency",
    (c) =>
      c.processor_reserved_concurrency === -1 ||
      c.maximum_concurrency <= c.processor_reserved_concurrency,
    "maximum_concurrency must not exceed processor_reserved_concurrency, or the mapping gets throttled and every throttled receive counts toward max_receive_count, so messages drift to the DLQ: lower maximum_concurrency or raise the reservation.",
    ["processor_reserved_concurrency"],
  ],
  [
    "queue_visibility_timeout_seconds",
    (c) =>
      c.queue_visibility_timeout_seconds === null ||
      c.queue_visibility_timeout_seconds >=
        6 * c.processor_timeout_seconds + c.batching_window_seconds,
    "queue_visibility_timeout_seconds must be at least 6 x processor_timeout_seconds + batching_window_seconds, or messages reappear while still being processed: raise it or leave it null.",
    ["processor_timeout_seconds", "batching_window_seconds"],
  ],
  [
    "max_receive_count",
    (c) => c.max_receive_count >= 5,
    "max_receive_count must be at least 5, so throttling alone does not send messages to the DLQ.",
  ],
  [
    "log_retention_days",
    (c) => LOG_RETENTION_DAYS.includes(c.log_retention_days),
    "log_retention_days must be one of CloudWatch Logs' periods: 0 (forever), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653.",
  ],
  [
    "trigger_maximum_event_age_seconds",
    (c) => between(c.trigger_maximum_event_age_seconds, 60, 21600),
    "trigger_maximum_event_age_seconds must be 60 to 21600 (Lambda's limits).",
  ],
  [
    "trigger_maximum_retry_attempts",
    (c) => between(c.trigger_maximum_retry_attempts, 0, 2),
    "trigger_maximum_retry_attempts must be 0 to 2 (Lambda's limits).",
  ],
  [
    "metrics_namespace",
    (c) =>
      /^[0-9A-Za-z.\-_/#: ]{1,255}$/.test(c.metrics_namespace) &&
      !c.metrics_namespace.startsWith("AWS/"),
    "metrics_namespace must be 1-255 letters, digits and . - _ / # : or space, outside AWS/ (CloudWatch's rules).",
  ],
  [
    "alarm_emails",
    (c) => c.alarm_emails.length === 0 || c.create_alarm_topic,
    "alarm_emails subscribe to the topic this stack creates: set create_alarm_topic = true, or subscribe them to your own alarm_topic_arn.",
    ["create_alarm_topic"],
  ],
  [
    "cdn_enabled",
    (c) => !c.cdn_enabled || c.local_endpoint === null,
    "cdn_enabled needs AWS: the local emulator has no CloudFront functions or policies.",
    ["local_endpoint"],
  ],
  [
    "cdn_price_class",
    (c) => ["PriceClass_100", "PriceClass_200", "PriceClass_All"].includes(c.cdn_price_class),
    "cdn_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All.",
  ],
  [
    "role_path",
    (c) => c.role_path.startsWith("/") && c.role_path.endsWith("/"),
    'role_path must start and end with "/", such as "/" or "/pipelines/".',
  ],
];

/**
 * The processor's memory share per image (processor/src/config.rs): the memory less 64 MiB for
 * the runtime and three downloads of `max_bytes` per worker, over one worker per 1769 MB (at
 * most six).
 */
export function imageBudgetMib(memoryMb: number, maxBytes: number): number {
  const workers = Math.min(6, Math.max(1, Math.ceil(memoryMb / 1769)));
  return (memoryMb - 64 - (3 * workers * maxBytes) / 1048576) / workers;
}

/**
 * The problems of a configuration, in Terraform's words; empty when it can be deployed. As in
 * Terraform, a check that reads another setting is skipped while that setting is refused.
 */
export function problems(config: PipelineConfig): string[] {
  const failing = GUARDRAILS.filter(([, holds]) => !holds(config));
  const refused = new Set(failing.map(([setting]) => setting));
  return failing
    .filter(([setting, , , reads = []]) => !reads.some((r) => r !== setting && refused.has(r)))
    .map(([, , message]) => message);
}
