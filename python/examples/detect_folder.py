#!/usr/bin/env python3
"""Runs a trained detector over a folder of images and writes COCO results JSON,
the format `darknet detector valid` writes:

    detect_folder.py CFG WEIGHTS FOLDER OUT.json [--data DATA] [--coco-json INSTANCES] [--thresh 0.005]

One entry per detection: image_id, category_id, bbox [x, y, w, h] (pixels,
top-left corner), score. The ids follow `detector valid`: with --coco-json,
an image's id is that of the annotation file's image of the same file name,
and class k is the k-th smallest category id (so classes 0..79 give COCO's
1..90); without it, image ids count the folder's images in name order from 0
and category ids are the classes. Score it with `darknet coco eval INSTANCES
OUT.json` or pycocotools.

Each image is decoded whole and letterboxed, as `detector test` does;
`detector valid` decodes JPEGs much larger than the network's input at a
reduced scale, so on those the two can differ in the last digits."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import darknet  # noqa: E402

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tga", ".gif", ".pnm", ".ppm", ".pgm")


def image_ids(files, coco_json):
    """file name -> image id, and class -> category id, as `detector valid` maps them."""
    if not coco_json:
        return {f: i for i, f in enumerate(files)}, None
    instances = json.load(open(coco_json))
    by_name = {im["file_name"]: im["id"] for im in instances["images"]}
    missing = [f for f in files if f not in by_name]
    if missing:
        sys.exit("%s: no image named %s" % (coco_json, missing[0]))
    return by_name, sorted(c["id"] for c in instances["categories"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cfg")
    p.add_argument("weights")
    p.add_argument("folder")
    p.add_argument("out")
    p.add_argument("--data", help=".data file whose names= labels the classes")
    p.add_argument("--coco-json", help="COCO instances file giving the image and category ids")
    p.add_argument("--thresh", type=float, default=0.005, help="keep detections scoring above this")
    a = p.parse_args()
    files = sorted(f for f in os.listdir(a.folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    ids, categories = image_ids(files, a.coco_json)
    results = []
    with darknet.Network(a.cfg, a.weights, data=a.data) as net:
        if categories is not None and len(categories) != net.classes:
            sys.exit("%s has %d categories but the network predicts %d classes"
                     % (a.coco_json, len(categories), net.classes))
        for f in files:
            for det in net.detect(os.path.join(a.folder, f), thresh=a.thresh):
                results.append({"image_id": ids[f],
                                "category_id": categories[det.class_id] if categories else det.class_id,
                                "bbox": [float(v) for v in det.box], "score": float(det.score)})
    with open(a.out + ".tmp", "w") as out:
        json.dump(results, out)
    os.replace(a.out + ".tmp", a.out)
    print("%d detections on %d images written to %s" % (len(results), len(files), a.out))


if __name__ == "__main__":
    main()
