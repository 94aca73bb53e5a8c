/**
 * The pipeline: bucket(s) -> queue (+ DLQ) -> processor, optionally with the trigger in between,
 * alarms to a topic and a dashboard. Mirrors the Terraform root module (main.tf, trigger.tf,
 * alerts.tf) resource for resource, from the same settings.
 */
import { Aws, CfnOutput, Duration, Stack, StackProps, Tags } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";

import { Alarms } from "./alarms";
import { PipelineBucket } from "./bucket";
import { RenditionCdn } from "./cdn";
import { PipelineConfig, visibilityTimeout } from "./settings";
import { dashboardBody } from "./dashboard";
import { PipelineFunction, Statement } from "./function";
import { suppressFindings } from "./nag";
import { HoldingQueue, JobQueue } from "./queues";

export interface PipelineStackProps extends StackProps {
  config: PipelineConfig;
}

export class PipelineStack extends Stack {
  readonly processor: PipelineFunction;
  readonly trigger?: PipelineFunction;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const c = props.config;
    const emulated = c.local_endpoint !== null;
    const triggerMode = c.notification_mode === "trigger";
    Tags.of(this).add("Project", c.name);
    Tags.of(this).add("ManagedBy", "cdk");
    for (const [key, value] of Object.entries(c.tags)) {
      Tags.of(this).add(key, value);
    }

    const topic = c.create_alarm_topic ? this.alarmTopic(c) : undefined;
    this.alarms = new Alarms([
      ...(topic ? [topic.topicArn] : []),
      ...(c.alarm_topic_arn ? [c.alarm_topic_arn] : []),
      ...c.alarm_actions,
    ]);

    // Written out, not referenced: the queue policy and the invoke permission name the bucket,
    // and the bucket's notification needs them first.
    const bucketName = c.bucket_name ?? `${c.name}-${this.account}-${this.region}`;
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
    const rejectedExpiry = { [c.rejected_prefix]: c.rejected_retention_days };
    const bucket = new PipelineBucket(this, "Uploads", {
      bucketName,
      expiringPrefixes: c.separate_output_bucket ? {} : rejectedExpiry,
      kmsKeyArn: c.kms_key_arn,
      tlsOnly: !emulated,
    }).bucket;
    const outputBucket = c.separate_output_bucket
      ? new PipelineBucket(this, "Outputs", {
          bucketName: `${bucketName}-out`,
          expiringPrefixes: rejectedExpiry,
          kmsKeyArn: c.kms_key_arn,
          tlsOnly: !emulated,
        }).bucket
      : bucket;

    const jobs = new JobQueue(this, "Jobs", {
      queueName: `${c.name}-jobs`,
      visibilityTimeout: Duration.seconds(visibilityTimeout(c)),
      maxReceiveCount: c.max_receive_count,
      sourceBucketArn: triggerMode ? null : bucketArn,
      redriveAllowPolicy: !emulated,
      alarms: this.alarms,
      kmsKeyArn: c.kms_key_arn,
    });

    const localEnvironment: Record<string, string> = emulated
      ? { AWS_ENDPOINT_URL: c.local_endpoint ?? "", S3_FORCE_PATH_STYLE: "true" }
      : {};
    const functionSettings = {
      architecture: c.architecture,
      logRetentionDays: c.log_retention_days,
      logsSkipDestroy: c.cloudwatch_logs_skip_destroy,
      kmsKeyArn: c.kms_key_arn,
      rolePath: c.role_path,
      rolePermissionsBoundary: c.role_permissions_boundary,
      alarms: this.alarms,
      recursionGuard: !emulated,
    };
    this.processor = new PipelineFunction(this, "Processor", {
      ...functionSettings,
      functionName: `${c.name}-processor`,
      zipPath: c.processor_zip,
      memoryMb: c.processor_memory_mb,
      timeoutSeconds: c.processor_timeout_seconds,
      reservedConcurrency: c.processor_reserved_concurrency,
      statements: processorStatements(
        c,
        bucket.bucketArn,
        outputBucket.bucketArn,
        jobs.queue.queueArn,
      ),
      environment: {
        RENDITIONS: c.renditions,
        WEBP_METHOD: String(c.webp_method),
        AVIF_SPEED: String(c.avif_speed),
        OUTPUT_BUCKET: outputBucket.bucketName,
        INPUT_PREFIX: c.input_prefix,
        OUTPUT_PREFIX: c.output_prefix,
        REJECTED_PREFIX: c.rejected_prefix,
        MAX_PIXELS: String(c.max_pixels),
        MAX_BYTES: String(c.max_bytes),
        ON_REJECT: c.on_reject,
        METRICS_NAMESPACE: c.metrics_namespace,
        ...localEnvironment,
      },
    });

