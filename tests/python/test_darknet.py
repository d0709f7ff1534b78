"""The Python module (python/darknet.py) against the darknet command and the
library's own dumps. Run by tests/cli/python.sh, which makes the tiny
detector set (lib.sh's tiny_detector) in DIR:

    test_darknet.py DIR    (DARKNET, DARKNET_LIB, DUMP_OUTPUTS from the environment)
    test_darknet.py DIR --device    (DARKNET_LIB: a GPU=1 or GPU_EMU=1 library)

Prints "ok NAME" / "FAIL NAME (why)" / "skip NAME (why)" lines."""
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
sys.path.insert(0, os.path.join(ROOT, "python"))
import darknet  # noqa: E402

PREFIX = "cli_python_"
DIR = sys.argv[1]
DARKNET = os.environ.get("DARKNET", "./darknet")
DUMP = os.environ.get("DUMP_OUTPUTS", "")
CFG = os.path.join(DIR, "tiny.cfg")            # 64 x 64, 3 classes, batch 4
DATA = os.path.join(DIR, "s", "synth.data")
failed = 0


def check(name, ok, why=""):
    global failed
    failed += not ok
    print("%s %s%s%s" % ("ok  " if ok else "FAIL", PREFIX, name, "" if ok or not why else " (%s)" % why))


