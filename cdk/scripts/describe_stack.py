"""Describes a deployed CDK stack for the project's tools, from CloudFormation and Lambda:

- the harness's deployment description (`make loadtest DEPLOYER=cdk`, locally or TARGET=aws);
- `terraform output -json`-shaped outputs, which `redrive` and `prepare_destroy.py` read.

Usage: python describe_stack.py STACK DESCRIPTION_JSON OUTPUTS_JSON
(AWS credentials and region from the environment; AWS_ENDPOINT_URL for the emulator.)
"""

import json
import sys

import boto3


def outputs_of(cfn, stack: str) -> dict:
    """The stack's outputs by their Terraform names (each output's description carries it)."""
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["Description"]: o["OutputValue"] for o in described.get("Outputs", [])}


def function(lam, name: str) -> dict:
    config = lam.get_function_configuration(FunctionName=name)
    try:
        invoke = lam.get_function_event_invoke_config(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        invoke = None
    return {
        "name": name,
        "environment": config.get("Environment", {}).get("Variables", {}),
        "memory_mb": config["MemorySize"],
        "timeout_seconds": config["Timeout"],
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "asynchronous": None
        if invoke is None
        else {
            "maximum_event_age_seconds": invoke.get("MaximumEventAgeInSeconds", 21600),
            "maximum_retry_attempts": invoke.get("MaximumRetryAttempts", 2),
            "on_failure_arn": invoke.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
        },
    }


def describe(cfn, lam, stack: str) -> tuple[dict, dict]:
    out = outputs_of(cfn, stack)
    mapping = lam.get_event_source_mapping(UUID=out["event_source_mapping_uuid"])
    description = {
        "kind": "stack-description",
        "stack": stack,
        **{
            key: out[key]
            for key in [
                "bucket",
                "output_bucket",
                "input_prefix",
                "output_prefix",
                "rejected_prefix",
                "queue_url",
                "queue_arn",
                "dlq_url",
                "notification_mode",
            ]
        },
        "trigger_failures_url": out.get("trigger_failures_url"),
        "processor": function(lam, out["processor_function_name"]),
        "trigger": function(lam, out["trigger_function_name"]) if out.get("trigger_function_name") else None,
        "batch_size": mapping["BatchSize"],
        "batching_window_seconds": mapping.get("MaximumBatchingWindowInSeconds", 0),
        "maximum_concurrency": mapping.get("ScalingConfig", {}).get("MaximumConcurrency", 1000),
    }
    # As `terraform output -json` writes them; numbers stay numbers.
    numbers = {"processor_timeout_seconds", "processor_memory_mb", "max_bytes"}
    terraform_outputs = {
        name: {"value": int(value) if name in numbers else value} for name, value in out.items()
    }
    return description, terraform_outputs


def main() -> None:
    stack, description_path, outputs_path = sys.argv[1:4]
    description, outputs = describe(boto3.client("cloudformation"), boto3.client("lambda"), stack)
    with open(description_path, "w") as f:
        json.dump(description, f, indent=2)
    with open(outputs_path, "w") as f:
        json.dump(outputs, f, indent=2)
    print(f"describe_stack: {stack} described in {description_path} and {outputs_path}")


if __name__ == "__main__":
    main()
