"""Runs the CDN's format router (modules/cdn/format-router.js, in node, as CloudFront runs it)
against the renditions a load test left in the local emulator: for every rendered upload, every
rendition name and the Accept header of each kind of browser, the path the function rewrites to
must be an object that exists, of the Content-Type its extension promises, in one of the
rendition's formats. The emulator has no CloudFront, so S3 answers the rewritten path directly.

Usage: python check_routes.py OUTPUTS_JSON RENDITIONS
(OUTPUTS_JSON: the stack's `terraform output -json`; the endpoint comes from AWS_ENDPOINT_URL.)
"""

import collections
import json
import os
import subprocess
import sys
import urllib.parse

import boto3

ROUTER = os.path.join(os.path.dirname(__file__), "..", "modules", "cdn", "format-router.js")

# The Accept header each client sends for an <img> (the node tests hold more).
CLIENTS = {
    "chrome": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "safari 17": "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,"
    "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
    "firefox": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
    "android 4.4 webview": "image/webp,*/*;q=0.8",
    "curl": "*/*",
}
CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}

# Evaluates the function once per request read from stdin; prints the rewritten paths.
RUNNER = """
const vm = require("node:vm");
const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const handler = vm.runInNewContext(input.code + "\\nhandler;");
const uris = input.requests.map(([uri, accept]) =>
  handler({ request: { uri, headers: { accept: { value: accept } } } }).uri);
process.stdout.write(JSON.stringify(uris));
"""


def router_code(renditions: str) -> str:
    """The function as the deployers write it: the setting in place of the placeholder."""
    with open(ROUTER) as f:
        return f.read().replace('"__RENDITIONS__"', json.dumps(renditions))


def route(renditions: str, requests: list[tuple[str, str]]) -> list[str]:
    payload = json.dumps({"code": router_code(renditions), "requests": requests})
    done = subprocess.run(["node", "-e", RUNNER], input=payload, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def rendered_stems(s3, bucket: str, prefix: str) -> dict[str, set[str]]:
    """Each upload's key stem under `prefix`, with the rendition files written for it."""
    stems = collections.defaultdict(set)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            stem, _, file = item["Key"][len(prefix) :].rpartition("/")
            stems[stem].add(file)
    return stems


def check(s3, bucket: str, prefix: str, renditions: str) -> list[str]:
    names = [spec.strip().split(":")[0] for spec in renditions.split(",") if spec.strip()]
    stems = rendered_stems(s3, bucket, prefix)
    if not stems:
        return [f"no renditions under s3://{bucket}/{prefix}: nothing to route"]
    requests = [
        (f"/{urllib.parse.quote(stem)}/{name}", accept)
        for stem in sorted(stems)
        for name in names
        for accept in CLIENTS.values()
    ]
    problems = []
    for (uri, accept), routed in zip(requests, route(renditions, requests)):
        key = prefix + urllib.parse.unquote(routed[1:])
        extension = routed.rpartition(".")[2]
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except s3.exceptions.ClientError:
            problems.append(f"{uri} (Accept: {accept}) -> {routed}: no such object")
            continue
        if head["ContentType"] != CONTENT_TYPES.get(extension):
            problems.append(f"{uri} -> {routed}: Content-Type {head['ContentType']}")
    print(f"check_routes: {len(requests)} requests over {len(stems)} uploads, {len(problems)} problems")
    return problems


def main() -> None:
    outputs_path, renditions = sys.argv[1:3]
    outputs = {name: value["value"] for name, value in json.load(open(outputs_path)).items()}
    # examples/local wraps the root module's outputs in one `pipeline` output.
    outputs = outputs.get("pipeline", outputs)
    s3 = boto3.client("s3", region_name=outputs["region"])
    problems = check(s3, outputs["output_bucket"], outputs["output_prefix"], renditions)
    if problems:
        sys.exit("check_routes:\n" + "\n".join(problems[:20]))


if __name__ == "__main__":
    main()
