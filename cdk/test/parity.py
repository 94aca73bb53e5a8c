"""Compares a Terraform plan and a CDK template made from the same settings: every setting both
stacks carry and every IAM action, reduced to one model per stack. A value the plan leaves
unknown until apply (an ARN, a URL) is compared where the template has a plain value too.

Usage: python parity.py PLAN_JSON TEMPLATE_JSON MODE
Exits 1 listing each difference.
"""

import json
import sys


def walk_modules(module: dict):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from walk_modules(child)


def terraform_model(plan: dict) -> dict:
    resources = [r for r in walk_modules(plan["planned_values"]["root_module"]) if r["mode"] == "managed"]

    def of(kind):
        return [r["values"] for r in resources if r["type"] == kind]

    recursion = {v["function_name"] for v in of("aws_lambda_function_recursion_config")}
    outputs = plan["planned_values"]["outputs"]
    environments = outputs["environment_names"]["value"]
    functions = {
        f["function_name"]: {
            "memory": f["memory_size"],
            "timeout": f["timeout"],
            "architectures": f["architectures"],
            "runtime": f["runtime"],
            "handler": f["handler"],
            "reserved": f["reserved_concurrent_executions"],
            "environment": environments[f["function_name"]],
            "logging": [f["logging_config"][0][k] for k in ["log_format", "application_log_level", "system_log_level"]],
            "recursion_guard": f["function_name"] in recursion,
        }
        for f in of("aws_lambda_function")
    }
    [mapping] = of("aws_lambda_event_source_mapping")
    queues = {
        q["name"]: {
            "visibility": q["visibility_timeout_seconds"],
            "retention": q["message_retention_seconds"],
            "wait": q["receive_wait_time_seconds"],
            "sse": q["sqs_managed_sse_enabled"],
        }
        for q in of("aws_sqs_queue")
    }
    [lifecycle] = of("aws_s3_bucket_lifecycle_configuration")
    [access] = of("aws_s3_bucket_public_access_block")
    [bucket] = of("aws_s3_bucket")
    notification = of("aws_s3_bucket_notification")[0]
    targets = [(t, "queue") for t in notification.get("queue", [])] + [
        (t, "lambda") for t in notification.get("lambda_function", [])
    ]
    statements = outputs["iam_statements"]["value"]
    return {
        "bucket": bucket["bucket"],
        "public access block": [access[k] for k in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]],
        "lifecycle": sorted(
            (
                r["id"],
                (r["filter"][0].get("prefix") or ""),
                (r.get("expiration") or [{}])[0].get("days"),
                (r.get("abort_incomplete_multipart_upload") or [{}])[0].get("days_after_initiation"),
            )
            for r in lifecycle["rule"]
        ),
        "notification": sorted((t["events"][0], t["filter_prefix"], kind) for t, kind in targets),
        "functions": functions,
        "mapping": {
            "batch size": mapping["batch_size"],
            "window": mapping["maximum_batching_window_in_seconds"],
            "maximum concurrency": mapping["scaling_config"][0]["maximum_concurrency"],
            "response types": sorted(mapping["function_response_types"]),
            "enabled": mapping["enabled"],
        },
        "queues": queues,
        "roles": sorted(r["name"] for r in of("aws_iam_role")),
        "iam": {
            function: [(s["sid"], sorted(s["actions"]), [suffix(r) for r in s["resources"]]) for s in found]
            for function, found in statements.items()
        },
        "log groups": sorted((g["name"], g["retention_in_days"]) for g in of("aws_cloudwatch_log_group")),
        "alarms": sorted(
            (a["alarm_name"], a["namespace"], a["metric_name"], a["statistic"], a["period"], a["evaluation_periods"], a["threshold"], a["comparison_operator"], a["treat_missing_data"])
            for a in of("aws_cloudwatch_metric_alarm")
        ),
        "async": sorted((c["maximum_event_age_in_seconds"], c["maximum_retry_attempts"]) for c in of("aws_lambda_function_event_invoke_config")),
        "dashboard": [w["properties"]["title"] for w in json.loads(of("aws_cloudwatch_dashboard")[0]["dashboard_body"])["widgets"]],
        "cdn": terraform_cdn(of),
    }


