/**
 * The synthesized stack, checked with aws-cdk-lib/assertions: the resources and properties the
 * Terraform stack has, IAM statement by statement, both notification modes, the local switches,
 * and every guardrail refusing its bad input with Terraform's words.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";

import { ConfigError, parseConfig } from "../lib/config";
import { PipelineConfig } from "../lib/settings";
import { PipelineStack } from "../lib/pipeline-stack";

const ROOT = path.resolve(__dirname, "../../..");
const ZIP = path.join(ROOT, "terraform/tests/fixtures/bootstrap.zip");

function stack(settings: Partial<PipelineConfig> = {}, region = "eu-west-1") {
  const config = parseConfig({ ...settings, processor_zip: ZIP, trigger_zip: ZIP, region });
  const app = new App();
  const built = new PipelineStack(app, "test", {
    config,
    env: { region, account: "123456789012" },
  });
  return { app, stack: built, template: Template.fromStack(built) };
}

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string };

function only(template: Template, type: string, props: object = {}): Resource {
  const found = Object.values(template.findResources(type, { Properties: props })) as Resource[];
  assert.equal(found.length, 1, `one ${type} with ${JSON.stringify(props)}`);
  return found[0];
}

/** The statements of the inline policy of the role whose name starts with `name`. */
function statements(template: Template, name: string) {
  const role = only(template, "AWS::IAM::Role", { RoleName: Match.stringLikeRegexp(`^${name}`) });
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const actions = (s: Statement) => [s.Action].flat();

describe("the default stack", () => {
  const { template } = stack();

  it("maps the queue to the processor as AWS advises", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
      Enabled: true,
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "image-pipeline-jobs",
      VisibilityTimeout: 6 * 60 + 1,
      RedrivePolicy: { maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
  });

  it("deploys the make build zip as an arm64 provided.al2023 function with JSON logs", () => {
    const processor = only(template, "AWS::Lambda::Function", {
      FunctionName: "image-pipeline-processor",
    });
    assert.deepEqual(processor.Properties.Architectures, ["arm64"]);
    assert.equal(processor.Properties.Runtime, "provided.al2023");
    assert.equal(processor.Properties.Handler, "bootstrap");
    assert.equal(processor.Properties.MemorySize, 1769);
    assert.equal(processor.Properties.Timeout, 60);
    assert.equal(processor.Properties.ReservedConcurrentExecutions, undefined);
    assert.equal(processor.Properties.RecursiveLoop, "Terminate");
    const logging = processor.Properties.LoggingConfig as Record<string, unknown>;
    assert.equal(logging.LogFormat, "JSON");
    assert.equal(logging.ApplicationLogLevel, "INFO");
    assert.equal(logging.SystemLogLevel, "INFO", "INFO keeps the platform.report records");
    const environment = (processor.Properties.Environment as { Variables: Record<string, string> })
      .Variables;
    assert.equal(
      environment.RENDITIONS,
      "thumb:200x200:cover:q75,medium:800x800:q80,large:1600x1600:q80",
    );
    assert.equal(environment.METRICS_NAMESPACE, "ImagePipeline");
    assert.equal(environment.AWS_ENDPOINT_URL, undefined);
  });

  it("sets the notification on the bucket itself, after the queue policy, with no custom resource", () => {
    const bucket = only(template, "AWS::S3::Bucket") as Resource & { DependsOn?: string[] };
    const configuration = bucket.Properties.NotificationConfiguration as {
      QueueConfigurations: { Event: string; Filter: unknown }[];
    };
    assert.equal(configuration.QueueConfigurations[0].Event, "s3:ObjectCreated:*");
    assert.deepEqual(configuration.QueueConfigurations[0].Filter, {
      S3Key: { Rules: [{ Name: "prefix", Value: "uploads/" }] },
    });
    const raw = template.toJSON() as {
      Resources: Record<string, { Type: string; DependsOn?: string[] }>;
    };
    const [bucketId] = Object.entries(raw.Resources).find(([, r]) => r.Type === "AWS::S3::Bucket")!;
    const dependsOn = raw.Resources[bucketId].DependsOn ?? [];
    assert.ok(
      dependsOn.some((id) => raw.Resources[id]?.Type === "AWS::SQS::QueuePolicy"),
      `the bucket waits for the queue policy: ${dependsOn.join(", ")}`,
    );
    template.resourceCountIs("Custom::S3BucketNotifications", 0);
    template.resourceCountIs("AWS::Lambda::Function", 1);
  });

  it("keeps the bucket private, encrypted and TLS-only", () => {
    const bucket = only(template, "AWS::S3::Bucket");
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    const queuePolicies = template.findResources("AWS::SQS::QueuePolicy");
    assert.equal(Object.keys(queuePolicies).length, 2, "the work queue and the DLQ");
    for (const policy of Object.values(queuePolicies) as Resource[]) {
      const document = policy.Properties.PolicyDocument as { Statement: Statement[] };
      assert.ok(
        document.Statement.some((s) => s.Sid === "DenyInsecureTransport" && s.Action === "sqs:*"),
      );
    }
  });

  it("expires rejection records and aborts stale multipart uploads", () => {
    const bucket = only(template, "AWS::S3::Bucket");
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] })
      .Rules;
    assert.deepEqual(
      rules.map((r) => r.Id),
      ["abort-incomplete-uploads", "expire-rejected"],
    );
    assert.equal(rules[1].Prefix, "rejected/");
    assert.equal(rules[1].ExpirationInDays, 30);
  });

  it("gives the processor exactly the statements of the Terraform module", () => {
    const found = statements(template, "image-pipeline-processor-");
    assert.deepEqual(
      found.map((s) => s.Sid),
      ["ReadUploads", "ListUploads", "WriteRenditionsAndRejections", "ConsumeJobs", "WriteOwnLogs"],
    );
    for (const s of found) {
      for (const action of actions(s)) {
        assert.ok(!action.includes("*"), `${s.Sid}: wildcard action ${action}`);
      }
      assert.notEqual(s.Resource, "*", `${s.Sid}: wildcard resource`);
    }
    const text = JSON.stringify(found);
    assert.match(text, /"\/uploads\/\*"/);
    assert.match(text, /"\/processed\/\*"/);
    assert.match(text, /"\/rejected\/\*"/);
    const prefix = (found[1].Condition as { StringLike: Record<string, unknown> }).StringLike[
      "s3:prefix"
    ];
    assert.deepEqual([prefix].flat(), ["uploads/*"]);
  });

  it("names roles with the region, and another region gets other names", () => {
    only(template, "AWS::IAM::Role", { RoleName: "image-pipeline-processor-eu-west-1" });
    only(stack({}, "us-east-1").template, "AWS::IAM::Role", {
      RoleName: "image-pipeline-processor-us-east-1",
    });
  });

  it("keeps logs 30 days in log groups deleted with the stack", () => {
    const group = only(template, "AWS::Logs::LogGroup");
    assert.equal(group.Properties.RetentionInDays, 30);
    assert.equal(group.DeletionPolicy, "Delete");
  });

  it("alarms on the queue, the DLQ and the processor, and draws the dashboard", () => {
    const names = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => (a as Resource).Properties.AlarmName,
    );
    assert.deepEqual(names.sort(), [
      "image-pipeline-jobs-backlog-age",
      "image-pipeline-jobs-dlq-not-empty",
      "image-pipeline-processor-errors",
      "image-pipeline-processor-throttles",
    ]);
    const dashboard = only(template, "AWS::CloudWatch::Dashboard");
    assert.match(
      JSON.stringify(dashboard.Properties.DashboardBody),
      /Images per minute, by outcome/,
    );
  });
});

