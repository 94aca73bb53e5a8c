"""Fixtures for files from the wild (`fixtures/wild/`): each class of odd file that libjpeg-turbo
and libpng read, or refuse, in their default modes, and colour-managed sources with reference
colours from LittleCMS (`colour_reference.json`).

Needs Pillow (with LittleCMS) and `jpegtran` from libjpeg-turbo (Debian: libjpeg-turbo-progs)
for the arithmetic-coded file; without jpegtran that file is kept as it is.
"""

import io
import json
import math
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from PIL import Image, ImageCms

OUT = Path(__file__).resolve().parent / "fixtures" / "wild"

# The colour fixtures: flat patches, so the references hold after JPEG compression.
PATCH = 16
RGB_PATCHES = [
    (200, 120, 80), (90, 160, 60), (60, 80, 190), (128, 128, 128),
    (240, 230, 200), (255, 0, 0), (0, 255, 0), (30, 30, 30),
]
CMYK_PATCHES = [
    (0, 0, 0, 0), (255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0),
    (0, 0, 0, 255), (40, 160, 200, 10), (128, 64, 0, 32), (20, 20, 20, 200),
]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_file(width, height, depth, colour_type, rows, extra=b"", end=True):
    """A PNG from raw rows (each without its filter byte), every row filtered with "none"."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat)
        + (chunk(b"IEND", b"") if end else b"")
    )


def patches(colours, mode):
    image = Image.new(mode, (PATCH * len(colours), PATCH))
    for i, colour in enumerate(colours):
        image.paste(colour, (i * PATCH, 0, (i + 1) * PATCH, PATCH))
    return image


# ---- ICC profiles, written out by hand (ICC.1:2010) so LittleCMS is only the reference ----

def s15(value):
    return struct.pack(">i", round(value * 65536))


def xyz_tag(x, y, z):
    return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)


def mluc(text):
    encoded = text.encode("utf-16-be")
    return b"mluc" + b"\0" * 4 + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(encoded), 28) + encoded


def desc_v2(text):
    ascii_text = text.encode("ascii") + b"\0"
    # Then an empty Unicode description (language, count) and an empty ScriptCode one.
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8 + b"\0" * 70


def text_v2(text):
    return b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"


def profile(device_class, space, pcs, version, tags):
    """Assembles a profile: the 128-byte header, the tag table, then each tag 4-byte aligned."""
    table, data = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", version) + device_class + space + pcs
        + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
        + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def matrix(primaries, white):
    """RGB to XYZ for chromaticities `primaries` (three xy) and `white` (xy)."""
    columns = [[x / y, 1.0, (1 - x - y) / y] for x, y in primaries]
    wx, wy = white
    w = [wx / wy, 1.0, (1 - wx - wy) / wy]
    m = [[columns[c][r] for c in range(3)] for r in range(3)]
    s = solve(m, w)
    return [[m[r][c] * s[c] for c in range(3)] for r in range(3)]


def solve(m, v):
    """Cramer's rule for a 3x3 system."""
    def det(a):
        return (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))
    d = det(m)
    return [det([[v[r] if c == k else m[r][c] for c in range(3)] for r in range(3)]) / d for k in range(3)]


def multiply(a, b):
    return [[sum(a[r][k] * b[k][c] for k in range(3)) for c in range(3)] for r in range(3)]


BRADFORD = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
D65, D50 = (0.3127, 0.3290), (0.9642, 1.0, 0.8249)


def to_d50():
    """The Bradford adaptation from D65 to D50 (the profile's `chad`)."""
    wx, wy = D65
    src = [sum(BRADFORD[r][c] * v for c, v in enumerate([wx / wy, 1.0, (1 - wx - wy) / wy])) for r in range(3)]
    dst = [sum(BRADFORD[r][c] * v for c, v in enumerate(D50)) for r in range(3)]
    scale = [[dst[r] / src[r] if r == c else 0.0 for c in range(3)] for r in range(3)]
    inverse = inverse3(BRADFORD)
    return multiply(inverse, multiply(scale, BRADFORD))


