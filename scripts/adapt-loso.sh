#!/usr/bin/env bash
# adapt-loso.sh — issue 13's adaptation measured on the real validation
# outlines, leave one subject out: for each subject, `myoseg adapt` (the
# page's trainer, core/nn/train, compiled natively) fine-tunes the model on
# the other subjects' outlines with the page's own held-out rule, and
# `myoseg eval` scores the held-out subject with the adopted model: the
# adapted one if its held-out Dice rose, else the parent, as the page offers.
#
# Usage: scripts/adapt-loso.sh [MODEL.onnx]   (default: the embedded model)
# Environment:
#   DATA=dir        outlines in the seed layout (default: models/validation/real-outlines)
#   MYOSEG_BIN=path the binary (default: go build of this tree)
#   EPOCHS=n LR=x   adapt's --epochs and --lr (default: adapt's own)
#   KEEP=1          keep the work folder
# Prints one row per subject (images, Dice before, Dice after, adopted or
# not) and the means over images; Dice is the Go pipeline's, full
# resolution, after post-processing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
DATA=${DATA:-$here/models/validation/real-outlines}
MODEL=${1:-}
T=$(mktemp -d /tmp/myoseg-adapt-loso.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi; }
trap cleanup EXIT

BIN=${MYOSEG_BIN:-}
if [ -z "$BIN" ]; then
  (cd "$here" && go build -o "$T/myoseg" .)
  BIN=$T/myoseg
fi
modelflag=()
[ -n "$MODEL" ] && modelflag=(--model "$MODEL")
adaptflags=()
[ -n "${EPOCHS:-}" ] && adaptflags+=(--epochs "$EPOCHS")
[ -n "${LR:-}" ] && adaptflags+=(--lr "$LR")

# link SRC_ROOT DEST_ROOT KEEP: copies the seed layout's images (and masks)
# whose subject is (KEEP=in) or is not (KEEP=out) $subject, as symlinks.
link() {
  local src=$1 dst=$2 keep=$3 img stem m base sub
  for img in "$src"/*/*/Images/*; do
    base=$(basename "$img")
    sub=${base%%_*}
    if { [ "$keep" = in ] && [ "$sub" != "$subject" ]; } || { [ "$keep" = out ] && [ "$sub" = "$subject" ]; }; then
      continue
    fi
    stem=${base%.*}
    m=$(dirname "$(dirname "$img")")
    rel=${m#"$src"/}
    mkdir -p "$dst/$rel/Images" "$dst/$rel/Masks"
    ln -s "$img" "$dst/$rel/Images/$base"
    ln -s "$m/Masks/$stem.png" "$dst/$rel/Masks/$stem.png"
  done
}

dice() { # mean Dice and count of per_image.csv
  python3 -c 'import csv,sys
r=[float(x["dice"]) for x in csv.DictReader(open(sys.argv[1])) if x["dice"]]
print("%.4f %d" % (sum(r)/len(r), len(r)))' "$1"
}

subjects=$(for f in "$DATA"/*/*/Images/*; do b=$(basename "$f"); echo "${b%%_*}"; done | sort -u)
printf '| held-out subject | images | Dice before | Dice after | adapted model adopted |\n| --- | ---: | --- | --- | --- |\n'
sb=0 sa=0 n=0
for subject in $subjects; do
  d=$T/$subject
  link "$DATA" "$d/train" out
  link "$DATA" "$d/test" in
  "$BIN" eval --data "$d/test" "${modelflag[@]}" --out "$d/before" >/dev/null 2>&1
  read -r before k < <(dice "$d/before/per_image.csv")
  adopted=no
  if "$BIN" adapt --quiet --data "$d/train" "${modelflag[@]}" "${adaptflags[@]}" --out "$d/adapted.onnx" >"$d/adapt.log" 2>&1 && [ -f "$d/adapted.onnx" ]; then
    adopted=yes
    "$BIN" eval --data "$d/test" --model "$d/adapted.onnx" --out "$d/after" >/dev/null 2>&1
    read -r after _ < <(dice "$d/after/per_image.csv")
  else
    after=$before
  fi
  printf '| %s | %d | %s | %s | %s (%s) |\n' "$subject" "$k" "$before" "$after" "$adopted" "$(tail -1 "$d/adapt.log")"
  sb=$(python3 -c "print($sb+$before*$k)"); sa=$(python3 -c "print($sa+$after*$k)"); n=$((n + k))
done
python3 -c "print('| mean over %d images | | %.4f | %.4f | |' % ($n, $sb/$n, $sa/$n))"
