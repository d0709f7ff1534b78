# lib.sh: the preamble the command-line check scripts share (not a check
# itself; tests/run_all.sh skips it). A script sets `prefix` (the start of its
# check names, e.g. cli_erf_) and sources it:
#     prefix=cli_erf_
#     . "$(dirname "$0")/lib.sh"
# It gives:
#   DARKNET            the binary ($DARKNET, default ./darknet); when it is not
#                      there the script prints one "skip" line and exits
#   tmp                a new directory, removed when the script ends
#   check NAME STATUS  "ok   $prefix$NAME" when STATUS is 0, else "FAIL $prefix$NAME"
#   run ARGS...        runs darknet: status in $rc, stdout in $tmp/out, stderr in $tmp/err
#   png_width FILE     the width of a PNG picture
#   tiny_detector DIR MAX_BATCHES
#                      a 64 x 64, 3-class synthetic set in DIR/s (16 training, 6
#                      validation scenes) and DIR/tiny.cfg, retinanet_tiny cut
#                      down to batch 4 and MAX_BATCHES iterations
DARKNET=${DARKNET:-./darknet}
if [ ! -x "$DARKNET" ]; then
    echo "skip $(basename "$0" .sh): no darknet binary at $DARKNET"
    exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

check() { if [ "$2" = 0 ]; then echo "ok   $prefix$1"; else echo "FAIL $prefix$1"; fi; }
run() {
    "$DARKNET" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
tiny_detector() {
    "$DARKNET" synth "$1/s" -n 16 -valid 6 -size 64 -classes 3 -seed 3 > /dev/null 2>&1
    # class convs: 9 anchors x 3 classes
    sed -e "s/^max_batches=.*/max_batches=$2/" -e 's/^batch=.*/batch=4/' -e 's/^width=.*/width=64/' \
        -e 's/^height=.*/height=64/' -e 's/^burn_in=.*/burn_in=2/' -e 's/^classes=8/classes=3/' \
        -e 's/^filters=72$/filters=27/' "$(dirname "$0")/../../cfg/retinanet_tiny.cfg" > "$1/tiny.cfg"
}
# big-endian bytes 16..19 of a PNG
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'; }