def run(*args):
    p = subprocess.run([DARKNET] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def rel_diff(a, b):
    """dump_outputs' measure: |a-b| / max(|b|, mean |b|), the largest."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.shape != b.shape:
        return float("inf")
    typical = np.abs(b).mean()
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(b), typical), 1e-30))) if len(b) else 0.0


def scene(i, w=64, h=64):
    """A deterministic scene: a light square on a dark ground; its box (x, y, w, h, class) relative."""
    x = np.full((3, h, w), 0.2, np.float32)
    s, x0, y0 = 16 + 4 * (i % 3), 6 + 9 * (i % 4), 10 + 7 * (i % 3)
    x[:, y0:y0 + s, x0:x0 + s] = np.array([0.9, 0.8 - 0.2 * (i % 2), 0.3], np.float32)[:, None, None]
    return x, [(x0 + s / 2) / w, (y0 + s / 2) / h, s / w, s / h, i % 3]


# ---- train_step, save, reload --------------------------------------------------------------------

STEPS = 10


def train_and_save(weights):
    images, truths = zip(*(scene(i) for i in range(4)))
    images = np.stack(images)
    with darknet.Network(CFG, train=True) as net:
        losses = [net.train_step(images, [[t] for t in truths]) for _ in range(STEPS)]
        check("train_step_lowers_the_loss", losses[-1] < 0.85 * losses[0] and all(np.isfinite(losses)),
              "losses %s" % ", ".join("%.4g" % v for v in losses))
        net.save(weights)
        before = net.predict(images)
        head = net.layer(48).output
    with darknet.Network(CFG, weights, train=True) as again:
        same = np.array_equal(again.predict(images), before) and np.array_equal(again.layer(48).output, head)
    with darknet.Network(CFG, weights) as frozen:   # batch norm folded: rounding only
        frozen.predict(images)
        near = rel_diff(frozen.layer(48).output, head)
    check("save_then_reload_predicts_the_same", same and near < 1e-5, "frozen differs by %g" % near)


# ---- predict and layer outputs against the library's dump ---------------------------------------

def predict_matches_dump():
    if not DUMP or not os.access(DUMP, os.X_OK):
        print("skip %spredict_equals_darknet (dump_outputs is not built: make build/dump_outputs)" % PREFIX)
        return
    d = os.path.join(DIR, "dump")
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(ROOT, "cfg", "shapes_classifier.cfg")
    w, x_path = os.path.join(d, "w.weights"), os.path.join(d, "in.bin")
    layers = ["0", "5", "7"]
    # the network's batch (32) of scenes, 32 x 32, as the input both sides read
    np.stack([scene(i, 32, 32)[0] for i in range(32)]).tofile(x_path)
    for args in (["init", cfg, w, "5"], ["run", cfg, w, x_path, d] + layers):
        p = subprocess.run([DUMP] + args, stderr=subprocess.PIPE)
        if p.returncode:
            check("predict_equals_darknet", False, "dump_outputs %s: %s" % (args[0], p.stderr.decode().strip()))
            return
    with darknet.Network(cfg, w) as net:
        x = np.fromfile(x_path, np.float32).reshape((-1,) + net.input_shape)
        y = net.predict(x)
        ref = np.fromfile(os.path.join(d, "_7.bin"), np.float32)
        check("predict_equals_darknet", y.shape == (len(x), 4) and rel_diff(y, ref) <= 1e-5,
              "shape %s, difference %g" % (y.shape, rel_diff(y, ref)))
        conv = net.layer(0)
        out = conv.output
        ok = conv.type == "convolutional" and out.shape == (len(x), 16, 32, 32) and conv.shape == out.shape
        ok = ok and net.layer(-1).output.shape == (len(x), 4, 1, 1)
        worst = max(rel_diff(net.layer(int(i)).output, np.fromfile(os.path.join(d, "_%s.bin" % i), np.float32))
                    for i in layers)
        check("layer_output_has_the_layer_shape_and_values", ok and worst <= 1e-5,
              "shape %s, difference %g" % (out.shape, worst))


# ---- errors -------------------------------------------------------------------------------------

def raises(fn, *words):
    try:
        fn()
    except darknet.DarknetError as e:
        return all(w in str(e) for w in words), str(e)
    return False, "no DarknetError"


def errors():
    missing = os.path.join(DIR, "missing.cfg")
    check("bad_cfg_path_raises_with_the_message", *raises(lambda: darknet.Network(missing), missing))
    bad = os.path.join(DIR, "bad.cfg")
    with open(CFG) as f, open(bad, "w") as g:
        g.write(f.read().replace("[maxpool]", "[maxpool]\nsides=3", 1))
    check("unknown_cfg_key_raises_naming_file_and_key", *raises(lambda: darknet.Network(bad), bad, "sides"))
    nowt = os.path.join(DIR, "missing.weights")
    check("bad_weights_path_raises_with_the_message", *raises(lambda: darknet.Network(CFG, nowt), nowt))
    net = darknet.Network(CFG)
    ok, why = raises(lambda: net.detect(os.path.join(DIR, "none.jpg")), "none.jpg")
    net.close()
    closed, why2 = raises(lambda: net.predict(np.zeros((1, 3, 64, 64), np.float32)), "closed")
    check("bad_image_and_closed_network_raise", ok and closed, why + "; " + why2)


# ---- detect against `darknet detector test` ------------------------------------------------------

def grey_png(path, px):
    """An 8-bit greyscale PNG (colour type 0) of the uint8 array px (H x W)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    h, w = px.shape
    raw = b"".join(b"\0" + px[r].tobytes() for r in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def exif_jpeg(src, dst, orientation=6):
    """src with an EXIF APP1 segment (orientation 6: rotate 90 degrees) after its JFIF header."""
    data = open(src, "rb").read()
    tiff = b"MM\0*\0\0\0\x08" + struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0)
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff)) + b"Exif\0\0" + tiff
    at = 2 + (2 + struct.unpack(">H", data[4:6])[0] if data[2:4] == b"\xff\xe0" else 0)
    open(dst, "wb").write(data[:at] + app1 + data[at:])


def as_printed(dets):
    """Python's detections in the lines `detector test` prints."""
    return ["%s: %.0f%%  (x %.0f, y %.0f, w %.0f, h %.0f)" % ((name, np.float32(100) * np.float32(score)) + box)
            for name, score, box in dets]


def detector_test_lines(cfg, weights, image):
    rc, out, err = run("detector", "test", DATA, cfg, weights, image, "-thresh", 0.005,
                       "-out", os.path.join(DIR, "drawn.png"))
    return [l for l in out.splitlines() if ": " in l and "(x " in l] if rc == 0 else ["error: " + err]


def low_thresh_cfg():
    """The detector keeping scores above 0.001: after a few steps every score is near the prior 0.01."""
    low = os.path.join(DIR, "low.cfg")
    with open(CFG) as f, open(low, "w") as g:
        g.write(f.read().replace("score_thresh=0.05", "score_thresh=0.001"))
    return low


