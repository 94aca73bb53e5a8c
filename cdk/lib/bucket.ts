/**
 * A private bucket: no public access, owner-enforced, encrypted, TLS only, multipart uploads
 * cleaned up, and prefixes whose objects expire. Mirrors terraform/modules/bucket.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

import { CHECKOV, skipCheckov } from "./nag";

export interface PipelineBucketProps {
  /** Globally unique bucket name. */
  bucketName: string;
  /** Key prefixes whose objects expire, with their age in days (rejection records). */
  expiringPrefixes: Record<string, number>;
  /** A KMS key for default encryption; none uses S3-managed keys (SSE-S3). */
  kmsKeyArn: string | null;
  /** Deny every request not made over TLS (off only for a plain-HTTP local emulator). */
  tlsOnly: boolean;
}

export class PipelineBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PipelineBucketProps) {
    super(scope, id);
    const key = props.kmsKeyArn ? kms.Key.fromKeyArn(this, "Key", props.kmsKeyArn) : undefined;
    this.bucket = new s3.Bucket(this, "Bucket", {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: key,
      bucketKeyEnabled: key !== undefined,
      // The TLS-only statement is written below, denying every action as the Terraform one does.
      enforceSSL: false,
      // As `terraform destroy`: deleted once empty (`make destroy` empties it first).
      removalPolicy: RemovalPolicy.DESTROY,
      lifecycleRules: [
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...Object.entries(props.expiringPrefixes).map(([prefix, days]) => ({
          id: `expire-${prefix.replace(/\/$/, "")}`,
          prefix,
          expiration: Duration.days(days),
        })),
      ],
    });
    if (!props.tlsOnly) {
      Validations.of(this.bucket).acknowledge({
        id: "AwsSolutions::AwsSolutions-S10",
        reason:
          "Local emulator only: it speaks plain HTTP and enforces bucket policies (the Terraform stack's local_endpoint switch does the same).",
      });
    } else {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "DenyInsecureTransport",
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ["s3:*"],
          resources: [this.bucket.bucketArn, this.bucket.arnForObjects("*")],
          conditions: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
    skipCheckov(this.bucket, [CHECKOV.noAccessLogs, CHECKOV.noVersioning]);
    Validations.of(this.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Access logging needs a second log bucket; enable it in forks that must audit reads (as the Terraform stack's CKV_AWS_18 skip says).",
    });
  }
}
