"""Counts the instructions `render` executes on arm64, under qemu-user, per photo and per function.

Speed on Graviton cannot be measured from an x86_64 machine; instructions executed are the proxy.
The same JPEG job as `make bench-compare` (1600, 800 and 200 px at q80) runs in two aarch64
builds of `render`: the default one (libjpeg-turbo encodes) and the `rust-encoder` one
(jpeg-encoder with the project's colour kernels). Decoding and resizing are the same code in
both, so the difference of the totals is the encoders' difference. For each build it prints the
total, the share of Advanced SIMD (NEON) instructions, and the functions that execute most.
Run by `make bench-arm64`, which builds both binaries and the qemu plugin (qemu_insns.c).
"""

import argparse
import bisect
import csv
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from compare import JOB, bench_photos  # the job and photos of make bench-compare

# The JPEG encoders' functions: jpeg-encoder and the colour kernels fed to it, and
# libjpeg-turbo's compression side (its C and NEON names).
ENCODER = re.compile(r"jpeg_encoder::|imaging::ycbcr|imaging::encode|fdct|rgb_ycc|downsample|quantize"
                     r"|huff_encode|encode_mcu|encode_one_block|compress_data|forward_DCT|convsamp"
                     r"|emit_bits|emit_byte|flush_bits|dump_buffer|finish_pass_huff|jpeg_write_scanlines")
TOP = 12


def count(qemu, plugin, render, photo, scratch):
    """{symbol or 0xADDRESS: (instructions, neon)} for one render of `photo` under qemu."""
    table = Path(scratch) / "counts.tsv"
    subprocess.run(qemu + ["-plugin", f"{plugin},out={table}", render, "-r", JOB,
                           "--out", str(Path(scratch) / "out"), str(photo)],
                   stdout=subprocess.DEVNULL, check=True)
    with open(table, newline="") as rows:
        return {row["symbol"]: (int(row["instructions"]), int(row["neon"]))
                for row in csv.DictReader(rows, delimiter="\t")}


class Names:
    """Readable function names: a Rust path without its hash (its last three parts), a C name as
    it is. Addresses qemu found no symbol for are looked up in the binary's symbol table (the
    nearest symbol below; hand-written assembly has no sizes); outside the binary it is libc."""

    OUTSIDE = "(libc and the loader)"

    def __init__(self, binary):
        listing = subprocess.run(["aarch64-linux-gnu-nm", "-n", "--defined-only", binary],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout
        symbols = [line.split() for line in listing.splitlines()]
        text = [(int(s[0], 16), s[2]) for s in symbols if len(s) == 3 and s[1] in "tTwW"]
        self.addresses = [address for address, _ in text]
        self.symbols = [name for _, name in text]
        self.cache = {}

    def function(self, symbol):
        if symbol.startswith("0x"):
            address = int(symbol, 16)
            at = bisect.bisect_right(self.addresses, address) - 1
            if at < 0 or address > self.addresses[-1]:
                return self.OUTSIDE, False
            symbol = self.symbols[at]
        if symbol not in self.cache:
            demangled = subprocess.run(["c++filt", "-n", symbol], stdout=subprocess.PIPE,
                                       text=True, check=True).stdout.strip()
            parts = demangled.split("::")
            if len(parts) > 1 and parts[-1].startswith("h") and len(parts[-1]) == 17:
                parts = parts[:-1]
            self.cache[symbol] = "::".join(parts[-3:]), bool(ENCODER.search("::".join(parts)))
        return self.cache[symbol]

    def by_function(self, counts):
        """{function: (instructions, neon)}, and the instructions in JPEG encoder functions."""
        merged, encoder = {}, 0
        for symbol, (insns, neon) in counts.items():
            name, encodes = self.function(symbol)
            add(merged, name, insns, neon)
            encoder += insns if encodes else 0
        return merged, encoder


def add(counts, key, insns, neon):
    """Adds one function's (instructions, NEON instructions) to `counts[key]`."""
    prior = counts.get(key, (0, 0))
    counts[key] = (prior[0] + insns, prior[1] + neon)


def summary(counts):
    total = sum(insns for insns, _ in counts.values())
    neon = sum(n for _, n in counts.values())
    return total, neon


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", required=True, help="the built qemu_insns.so")
    parser.add_argument("--render", required=True, help="aarch64 render, libjpeg-turbo encoder")
    parser.add_argument("--render-rust", required=True, help="aarch64 render, rust-encoder")
    parser.add_argument("--corpus", help="a folder of JPEG photos (default: generated)")
    parser.add_argument("--photos", default="", help="comma-separated name prefixes to keep, e.g. L4,M2")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    qemu = ["qemu-aarch64", "-L", os.environ.get("QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu")]
    builds = {"libjpeg-turbo": args.render, "jpeg-encoder": args.render_rust}
    names = {build: Names(binary) for build, binary in builds.items()}
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        wanted = [p for p in args.photos.split(",") if p]
        photos = [p for p in bench_photos(args.corpus, scratch)
                  if not wanted or any(p.name.startswith(w) for w in wanted)]
        print("| photo | build | instructions (M) | NEON share | vs libjpeg-turbo build | in the JPEG encoder (M) |")
        print("|---|---|---|---|---|---|")
        tops = {}
        for photo in photos:
            row = {"photo": photo.name}
            for build, render in builds.items():
                counts, encoder = names[build].by_function(count(qemu, args.plugin, render, photo, scratch))
                total, neon = summary(counts)
                row[build] = {"instructions": total, "neon": neon, "encoder": encoder}
                base = row["libjpeg-turbo"]["instructions"]
                print(f"| {photo.stem[:24]} | {build} | {total / 1e6:.1f} | {100 * neon / total:.1f}% "
                      f"| {total / base:.3f}x | {encoder / 1e6:.1f} |", flush=True)
                for function, (insns, neon_insns) in counts.items():
                    add(tops.setdefault(build, {}), function, insns, neon_insns)
            row["encoder_difference"] = row["jpeg-encoder"]["instructions"] - row["libjpeg-turbo"]["instructions"]
            results.append(row)
        for build, counts in tops.items():
            total, _ = summary(counts)
            print(f"\nMost executed functions, {build} build, all photos:\n")
            print("| function | share of instructions | NEON share |")
            print("|---|---|---|")
            for symbol, (insns, neon) in sorted(counts.items(), key=lambda kv: -kv[1][0])[:TOP]:
                print(f"| `{symbol}` | {100 * insns / total:.1f}% | {100 * neon / max(insns, 1):.0f}% |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
