"""Deploys a synthesized CDK stack to the local AWS emulator (moto), as `cdk deploy` would to an
account: the bootstrap's version parameter and asset bucket, the assets (the `make build` zips,
byte for byte), then CloudFormation `CreateStack` with the template.

moto's CloudFormation leaves some properties and resources out. Each gap is listed once, in
GAPS, with why it matters; what moto's own APIs accept is applied here after the stack is
created, the way Terraform's `local_endpoint` switches handle what moto lacks. The CDK tests
assert every gapped property on the synthesized template, so AWS gets them from the template.

Usage: python deploy_local.py CDK_OUT STACK ENDPOINT
"""

import json
import re
import sys
import time
from dataclasses import dataclass
from typing import Callable

import boto3

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"


class Stack:
    """A created stack's resources, with CloudFormation's intrinsic functions resolved."""

    def __init__(self, clients: dict, cfn, name: str, template: dict):
        self.c = clients
        self.template = template
        self.physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        }

    def of_type(self, kind: str):
        for logical, resource in self.template["Resources"].items():
            if resource["Type"] == kind:
                yield logical, self.resolve(resource.get("Properties", {}))

    def attribute(self, logical: str, attribute: str) -> str:
        kind = self.template["Resources"][logical]["Type"]
        physical = self.physical[logical]
        if kind == "AWS::SQS::Queue":
            attributes = self.c["sqs"].get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
            arn = attributes["Attributes"]["QueueArn"]
            return {"Arn": arn, "QueueName": arn.rsplit(":", 1)[1]}[attribute]
        if kind == "AWS::Lambda::Function":
            return self.c["lambda"].get_function_configuration(FunctionName=physical)["FunctionArn"]
        if kind == "AWS::S3::Bucket":
            return f"arn:{PARTITION}:s3:::{physical}"
        raise KeyError(f"{kind}.{attribute}")

    def ref(self, name: str) -> str:
        pseudo = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION}
        return pseudo.get(name) or self.physical[name]

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::GetAtt" in value:
            return self.attribute(*value["Fn::GetAtt"])
        if "Fn::Join" in value:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(str(self.resolve(p)) for p in parts)
        if "Fn::Sub" in value:

            def substitute(match: re.Match) -> str:
                name = match.group(1)
                return self.attribute(*name.split(".")) if "." in name else self.ref(name)

            return re.sub(r"\$\{([^}]+)\}", substitute, value["Fn::Sub"])
        return {k: self.resolve(v) for k, v in value.items()}


def bucket_notification(stack: Stack) -> None:
    for _, p in stack.of_type("AWS::S3::Bucket"):
        config = p.get("NotificationConfiguration")
        if not config:
            continue

        def rules(target: dict) -> dict:
            return {"Key": {"FilterRules": target["Filter"]["S3Key"]["Rules"]}}

        stack.c["s3"].put_bucket_notification_configuration(
            Bucket=p["BucketName"],
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"QueueArn": q["Queue"], "Events": [q["Event"]], "Filter": rules(q)}
                    for q in config.get("QueueConfigurations", [])
                ],
                "LambdaFunctionConfigurations": [
                    {"LambdaFunctionArn": f["Function"], "Events": [f["Event"]], "Filter": rules(f)}
                    for f in config.get("LambdaConfigurations", [])
                ],
            },
        )


def bucket_lifecycle(stack: Stack) -> None:
    for _, p in stack.of_type("AWS::S3::Bucket"):
        rules = []
        for rule in p.get("LifecycleConfiguration", {}).get("Rules", []):
            api = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
            if "AbortIncompleteMultipartUpload" in rule:
                api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
            if "ExpirationInDays" in rule:
                api["Expiration"] = {"Days": rule["ExpirationInDays"]}
            rules.append(api)
        if rules:
            stack.c["s3"].put_bucket_lifecycle_configuration(
                Bucket=p["BucketName"], LifecycleConfiguration={"Rules": rules}
            )