def inverse3(m):
    columns = [solve(m, [1.0 if r == k else 0.0 for r in range(3)]) for k in range(3)]
    return [[columns[c][r] for c in range(3)] for r in range(3)]


def rgb_profile(name, primaries, curve):
    """A v4 matrix/TRC display profile with D65 white adapted to D50."""
    chad = to_d50()
    adapted = multiply(chad, matrix(primaries, D65))
    tags = [
        (b"desc", mluc(name)),
        (b"cprt", mluc("No copyright, use freely")),
        (b"wtpt", xyz_tag(*D50)),
        (b"chad", b"sf32" + b"\0" * 4 + b"".join(s15(v) for row in chad for v in row)),
    ]
    for i, signature in enumerate([b"rXYZ", b"gXYZ", b"bXYZ"]):
        tags.append((signature, xyz_tag(*(adapted[r][i] for r in range(3)))))
    for signature in [b"rTRC", b"gTRC", b"bTRC"]:
        tags.append((signature, curve))
    return profile(b"mntr", b"RGB ", b"XYZ ", 0x04300000, tags)


SRGB_CURVE = b"para" + b"\0" * 4 + struct.pack(">HH", 3, 0) + b"".join(
    s15(v) for v in [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045])
DISPLAY_P3 = rgb_profile("Display P3 (fixture)", [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)], SRGB_CURVE)
ADOBE_RGB = rgb_profile(
    "Adobe RGB (1998) compatible (fixture)",
    [(0.640, 0.330), (0.210, 0.710), (0.150, 0.060)],
    b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233),
)


def srgb_to_lab(rgb):
    """sRGB (0-1) to CIE Lab under D50, through the sRGB matrix adapted to D50."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    m = multiply(to_d50(), matrix([(0.64, 0.33), (0.30, 0.60), (0.15, 0.06)], D65))
    xyz = [sum(m[r][c] * linear[c] for c in range(3)) / D50[r] for r in range(3)]
    f = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def ink_model(c, m, y, k):
    """A printing press, roughly: inks that also darken their neighbours' light a little."""
    r = (1 - c) * (1 - 0.08 * m) * (1 - k)
    g = (1 - m) * (1 - 0.12 * c) * (1 - 0.05 * y) * (1 - k)
    b = (1 - y) * (1 - 0.10 * m) * (1 - 0.04 * c) * (1 - k)
    return srgb_to_lab([r, g, b])


def cmyk_profile(grid=5):
    """A v2 output profile whose A2B0 (lut16) maps CMYK to Lab through `ink_model`."""
    steps = [i / (grid - 1) for i in range(grid)]
    clut = b""
    for c in steps:
        for m in steps:
            for y in steps:
                for k in steps:
                    L, a, b = ink_model(c, m, y, k)
                    values = [L * 652.80, (a + 128) * 256, (b + 128) * 256]
                    clut += struct.pack(">HHH", *(max(0, min(65535, round(v))) for v in values))
    identity = [1, 0, 0, 0, 1, 0, 0, 0, 1]
    ramp = b"".join(struct.pack(">H", v) for v in (0, 65535))
    lut = (
        b"mft2" + b"\0" * 4 + bytes([4, 3, grid, 0]) + b"".join(s15(v) for v in identity)
        + struct.pack(">HH", 2, 2) + ramp * 4 + clut + ramp * 3
    )
    tags = [
        (b"desc", desc_v2("CMYK press (fixture)")),
        (b"cprt", text_v2("No copyright, use freely")),
        (b"wtpt", xyz_tag(*D50)),
        (b"A2B0", lut),
    ]
    return profile(b"prtr", b"CMYK", b"Lab ", 0x02400000, tags)


