#!/bin/sh
# darknet detector demo on a video made from `darknet synth` images: the
# annotated video it writes has the input's frame count, size and rate, its
# frames are the input's (nothing drawn at a threshold no box reaches) with
# labelled boxes drawn at a low one; -frames, .mp4, no DISPLAY, and the
# errors. Builds without OpenCV must say so (the rest is skipped).
#   DARKNET     the binary (default ./darknet)
#   VIDEO_TOOL  tests/opencv/video_tool.cpp, built (default: beside DARKNET)
prefix=cli_demo_
. "$(dirname "$0")/lib.sh"
V=${VIDEO_TOOL:-$(dirname "$DARKNET")/video_tool}

"$DARKNET" detector demo "$tmp/a.data" "$tmp/a.cfg" "$tmp/a.weights" "$tmp/missing.avi" -dont_show > /dev/null 2> "$tmp/err"
rc=$?
if grep -q "built without OpenCV: rebuild with make OPENCV=1" "$tmp/err"; then
    check without_opencv_says_so "$([ $rc = 1 ]; echo $?)"
    echo "skip cli_demo: darknet was built without OpenCV (make OPENCV=1 test runs it)"
    exit 0
fi
check missing_video "$([ $rc = 1 ] && grep -q "missing.avi" "$tmp/err"; echo $?)"
if [ ! -x "$V" ]; then
    echo "FAIL cli_demo: darknet has OpenCV but $V is not built (make OPENCV=1 $V)"
    exit 0
fi

# a tiny RetinaNet at 64x64 whose random class scores start near 0.3 (prior),
# saved after one training step
"$DARKNET" synth "$tmp/s" -n 4 -valid 6 -size 64 -classes 3 -seed 5 > /dev/null 2>&1
sed -e 's/^max_batches=.*/max_batches=1/' -e 's/^batch=.*/batch=2/' -e 's/^width=.*/width=64/' \
    -e 's/^height=.*/height=64/' -e 's/^burn_in=.*/burn_in=1/' -e 's/^classes=8/classes=3/' \
    -e 's/^filters=72$/filters=27/' -e 's/^prior=.*/prior=0.3/' -e 's/^score_thresh=.*/score_thresh=0.01/' \
    -e 's/^max_dets=.*/max_dets=10/' cfg/retinanet_tiny.cfg > "$tmp/tiny.cfg"
data="$tmp/s/synth.data"
"$DARKNET" detector train "$data" "$tmp/tiny.cfg" -threads 1 > "$tmp/train.log" 2>&1
w="$tmp/s/backup/tiny_final.weights"
# six 96x64 frames (not the network's size or shape: letterboxed) at 10 fps
"$V" make "$tmp/in.avi" 96 64 10 "$tmp"/s/images/valid/*.jpg 2> "$tmp/err" && [ -s "$w" ]
check setup "$?"
demo() { "$DARKNET" detector demo "$data" "$tmp/tiny.cfg" "$w" "$@"; }

demo "$tmp/in.avi" -dont_show -thresh 0.2 -out_filename "$tmp/out.avi" > "$tmp/run.log" 2>&1
check runs "$?"
tail -n 1 "$tmp/run.log" | grep -q "^demo frames=6 fps=[0-9.]*$"
check last_line "$?"
grep -q "^frame 1: [1-9][0-9]* detections$" "$tmp/run.log"
check detection_count "$?"
"$V" info "$tmp/in.avi" > "$tmp/in.info"
"$V" info "$tmp/out.avi" > "$tmp/out.info" 2>&1
grep -q "^frames=6 width=96 height=64 fps=10$" "$tmp/out.info" && cmp -s "$tmp/in.info" "$tmp/out.info"
check same_frames_size_fps "$?"

# nothing reaches 0.99: the output is the input again, up to Motion JPEG's
# re-encoding (about 1 of 255); with boxes drawn it differs far more
demo "$tmp/in.avi" -dont_show -thresh 0.99 -out_filename "$tmp/none.avi" > /dev/null 2>&1
none=$("$V" diff "$tmp/in.avi" "$tmp/none.avi" | sed 's/.*=//')
drawn=$("$V" diff "$tmp/in.avi" "$tmp/out.avi" | sed 's/.*=//')
check frames_are_the_input "$(awk -v d="$none" 'BEGIN { exit !(d != "" && d < 3) }'; echo $?)"
check boxes_drawn "$(awk -v d="$drawn" 'BEGIN { exit !(d != "" && d > 10) }'; echo $?)"

# -frames stops early; .mp4 is written too
demo "$tmp/in.avi" -dont_show -frames 3 -out_filename "$tmp/out.mp4" > "$tmp/mp4.log" 2>&1 &&
    "$V" info "$tmp/out.mp4" | grep -q "^frames=3 width=96 height=64 " && tail -n 1 "$tmp/mp4.log" | grep -q "^demo frames=3 "
check frames_limit_and_mp4 "$?"

# without -dont_show and without a display: no window, no crash
(unset DISPLAY WAYLAND_DISPLAY; demo "$tmp/in.avi" -frames 2 > "$tmp/nodisp.log" 2>&1) &&
    grep -q "no DISPLAY" "$tmp/nodisp.log" && grep -q "^demo frames=2 " "$tmp/nodisp.log"
check no_display_no_window "$?"

demo "$tmp/in.avi" -dont_show -out_filename "$tmp/nodir/out.avi" > /dev/null 2> "$tmp/err"
check unwritable_output "$([ $? = 1 ] && grep -q "nodir/out.avi" "$tmp/err"; echo $?)"
demo "$tmp/tiny.cfg" -dont_show > /dev/null 2> "$tmp/err"
check not_a_video "$([ $? = 1 ] && grep -q "tiny.cfg': OpenCV could not read it" "$tmp/err"; echo $?)"
demo "$tmp/in.avi" -c 0 -dont_show > /dev/null 2>&1
check video_and_camera_is_usage_error "$([ $? = 2 ]; echo $?)"