describe("trigger mode", () => {
  const { template } = stack({
    notification_mode: "trigger",
    trigger_maximum_event_age_seconds: 3600,
  });

  it("sends what the trigger gives up on to its encrypted failure queue", () => {
    const config = only(template, "AWS::Lambda::EventInvokeConfig");
    assert.equal(config.Properties.MaximumEventAgeInSeconds, 3600);
    assert.equal(config.Properties.MaximumRetryAttempts, 2);
    const destination = JSON.stringify(config.Properties.DestinationConfig);
    assert.match(destination, /TriggerFailures/);
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "image-pipeline-trigger-failures",
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    const sends = statements(template, "image-pipeline-trigger-").find(
      (s) => s.Sid === "SendFailedEvents",
    );
    assert.ok(sends, "the trigger's role may send to the failure queue");
    assert.deepEqual(actions(sends), ["sqs:SendMessage"]);
  });

  it("lets only this bucket in this account invoke the trigger, then sets the notification", () => {
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Principal: "s3.amazonaws.com",
      Action: "lambda:InvokeFunction",
      SourceAccount: "123456789012",
    });
    const bucket = only(template, "AWS::S3::Bucket");
    const configuration = bucket.Properties.NotificationConfiguration as Record<string, unknown>;
    assert.equal(configuration.QueueConfigurations, undefined);
    assert.equal((configuration.LambdaConfigurations as unknown[]).length, 1);
  });

  it("has eight alarms, dropped events and the failure queue among them", () => {
    const names = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => (a as Resource).Properties.AlarmName as string,
    );
    assert.equal(names.length, 8);
    assert.ok(names.includes("image-pipeline-trigger-async-events-dropped"));
    assert.ok(names.includes("image-pipeline-trigger-failures-not-empty"));
  });

  it("gives the trigger only sending rights", () => {
    const found = statements(template, "image-pipeline-trigger-");
    assert.deepEqual(
      found.map((s) => s.Sid),
      ["EnqueueJobs", "WriteOwnLogs", "SendFailedEvents"],
    );
  });
});

