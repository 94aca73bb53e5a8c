/**
 * The findings this stack keeps on purpose, each with its reason: cdk-nag's AwsSolutions
 * acknowledgements, and checkov's skips as template metadata (the reasons the Terraform stack
 * gives checkov). Everything else either tool finds fails the build.
 */
import { CfnResource, Stack, Validations } from "aws-cdk-lib";
import { IConstruct } from "constructs";

/** A checkov check this stack does not meet on purpose, and why. */
export type CheckovSkip = [id: string, reason: string];

export const CHECKOV = {
  noAccessLogs: [
    "CKV_AWS_18",
    "Access logging needs a second log bucket; enable it in forks that must audit reads.",
  ],
  noVersioning: [
    "CKV_AWS_21",
    "Versioning is left to the fork: renditions are derived data and uploads are the user's source of truth.",
  ],
  sseSqs: [
    "CKV_AWS_27",
    "Encrypted with SSE-SQS (SqsManagedSseEnabled), which checkov's CloudFormation check does not know; set kms_key_arn for SSE-KMS.",
  ],
  logsAwsKey: [
    "CKV_AWS_158",
    "Log groups are encrypted with CloudWatch Logs' own key; set kms_key_arn to use yours.",
  ],
  noFunctionDlq: [
    "CKV_AWS_116",
    "Failed events are kept without a function DLQ: the processor's messages go to the queue's DLQ by its redrive policy, and the trigger's events to its on-failure destination.",
  ],
  noVpc: [
    "CKV_AWS_117",
    "The function only talks to S3, SQS and CloudWatch over AWS endpoints; a VPC adds NAT cost and cold-start time.",
  ],
  noReservation: [
    "CKV_AWS_115",
    "Reserved concurrency is a setting (processor_reserved_concurrency); -1 leaves the account pool shared, which new accounts (limit 10) require.",
  ],
  environmentAwsKey: [
    "CKV_AWS_173",
    "Environment variables hold no secrets (renditions, prefixes, limits); set kms_key_arn to encrypt them with your key.",
  ],
} satisfies Record<string, CheckovSkip>;

/** Records checkov skips on the resource `construct` stands for. */
export function skipCheckov(construct: IConstruct, skips: CheckovSkip[]): void {
  const resource = construct.node.defaultChild as CfnResource;
  resource.addMetadata("checkov", {
    skip: skips.map(([id, comment]) => ({ id, comment })),
  });
}

/** A CloudFormation value as cdk-nag prints it: `{"Fn::GetAtt": ["B", "Arn"]}` is `<B.Arn>`. */
function flatten(node: unknown): string {
  if (typeof node === "string") {
    return node.replace(/\$\{/g, "<").replace(/}/g, ">");
  }
  const cfn = node as Record<string, unknown>;
  if (Array.isArray(cfn["Fn::Join"])) {
    const [delimiter, parts] = cfn["Fn::Join"] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if (Array.isArray(cfn["Fn::GetAtt"])) {
    const [resource, attribute] = cfn["Fn::GetAtt"] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (cfn.Ref !== undefined) {
    return `<${flatten(cfn.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * Acknowledges cdk-nag's finding for each wildcard resource of a role: each is a key prefix or
 * the log streams of the function's own log group (no action is a wildcard).
 */
export function acknowledgeWildcardResources(role: IConstruct, resources: string[]): void {
  const stack = Stack.of(role);
  for (const resource of resources) {
    const flat = flatten(stack.resolve(resource));
    if (flat.includes("*")) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${flat}]`,
        reason:
          "A key prefix (uploads/*, processed/*, rejected/*) or the log streams of the function's own log group: scoped as narrowly as S3 and CloudWatch Logs allow.",
      });
    }
  }
}

export function suppressFindings(stack: Stack): void {
  const acknowledged = [
    {
      id: "AwsSolutions-SQS3",
      reason:
        "The queues without a DLQ are the DLQ and the trigger's failure queue themselves: their messages wait for a person, alarmed.",
    },
    {
      id: "AwsSolutions-L1",
      reason: "provided.al2023 is the latest OS-only runtime; the Rust binary brings its own.",
    },
  ];
  for (const finding of acknowledged) {
    Validations.of(stack).acknowledge(finding);
  }
}
