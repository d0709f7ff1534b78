#!/bin/sh
# `make demo-classify`: train a small classifier on the built-in
# synthetic shapes, report held-out accuracy, then time ResNet-18.
set -e
cd "$(dirname "$0")/.."
./darknet shapes cfg/shapes_classifier.cfg -out shapes.weights
./darknet benchmark cfg/resnet18.cfg -iters 5
