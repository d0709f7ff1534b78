#!/bin/sh
# Command-line checks of `darknet coco eval` ($DARKNET): the twelve summary
# lines on a hand-worked case, the VOC and per-class options, usage errors and
# bad files. When /usr/bin/python3 has pycocotools, also compares the twelve
# lines with pycocotools' own on a random synthetic case.
# Prints one "ok NAME", "FAIL NAME" or "skip NAME" line per check.
prefix=cli_
. "$(dirname "$0")/lib.sh"

# Three small gts of category 5 in one image, a category 9 without any;
# dets: TP (.9), FP (.8), TP (.7), FP (.6), and a crowd region (image 2)
# holding a det (IoU 0.9) that must be ignored. Ranks TP FP TP FP over 3 gts: recall
# 1/3 1/3 2/3 2/3, precision 1 1/2 2/3 1/2; recall points 0-.33 get 1,
# .34-.66 get 2/3: AP = (34 + 22)/101 = 0.554 at every IoU threshold.
cat >"$tmp/inst.json" <<'JSON'
{"images": [{"id": 1, "file_name": "1.jpg", "width": 200, "height": 200},
            {"id": 2, "file_name": "2.jpg", "width": 200, "height": 200}],
 "categories": [{"id": 5, "name": "thing"}, {"id": 9, "name": "other"}],
 "annotations": [
  {"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
  {"id": 2, "image_id": 1, "category_id": 5, "bbox": [20, 0, 10, 10], "area": 100, "iscrowd": 0},
  {"id": 3, "image_id": 1, "category_id": 5, "bbox": [40, 0, 10, 10], "area": 100, "iscrowd": 0},
  {"id": 4, "image_id": 2, "category_id": 5, "bbox": [0, 0, 100, 100], "area": 10000, "iscrowd": 1}]}
JSON
cat >"$tmp/res.json" <<'JSON'
[{"image_id": 1, "category_id": 5, "bbox": [0, 0, 10, 10], "score": 0.9},
 {"image_id": 1, "category_id": 5, "bbox": [100, 100, 10, 10], "score": 0.8},
 {"image_id": 1, "category_id": 5, "bbox": [20, 0, 10, 10], "score": 0.7},
 {"image_id": 1, "category_id": 5, "bbox": [120, 100, 10, 10], "score": 0.6},
 {"image_id": 2, "category_id": 5, "bbox": [0, 0, 100, 90], "score": 0.95}]
JSON
cat >"$tmp/expect" <<'TXT'
 Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.554
 Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.554
 Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.554
 Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.554
 Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000
 Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.333
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.667
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.667
 Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.667
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000
 Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000
TXT
run coco eval "$tmp/inst.json" "$tmp/res.json"
[ $rc -eq 0 ] && diff "$tmp/expect" "$tmp/out" >/dev/null
check coco_eval_twelve_lines $?

# per-class AP; category 9 has no ground truth
run coco eval "$tmp/inst.json" "$tmp/res.json" -classes
[ $rc -eq 0 ] && grep -q 'category 5 (thing): AP@\[.50:.95\] = 0.554' "$tmp/out" &&
    grep -q 'category 9 (other): no ground truth' "$tmp/out"
check coco_eval_classes $?

# VOC: all-point 5/9, 11-point 6/11, 101-point 56/101 (the crowd det dropped)
run coco eval "$tmp/inst.json" "$tmp/res.json" -voc
[ $rc -eq 0 ] && grep -q 'Area-Under-Curve' "$tmp/out" && grep -q '(mAP@0.50) = 0.555556' "$tmp/out"
check coco_eval_voc_area $?
run coco eval "$tmp/inst.json" "$tmp/res.json" -voc -points 11
[ $rc -eq 0 ] && grep -q 'used 11 Recall-points' "$tmp/out" && grep -q '(mAP@0.50) = 0.545455' "$tmp/out"
check coco_eval_voc_11 $?
run coco eval "$tmp/inst.json" "$tmp/res.json" -voc -points 101 -iou_thresh 0.75
[ $rc -eq 0 ] && grep -q '(mAP@0.75) = 0.554455' "$tmp/out"
check coco_eval_voc_101 $?

# ---- usage errors: exit 2 with the usage ----
run coco
[ $rc -eq 2 ] && grep -q 'usage: darknet coco' "$tmp/err"
check coco_no_subcommand $?
run coco frob
[ $rc -eq 2 ] && grep -q "unknown subcommand 'frob'" "$tmp/err"
check coco_unknown_subcommand $?
run coco eval "$tmp/inst.json"
[ $rc -eq 2 ] && grep -q 'usage: darknet coco' "$tmp/err"
check coco_eval_missing_results $?
run coco eval "$tmp/inst.json" "$tmp/res.json" -points 1
[ $rc -eq 2 ]
check coco_eval_bad_points $?
run coco eval "$tmp/inst.json" "$tmp/res.json" -iou_thresh 1.5
[ $rc -eq 2 ]
check coco_eval_bad_iou $?
run coco eval -h
[ $rc -eq 0 ] && grep -q 'usage: darknet coco' "$tmp/out"
check coco_eval_help $?

# ---- bad files: exit 1, the message names the file ----
run coco eval "$tmp/missing.json" "$tmp/res.json"
[ $rc -eq 1 ] && grep -q "$tmp/missing.json: cannot open" "$tmp/err"
check coco_eval_missing_file $?
printf '{"images": [\n  {"id": 1,,}\n]}\n' >"$tmp/broken.json"
run coco eval "$tmp/broken.json" "$tmp/res.json"
[ $rc -eq 1 ] && grep -q "$tmp/broken.json: not valid JSON at line 2" "$tmp/err"
check coco_eval_bad_json $?
printf '[{"image_id": 77, "category_id": 5, "bbox": [0, 0, 1, 1], "score": 0.5}]\n' >"$tmp/res77.json"
run coco eval "$tmp/inst.json" "$tmp/res77.json"
[ $rc -eq 1 ] && grep -q "$tmp/res77.json: results\[0\]: image_id 77 is not an image" "$tmp/err"
check coco_eval_unknown_image $?
printf '[{"image_id": 1, "category_id": 5, "bbox": [0, 0, 1], "score": 0.5}]\n' >"$tmp/res3.json"
run coco eval "$tmp/inst.json" "$tmp/res3.json"
[ $rc -eq 1 ] && grep -q 'bbox' "$tmp/err"
check coco_eval_short_bbox $?

# ---- cross-check with pycocotools on a random case, when it is installed ----
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import pycocotools.coco, pycocotools.cocoeval' 2>/dev/null; then
    "$PY" - "$tmp" <<'PYTHON'
import json, random, sys
rnd = random.Random(20240601)
out = sys.argv[1]
cats = [1, 3, 7, 12, 40]
images = [{"id": i, "file_name": "%d.jpg" % i, "width": 640, "height": 480} for i in (5, 9, 11, 30, 31, 64)]
anns, dets = [], []
def box():
    s = rnd.choice([10, 30, 60, 120, 250])
    return [float(rnd.randint(0, 400)), float(rnd.randint(0, 300)), float(rnd.randint(1, s)), round(rnd.uniform(1, s), 1)]
for im in images:
    for _ in range(rnd.randint(0, 12)):
        b = box()
        anns.append({"id": len(anns) + 1, "image_id": im["id"], "category_id": rnd.choice(cats), "bbox": b,
                     "area": b[2] * b[3] * rnd.choice([1, 1, 0.6]), "iscrowd": int(rnd.random() < 0.1)})
for im in images:
    mine = [a for a in anns if a["image_id"] == im["id"]]
    for _ in range(rnd.randint(0, 130)):
        if mine and rnd.random() < 0.5:
            a = rnd.choice(mine); j = rnd.choice([0, 1, 2, 4])
            b = [a["bbox"][0] + rnd.choice([-j, j]), a["bbox"][1], a["bbox"][2] + j, a["bbox"][3]]
            c = a["category_id"]
        else:
            b, c = box(), rnd.choice(cats)
        dets.append({"image_id": im["id"], "category_id": c, "bbox": b, "score": rnd.randint(1, 20) / 20})
json.dump({"images": images, "annotations": anns,
           "categories": [{"id": c, "name": "c%d" % c} for c in cats]}, open(out + "/rinst.json", "w"))
json.dump(dets, open(out + "/rres.json", "w"))
PYTHON
    "$PY" - "$tmp" >"$tmp/py.txt" 2>/dev/null <<'PYTHON'
import sys, io, contextlib
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
d = sys.argv[1]
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(d + "/rinst.json"); dt = gt.loadRes(d + "/rres.json")
    e = COCOeval(gt, dt, "bbox"); e.evaluate(); e.accumulate()
e.summarize()
PYTHON
    run coco eval "$tmp/rinst.json" "$tmp/rres.json"
    grep '^ Average' "$tmp/py.txt" >"$tmp/py12.txt"
    [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/py12.txt")" -eq 12 ] && diff "$tmp/py12.txt" "$tmp/out" >/dev/null
    check coco_eval_matches_pycocotools $?
else
    echo "skip cli_coco_eval_matches_pycocotools: /usr/bin/python3 has no pycocotools"
fi
