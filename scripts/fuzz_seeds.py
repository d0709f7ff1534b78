#!/usr/bin/env python3
"""fuzz_seeds.py SEEDS_DIR SYNTH_DIR: seed inputs for the libFuzzer harnesses that
the darknet command does not write (scripts/fuzz.sh calls it; standard library only).

SEEDS_DIR/fuzz_image: small PNG (RGB, grey, RGBA, palette), BMP, TGA (plain, RLE, grey),
GIF and PNM (P6, P5) pictures. SEEDS_DIR/fuzz_coco: each instances JSON of the
`darknet synth` dataset in SYNTH_DIR, a NUL byte and a results JSON made from its boxes
(shifted, with scores, one false positive per image), as fuzz_coco.c splits its input."""
import glob, json, os, random, struct, sys, zlib

def pixels(w, h, c):
    return bytes((x * 37 + y * 11 + k * 80) & 255 for y in range(h) for x in range(w) for k in range(c))

def png(w, h, color_type, c, palette=None):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    px = pixels(w, h, c)
    raw = b"".join(bytes([y % 5]) + px[y * w * c:(y + 1) * w * c] for y in range(h))  # all five filters
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", palette)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

def bmp(w, h):
    row = (w * 3 + 3) & ~3
    px = pixels(w, h, 3)
    data = b"".join(px[y * w * 3:(y + 1) * w * 3] + b"\0" * (row - w * 3) for y in reversed(range(h)))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(data), 0, 0, 54) + info + data

def tga(w, h, kind):
    c = 1 if kind == 3 else 3
    px = pixels(w, h, c)
    body = px
    if kind == 10:  # RLE: run packets of two pixels and raw packets of one, alternating
        body, i, n = b"", 0, w * h
        while i < n:
            run = i % 3 == 0 and n - i >= 2
            body += bytes([0x81 if run else 0]) + px[i * 3:i * 3 + 3]
            i += 2 if run else 1
    return struct.pack("<BBBHHBHHHHBB", 0, 0, kind, 0, 0, 0, 0, 0, w, h, 8 * c, 0x20) + body

def gif(w, h):
    """Uncompressed LZW: 9-bit codes, a clear code every 254 pixels."""
    pal = bytes(v for i in range(256) for v in (i, 255 - i, (i * 7) & 255))
    codes, n = [256], 0
    for p in pixels(w, h, 1):
        if n == 254:
            codes.append(256)
            n = 0
        codes.append(p)
        n += 1
    codes.append(257)
    acc = bits = 0
    data = bytearray()
    for code in codes:
        acc |= code << bits
        bits += 9
        while bits >= 8:
            data.append(acc & 255)
            acc >>= 8
            bits -= 8
    if bits:
        data.append(acc)
    blocks = b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))
    return (b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + pal + b"\x2c" +
            struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x08" + blocks + b"\x00\x3b")

def pnm(w, h, kind):
    c = 3 if kind == "P6" else 1
    return ("%s\n%d %d\n255\n" % (kind, w, h)).encode() + pixels(w, h, c)

def images(out):
    files = {
        "rgb.png": png(9, 7, 2, 3), "grey.png": png(8, 5, 0, 1), "rgba.png": png(6, 6, 6, 4),
        "palette.png": png(5, 4, 3, 1, bytes(range(256)) * 3),
        "rgb.bmp": bmp(7, 5), "rgb.tga": tga(6, 4, 2), "rle.tga": tga(5, 3, 10), "grey.tga": tga(4, 4, 3),
        "image.gif": gif(8, 6), "rgb.ppm": pnm(7, 3, "P6"), "grey.pgm": pnm(5, 5, "P5")
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

def coco(out, synth):
    rng = random.Random(1)
    for path in sorted(glob.glob(os.path.join(synth, "annotations", "*.json"))):
        with open(path, "rb") as f:
            gt = f.read()
        d = json.loads(gt)
        res = []
        for a in d["annotations"]:
            x, y, w, h = a["bbox"]
            res.append({"image_id": a["image_id"], "category_id": a["category_id"],
                        "bbox": [x + rng.uniform(-2, 2), y + rng.uniform(-2, 2), w, h],
                        "score": round(rng.random(), 3)})
        for im in d["images"]:
            res.append({"image_id": im["id"], "category_id": d["categories"][0]["id"],
                        "bbox": [1, 2, 10.5, 8], "score": 0.5})
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out, name + ".seed"), "wb") as f:
            f.write(gt + b"\0" + json.dumps(res).encode())
        with open(os.path.join(out, name + "_empty.seed"), "wb") as f:
            f.write(gt + b"\0[]")

if __name__ == "__main__":
    seeds, synth = sys.argv[1], sys.argv[2]
    for h in ("fuzz_image", "fuzz_coco"):
        os.makedirs(os.path.join(seeds, h), exist_ok=True)
    images(os.path.join(seeds, "fuzz_image"))
    coco(os.path.join(seeds, "fuzz_coco"), synth)
