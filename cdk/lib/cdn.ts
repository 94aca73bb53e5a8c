/**
 * Delivery: a CloudFront distribution over the renditions, read through Origin Access Control,
 * with the viewer-request function that picks each rendition's format from the Accept header.
 * Mirrors terraform/modules/cdn, and runs the same function file.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { Annotations, Duration, Stack, Validations } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

import type { PriceClass } from "./settings";
import { skipCheckov } from "./nag";

/** The function's source, shared with the Terraform module. */
const FORMAT_ROUTER = path.resolve(__dirname, "../../../terraform/modules/cdn/format-router.js");

/** The function's code with the RENDITIONS setting in place, as the Terraform module writes it. */
export function formatRouterCode(renditions: string): string {
  const source = fs.readFileSync(FORMAT_ROUTER, "utf8");
  // A function replacement: `$` sequences in the setting stay literal.
  return source.replace('"__RENDITIONS__"', () => JSON.stringify(renditions));
}

export interface RenditionCdnProps {
  /** Prefix of the names of the function and policies. */
  name: string;
  /** The bucket holding the renditions. */
  bucket: s3.Bucket;
  /** The renditions' key prefix: the distribution serves only keys under it, at its root. */
  outputPrefix: string;
  /** The processor's RENDITIONS setting. */
  renditions: string;
  priceClass: PriceClass;
  /** How long edges and browsers keep a rendition. */
  maxAge?: Duration;
}

export class RenditionCdn extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: RenditionCdnProps) {
    super(scope, id);
    const maxAge = props.maxAge ?? Duration.days(1);
    const accessControl = new cloudfront.S3OriginAccessControl(this, "AccessControl", {
      originAccessControlName: `${props.name}-renditions`,
      description: `Signed reads of ${props.bucket.bucketName}`,
      signing: cloudfront.Signing.SIGV4_ALWAYS,
    });
    const router = new cloudfront.Function(this, "FormatRouter", {
      functionName: `${props.name}-format-router`,
      comment: "Serves each rendition in the best format the browser accepts",
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(formatRouterCode(props.renditions)),
    });
    // The path alone: the function has already put the chosen format in it.
    const cachePolicy = new cloudfront.CachePolicy(this, "CachePolicy", {
      cachePolicyName: `${props.name}-renditions`,
      comment: "Path only: the format is in the path the function rewrote",
      minTtl: Duration.seconds(0),
      defaultTtl: maxAge,
      maxTtl: maxAge,
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    });
    const responseHeaders = new cloudfront.ResponseHeadersPolicy(this, "ResponseHeaders", {
      responseHeadersPolicyName: `${props.name}-renditions`,
      comment: "Vary: Accept, and the usual security headers",
      customHeadersBehavior: {
        customHeaders: [{ header: "Vary", value: "Accept", override: true }],
      },
      securityHeadersBehavior: {
        contentTypeOptions: { override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(31536000),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
      },
    });
    // The origin reads the bucket by reference, so CDK adds no grant of its own (every key of
    // the bucket): the statement below admits reads under the output prefix only, as the
    // Terraform module's does.
    const renditions = s3.Bucket.fromBucketAttributes(this, "RenditionBucket", {
      bucketArn: props.bucket.bucketArn,
      bucketName: props.bucket.bucketName,
      bucketRegionalDomainName: props.bucket.bucketRegionalDomainName,
    });
    Annotations.of(this).acknowledgeWarning(
      "@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac",
      "The bucket policy statement is added below, scoped to the output prefix.",
    );
    const origin = origins.S3BucketOrigin.withOriginAccessControl(renditions, {
      originAccessControl: accessControl,
      originAccessLevels: [cloudfront.AccessLevel.READ],
      originPath: `/${props.outputPrefix.replace(/\/$/, "")}`,
      originId: "renditions",
    });
    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: `${props.name} renditions`,
      enableIpv6: true,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass as cloudfront.PriceClass,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        compress: false,
        cachePolicy,
        responseHeadersPolicy: responseHeaders,
        functionAssociations: [
          { function: router, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
    });
    props.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "ReadRenditionsByDistribution",
        actions: ["s3:GetObject"],
        resources: [props.bucket.arnForObjects(`${props.outputPrefix}*`)],
        principals: [new iam.ServicePrincipal("cloudfront.amazonaws.com")],
        conditions: {
          StringEquals: {
            "AWS:SourceArn": Stack.of(this).formatArn({
              service: "cloudfront",
              region: "",
              resource: "distribution",
              resourceName: this.distribution.distributionId,
            }),
          },
        },
      }),
    );
    this.acknowledgeFindings();
  }

  /** What the Terraform module's checkov skips say, for cdk-nag and checkov here. */
  private acknowledgeFindings(): void {
    const reasons: Record<string, string> = {
      "AwsSolutions-CFR1":
        "No geo restriction: a template cannot choose the countries (the Terraform module's CKV_AWS_374 skip).",
      "AwsSolutions-CFR2":
        "A WAF web ACL costs more than most forks' image traffic; attach one when the site needs it (CKV_AWS_68).",
      "AwsSolutions-CFR3":
        "Access logs need a log bucket; CloudFront's standard metrics cover the template (CKV_AWS_86).",
      "AwsSolutions-CFR4":
        "The default *.cloudfront.net certificate fixes the TLS policy; a fork with its own domain sets TLSv1.2_2021 (CKV_AWS_174).",
    };
    for (const [id, reason] of Object.entries(reasons)) {
      Validations.of(this.distribution).acknowledge({ id, reason });
    }
    skipCheckov(this.distribution, [
      ["CKV_AWS_68", reasons["AwsSolutions-CFR2"]],
      ["CKV_AWS_86", reasons["AwsSolutions-CFR3"]],
      ["CKV_AWS_174", reasons["AwsSolutions-CFR4"]],
      ["CKV_AWS_305", "No root object: the distribution serves renditions, not a site."],
      [
        "CKV_AWS_310",
        "One origin: a second region's bucket is the fork's choice, as is replication.",
      ],
      ["CKV_AWS_374", reasons["AwsSolutions-CFR1"]],
    ]);
  }
}
