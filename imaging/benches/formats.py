"""WebP and AVIF against JPEG on the same renditions: bytes at equal perceived quality, and
encode time.

For each photo, `render` makes the 1600 px rendition as a q100 4:4:4 JPEG (the reference: the
resized pixels before any visible loss), as JPEG q80 (the default), and as WebP and AVIF at a
ladder of qualities each. SSIMULACRA2 scores each against the reference. Each format's quality
and bytes that score the same as JPEG q80 are interpolated on its ladder. Then the job's three renditions are timed in
each format (`ms.encode` from render's JSON line, median of --repeat runs, one core).

Run by `make bench-formats` (CORPUS=dir picks the photos, otherwise photo-like images are
generated). Prints one row per photo and the medians; --json writes them.
"""

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from PIL import Image
from ssimulacra2 import compute_ssimulacra2

from compare import bench_photos

BOX = 1600
JPEG_QUALITY = 80
# The qualities tried per format (each includes 80, reported as "the same number as JPEG").
LADDERS = {
    "webp": (50, 60, 70, 75, 80, 85, 90, 95),
    "avif": (50, 60, 70, 75, 80, 85, 90),
}
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


def matched(folder, fmt, ladder, jpeg_score):
    """Score `fmt`'s ladder; interpolate the quality and bytes that score as JPEG q80 does."""
    scores, sizes = [], []
    for q in ladder:
        candidate = folder / f"{fmt}{q}.{fmt}"
        scores.append(score(folder / "ref.jpg", candidate))
        sizes.append(candidate.stat().st_size)
    # Scores rise with quality; interpolate quality and bytes at JPEG's score.
    order = sorted(range(len(ladder)), key=lambda i: scores[i])
    ordered = [scores[i] for i in order]
    return {
        "same_q80_ssimulacra2": round(scores[ladder.index(80)], 2),
        "same_q80_bytes": sizes[ladder.index(80)],
        "quality": interpolate(jpeg_score, ordered, [ladder[i] for i in order]),
        "bytes": interpolate(jpeg_score, ordered, [sizes[i] for i in order]),
    }


def measure(binary, photo, repeat, work):
    ladders = ",".join(
        f"{fmt}{q}:{BOX}x{BOX}:q{q}:{fmt}" for fmt, ladder in LADDERS.items() for q in ladder
    )
    spec = f"ref:{BOX}x{BOX}:q100,jpeg:{BOX}x{BOX}:q{JPEG_QUALITY},{ladders}"
    render(binary, spec, photo, work)
    folder = work / photo.stem
    jpeg_file = folder / "jpeg.jpg"
    jpeg_score = score(folder / "ref.jpg", jpeg_file)
    jpeg_bytes = jpeg_file.stat().st_size

    def encode_ms(fmt):
        job = ",".join(f"{r}:{fmt}" for r in JOB.split(","))
        return statistics.median(
            render(binary, job, photo, work)["ms"]["encode"] for _ in range(repeat)
        )

    row = {
        "photo": photo.name,
        "megapixels": round(Image.open(photo).width * Image.open(photo).height / 1e6, 1),
        "jpeg_q80_ssimulacra2": round(jpeg_score, 2),
        "jpeg_q80_bytes": jpeg_bytes,
        "jpeg_encode_ms": encode_ms("jpeg"),
    }
    for fmt, ladder in LADDERS.items():
        m = matched(folder, fmt, ladder, jpeg_score)
        row |= {
            f"{fmt}_same_q80_ssimulacra2": m["same_q80_ssimulacra2"],
            f"{fmt}_same_q80_bytes": m["same_q80_bytes"],
            f"{fmt}_quality_matching_jpeg_q80": round(m["quality"], 1),
            f"{fmt}_bytes_at_equal_score": round(m["bytes"]),
            f"{fmt}_over_jpeg_bytes": round(m["bytes"] / jpeg_bytes, 3),
            f"{fmt}_encode_ms": encode_ms(fmt),
        }
    return row


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
        for photo in bench_photos(args.corpus, work):
            row = measure(args.render, photo, args.repeat, work)
            rows.append(row)
            matched = " | ".join(
                f"{fmt} q{row[f'{fmt}_quality_matching_jpeg_q80']:<5}"
                f" {row[f'{fmt}_bytes_at_equal_score']:>8} B = {row[f'{fmt}_over_jpeg_bytes']:.3f}x"
                f" {row[f'{fmt}_encode_ms']:.1f} ms"
                for fmt in LADDERS
            )
            print(
                f"{row['photo']:<28} {row['megapixels']:>5} MP  JPEG q80 {row['jpeg_q80_ssimulacra2']:6.2f}"
                f" {row['jpeg_q80_bytes']:>8} B {row['jpeg_encode_ms']:.1f} ms | {matched}",
                flush=True,
            )
    medians = {
        key: statistics.median(r[key] for r in rows)
        for key in ["jpeg_encode_ms"]
        + [
            f"{fmt}_{what}"
            for fmt in LADDERS
            for what in ("quality_matching_jpeg_q80", "over_jpeg_bytes", "encode_ms")
        ]
    }
    print("median:", json.dumps(medians))
    if args.json:
        Path(args.json).write_text(json.dumps({"photos": rows, "median": medians}, indent=2))


if __name__ == "__main__":
    main()
