"""Reads the renditions a load test left in the local emulator with Pillow (its own libjpeg,
libwebp and libavif, none of them the pipeline's): every file decodes, has the Content-Type of
its extension, and the formats of one rendition have the same size and, against the rendition's
first format (JPEG where there is one), a PSNR of at least MIN_PSNR_DB.

Usage: python check_formats.py OUTPUTS_JSON
(OUTPUTS_JSON: the stack's `terraform output -json`; the endpoint comes from AWS_ENDPOINT_URL.)
"""

import collections
import io
import json
import math
import sys

import boto3
from PIL import Image, ImageChops, ImageStat

# Two lossy encodings of the same pixels at qualities that look alike (each format's default,
# or one number for all). Measured on make test-loadtest's generated photos: 38.1-44.5 dB.
MIN_PSNR_DB = 32.0
# Extensions in the order the comparison prefers its reference.
FORMATS = {"jpg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp"), "avif": ("AVIF", "image/avif")}


def psnr(a: Image.Image, b: Image.Image) -> float:
    rms = ImageStat.Stat(ImageChops.difference(a, b)).rms
    mse = sum(r * r for r in rms) / len(rms)
    return math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)


def renditions(s3, bucket: str, prefix: str) -> dict[str, list[str]]:
    """Each rendition (`<stem>/<name>`) with its files' extensions, in FORMATS order."""
    found = collections.defaultdict(list)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            base, _, extension = item["Key"][len(prefix) :].rpartition(".")
            found[base].append(extension)
    return {base: sorted(exts, key=list(FORMATS).index) for base, exts in found.items()}


def check(s3, bucket: str, prefix: str) -> tuple[list[str], dict[str, list[float]]]:
    problems, scores = [], collections.defaultdict(list)
    found = renditions(s3, bucket, prefix)
    if not found:
        return [f"no renditions under s3://{bucket}/{prefix}"], scores
    for base, extensions in sorted(found.items()):
        images = {}
        for extension in extensions:
            key = f"{prefix}{base}.{extension}"
            if extension not in FORMATS:
                problems.append(f"{key}: an extension the pipeline does not write")
                continue
            pil_format, content_type = FORMATS[extension]
            got = s3.get_object(Bucket=bucket, Key=key)
            if got["ContentType"] != content_type:
                problems.append(f"{key}: Content-Type {got['ContentType']}")
            try:
                image = Image.open(io.BytesIO(got["Body"].read()))
                image.load()
            except Exception as error:  # Pillow raises many kinds for a bad file
                problems.append(f"{key}: Pillow cannot read it: {error}")
                continue
            if image.format != pil_format:
                problems.append(f"{key}: Pillow reads {image.format}")
            images[extension] = image.convert("RGB")
        if len(images) < 2:
            continue
        (first, reference), *others = images.items()
        for extension, image in others:
            if image.size != reference.size:
                problems.append(f"{base}: {extension} is {image.size}, {first} is {reference.size}")
                continue
            score = psnr(image, reference)
            scores[f"{extension} vs {first}"].append(score)
            if score < MIN_PSNR_DB:
                problems.append(f"{base}.{extension}: {score:.1f} dB against the {first}")
    return problems, scores


def main() -> None:
    outputs = {name: value["value"] for name, value in json.load(open(sys.argv[1])).items()}
    # examples/local wraps the root module's outputs in one `pipeline` output.
    outputs = outputs.get("pipeline", outputs)
    s3 = boto3.client("s3", region_name=outputs["region"])
    problems, scores = check(s3, outputs["output_bucket"], outputs["output_prefix"])
    for pair, values in sorted(scores.items()):
        print(f"check_formats: {pair}: {len(values)} renditions, PSNR {min(values):.1f}-{max(values):.1f} dB")
    if problems:
        sys.exit("check_formats:\n" + "\n".join(problems[:20]))
    if not scores:
        sys.exit("check_formats: no rendition in two formats to compare")


if __name__ == "__main__":
    main()
