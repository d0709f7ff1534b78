#!/usr/bin/python3
"""The ONNX side of tests/cli/onnx.sh: checks an exported model and runs it.

    check_onnx.py JOBS [--tol T]     JOBS: one "NAME MODEL.onnx INPUT.bin OURS_DIR B [opencv]" a line

For each model: onnx.checker.check_model(full_check=True) (which also infers every shape),
then ONNX Runtime on INPUT.bin (float32 NCHW, B images), and each graph output
compared with darknet's on the same input (tests/opencv/dump_outputs.c wrote
OURS_DIR/NAME.bin):
  output, clsK, boxK   the tensor, all images
  detections           [yolo]: darknet's decoded boxes of image 0, row by row
                       (those with objectness > 0, as darknet lists them)
  selected             [retina] -postprocess: darknet's detections of image 0
                       (detections.bin) against NonMaxSuppression's of image 0,
                       best max_dets by score, as boxes relative to the input
With opencv the same through OpenCV's DNN module (cv2.dnn.readNetFromONNX).
Prints one "ok"/"FAIL" line per comparison; the relative difference is
|a - b| / max(|b|, mean |b|), as dump_outputs compare measures it."""
import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort


def report(ok, name, text):
    print("%s %s: %s" % ("ok  " if ok else "FAIL", name, text))
    return ok


def compare(a, b, tol, name):
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    if a.size != b.size or a.size == 0:
        return report(False, name, "sizes differ: %d vs %d values" % (a.size, b.size))
    typical = np.mean(np.abs(b))
    rel = np.abs(a - b) / np.maximum(np.abs(b), typical)
    rel[np.isnan(rel)] = np.inf
    worst = int(np.argmax(rel))
    return report(rel[worst] <= tol, name, "%d values, max relative difference %.3g (at %d: %.7g vs %.7g), "
                  "tolerance %g" % (a.size, rel[worst], worst, a[worst], b[worst], tol))


def read_ours(path):
    return np.fromfile(path, dtype=np.float32)


def nms_detections(outs, meta):
    """NonMaxSuppression's picks of image 0 as darknet's detection rows
    (x, y, w, h relative, score, class), best max_dets by score."""
    boxes, scores, sel = outs["boxes"][0], outs["scores"][0], outs["selected"]
    sel = sel[sel[:, 0] == 0]
    picked = [(scores[b, c], c, boxes[b]) for _, c, b in sel]
    picked.sort(key=lambda p: -p[0])
    picked = picked[:int(meta["retina_max_dets"])]
    w, h = float(meta["input_width"]), float(meta["input_height"])
    return np.array([[(b[0] + b[2]) / 2 / w, (b[1] + b[3]) / 2 / h, (b[2] - b[0]) / w, (b[3] - b[1]) / h, s, c]
                     for s, c, b in picked], np.float64).reshape(-1, 6)


def compare_detections(ours_rows, theirs, tol, name):
    """Rows (x, y, w, h, score, class), both sorted by score."""
    if len(ours_rows) != len(theirs):
        return report(False, name, "%d detections here, %d in darknet" % (len(theirs), len(ours_rows)))
    if len(theirs) == 0:
        return report(True, name, "no detections on either side (raise the weights' scores to test more)")
    if not np.array_equal(ours_rows[:, 5], theirs[:, 5]):
        return report(False, name, "classes differ: %s vs %s" % (theirs[:, 5], ours_rows[:, 5]))
    return compare(theirs[:, :5], ours_rows[:, :5], tol, name + " (%d detections)" % len(theirs))


def compare_yolo(rows, ours, tol, name):
    """darknet lists the boxes whose objectness is above 0: where underflow
    made some exactly 0 (badly scaled random weights), those rows are left
    out here too."""
    if ours.size != rows.size:
        rows = rows[rows[:, 4] > 0]
        name += " (objectness > 0: %d rows)" % len(rows)
    return compare(rows, ours, tol, name)


def check_outputs(outs, ours_dir, meta, tol, prefix):
    ok = True
    for name, value in outs.items():
        path = os.path.join(ours_dir, name + ".bin")
        if name == "selected":
            det = read_ours(os.path.join(ours_dir, "detections.bin"))
            classes = int(meta["classes"])
            det = det.reshape(-1, 5 + classes)
            ours_rows = np.concatenate([det[:, :5], np.argmax(det[:, 5:], axis=1)[:, None]], axis=1)
            ours_rows = ours_rows[np.argsort(-ours_rows[:, 4], kind="stable")]
            ok &= compare_detections(ours_rows, nms_detections(outs, meta), tol, prefix + "_nms")
        elif name == "detections" and os.path.exists(path):
            ok &= compare_yolo(value[0], read_ours(path), tol, prefix + "_detections")
        elif os.path.exists(path):
            ok &= compare(value, read_ours(path), tol, prefix + "_" + name)
    return ok


def opencv_outputs(model_path, x, names):
    import cv2
    net = cv2.dnn.readNetFromONNX(model_path)
    net.setInput(x)
    return dict(zip(names, net.forward(names)))


def check_model(name, model_path, input_path, ours_dir, batch, use_opencv, tol):
    model = onnx.load(model_path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:   # the checker's own exception types vary between versions
        return report(False, name + "_checker", str(e).splitlines()[0])
    meta = {m.key: m.value for m in model.metadata_props}
    missing = [k for k in ("darknet_cfg_hash", "input_width", "input_height", "input_resize", "classes")
               if k not in meta]
    ok = report(not missing, name + "_checker", "full_check passed; metadata %s" %
                ("complete" if not missing else "lacks " + ", ".join(missing)))
    c, h, w = (int(meta["input_channels"]), int(meta["input_height"]), int(meta["input_width"]))
    x = np.fromfile(input_path, dtype=np.float32).reshape(batch, c, h, w)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = dict(zip(names, sess.run(None, {"input": x})))
    ok &= check_outputs(outs, ours_dir, meta, tol, name + "_ort")
    if use_opencv:
        ok &= check_outputs(opencv_outputs(model_path, x, names), ours_dir, meta, tol, name + "_opencv")
    return ok


def main():
    p = argparse.ArgumentParser(description="JOBS: one 'NAME MODEL INPUT OURS_DIR BATCH [opencv]' a line")
    p.add_argument("jobs")
    p.add_argument("--tol", type=float, default=1e-4)
    a = p.parse_args()
    ok = True
    with open(a.jobs) as f:
        for line in f:
            job = line.split()
            if job:
                ok &= check_model(job[0], job[1], job[2], job[3], int(job[4]), "opencv" in job[5:], a.tol)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