def detect(weights):
    low = low_thresh_cfg()
    jpeg = os.path.join(DIR, "s", "images", "valid", "000001.jpg")
    rotated = os.path.join(DIR, "exif.jpg")
    exif_jpeg(jpeg, rotated)
    grey = np.add.outer(np.arange(48) * 3, np.arange(80) * 2).astype(np.uint8)
    grey[10:30, 20:44] = 230
    png = os.path.join(DIR, "grey.png")
    grey_png(png, grey)
    with darknet.Network(low, weights, data=DATA) as net:
        for name, path in (("jpeg_with_exif", rotated), ("grey_png", png)):
            mine, cli = as_printed(net.detect(path, thresh=0.005)), detector_test_lines(low, weights, path)
            check("detect_%s_equals_detector_test" % name, len(mine) > 0 and mine == cli,
                  "%d vs %d detections; first %s vs %s" % (len(mine), len(cli), mine[:1], cli[:1]))
        plain = net.detect(jpeg, thresh=0.005)
        check("exif_orientation_is_ignored_as_darknet_does", net.detect(rotated, thresh=0.005) == plain)
        by_path = net.detect(png, thresh=0.005)
        rgb = np.repeat(grey[:, :, None], 3, axis=2)
        same = net.detect(grey, thresh=0.005) == by_path and net.detect(rgb, thresh=0.005) == by_path
        check("detect_on_an_array_equals_detect_on_its_file", same and len(by_path) > 0 and by_path[0].name in net.names)


# ---- the example: COCO results of a folder -------------------------------------------------------

def coco_eval(results):
    rc, out, err = run("coco", "eval", os.path.join(DIR, "s", "annotations", "instances_valid.json"), results)
    return out if rc == 0 else "error: " + err


def example(weights):
    mine, theirs = os.path.join(DIR, "mine.json"), os.path.join(DIR, "valid.json")
    script, low = os.path.join(ROOT, "python", "examples", "detect_folder.py"), low_thresh_cfg()
    p = subprocess.run([sys.executable, script, low, weights, os.path.join(DIR, "s", "images", "valid"), mine,
                        "--data", DATA, "--coco-json", os.path.join(DIR, "s", "annotations", "instances_valid.json"),
                        "--thresh", "0.005"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rc, _, err = run("detector", "valid", DATA, low, weights, "-out", theirs, "-thresh", 0.005)
    if p.returncode or rc:
        check("example_coco_json_scores_as_detector_valid", False, p.stderr.decode() + err)
        return
    a, b = json.load(open(mine)), json.load(open(theirs))
    keys = sorted((d["image_id"], d["category_id"]) for d in a) == sorted((d["image_id"], d["category_id"]) for d in b)
    same = coco_eval(mine) == coco_eval(theirs) and "Average Precision" in coco_eval(mine)
    check("example_coco_json_scores_as_detector_valid", keys and same and len(a) > 0,
          "%d vs %d detections" % (len(a), len(b)))


def device():
    """The same network on the host and on device 0 of the same library: the device
    passes, and the pull of a layer's output that only the last layer gets by itself."""
    images = np.stack([scene(i)[0] for i in range(4)])
    low = low_thresh_cfg()
    with darknet.Network(low) as host, darknet.Network(low, gpu=0) as dev:
        worst = max(rel_diff(dev.predict(images), host.predict(images)),
                    max(rel_diff(dev.layer(i).output, host.layer(i).output) for i in (0, 20, 47)))
        photo = os.path.join(DIR, "s", "images", "valid", "000001.jpg")
        a, b = dev.detect(photo, thresh=0.005), host.detect(photo, thresh=0.005)
    # 1e-4 as the device network tests: the host's convolutions may run on oneDNN, whose
    # order of summation differs from the device kernels'
    same = len(a) == len(b) and all(x[0] == y[0] and abs(x[1] - y[1]) <= 1e-4 and
                                    np.allclose(x[2], y[2], rtol=1e-4, atol=1e-3) for x, y in zip(a, b))
    check("device_predict_layers_and_detect_equal_the_host", worst <= 1e-4 and same,
          "difference %g, %d vs %d detections" % (worst, len(a), len(b)))


if sys.argv[2:] == ["--device"]:
    PREFIX += "gpu_emu_"
    device()
    sys.exit(1 if failed else 0)
weights = os.path.join(DIR, "py.weights")
train_and_save(weights)
predict_matches_dump()
errors()
if os.path.exists(weights):
    detect(weights)
    example(weights)
sys.exit(1 if failed else 0)