    const mapping = new lambda.EventSourceMapping(this, "Mapping", {
      target: this.processor.function,
      eventSourceArn: jobs.queue.queueArn,
      batchSize: c.batch_size,
      maxBatchingWindow: Duration.seconds(c.batching_window_seconds),
      reportBatchItemFailures: true,
      maxConcurrency: c.maximum_concurrency,
      // The emulator cannot invoke functions; the local Lambda service polls the queue instead.
      enabled: !emulated,
    });

    const notification = bucket.node.defaultChild as s3.CfnBucket;
    const filter = {
      s3Key: { rules: [{ name: "prefix", value: c.input_prefix }] },
    };
    let failures: HoldingQueue | undefined;
    if (triggerMode) {
      failures = new HoldingQueue(this, "TriggerFailures", {
        queueName: `${c.name}-trigger-failures`,
        alarmDescription:
          "Uploads whose S3 event the trigger could not turn into a job after Lambda's retries: fix the cause, then `make redrive` enqueues them.",
        alarms: this.alarms,
        kmsKeyArn: c.kms_key_arn,
      });
      const trigger = new PipelineFunction(this, "Trigger", {
        ...functionSettings,
        functionName: `${c.name}-trigger`,
        zipPath: c.trigger_zip,
        memoryMb: 128,
        timeoutSeconds: 30,
        reservedConcurrency: -1,
        statements: [
          { sid: "EnqueueJobs", actions: ["sqs:SendMessage"], resources: [jobs.queue.queueArn] },
        ],
        asynchronous: {
          maximumEventAgeSeconds: c.trigger_maximum_event_age_seconds,
          maximumRetryAttempts: c.trigger_maximum_retry_attempts,
          onFailureQueueArn: failures.queue.queueArn,
        },
        environment: {
          QUEUE_URL: jobs.queue.queueUrl,
          INPUT_PREFIX: c.input_prefix,
          OUTPUT_PREFIX: c.output_prefix,
          REJECTED_PREFIX: c.rejected_prefix,
          MAX_BYTES: String(c.max_bytes),
          ...localEnvironment,
        },
      });
      this.trigger = trigger;
      const permission = new lambda.CfnPermission(this, "S3InvokesTrigger", {
        action: "lambda:InvokeFunction",
        functionName: trigger.function.functionName,
        principal: "s3.amazonaws.com",
        sourceArn: bucketArn,
        sourceAccount: this.account,
      });
      notification.notificationConfiguration = {
        lambdaConfigurations: [
          { event: "s3:ObjectCreated:*", function: trigger.function.functionArn, filter },
        ],
      };
      notification.addResourceDependency(permission);
    } else {
      notification.notificationConfiguration = {
        queueConfigurations: [{ event: "s3:ObjectCreated:*", queue: jobs.queue.queueArn, filter }],
      };
      const policy = jobs.policy;
      if (policy) {
        notification.addResourceDependency(policy);
      }
    }

    if (c.create_dashboard) {
      new cloudwatch.CfnDashboard(this, "Dashboard", {
        dashboardName: c.name,
        dashboardBody: Stack.of(this).toJsonString(
          dashboardBody({
            region: c.region,
            namespace: c.metrics_namespace,
            queueName: jobs.queue.queueName,
            dlqName: jobs.dlq.queue.queueName,
            processorName: this.processor.function.functionName,
          }),
        ),
      });
    }