def bucket_access(stack: Stack) -> None:
    for _, p in stack.of_type("AWS::S3::Bucket"):
        if "PublicAccessBlockConfiguration" in p:
            stack.c["s3"].put_public_access_block(
                Bucket=p["BucketName"], PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"]
            )
        if "OwnershipControls" in p:
            stack.c["s3"].put_bucket_ownership_controls(
                Bucket=p["BucketName"], OwnershipControls=p["OwnershipControls"]
            )


def event_invoke_configs(stack: Stack) -> None:
    for _, p in stack.of_type("AWS::Lambda::EventInvokeConfig"):
        stack.c["lambda"].put_function_event_invoke_config(
            FunctionName=p["FunctionName"],
            MaximumEventAgeInSeconds=p["MaximumEventAgeInSeconds"],
            MaximumRetryAttempts=p["MaximumRetryAttempts"],
            DestinationConfig=p["DestinationConfig"],
        )


def alarms(stack: Stack) -> None:
    keys = [
        "AlarmName", "AlarmDescription", "MetricName", "Namespace", "Dimensions", "Statistic",
        "Period", "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData",
        "AlarmActions", "OKActions",
    ]  # fmt: skip
    for _, p in stack.of_type("AWS::CloudWatch::Alarm"):
        stack.c["cloudwatch"].put_metric_alarm(**{k: p[k] for k in keys if k in p})


def queue_policies(stack: Stack) -> None:
    for _, p in stack.of_type("AWS::SQS::QueuePolicy"):
        for url in p["Queues"]:
            stack.c["sqs"].set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(p["PolicyDocument"])}
            )


@dataclass
class Gap:
    what: str
    why: str
    apply: Callable[[Stack], None] | None


# What moto 5.2's CloudFormation leaves out of the stack, checked resource by resource.
GAPS = [
    Gap("AWS::S3::Bucket NotificationConfiguration", "ignored: S3 would notify nothing", bucket_notification),
    Gap("AWS::S3::Bucket LifecycleConfiguration", "ignored: no expiry of rejection records", bucket_lifecycle),
    Gap(
        "AWS::S3::Bucket PublicAccessBlockConfiguration, OwnershipControls",
        "ignored: the bucket would be neither blocked nor owner-enforced",
        bucket_access,
    ),
    Gap(
        "AWS::Lambda::EventInvokeConfig",
        "not created: the trigger's failed events would have no destination",
        event_invoke_configs,
    ),
    Gap("AWS::CloudWatch::Alarm", "not created", alarms),
    Gap("AWS::SQS::QueuePolicy", "not applied", queue_policies),
    Gap(
        "AWS::Lambda::Function Architectures, LoggingConfig",
        "ignored (x86_64, text logs); no API of moto's sets them after creation: asserted on the template",
        None,
    ),
]


def deploy(out: str, name: str, endpoint: str) -> None:
    session = dict(
        endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )
    clients = {n: boto3.client(n, **session) for n in ["s3", "sqs", "lambda", "cloudwatch", "ssm"]}
    cfn = boto3.client("cloudformation", **session)
    clients["ssm"].put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True
    )
    assets = json.load(open(f"{out}/{name}.assets.json"))
    for asset in assets["files"].values():
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", ACCOUNT)
            existing = [b["Name"] for b in clients["s3"].list_buckets().get("Buckets", [])]
            if bucket not in existing:
                clients["s3"].create_bucket(Bucket=bucket)
            with open(f"{out}/{asset['source']['path']}", "rb") as body:
                clients["s3"].put_object(Bucket=bucket, Key=destination["objectKey"], Body=body.read())
    template = json.load(open(f"{out}/{name}.template.json"))
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"])
    for _ in range(300):
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(1)
    if status != "CREATE_COMPLETE":
        failed = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
            for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
            if "FAILED" in e["ResourceStatus"]
        ]
        raise SystemExit(f"deploy_local: {name} ended {status}: {failed}")
    stack = Stack(clients, cfn, name, template)
    for gap in GAPS:
        if gap.apply:
            gap.apply(stack)
        print(f"deploy_local: gap {gap.what}: {gap.why}; {'applied' if gap.apply else 'template only'}")
    print(f"deploy_local: {name} created")


if __name__ == "__main__":
    deploy(*sys.argv[1:4])
