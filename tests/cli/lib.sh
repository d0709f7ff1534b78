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
# big-endian bytes 16..19 of a PNG
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'; }
