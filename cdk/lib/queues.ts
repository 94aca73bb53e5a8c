/**
 * The queues: a holding queue (messages that wait for a person, alarmed as soon as it holds
 * anything) and the work queue with its dead-letter queue. Mirror terraform/modules/holding-queue
 * and terraform/modules/queue.
 */
import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

import { Alarms } from "./alarms";
import { CHECKOV, skipCheckov } from "./nag";

/** 14 days, the longest SQS keeps a message. */
export const LONGEST_RETENTION = Duration.days(14);

export interface EncryptionProps {
  /** A KMS key for the messages; none uses SQS-managed keys (SSE-SQS). */
  kmsKeyArn: string | null;
}

function encryption(scope: Construct, props: EncryptionProps) {
  return props.kmsKeyArn
    ? {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: kms.Key.fromKeyArn(scope, "Key", props.kmsKeyArn),
        dataKeyReuse: Duration.hours(1),
      }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED };
}

/** Denies every action on `queue` over plain HTTP; records the encryption checkov misreads. */
function secure(queue: sqs.Queue, props: EncryptionProps) {
  if (!props.kmsKeyArn) {
    skipCheckov(queue, [CHECKOV.sseSqs]);
  }
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: "DenyInsecureTransport",
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["sqs:*"],
      resources: [queue.queueArn],
      conditions: { Bool: { "aws:SecureTransport": "false" } },
    }),
  );
}

export interface HoldingQueueProps extends EncryptionProps {
  queueName: string;
  /** What the not-empty alarm tells the person it reaches. */
  alarmDescription: string;
  alarms: Alarms;
}

/** A queue whose messages wait for a person: encrypted, kept 14 days, TLS only, alarmed. */
export class HoldingQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: HoldingQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, "Queue", {
      queueName: props.queueName,
      retentionPeriod: LONGEST_RETENTION,
      enforceSSL: false,
      ...encryption(this, props),
    });
    secure(this.queue, props);
    props.alarms.add(this, "NotEmpty", {
      alarmName: `${props.queueName}-not-empty`,
      alarmDescription: props.alarmDescription,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        statistic: "Maximum",
        period: Duration.minutes(1),
      }),
      evaluationPeriods: 1,
    });
  }
}

export interface JobQueueProps extends EncryptionProps {
  queueName: string;
  visibilityTimeout: Duration;
  maxReceiveCount: number;
  /** The bucket allowed to send S3 event notifications to the queue (direct mode). */
  sourceBucketArn: string | null;
  /** Restrict the DLQ to this queue (off only for emulators that lack the API). */
  redriveAllowPolicy: boolean;
  alarms: Alarms;
  /** Alarm when the oldest message has waited this long (seconds). */
  oldestMessageAlarmSeconds?: number;
}

/** The work queue and its dead-letter queue, who may send to it, and alarms on both. */
export class JobQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: HoldingQueue;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    this.dlq = new HoldingQueue(this, "DeadLetters", {
      queueName: `${props.queueName}-dlq`,
      alarmDescription:
        "Messages reached the dead-letter queue: inspect them, fix the cause, then `make redrive`.",
      alarms: props.alarms,
      kmsKeyArn: props.kmsKeyArn,
    });
    this.queue = new sqs.Queue(this, "Queue", {
      queueName: props.queueName,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.dlq.queue, maxReceiveCount: props.maxReceiveCount },
      enforceSSL: false,
      ...encryption(this, props),
    });
    secure(this.queue, props);
    if (props.sourceBucketArn) {
      this.queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "AllowBucketNotifications",
          principals: [new iam.ServicePrincipal("s3.amazonaws.com")],
          actions: ["sqs:SendMessage"],
          resources: [this.queue.queueArn],
          conditions: {
            ArnEquals: { "aws:SourceArn": props.sourceBucketArn },
            StringEquals: { "aws:SourceAccount": Stack.of(this).account },
          },
        }),
      );
    }
    if (props.redriveAllowPolicy) {
      // The ARN is written out: a reference would make the two queues depend on each other.
      const source = Stack.of(this).formatArn({ service: "sqs", resource: props.queueName });
      (this.dlq.queue.node.defaultChild as sqs.CfnQueue).redriveAllowPolicy = {
        redrivePermission: "byQueue",
        sourceQueueArns: [source],
      };
    }
    const oldest = props.oldestMessageAlarmSeconds ?? 900;
    props.alarms.add(this, "BacklogAge", {
      alarmName: `${props.queueName}-backlog-age`,
      alarmDescription: `The oldest message has waited over ${oldest} s: the processor is failing or under-provisioned.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        statistic: "Maximum",
        period: Duration.minutes(1),
      }),
      evaluationPeriods: 5,
      threshold: oldest,
    });
  }

  /** The policy resource whose statements S3 checks before accepting the notification. */
  get policy(): sqs.CfnQueuePolicy | undefined {
    return this.queue.node.tryFindChild("Policy")?.node.defaultChild as sqs.CfnQueuePolicy;
  }
}
