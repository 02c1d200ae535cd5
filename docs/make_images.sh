#!/usr/bin/env bash
# Regenerate the README's before/after pictures with convcli itself: docs/make_images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/images
card=sample_images/test-card.png
cp "$card" "$out/test-card.png"
convcli -q apply sharpen-strong "$card" -o "$out/card-sharpen.png"
convcli -q apply 'gaussian:sigma=3' "$card" -o "$out/card-gaussian.png"
convcli -q apply sobel "$card" -o "$out/card-sobel.png" --gray
convcli -q apply sobel-x "$card" -o "$out/card-sobel-x.png" --gray --offset 50% --scale 1/8
convcli -q apply emboss-grey "$card" -o "$out/card-emboss.png" --gray
convcli -q apply 'motion:length=21,angle=30' "$card" -o "$out/card-motion.png"
convcli -q apply box-7 sample_images/logo-rgba.png -o "$out/logo-box.png"
convcli -q apply box-7 sample_images/logo-rgba.png -o "$out/logo-box-premultiplied.png" --premultiply
cp sample_images/logo-rgba.png "$out/logo-rgba.png"
square=$(mktemp --suffix=.npy)
convcli -q show "$card" --region 16,160,32,32 --format npy > "$square"
convcli -q match "$square" "$card" --top 4 --annotate "$out/card-match.png" --heatmap "$out/card-heatmap.png" > /dev/null
rm -f "$square"
convcli -q gallery "$card" --tag edges --abs --tile 128 --columns 6 -o "$out/card-gallery.png"
convcli -q animate sharpen sample_images/tiny-16x16.png --region 0,0,6,4 --border constant -o "$out/tiny-animate.gif"
python3 -c 'import sys; from PIL import Image; gif = Image.open(sys.argv[1]); gif.seek(10); gif.convert("RGB").save(sys.argv[2], optimize=True)' "$out/tiny-animate.gif" "$out/tiny-animate-frame.png"
convcli -q layer docs/examples/edges.yaml "$card" -o "$out/card-layer-maps.png" --tile 200
convcli -q layer docs/examples/edges.yaml "$card" --activation relu --pool max:2 -o "$out/card-layer-pooled.png" --tile 200
