"""WebP against JPEG on the same renditions: bytes at equal perceived quality, and encode time.

For each photo, `render` makes the 1600 px rendition as a q100 4:4:4 JPEG (the reference: the
resized pixels before any visible loss), as JPEG q80 (the default), and as WebP at a ladder of
qualities. SSIMULACRA2 scores each against the reference. The WebP quality and bytes that score
the same as JPEG q80 are interpolated on the ladder. Then the job's three renditions are timed in
each format (`ms.encode` from render's JSON line, median of --repeat runs, one core).

Run by `make bench-formats` (CORPUS=dir picks the photos, otherwise photo-like images are
generated). Prints one row per photo and the medians; --json writes them.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from ssimulacra2 import compute_ssimulacra2

BOX = 1600
JPEG_QUALITY = 80
WEBP_LADDER = (50, 60, 70, 75, 80, 85, 90, 95)
JOB = "large:1600x1600:q80,medium:800x800:q80,thumb:200x200:cover:q80"


def render(binary, renditions, photo, out):
    line = subprocess.run(
        [binary, "-r", renditions, "-o", str(out), str(photo)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(line)


def score(reference, candidate):
    return compute_ssimulacra2(str(reference), str(candidate))


def interpolate(x, xs, ys):
    """y at x on the piecewise-linear curve through (xs, ys); xs ascending."""
    if x <= xs[0]:
        return ys[0]
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return ys[-1]


def measure(binary, photo, repeat, work):
    ladder = ",".join(f"w{q}:{BOX}x{BOX}:q{q}:webp" for q in WEBP_LADDER)
    spec = f"ref:{BOX}x{BOX}:q100,jpeg:{BOX}x{BOX}:q{JPEG_QUALITY},{ladder}"
    render(binary, spec, photo, work)
    folder = work / photo.stem
    reference = folder / "ref.jpg"
    jpeg_file = folder / "jpeg.jpg"
    jpeg_score = score(reference, jpeg_file)
    jpeg_bytes = jpeg_file.stat().st_size
    webp_scores, webp_bytes = [], []
    for q in WEBP_LADDER:
        webp_file = folder / f"w{q}.webp"
        webp_scores.append(score(reference, webp_file))
        webp_bytes.append(webp_file.stat().st_size)
    # Scores rise with quality; interpolate quality and bytes at JPEG's score.
    order = sorted(range(len(WEBP_LADDER)), key=lambda i: webp_scores[i])
    scores = [webp_scores[i] for i in order]
    matched_q = interpolate(jpeg_score, scores, [WEBP_LADDER[i] for i in order])
    matched_bytes = interpolate(jpeg_score, scores, [webp_bytes[i] for i in order])

    def encode_ms(fmt):
        job = ",".join(f"{r}:{fmt}" for r in JOB.split(","))
        return statistics.median(
            render(binary, job, photo, work)["ms"]["encode"] for _ in range(repeat)
        )

    return {
        "photo": photo.name,
        "megapixels": round(Image.open(photo).width * Image.open(photo).height / 1e6, 1),
        "jpeg_q80_ssimulacra2": round(jpeg_score, 2),
        "jpeg_q80_bytes": jpeg_bytes,
        "webp_same_q80_ssimulacra2": round(webp_scores[WEBP_LADDER.index(80)], 2),
        "webp_same_q80_bytes": webp_bytes[WEBP_LADDER.index(80)],
        "webp_quality_matching_jpeg_q80": round(matched_q, 1),
        "webp_bytes_at_equal_score": round(matched_bytes),
        "webp_over_jpeg_bytes": round(matched_bytes / jpeg_bytes, 3),
        "jpeg_encode_ms": encode_ms("jpeg"),
        "webp_encode_ms": encode_ms("webp"),
    }


def photos(corpus, work):
    if corpus:
        found = sorted(p for p in Path(corpus).iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
        if not found:
            sys.exit(f"no JPEG photos in {corpus}")
        return found
    # Photo-like images at two sizes, as make bench generates them.
    sys.path.insert(0, str(Path(__file__).parent))
    from compare import generated_corpus  # noqa: E402

    return generated_corpus(work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", required=True)
    parser.add_argument("--corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = []
        for photo in photos(args.corpus, work):
            row = measure(args.render, photo, args.repeat, work)
            rows.append(row)
            print(
                f"{row['photo']:<28} {row['megapixels']:>5} MP  JPEG q80 {row['jpeg_q80_ssimulacra2']:6.2f}"
                f" {row['jpeg_q80_bytes']:>8} B | WebP q{row['webp_quality_matching_jpeg_q80']:<5}"
                f" {row['webp_bytes_at_equal_score']:>8} B = {row['webp_over_jpeg_bytes']:.3f}x"
                f" | encode ms JPEG {row['jpeg_encode_ms']:.1f} WebP {row['webp_encode_ms']:.1f}",
                flush=True,
            )
    medians = {
        key: statistics.median(r[key] for r in rows)
        for key in (
            "webp_quality_matching_jpeg_q80",
            "webp_over_jpeg_bytes",
            "jpeg_encode_ms",
            "webp_encode_ms",
        )
    }
    print("median:", json.dumps(medians))
    if args.json:
        Path(args.json).write_text(json.dumps({"photos": rows, "median": medians}, indent=2))


if __name__ == "__main__":
    main()
