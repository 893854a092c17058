#!/usr/bin/env bash
# Renders DIR/report.html in headless Chromium and checks that the screenshot is not blank.
#
#   scripts/check_report_html.sh DIR [SCREENSHOT.png]
#
# Writes the screenshot (default DIR/report_screenshot.png, 1280x3000) so a person can look at
# it. Fails when the page does not render, references files outside itself, or the screenshot
# is (nearly) a single colour. Chromium: `apt-get install -y chromium` if missing.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 DIR [SCREENSHOT.png]" >&2
    exit 2
fi
dir=$(cd "$1" && pwd)
html="$dir/report.html"
shot=${2:-"$dir/report_screenshot.png"}
if [[ ! -f "$html" ]]; then
    echo "error: $html not found" >&2
    exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$candidate
        break
    fi
done
if [[ -z "$browser" ]]; then
    echo "error: no Chromium found; install it with: apt-get install -y chromium" >&2
    exit 2
fi

# Self-contained: no external stylesheets, scripts or images.
if grep -Eq '<link|<script|src="(https?:|charts/)' "$html"; then
    echo "FAIL: report.html references external resources" >&2
    exit 1
fi

profile=$(mktemp -d "${TMPDIR:-/tmp}/tenancy-chromium.XXXXXX")
trap 'rm -rf "$profile"' EXIT
rm -f "$shot"
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --hide-scrollbars --user-data-dir="$profile" \
    --window-size=1280,3000 --virtual-time-budget=5000 \
    --screenshot="$shot" "file://$html" >/dev/null 2>&1 || true
if [[ ! -s "$shot" ]]; then
    echo "FAIL: Chromium wrote no screenshot" >&2
    exit 1
fi

# Decode the PNG with the Python standard library and measure it.
python3 - "$shot" <<'PY'
import struct
import sys
import zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"FAIL: {path} is not a PNG")
pos, idat, width = 8, b"", 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos : pos + 8])
    body = data[pos + 8 : pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
if depth != 8 or colour not in (2, 6):
    sys.exit(f"FAIL: unexpected PNG format (bit depth {depth}, colour type {colour})")
bpp = 3 if colour == 2 else 4
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
colours, inked, total = set(), 0, 0
for row in range(height):
    start = row * (stride + 1)
    ftype, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 1:
            line[i] = (line[i] + a) & 255
        elif ftype == 2:
            line[i] = (line[i] + b) & 255
        elif ftype == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif ftype == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255
    prev = line
    if row % 4:
        continue  # sample every 4th row: plenty for a blank check
    for x in range(0, width, 2):
        px = bytes(line[x * bpp : x * bpp + 3])
        colours.add(px)
        total += 1
        inked += px != b"\xff\xff\xff"
share = inked / max(total, 1)
print(f"screenshot {path}: {width}x{height}, {len(colours)} distinct colours, {share:.1%} non-white")
if len(colours) < 16 or share < 0.02:
    sys.exit("FAIL: the rendered page looks blank")
print("ok: report.html renders")
PY