def terraform_cdn(of):
    """The CDN's settings, or None when there is no distribution."""
    if not of("aws_cloudfront_distribution"):
        return None
    [distribution] = of("aws_cloudfront_distribution")
    [behaviour] = distribution["default_cache_behavior"]
    [origin] = distribution["origin"]
    [function] = of("aws_cloudfront_function")
    [access] = of("aws_cloudfront_origin_access_control")
    [cache] = of("aws_cloudfront_cache_policy")
    [keys] = cache["parameters_in_cache_key_and_forwarded_to_origin"]
    [headers] = of("aws_cloudfront_response_headers_policy")
    [security] = headers["security_headers_config"]
    [hsts] = security["strict_transport_security"]
    return {
        "distribution": [distribution["price_class"], distribution["http_version"], distribution["is_ipv6_enabled"], origin["origin_path"]],
        "behaviour": [behaviour["viewer_protocol_policy"], sorted(behaviour["allowed_methods"]), behaviour["compress"], [a["event_type"] for a in behaviour["function_association"]]],
        "function": [function["name"], function["runtime"], function["code"]],
        "origin access": [access["origin_access_control_origin_type"], access["signing_behavior"], access["signing_protocol"]],
        "cache key": [
            cache["min_ttl"], cache["default_ttl"], cache["max_ttl"],
            keys["headers_config"][0]["header_behavior"], keys["cookies_config"][0]["cookie_behavior"],
            keys["query_strings_config"][0]["query_string_behavior"],
            keys["enable_accept_encoding_gzip"], keys["enable_accept_encoding_brotli"],
        ],
        "response headers": [
            sorted((i["header"], i["value"], i["override"]) for i in headers["custom_headers_config"][0]["items"]),
            [hsts["access_control_max_age_sec"], hsts["include_subdomains"], hsts["preload"], hsts["override"]],
            security["content_type_options"][0]["override"],
        ],
    }


def suffix(resource) -> str:
    """What an IAM resource names beyond the ARN of the bucket, queue or log group it is in."""
    if not isinstance(resource, str):
        return "(computed)"
    for marker in ["/uploads/", "/processed/", "/rejected/", ":log-stream:"]:
        if marker in resource:
            return marker + resource.split(marker, 1)[1]
    return "(the resource itself)"


