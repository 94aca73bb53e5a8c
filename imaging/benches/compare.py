"""Compares `render` with Pillow and libvips doing the same job on the same photos, one core each.

Job: JPEG q80 renditions fitting 1600, 800 and 200 px. Prints ms per image (median), MP/s, the
ratios, PSNR of the 800 px rendition against a lossless reference, and render's peak memory.
Then the same job in WebP (q87, method 4) and in AVIF (q77, libaom speed 9): the core's
defaults, each matched to JPEG q80 by `make bench-formats`, against libvips' webpsave and
heifsave at the same effort, without metadata (ours carry none). WebP at the same quality.
libvips' AVIF is libheif over libaom with a quality scale of its own (its Q77 made 1.9-2.3x our
q77's bytes), so for each photo its Q is the one whose three files come closest to ours in bytes
(bisected), and that Q is timed: the same job, the same bytes.
Run by `make bench` (which installs Pillow and pyvips-binary into a venv); CORPUS=dir picks the
photos, otherwise photo-like images are generated.
"""

import argparse
import functools
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")  # one core each: libvips threads otherwise

import pyvips  # noqa: E402
from PIL import Image, ImageChops, ImageFilter  # noqa: E402

BOXES = (1600, 800, 200)
QUALITY = 80
NAMES = ("large", "medium", "thumb")
JOB = ",".join(f"{name}:{box}x{box}:q{QUALITY}" for name, box in zip(NAMES, BOXES))
WEBP_QUALITY, WEBP_EFFORT = 87, 4
WEBP_JOB = ",".join(f"{name}:{box}x{box}:q{WEBP_QUALITY}:webp" for name, box in zip(NAMES, BOXES))
AVIF_QUALITY = 77
AVIF_JOB = ",".join(f"{name}:{box}x{box}:q{AVIF_QUALITY}:avif" for name, box in zip(NAMES, BOXES))
# libvips maps heifsave's effort 0-9 to libaom's speed 9-0.
AVIF_EFFORT = 0


def save_jpeg(image):
    return image.jpegsave_buffer(Q=QUALITY)


def save_webp(image):
    return image.webpsave_buffer(Q=WEBP_QUALITY, effort=WEBP_EFFORT, keep="none")


def avif_saver(quality):
    return lambda image: image.heifsave_buffer(compression="av1", Q=quality, effort=AVIF_EFFORT, keep="none")


def vips_avif_quality(data, target_bytes):
    """libvips' AVIF Q (1-100) whose cascade's bytes come closest to `target_bytes`."""

    @functools.cache
    def size(q):
        return sum(len(f) for f in vips_cascade(data, avif_saver(q)))
    low, high = 1, 100
    while high - low > 1:  # bytes grow with Q
        middle = (low + high) // 2
        low, high = (middle, high) if size(middle) < target_bytes else (low, middle)
    return min((low, high), key=lambda q: abs(size(q) - target_bytes))