    const cdn = c.cdn_enabled
      ? new RenditionCdn(this, "Cdn", {
          name: c.name,
          bucket: outputBucket,
          outputPrefix: c.output_prefix,
          renditions: c.renditions,
          priceClass: c.cdn_price_class,
        })
      : undefined;

    const outputs: Record<string, string | null> = {
      region: this.region,
      bucket: bucket.bucketName,
      output_bucket: outputBucket.bucketName,
      input_prefix: c.input_prefix,
      output_prefix: c.output_prefix,
      rejected_prefix: c.rejected_prefix,
      queue_url: jobs.queue.queueUrl,
      queue_arn: jobs.queue.queueArn,
      dlq_url: jobs.dlq.queue.queueUrl,
      dlq_arn: jobs.dlq.queue.queueArn,
      processor_function_name: this.processor.function.functionName,
      trigger_function_name: this.trigger?.function.functionName ?? null,
      trigger_failures_url: failures?.queue.queueUrl ?? null,
      trigger_failures_arn: failures?.queue.queueArn ?? null,
      notification_mode: c.notification_mode,
      event_source_mapping_uuid: mapping.eventSourceMappingId,
      processor_timeout_seconds: String(c.processor_timeout_seconds),
      processor_memory_mb: String(c.processor_memory_mb),
      max_bytes: String(c.max_bytes),
      architecture: c.architecture,
      cdn_domain_name: cdn?.distribution.distributionDomainName ?? null,
    };
    for (const [name, value] of Object.entries(outputs)) {
      if (value !== null) {
        // CloudFormation output names are alphanumeric: `queue_url` becomes `QueueUrl`.
        new CfnOutput(this, outputName(name), { value, description: name });
      }
    }
    suppressFindings(this);
  }

  private alarmTopic(c: PipelineConfig): sns.Topic {
    const topic = new sns.Topic(this, "AlarmTopic", { topicName: `${c.name}-alarms` });
    // AWS's own key for SNS unless a key is given (its policy must let CloudWatch use it).
    (topic.node.defaultChild as sns.CfnTopic).kmsMasterKeyId = c.kms_key_arn ?? "alias/aws/sns";
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
    );
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "DenyInsecureTransport",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ["sns:*"],
        resources: [topic.topicArn],
        conditions: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    c.alarm_emails.forEach((email, i) => {
      new sns.CfnSubscription(this, `AlarmEmail${i}`, {
        topicArn: topic.topicArn,
        protocol: "email",
        endpoint: email,
      });
    });
    return topic;
  }
}

/** `queue_url` -> `QueueUrl`. */
export function outputName(name: string): string {
  return name
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** The processor may read only uploads and write only renditions and rejection records. */
export function processorStatements(
  c: PipelineConfig,
  bucketArn: string,
  outputBucketArn: string,
  queueArn: string,
): Statement[] {
  return [
    {
      sid: "ReadUploads",
      actions: ["s3:GetObject"],
      resources: [`${bucketArn}/${c.input_prefix}*`],
    },
    {
      // S3 may answer a read of a missing upload with 403 instead of 404; the processor then
      // lists the key to tell a deleted upload (rejected) from a denied read (retried).
      sid: "ListUploads",
      actions: ["s3:ListBucket"],
      resources: [bucketArn],
      conditions: { StringLike: { "s3:prefix": [`${c.input_prefix}*`] } },
    },
    {
      sid: "WriteRenditionsAndRejections",
      actions: ["s3:PutObject"],
      resources: [
        `${outputBucketArn}/${c.output_prefix}*`,
        `${outputBucketArn}/${c.rejected_prefix}*`,
      ],
    },
    {
      sid: "ConsumeJobs",
      actions: [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
      ],
      resources: [queueArn],
    },
  ];
}