def template_model(template: dict) -> dict:
    resources = template["Resources"]

    def of(kind):
        return [r["Properties"] for r in resources.values() if r["Type"] == kind]

    def name_of(value) -> str:
        return value if isinstance(value, str) else "(computed)"

    def flat(value) -> str:
        """A template value as text: plain strings kept, Fn::Join flattened, other references named."""
        if isinstance(value, str):
            return value
        if "Fn::Join" in value:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(flat(p) for p in parts)
        return "(computed)"

    functions = {
        f["FunctionName"]: {
            "memory": f["MemorySize"],
            "timeout": f["Timeout"],
            "architectures": f["Architectures"],
            "runtime": f["Runtime"],
            "handler": f["Handler"],
            "reserved": f.get("ReservedConcurrentExecutions", -1),
            "environment": sorted(f["Environment"]["Variables"]),
            "logging": [f["LoggingConfig"][k] for k in ["LogFormat", "ApplicationLogLevel", "SystemLogLevel"]],
            "recursion_guard": f.get("RecursiveLoop") == "Terminate",
        }
        for f in of("AWS::Lambda::Function")
    }
    [mapping] = of("AWS::Lambda::EventSourceMapping")
    queues = {
        q["QueueName"]: {
            "visibility": q.get("VisibilityTimeout", 30),
            "retention": q.get("MessageRetentionPeriod", 345600),
            "wait": q.get("ReceiveMessageWaitTimeSeconds", 0),
            "sse": q.get("SqsManagedSseEnabled", False),
        }
        for q in of("AWS::SQS::Queue")
    }
    [bucket] = of("AWS::S3::Bucket")
    access = bucket["PublicAccessBlockConfiguration"]
    configuration = bucket["NotificationConfiguration"]
    targets = [(c, "queue") for c in configuration.get("QueueConfigurations", [])] + [
        (c, "lambda") for c in configuration.get("LambdaConfigurations", [])
    ]
    roles = {
        role["RoleName"]: [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        for role in of("AWS::IAM::Role")
    }
    iam = {}
    for role_name, found in roles.items():
        function = "trigger" if "-trigger-" in role_name else "processor"
        iam[function] = [
            (s["Sid"], sorted([s["Action"]] if isinstance(s["Action"], str) else s["Action"]), [suffix(flat(r)) for r in ([s["Resource"]] if not isinstance(s["Resource"], list) else s["Resource"])])
            for s in found
        ]
    return {
        "bucket": name_of(bucket["BucketName"]),
        "public access block": [access[k] for k in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]],
        "lifecycle": sorted(
            (r["Id"], r.get("Prefix", ""), r.get("ExpirationInDays"), r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation"))
            for r in bucket["LifecycleConfiguration"]["Rules"]
        ),
        "notification": sorted((c["Event"], c["Filter"]["S3Key"]["Rules"][0]["Value"], kind) for c, kind in targets),
        "functions": functions,
        "mapping": {
            "batch size": mapping["BatchSize"],
            "window": mapping["MaximumBatchingWindowInSeconds"],
            "maximum concurrency": mapping["ScalingConfig"]["MaximumConcurrency"],
            "response types": sorted(mapping["FunctionResponseTypes"]),
            "enabled": mapping["Enabled"],
        },
        "queues": queues,
        "roles": sorted(roles),
        "iam": iam,
        "log groups": sorted((g["LogGroupName"], g["RetentionInDays"]) for g in of("AWS::Logs::LogGroup")),
        "alarms": sorted(
            (a["AlarmName"], a["Namespace"], a["MetricName"], a.get("Statistic"), a["Period"], a["EvaluationPeriods"], a["Threshold"], a["ComparisonOperator"], a["TreatMissingData"])
            for a in of("AWS::CloudWatch::Alarm")
        ),
        "async": sorted((c["MaximumEventAgeInSeconds"], c["MaximumRetryAttempts"]) for c in of("AWS::Lambda::EventInvokeConfig")),
        "dashboard": [w["properties"]["title"] for w in json.loads(flat(of("AWS::CloudWatch::Dashboard")[0]["DashboardBody"]))["widgets"]],
        "cdn": template_cdn(of),
    }


def template_cdn(of):
    """The CDN's settings in the template, in terraform_cdn's shape, or None."""
    if not of("AWS::CloudFront::Distribution"):
        return None
    [distribution] = [d["DistributionConfig"] for d in of("AWS::CloudFront::Distribution")]
    behaviour = distribution["DefaultCacheBehavior"]
    [origin] = distribution["Origins"]
    [function] = of("AWS::CloudFront::Function")
    [access] = [a["OriginAccessControlConfig"] for a in of("AWS::CloudFront::OriginAccessControl")]
    [cache] = [c["CachePolicyConfig"] for c in of("AWS::CloudFront::CachePolicy")]
    keys = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    [headers] = [h["ResponseHeadersPolicyConfig"] for h in of("AWS::CloudFront::ResponseHeadersPolicy")]
    security = headers["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    return {
        "distribution": [distribution["PriceClass"], distribution["HttpVersion"], distribution["IPV6Enabled"], origin.get("OriginPath", "")],
        "behaviour": [behaviour["ViewerProtocolPolicy"], sorted(behaviour["AllowedMethods"]), behaviour.get("Compress", False), [a["EventType"] for a in behaviour["FunctionAssociations"]]],
        "function": [function["Name"], function["FunctionConfig"]["Runtime"], function["FunctionCode"]],
        "origin access": [access["OriginAccessControlOriginType"], access["SigningBehavior"], access["SigningProtocol"]],
        "cache key": [
            cache["MinTTL"], cache["DefaultTTL"], cache["MaxTTL"],
            keys["HeadersConfig"]["HeaderBehavior"], keys["CookiesConfig"]["CookieBehavior"],
            keys["QueryStringsConfig"]["QueryStringBehavior"],
            keys["EnableAcceptEncodingGzip"], keys["EnableAcceptEncodingBrotli"],
        ],
        "response headers": [
            sorted((i["Header"], i["Value"], i["Override"]) for i in headers["CustomHeadersConfig"]["Items"]),
            [hsts["AccessControlMaxAgeSec"], hsts["IncludeSubdomains"], hsts["Preload"], hsts["Override"]],
            security["ContentTypeOptions"]["Override"],
        ],
    }


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                yield f"{path}/{key}: only in {'Terraform' if key in a else 'CDK'}"
            else:
                yield from differences(a[key], b[key], f"{path}/{key}")
    elif a != b:
        yield f"{path}: Terraform {a!r}, CDK {b!r}"


def main() -> None:
    plan_path, template_path, mode = sys.argv[1:4]
    terraform = terraform_model(json.load(open(plan_path)))
    cdk = template_model(json.load(open(template_path)))
    found = list(differences(terraform, cdk))
    if found:
        sys.exit(f"parity ({mode}): the stacks differ:\n- " + "\n- ".join(found))
    shared = sum(len(v) if isinstance(v, (dict, list)) else 1 for v in terraform.values())
    print(f"parity ({mode}): the same on {len(terraform)} aspects ({shared} settings and statements)")


if __name__ == "__main__":
    main()
