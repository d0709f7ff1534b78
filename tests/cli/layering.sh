#!/bin/sh
# The folders of src/ depend one way: each #include "..." of a source file
# must name a header of its own folder, of a lower level in src/LAYERS, or of
# include/. Prints file:line and the arrow for each include that points up or
# sideways, or that names no header of the tree (system headers take <>).
cd "$(dirname "$0")/../.." || exit 1
if [ ! -s src/LAYERS ]; then
    echo "src/LAYERS is missing"
    echo "FAIL includes_point_down_the_folder_order"
    exit 0
fi
files=$(find src include -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \
    -o -name '*.cu' -o -name '*.cuh' \) | sort)
# stdin: every source file, a "--" line, then grep's path:line:#include "name"
{
    echo "$files"
    echo --
    echo "$files" | grep '^src/' |
        xargs grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' /dev/null
} | awk '
function result(bad, name) { print (bad ? "FAIL " : "ok   ") name }
FNR == NR {   # src/LAYERS: one level a line, lowest first
    sub(/#.*/, "")
    if (NF == 0) next
    ++lv
    for (i = 1; i <= NF; ++i) level[$i] = lv
    next
}
!listed { if ($0 == "--") listed = 1; else have[$0] = 1; next }
{
    i = index($0, ":"); file = substr($0, 1, i - 1); rest = substr($0, i + 1)
    line = substr(rest, 1, index(rest, ":") - 1)
    name = rest; sub(/^[^"]*"/, "", name); sub(/".*/, "", name)
    split(file, p, "/"); from = p[2]; dir = file; sub(/\/[^\/]*$/, "", dir)
    if (!(from in level)) next   # reported below
    if ((dir "/" name) in have || ("include/" name) in have) next
    to = ""; hits = 0
    for (g in level) if (("src/" g "/" name) in have) { to = g; ++hits }
    where = file ":" line ": \"" name "\""
    if (hits == 0) { print where " is no header of src/ or include/"; ++lost; next }
    if (hits > 1) { print where " is in " hits " folders"; ++lost; next }
    if (to == from || level[to] < level[from]) next
    print where ": " from " -> " to (level[to] > level[from] ? " points up the order in src/LAYERS" \
        : " joins two folders of one level")
    ++wrong
}
END {
    for (f in have) {
        n = split(f, p, "/")
        if (p[1] != "src" || (n > 2 && p[2] in level) || (p[2] in unknown)) continue
        unknown[p[2]] = 1; ++folders
        print (n > 2 ? "src/" p[2] "/ has no level in src/LAYERS" : f " is in no folder")
    }
    result(folders, "every_source_folder_has_a_level")
    result(lost, "every_quoted_include_names_a_header_of_the_tree")
    result(wrong, "includes_point_down_the_folder_order")
}' src/LAYERS -