def references(image, icc, mode):
    """What LittleCMS makes of each patch in sRGB (relative colorimetric)."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.createProfile("sRGB")
    transform = ImageCms.buildTransform(source, srgb, mode, "RGB", ImageCms.Intent.RELATIVE_COLORIMETRIC)
    converted = ImageCms.applyTransform(image, transform)
    return [list(converted.getpixel((i * PATCH + PATCH // 2, PATCH // 2))) for i in range(image.width // PATCH)]


def colour_fixtures():
    reference = {}
    for name, icc in [("display_p3.jpg", DISPLAY_P3), ("adobe_rgb.jpg", ADOBE_RGB)]:
        image = patches(RGB_PATCHES, "RGB")
        image.save(OUT / name, quality=95, subsampling=0, icc_profile=icc)
        reference[name] = references(image, icc, "RGB")
    cmyk_icc = cmyk_profile()
    image = patches(CMYK_PATCHES, "CMYK")
    image.save(OUT / "cmyk_profile.jpg", quality=95, icc_profile=cmyk_icc)
    reference["cmyk_profile.jpg"] = references(image, cmyk_icc, "CMYK")
    # A CMYK profile on RGB data, and a profile cut to 14 bytes: both dropped, with a warning.
    image = patches(RGB_PATCHES, "RGB")
    image.save(OUT / "wrong_space_profile.jpg", quality=95, subsampling=0, icc_profile=cmyk_icc)
    image.save(OUT / "stub_profile.jpg", quality=95, subsampling=0, icc_profile=DISPLAY_P3[:14])
    reference["patch"] = PATCH
    (OUT / "colour_reference.json").write_text(json.dumps(reference, indent=1) + "\n")


# ---- JPEG classes ----

def photo(width=128, height=96):
    image = Image.new("RGB", (width, height))
    image.putdata([
        (int(127 + 120 * math.sin(x / 9)), (y * 255) // height, ((x ^ y) * 4) & 255)
        for y in range(height) for x in range(width)
    ])
    return image


def jpeg_bytes(image, **options):
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def lossless_jpeg(grey, width, height):
    """A lossless (SOF3) 8-bit greyscale JPEG, predictor 1 (left), with the standard DC table:
    what libjpeg-turbo 3's `cjpeg -lossless 1` writes, minus the JFIF header."""
    bits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    values = list(range(12))
    codes, code, k = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[k]] = (code, length)
            code, k = code + 1, k + 1
        code <<= 1
    out, acc, nbits = bytearray(), 0, 0

    def put(value, length):
        nonlocal acc, nbits
        for i in range(length - 1, -1, -1):
            acc, nbits = (acc << 1) | ((value >> i) & 1), nbits + 1
            if nbits == 8:
                out.append(acc)
                if acc == 0xFF:
                    out.append(0)
                acc, nbits = 0, 0

    for y in range(height):
        for x in range(width):
            if x > 0:
                predicted = grey[y * width + x - 1]
            elif y > 0:
                predicted = grey[(y - 1) * width]
            else:
                predicted = 128
            diff = grey[y * width + x] - predicted
            size = abs(diff).bit_length()
            put(*codes[size])
            if size:
                put(diff if diff > 0 else diff + (1 << size) - 1, size)
    if nbits:
        put((1 << (8 - nbits)) - 1, 8 - nbits)
    segment = lambda marker, body: b"\xff" + marker + struct.pack(">H", len(body) + 2) + body
    return (
        b"\xff\xd8"
        + segment(b"\xc3", struct.pack(">BHHB", 8, height, width, 1) + bytes([1, 0x11, 0]))
        + segment(b"\xc4", b"\x00" + bytes(bits) + bytes(values))
        + segment(b"\xda", bytes([1, 1, 0x00, 1, 0, 0]))
        + bytes(out) + b"\xff\xd9"
    )