describe("production settings", () => {
  it("notify the alarm topic from every alarm, when it fires and when it clears", () => {
    const { template } = stack({
      notification_mode: "trigger",
      create_alarm_topic: true,
      alarm_emails: ["oncall@example.com"],
    });
    only(template, "AWS::SNS::Topic", {
      TopicName: "image-pipeline-alarms",
      KmsMasterKeyId: "alias/aws/sns",
    });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
    });
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as Resource[];
    assert.equal(alarms.length, 8);
    for (const alarm of alarms) {
      assert.equal(
        (alarm.Properties.AlarmActions as unknown[]).length,
        1,
        String(alarm.Properties.AlarmName),
      );
      assert.deepEqual(alarm.Properties.OKActions, alarm.Properties.AlarmActions);
    }
  });

  it("reach every resource: key, role path and boundary, logs kept", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const { template } = stack({
      notification_mode: "trigger",
      kms_key_arn: key,
      cloudwatch_logs_skip_destroy: true,
      role_path: "/pipelines/",
      role_permissions_boundary: "arn:aws:iam::123456789012:policy/boundary",
    });
    for (const role of Object.values(template.findResources("AWS::IAM::Role")) as Resource[]) {
      assert.equal(role.Properties.Path, "/pipelines/");
      assert.equal(
        role.Properties.PermissionsBoundary,
        "arn:aws:iam::123456789012:policy/boundary",
      );
    }
    for (const group of Object.values(
      template.findResources("AWS::Logs::LogGroup"),
    ) as Resource[]) {
      assert.equal(group.Properties.KmsKeyId, key);
      assert.equal(group.DeletionPolicy, "Retain");
    }
    for (const queue of Object.values(template.findResources("AWS::SQS::Queue")) as Resource[]) {
      assert.equal(queue.Properties.KmsMasterKeyId, key);
    }
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: key },
          }),
        ],
      },
    });
    const uses = statements(template, "image-pipeline-processor-").find(
      (s) => s.Sid === "UseEncryptionKey",
    );
    assert.deepEqual(uses?.Resource, key);
  });
});

describe("the local stack (make loadtest DEPLOYER=cdk)", () => {
  const { template } = stack({ local_endpoint: "http://127.0.0.1:5065" });

  it("switches what the emulator lacks, as Terraform's local_endpoint does", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { Enabled: false });
    template.resourceCountIs("AWS::S3::BucketPolicy", 0);
    const processor = only(template, "AWS::Lambda::Function");
    assert.equal(processor.Properties.RecursiveLoop, undefined);
    const environment = (processor.Properties.Environment as { Variables: Record<string, string> })
      .Variables;
    assert.equal(environment.AWS_ENDPOINT_URL, "http://127.0.0.1:5065");
    assert.equal(environment.S3_FORCE_PATH_STYLE, "true");
    const dlq = only(template, "AWS::SQS::Queue", { QueueName: "image-pipeline-jobs-dlq" });
    assert.equal(dlq.Properties.RedriveAllowPolicy, undefined);
  });
});

describe("the asset", () => {
  it("is the make build zip, byte for byte", () => {
    const { app } = stack();
    const assembly = app.synth();
    const staged = fs
      .readdirSync(assembly.directory)
      .filter((name) => name.startsWith("asset.") && name.endsWith(".zip"));
    assert.equal(staged.length, 1);
    assert.deepEqual(
      fs.readFileSync(path.join(assembly.directory, staged[0])),
      fs.readFileSync(ZIP),
    );
  });
});

