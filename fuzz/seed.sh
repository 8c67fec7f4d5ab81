#!/usr/bin/env bash
# Fills the fuzzers' seed corpora at run time (never committed: corpus/ is gitignored):
#   corpus/parse_any/  every file of the shared corpus up to MAX_BYTES, plus the parser test
#                      fixtures and the hostile inputs of crates/posture-parsers/tests
#   corpus/xml/        the XML ones among them
# Usage: fuzz/seed.sh [MAX_BYTES]   (default 1048576, the -max_len the README uses)
# The shared corpus is ../shared/corpus beside the repository, or $POSTURE_CORPUS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
max="${1:-1048576}"
corpus="${POSTURE_CORPUS:-$root/../shared/corpus}"
any="$here/corpus/parse_any"
xml="$here/corpus/xml"
mkdir -p "$any" "$xml"

copy_tree() { # dir prefix
  local dir="$1" prefix="$2"
  [ -d "$dir" ] || { echo "seed.sh: $dir not found, skipped" >&2; return 0; }
  while IFS= read -r -d '' f; do
    local rel="${f#"$dir"/}"
    local name="${prefix}__${rel//\//__}"
    cp "$f" "$any/$name"
    if head -c 512 "$f" | tr -d ' \t\r\n\357\273\277' | head -c 1 | grep -q '<'; then
      cp "$f" "$xml/$name"
    fi
  done < <(find "$dir" -type f -size -"$((max + 1))"c \
             ! -name SOURCES.tsv ! -name '*.md' ! -name '*.snap' -print0)
}

copy_tree "$corpus" corpus
copy_tree "$root/crates/posture-parsers/tests/fixtures" fixtures
copy_tree "$root/crates/posture-parsers/tests/hostile" hostile
echo "seed.sh: $(find "$any" -type f | wc -l) files in $any, $(find "$xml" -type f | wc -l) in $xml"