def jpeg_fixtures():
    image = photo()
    baseline = jpeg_bytes(image, quality=90, subsampling=2)
    progressive = jpeg_bytes(image, quality=90, progressive=True)
    dqt = baseline.index(b"\xff\xdb")
    (OUT / "junk_before_marker.jpg").write_bytes(baseline[:dqt] + b"\x00junk" + baseline[dqt:])
    (OUT / "zero_length_comment.jpg").write_bytes(baseline[:2] + b"\xff\xfe\x00\x00" + baseline[2:])
    (OUT / "missing_eoi.jpg").write_bytes(baseline[:-2])
    (OUT / "missing_eoi_progressive.jpg").write_bytes(progressive[:-2])
    last_scan = progressive.rindex(b"\xff\xda")
    (OUT / "cut_between_scans.jpg").write_bytes(progressive[:last_scan])
    (OUT / "cut_inside_scan.jpg").write_bytes(baseline[: len(baseline) * 3 // 4])
    # Restart markers every MCU row, then a hole in the third interval's data: libjpeg meets the
    # next marker early, says so, and resynchronises there.
    restart = jpeg_bytes(image, quality=90, subsampling=2, restart_marker_rows=1)
    rst = [i for i in range(len(restart) - 1) if restart[i] == 0xFF and 0xD0 <= restart[i + 1] <= 0xD7]
    (OUT / "restart_damaged.jpg").write_bytes(restart[: rst[1] + 12] + restart[rst[1] + 72 :])
    (OUT / "restart_intact.jpg").write_bytes(restart)
    grey = list(image.convert("L").getdata())
    (OUT / "lossless.jpg").write_bytes(lossless_jpeg(grey, image.width, image.height))
    image.convert("L").save(OUT / "lossless_source.png")
    jpegtran = shutil.which("jpegtran")
    if jpegtran:
        arithmetic = subprocess.run([jpegtran, "-arithmetic"], input=baseline, capture_output=True, check=True)
        (OUT / "arithmetic.jpg").write_bytes(arithmetic.stdout)


# ---- PNG classes ----

def png_fixtures():
    # 16-bit transparency keys whose two bytes differ: only 0x0034 is transparent, not 0x3400.
    values = [0x0034, 0x3400, 0x1234, 0xFFFF]
    rows = [b"".join(struct.pack(">H", values[(x + y) % 4]) for x in range(8)) for y in range(8)]
    (OUT / "trns16_grey.png").write_bytes(png_file(8, 8, 16, 0, rows, chunk(b"tRNS", struct.pack(">H", 0x0034))))
    colours = [(0x0034, 0x0012, 0x5678), (0x3400, 0x1200, 0x7856), (0x8000, 0x8000, 0x8000), (0, 0, 0)]
    rows = [b"".join(struct.pack(">HHH", *colours[(x + y) % 4]) for x in range(8)) for y in range(8)]
    key = struct.pack(">HHH", 0x0034, 0x0012, 0x5678)
    (OUT / "trns16_rgb.png").write_bytes(png_file(8, 8, 16, 2, rows, chunk(b"tRNS", key)))

    rows = [bytes((x * 16 + y) & 255 for x in range(16)) for y in range(16)]
    (OUT / "missing_iend.png").write_bytes(png_file(16, 16, 8, 0, rows, end=False))
    bad_text = bytearray(chunk(b"tEXt", b"Comment\0damaged"))
    bad_text[-1] ^= 0xFF
    (OUT / "bad_crc_ancillary.png").write_bytes(png_file(16, 16, 8, 0, rows, bytes(bad_text)))
    whole = bytearray(png_file(16, 16, 8, 0, rows))
    idat = whole.index(b"IDAT")
    whole[idat + 6] ^= 0xFF  # a byte of the compressed data: the chunk's CRC no longer holds
    (OUT / "bad_crc_critical.png").write_bytes(bytes(whole))
    (OUT / "interlaced.png").write_bytes(interlaced_png(photo(37, 23)))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def interlaced_png(image):
    """An 8-bit RGB Adam7 PNG (Pillow writes none): each pass's rows, each filtered "none"."""
    width, height = image.size
    pixels = image.load()
    raw = b""
    for x0, y0, dx, dy in ADAM7:
        if width <= x0 or height <= y0:
            continue
        for y in range(y0, height, dy):
            raw += b"\x00" + b"".join(bytes(pixels[x, y]) for x in range(x0, width, dx))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main():
    OUT.mkdir(exist_ok=True)
    colour_fixtures()
    jpeg_fixtures()
    png_fixtures()
