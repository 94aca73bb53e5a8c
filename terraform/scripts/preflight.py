"""Checks what `make deploy` is about to apply against the account: the concurrency it asks for
must exist in the account, or Lambda refuses the reservation, or the event source mapping is
throttled and every throttled receive counts toward maxReceiveCount (messages drift to the
dead-letter queue).

Usage: python preflight.py PLAN   (PLAN: `terraform show -json` of the saved plan, or the CDK
stack's synthesized template)
Exits 1 with what to change when the plan does not fit; needs AWS credentials.
"""

import json
import sys

import boto3
import botocore.exceptions

# Lambda keeps this many executions of the account unreserved (PutFunctionConcurrency).
UNRESERVED_MINIMUM = 100


def planned(plan: dict, address: str) -> dict:
    """The planned values of the resource at `address` (for example a module's function)."""
    for change in plan.get("resource_changes", []):
        if change["address"] == address:
            return change["change"]["after"] or {}
    raise SystemExit(f"preflight: {address} is not in the plan")


def asked(plan: dict) -> tuple[str, int, int]:
    """The processor's name, reserved concurrency (-1: none) and mapping concurrency."""
    if "Resources" in plan:  # a CloudFormation template
        resources = plan["Resources"].values()
        [mapping] = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::EventSourceMapping"]
        functions = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::Function"]
        [function] = [f for f in functions if f["FunctionName"].endswith("-processor")]
        reserved = function.get("ReservedConcurrentExecutions", -1)
        return function["FunctionName"], reserved, mapping["ScalingConfig"]["MaximumConcurrency"]
    function = planned(plan, "module.processor.aws_lambda_function.this")
    mapping = planned(plan, "aws_lambda_event_source_mapping.processor")
    reserved = function.get("reserved_concurrent_executions", -1)
    return function["function_name"], reserved, mapping["scaling_config"][0]["maximum_concurrency"]


def check(plan: dict, lam) -> list[str]:
    """The problems of `plan` in the account `lam` (a Lambda client) answers for."""
    name, reserved, maximum = asked(plan)

    limits = lam.get_account_settings()["AccountLimit"]
    limit = limits["ConcurrentExecutions"]
    unreserved = limits["UnreservedConcurrentExecutions"]
    try:
        # A reservation the function already holds is not part of the unreserved pool.
        unreserved += lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions", 0)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    account = f"(aws lambda get-account-settings: ConcurrentExecutions {limit}, UnreservedConcurrentExecutions {limits['UnreservedConcurrentExecutions']})"
    problems = []
    if reserved >= 0 and reserved > unreserved - UNRESERVED_MINIMUM:
        problems.append(
            f"processor_reserved_concurrency = {reserved} would leave fewer than {UNRESERVED_MINIMUM} executions "
            f"unreserved {account}: set it to {max(unreserved - UNRESERVED_MINIMUM, 0)} or less, or -1 for none; "
            "a higher limit comes from Service Quotas (Lambda, Concurrent executions)."
        )
    available = reserved if reserved >= 0 else unreserved
    if maximum > available:
        problems.append(
            f"maximum_concurrency = {maximum} is more than the {available} executions the processor can get {account}: "
            "the mapping would be throttled, and every throttled receive counts toward max_receive_count, so messages "
            f"would drift to the DLQ. Set maximum_concurrency to {max(min(available, 1000), 2)} or less, or raise the limit."
        )
    return problems


def main() -> None:
    plan = json.load(open(sys.argv[1]))
    # The stack's region, which may differ from the shell's default one (a template names it in
    # its functions' ARNs only after deployment: the environment's region deploys it).
    region = plan["variables"]["region"]["value"] if "variables" in plan else None
    problems = check(plan, boto3.client("lambda", region_name=region))
    for problem in problems:
        print(f"preflight: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("preflight: the plan's concurrency fits the account")


if __name__ == "__main__":
    main()
