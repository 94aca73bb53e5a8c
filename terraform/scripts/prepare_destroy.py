"""Readies a deployed stack for `terraform destroy`, so it succeeds on the first try:

1. stops new work: the functions' reserved concurrency goes to 0 (throttled, so neither the SQS
   mapping nor S3 can start them) and the event source mapping is disabled;
2. waits out the invocations already running (the processor's timeout bounds them, and a few
   seconds more cover a batch the mapping handed over as the throttle took hold), so no batch in
   flight writes a rendition after the buckets are emptied;
3. empties the buckets, every object version and delete marker included, and empties them again
   until two passes, seconds apart, find nothing: a write sent just before an invocation ended
   can still land after the first pass.

Usage: python prepare_destroy.py OUTPUTS_JSON [--drain-seconds N]
(OUTPUTS_JSON: `terraform output -json` of the stack; the emulator's endpoint comes from
AWS_ENDPOINT_URL like any AWS SDK's.)
"""

import argparse
import json
import time

import boto3
import botocore.exceptions


def stop_functions(lam, names: list[str]) -> None:
    for name in names:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        print(f"prepare_destroy: {name} throttled (reserved concurrency 0)")


def disable_mapping(lam, uuid: str, timeout_s: float = 120) -> None:
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    deadline = time.monotonic() + timeout_s
    while lam.get_event_source_mapping(UUID=uuid)["State"] not in ("Disabled",):
        if time.monotonic() > deadline:
            raise SystemExit(f"prepare_destroy: the event source mapping {uuid} did not turn Disabled")
        time.sleep(2)
    print(f"prepare_destroy: event source mapping {uuid} disabled")


def empty_bucket(s3, bucket: str) -> int:
    """Deletes every object version and delete marker; returns how many were deleted."""
    deleted = 0
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(keys), 1000):
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})
            deleted += len(keys)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucket":
            return 0
        raise
    return deleted


# Past the timeout: a batch received just before the throttle held starts late, and the response
# of one that ended at its deadline is still on its way.
DRAIN_MARGIN_S = 5
# Between the passes that make sure the buckets stay empty; how many empty passes in a row
# count as quiet, and how many passes at most.
RECHECK_S = 5
QUIET_PASSES = 2
MAX_PASSES = 12


def empty_until_quiet(s3, bucket: str) -> None:
    """Empties `bucket`, then again every RECHECK_S, until QUIET_PASSES in a row delete nothing."""
    deleted = empty_bucket(s3, bucket)
    print(f"prepare_destroy: {bucket}: {deleted} object versions deleted")
    quiet = 0
    for _ in range(MAX_PASSES):
        time.sleep(RECHECK_S)
        late = empty_bucket(s3, bucket)
        if late == 0:
            quiet += 1
            if quiet == QUIET_PASSES:
                return
            continue
        quiet = 0
        print(f"prepare_destroy: {bucket}: {late} more written after the drain, deleted")
    raise SystemExit(f"prepare_destroy: {bucket} keeps receiving objects; is something else writing to it?")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("outputs")
    parser.add_argument(
        "--drain-seconds", type=float, help=f"default: the processor's timeout + {DRAIN_MARGIN_S} s"
    )
    args = parser.parse_args()
    outputs = {name: value["value"] for name, value in json.load(open(args.outputs)).items()}
    # examples/local wraps the root module's outputs in one `pipeline` output.
    outputs = outputs.get("pipeline", outputs)
    region = outputs["region"]
    lam = boto3.client("lambda", region_name=region)
    s3 = boto3.client("s3", region_name=region)

    functions = [outputs["processor_function_name"]] + (
        [outputs["trigger_function_name"]] if outputs.get("trigger_function_name") else []
    )
    stop_functions(lam, functions)
    disable_mapping(lam, outputs["event_source_mapping_uuid"])
    drain = (
        args.drain_seconds
        if args.drain_seconds is not None
        else outputs["processor_timeout_seconds"] + DRAIN_MARGIN_S
    )
    print(f"prepare_destroy: waiting {drain:g} s for invocations already running to end")
    time.sleep(drain)
    for bucket in dict.fromkeys([outputs["bucket"], outputs["output_bucket"]]):
        empty_until_quiet(s3, bucket)


if __name__ == "__main__":
    main()