describe("the CDN (cdn_enabled)", () => {
  const { template } = stack({
    cdn_enabled: true,
    renditions: "thumb:200x200:cover:q75:jpeg+webp,large:1600x1600",
  });

  it("reads the output prefix through Origin Access Control, over HTTPS", () => {
    const distribution = only(template, "AWS::CloudFront::Distribution");
    const config = distribution.Properties.DistributionConfig as Record<string, unknown>;
    const [origin] = config.Origins as Record<string, unknown>[];
    assert.equal(origin.OriginPath, "/processed");
    assert.deepEqual(origin.OriginAccessControlId, {
      "Fn::GetAtt": [
        Object.keys(template.findResources("AWS::CloudFront::OriginAccessControl"))[0],
        "Id",
      ],
    });
    const behavior = config.DefaultCacheBehavior as Record<string, unknown>;
    assert.equal(behavior.ViewerProtocolPolicy, "redirect-to-https");
    assert.deepEqual(behavior.AllowedMethods, ["GET", "HEAD"]);
    assert.equal(config.PriceClass, "PriceClass_100");
    template.hasResourceProperties("AWS::CloudFront::OriginAccessControl", {
      OriginAccessControlConfig: { SigningBehavior: "always", OriginAccessControlOriginType: "s3" },
    });
  });

  it("runs the format router with the RENDITIONS setting in place", () => {
    const router = only(template, "AWS::CloudFront::Function");
    assert.match(
      router.Properties.FunctionCode as string,
      /var RENDITIONS = "thumb:200x200:cover:q75:jpeg\+webp,large:1600x1600";/,
    );
    assert.deepEqual(router.Properties.FunctionConfig, {
      Comment: "Serves each rendition in the best format the browser accepts",
      Runtime: "cloudfront-js-2.0",
    });
  });

  it("keys the cache on the path alone and says Vary: Accept", () => {
    template.hasResourceProperties("AWS::CloudFront::CachePolicy", {
      CachePolicyConfig: {
        ParametersInCacheKeyAndForwardedToOrigin: {
          HeadersConfig: { HeaderBehavior: "none" },
          CookiesConfig: { CookieBehavior: "none" },
          QueryStringsConfig: { QueryStringBehavior: "none" },
        },
      },
    });
    template.hasResourceProperties("AWS::CloudFront::ResponseHeadersPolicy", {
      ResponseHeadersPolicyConfig: {
        CustomHeadersConfig: { Items: [{ Header: "Vary", Value: "Accept", Override: true }] },
      },
    });
  });

  it("lets only this distribution read, and only renditions", () => {
    const policy = only(template, "AWS::S3::BucketPolicy");
    const document = policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    const reads = document.Statement.filter((s) => s.Sid === "ReadRenditionsByDistribution");
    assert.equal(reads.length, 1);
    assert.equal(reads[0].Action, "s3:GetObject");
    assert.deepEqual(reads[0].Principal, { Service: "cloudfront.amazonaws.com" });
    assert.match(JSON.stringify(reads[0].Resource), /\/processed\/\*"/);
    assert.match(JSON.stringify(reads[0].Condition), /AWS:SourceArn.*distribution\/.*Ref/);
    assert.equal(document.Statement.length, 2, "the read and the TLS statement, nothing else");
  });

  it("is refused on the local emulator, as Terraform refuses it", () => {
    assert.throws(
      () => parseConfig({ cdn_enabled: true, local_endpoint: "http://127.0.0.1:5000" }),
      /cdn_enabled needs AWS: the local emulator has no CloudFront functions or policies./,
    );
  });

  it("is not there unless enabled", () => {
    template.resourceCountIs("AWS::CloudFront::Distribution", 1);
    stack().template.resourceCountIs("AWS::CloudFront::Distribution", 0);
  });
});

describe("the guardrails", () => {
  const cases = JSON.parse(
    fs.readFileSync(path.join(__dirname, "../../test/guardrail-cases.json"), "utf8"),
  ) as { settings: Record<string, unknown>; refusals: string[] }[];

  for (const { settings, refusals } of cases) {
    if (refusals.length === 0) {
      it(`accepts ${JSON.stringify(settings)}`, () => {
        assert.doesNotThrow(() => parseConfig(settings));
      });
      continue;
    }
    it(`refuses ${JSON.stringify(settings)}`, () => {
      assert.throws(
        () => parseConfig(settings),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.deepEqual(error.problems, refusals);
          return true;
        },
      );
    });
  }

  it("refuses an unknown setting and a value of the wrong type", () => {
    assert.throws(() => parseConfig({ batch_sise: 10 }), /batch_sise is not a setting/);
    assert.throws(
      () => parseConfig({ batch_size: "10" }),
      /batch_size must be a number, not string/,
    );
  });

  it("accepts the settings file as committed", () => {
    const committed = JSON.parse(
      fs.readFileSync(path.join(ROOT, "config/pipeline.json"), "utf8"),
    ) as Record<string, unknown>;
    assert.doesNotThrow(() => parseConfig(committed));
  });
});
