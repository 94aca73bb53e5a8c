/**
 * A provided.al2023 function from a `make build` zip, with its role (named with the region),
 * explicit least-privilege statements, log group, alarms and, for a function invoked
 * asynchronously, its retries and on-failure destination. Mirrors terraform/modules/function.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

import { Alarms } from "./alarms";
import { CHECKOV, CheckovSkip, acknowledgeWildcardResources, skipCheckov } from "./nag";

/** One statement of a function's policy, as the Terraform module takes it. */
export interface Statement {
  sid: string;
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string | string[]>>;
}

export interface AsyncSettings {
  maximumEventAgeSeconds: number;
  maximumRetryAttempts: number;
  /** The queue that receives a record of each event Lambda gives up on. */
  onFailureQueueArn: string;
}

export interface PipelineFunctionProps {
  functionName: string;
  /** The `bootstrap.zip` that `make build` made: deployed byte for byte. */
  zipPath: string;
  architecture: "arm64" | "x86_64";
  memoryMb: number;
  timeoutSeconds: number;
  /** -1: none. */
  reservedConcurrency: number;
  environment: Record<string, string>;
  statements: Statement[];
  asynchronous?: AsyncSettings;
  logRetentionDays: number;
  logsSkipDestroy: boolean;
  kmsKeyArn: string | null;
  rolePath: string;
  rolePermissionsBoundary: string | null;
  alarms: Alarms;
  /** The recursive-loop guard (off only for emulators that lack it). */
  recursionGuard: boolean;
}

/** CloudWatch Logs' retention in days as CDK names it (0: forever). */
function retention(days: number): logs.RetentionDays {
  return days === 0 ? logs.RetentionDays.INFINITE : days;
}

export class PipelineFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  /** Every statement of the role's policy, logging and key use included. */
  readonly statements: Statement[];

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = props.kmsKeyArn ? kms.Key.fromKeyArn(this, "Key", props.kmsKeyArn) : undefined;
    const logGroupName = `/aws/lambda/${props.functionName}`;
    const logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName,
      retention: retention(props.logRetentionDays),
      encryptionKey: key,
      removalPolicy: props.logsSkipDestroy ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.statements = [
      ...props.statements,
      {
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [
          stack.formatArn({
            service: "logs",
            resource: "log-group",
            resourceName: `${logGroupName}:log-stream:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      },
      ...(props.kmsKeyArn
        ? [
            {
              sid: "UseEncryptionKey",
              actions: ["kms:Decrypt", "kms:GenerateDataKey"],
              resources: [props.kmsKeyArn],
            },
          ]
        : []),
      ...(props.asynchronous
        ? [
            {
              sid: "SendFailedEvents",
              actions: ["sqs:SendMessage"],
              resources: [props.asynchronous.onFailureQueueArn],
            },
          ]
        : []),
    ];
    // Role names are global to the account: the region in the name lets the stack be deployed
    // in a second region.
    this.role = new iam.Role(this, "Role", {
      roleName: `${props.functionName}-${stack.region}`,
      path: props.rolePath,
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      permissionsBoundary: props.rolePermissionsBoundary
        ? iam.ManagedPolicy.fromManagedPolicyArn(this, "Boundary", props.rolePermissionsBoundary)
        : undefined,
      inlinePolicies: {
        [`${props.functionName}-policy`]: new iam.PolicyDocument({
          statements: this.statements.map(
            (s) =>
              new iam.PolicyStatement({
                sid: s.sid,
                actions: s.actions,
                resources: s.resources,
                conditions: s.conditions,
              }),
          ),
        }),
      },
    });
    this.function = new lambda.Function(this, "Function", {
      functionName: props.functionName,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: "bootstrap",
      code: lambda.Code.fromAsset(props.zipPath),
      architecture:
        props.architecture === "arm64" ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      environment: props.environment,
      environmentEncryption: key,
      reservedConcurrentExecutions:
        props.reservedConcurrency >= 0 ? props.reservedConcurrency : undefined,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      // INFO keeps Lambda's platform.report record per invocation, which
      // `make loadtest TARGET=aws` reads its costs from.
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      recursiveLoop: props.recursionGuard ? lambda.RecursiveLoop.TERMINATE : undefined,
    });
    acknowledgeWildcardResources(
      this.role,
      this.statements.flatMap((s) => s.resources),
    );
    const keyless: CheckovSkip[] = key ? [] : [CHECKOV.environmentAwsKey];
    skipCheckov(this.function, [
      CHECKOV.noFunctionDlq,
      CHECKOV.noVpc,
      ...(props.reservedConcurrency >= 0 ? [] : [CHECKOV.noReservation]),
      ...keyless,
    ]);
    if (!key) {
      skipCheckov(logGroup, [CHECKOV.logsAwsKey]);
    }

    if (props.asynchronous) {
      new lambda.CfnEventInvokeConfig(this, "Async", {
        functionName: this.function.functionName,
        qualifier: "$LATEST",
        maximumEventAgeInSeconds: props.asynchronous.maximumEventAgeSeconds,
        maximumRetryAttempts: props.asynchronous.maximumRetryAttempts,
        destinationConfig: { onFailure: { destination: props.asynchronous.onFailureQueueArn } },
      });
    }
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: "AWS/Lambda",
        metricName,
        dimensionsMap: { FunctionName: props.functionName },
        statistic: "Sum",
        period: Duration.minutes(1),
      });
    const alarm = (suffix: string, metricName: string, description: string) =>
      props.alarms.add(this, metricName, {
        alarmName: `${props.functionName}-${suffix}`,
        alarmDescription: description,
        metric: metric(metricName),
        evaluationPeriods: 1,
      });
    alarm(
      "errors",
      "Errors",
      `${props.functionName} returned errors or timed out: its logs say which messages and why.`,
    );
    alarm(
      "throttles",
      "Throttles",
      `${props.functionName} was throttled: raise its concurrency or the account's (aws lambda get-account-settings).`,
    );
    if (props.asynchronous) {
      alarm(
        "async-events-dropped",
        "AsyncEventsDropped",
        `Lambda dropped asynchronous events of ${props.functionName} that it could not deliver to the on-failure destination.`,
      );
    }
  }
}
