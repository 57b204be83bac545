#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from fixtures/ (the corpora are not committed; see README.md).
# Usage: fuzz/seed.sh            (from anywhere; rerunning only adds files)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fx="$root/fixtures"
c="$here/corpus"
mkdir -p "$c"/{split,detect_validate,batch,zip,rules,convert}

sae=("$fx"/cases/*.txt "$fx"/example/*.txt "$fx"/validate/*.txt "$fx"/validate/prae/*.txt)
batch=("$fx"/validate/batch/*.csv "$fx"/validate/batch/*.txt)

copy() { # copy DEST FILE... (names prefixed by their fixture folder, so they do not clash)
  local dest=$1; shift
  for f in "$@"; do
    cp "$f" "$dest/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
}
copy "$c/split" "${sae[@]}" "${batch[@]}"
copy "$c/detect_validate" "${sae[@]}" "${batch[@]}"
copy "$c/convert" "${sae[@]}"
copy "$c/batch" "${batch[@]}"
copy "$c/rules" "$fx"/cases/*.toml "$fx"/validate/batch/*.toml "$root/crates/journal/src/starter.toml"

# batch: one input per extra mapping of oracle::BATCH_RULES (no fixture uses them)
printf 'E100;CLAIM-1;60300;12,50\nE100;CLAIM-1;20100;-12,50\n' > "$c/batch/mapping-semicolon.txt"
printf 'GL,Dr,Cr,Currency\n60300,100.00,,USD\n20100,,100.00,USD\n' > "$c/batch/mapping-two-columns.csv"

# zip: a few small archives of fixtures (stored and deflated, one and several entries).
python3 - "$fx" "$c/zip" <<'PY'
import sys, zipfile, pathlib
fx, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
sets = {
    "one-deflated.zip": (["cases/oop_cash.txt"], zipfile.ZIP_DEFLATED),
    "one-stored.zip": (["validate/good.txt"], zipfile.ZIP_STORED),
    "three.zip": (["cases/vat_single.txt", "validate/batch/good.csv", "validate/empty.txt"], zipfile.ZIP_DEFLATED),
    "with-dir.zip": (["validate/attendee.txt"], zipfile.ZIP_DEFLATED),
}
for name, (files, method) in sets.items():
    with zipfile.ZipFile(out / name, "w", compression=method) as z:
        if name == "with-dir.zip":
            z.writestr("sub/", b"")
        for f in files:
            z.write(fx / f, arcname=f)
PY
# the regression inputs found so far are good seeds too
for t in split detect_validate batch zip rules convert; do
  find "$here/regressions/$t" -type f -exec cp {} "$c/$t/" \; 2>/dev/null || true
done
echo "seeded: $(for t in "$c"/*; do printf '%s=%s ' "$(basename "$t")" "$(ls "$t" | wc -l)"; done)"