def fit(size, box):
    width, height = size
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def jpeg_bytes(image):
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def pillow_seed(data):
    """As the seed Lambda does it: full decode, each rendition resized from the full image."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return [jpeg_bytes(image.resize(fit(image.size, box), Image.LANCZOS)) for box in BOXES]


def pillow_draft(data):
    """Pillow at its best: JPEG shrink-on-load (draft) and each rendition from the previous."""
    image = Image.open(io.BytesIO(data))
    full = image.size
    image.draft("RGB", fit(full, BOXES[0]))
    outputs = []
    for box in BOXES:
        image = image.resize(fit(full, box), Image.LANCZOS)
        outputs.append(jpeg_bytes(image))
    return outputs


def vips_cascade(data, save=save_jpeg):
    """libvips thumbnail (shrink-on-load) to the largest size, then each from the previous."""
    # Materialised once: the later renditions read it again, which a sequential load forbids.
    image = pyvips.Image.thumbnail_buffer(data, BOXES[0]).copy_memory()
    outputs = [save(image)]
    for box in BOXES[1:]:
        image = image.thumbnail_image(box).copy_memory()
        outputs.append(save(image))
    return outputs


def timed(function, data, repeat):
    times, outputs = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        outputs = function(data)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), outputs


def run_render(render, path, repeat, out_dir, job=JOB):
    """Median in-process ms over `repeat` renders of one file, its outputs, and the peak RSS
    (KiB) of rendering it once. The peak comes from GNU time: a child forked from this large
    Python process would report the parent's memory as its own."""
    command = [render, "-r", job, "--out", str(out_dir)]
    stdout = subprocess.run(command + [str(path)] * repeat, stdout=subprocess.PIPE, text=True, check=True).stdout
    lines = [json.loads(line) for line in stdout.splitlines()]
    outputs = [Path(r["path"]).read_bytes() for r in lines[-1]["renditions"]]
    peak_kib = None
    if Path("/usr/bin/time").exists():
        timed_run = subprocess.run(["/usr/bin/time", "-f", "%M"] + command + [str(path)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
        peak_kib = int(timed_run.stderr.strip().splitlines()[-1])
    return statistics.median(line["ms"]["total"] for line in lines), outputs, peak_kib


def other_formats(args, path, data, scratch):
    """The job in WebP and in AVIF, ours against libvips; sizes are of the three files."""
    kilobytes = lambda files: round(sum(len(f) for f in files) / 1000, 1)  # noqa: E731
    row = {}
    for fmt, job in (("webp", WEBP_JOB), ("avif", AVIF_JOB)):
        ours_ms, ours, _ = run_render(args.render, path, args.repeat, scratch, job)
        save = save_webp
        if fmt == "avif":
            row["avif_vips_quality"] = vips_avif_quality(data, sum(len(f) for f in ours))
            save = avif_saver(row["avif_vips_quality"])
        vips_ms, vips = timed(lambda d: vips_cascade(d, save), data, args.repeat)
        row |= {
            f"{fmt}_ours_ms": round(ours_ms, 1), f"{fmt}_vips_ms": round(vips_ms, 1),
            f"{fmt}_vips_over_ours": round(vips_ms / ours_ms, 2),
            f"{fmt}_ours_kb": kilobytes(ours), f"{fmt}_vips_kb": kilobytes(vips),
        }
    return row


def psnr(a, b):
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    squares = sum(count * (value % 256) ** 2 for value, count in enumerate(diff.histogram()))
    mse = squares / (a.size[0] * a.size[1] * 3)
    return float("inf") if mse == 0 else 10 * math.log10(255 * 255 / mse)


def reference_800(data):
    """Lossless reference: full decode, one LANCZOS resize, no JPEG round trip."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.resize(fit(image.size, BOXES[1]), Image.LANCZOS)


def generated_corpus(folder):
    """Photo-like JPEGs (gradients, shapes, blur, sensor noise) at 12 MP and 2.5 MP."""
    paths = []
    for name, size in (("gen_12mp_4000x3000", (4000, 3000)), ("gen_2mp_1920x1280", (1920, 1280))):
        base = Image.radial_gradient("L").resize(size)
        sky = Image.linear_gradient("L").resize(size)
        noise = Image.effect_noise(size, 24)
        scene = Image.merge("RGB", (sky, base, ImageChops.add(sky, noise, 2.0)))
        scene = scene.filter(ImageFilter.GaussianBlur(2))
        scene = ImageChops.add(scene, Image.merge("RGB", (noise, noise, noise)), 3.0, -40)
        path = Path(folder) / f"{name}.jpg"
        scene.save(path, "JPEG", quality=92)
        paths.append(path)
    return paths


def bench_photos(corpus, folder):
    """The JPEG photos in `corpus`, or, without one, the generated ones written into `folder`."""
    if not corpus:
        return generated_corpus(folder)
    found = sorted(p for p in Path(corpus).iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    if not found:
        sys.exit(f"no JPEG photos in {corpus}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", required=True, help="the release render binary")
    parser.add_argument("--corpus", help="a folder of JPEG photos (default: generated)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=0, help="the core everything is pinned to")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})  # children (render) inherit the pinning

    with tempfile.TemporaryDirectory() as scratch:
        photos = bench_photos(args.corpus, scratch)
        print(f"libvips {pyvips.version(0)}.{pyvips.version(1)}, Pillow {Image.__version__}, "
              f"one core (cpu {args.cpu}), median of {args.repeat}; job: {JOB}")
        header = ("photo", "MP", "ours ms", "MP/s", "vips ms", "pillow ms", "seed ms",
                  "vips/ours", "seed/ours", "PSNR ours", "PSNR pillow", "PSNR vips", "peak MiB",
                  "WebP ours ms", "WebP vips ms", "WebP vips/ours", "WebP ours KB", "WebP vips KB",
                  "AVIF vips Q", "AVIF ours ms", "AVIF vips ms", "AVIF vips/ours", "AVIF ours KB",
                  "AVIF vips KB")
        print(" | ".join(header))
        rows = []
        for path in photos:
            data = path.read_bytes()
            with Image.open(path) as image:
                megapixels = image.size[0] * image.size[1] / 1e6
            ours_ms, ours, peak_kib = run_render(args.render, path, args.repeat, scratch)
            vips_ms, vips = timed(vips_cascade, data, args.repeat)
            draft_ms, _ = timed(pillow_draft, data, args.repeat)
            seed_ms, seed = timed(pillow_seed, data, max(1, args.repeat // 2))
            reference = reference_800(data)
            quality = [psnr(reference, Image.open(io.BytesIO(out[1]))) for out in (ours, seed, vips)]
            row = {
                "photo": path.stem, "megapixels": round(megapixels, 1),
                "ours_ms": round(ours_ms, 1), "megapixels_per_second": round(megapixels / ours_ms * 1000, 1),
                "vips_ms": round(vips_ms, 1), "pillow_draft_ms": round(draft_ms, 1), "pillow_seed_ms": round(seed_ms, 1),
                "vips_over_ours": round(vips_ms / ours_ms, 2), "seed_over_ours": round(seed_ms / ours_ms, 2),
                "psnr_ours_db": round(quality[0], 2), "psnr_pillow_db": round(quality[1], 2), "psnr_vips_db": round(quality[2], 2),
                "peak_mib": round(peak_kib / 1024, 1) if peak_kib else "n/a",
            }
            row.update(other_formats(args, path, data, scratch))
            rows.append(row)
            print(" | ".join(str(value) for value in row.values()), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=2))
    for label, key in (("JPEG", "vips_over_ours"), ("WebP", "webp_vips_over_ours"),
                       ("AVIF", "avif_vips_over_ours")):
        slower = [r["photo"] for r in rows if r[key] < 1]
        print(f"{label}: slower than libvips on: " + (", ".join(slower) if slower else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
