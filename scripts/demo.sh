#!/usr/bin/env bash
# The demo from nothing: installs what is missing, builds, and counts the words of every license
# text on this machine with a local two-worker Aviary, then prints the 20 most frequent words.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh >/dev/null

work=$(mktemp -d /tmp/aviary-demo-XXXXXX)
mkdir -p "$work/corpus"
i=0
for f in /usr/share/common-licenses/* /usr/share/doc/*/copyright; do
  [[ -f "$f" && -r "$f" ]] || continue
  cat "$f" >> "$work/corpus/part-$((i % 8)).txt"
  i=$((i + 1))
done
echo "corpus: $(du -sh "$work/corpus" | cut -f1) in 8 files from $i license and copyright texts"

build/bin/aviary run wordcount --input "files:$work/corpus/*.txt" --output "files:$work/out" --workers 2
echo
echo "top 20 words:"
cat "$work/out"/part-*.jsonl |
  python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; r.sort(key=lambda d:(-d["value"],d["_id"]))
for d in r[:20]: print(f"{d[\"value\"]:>10}  {d[\"_id\"]}")'
echo
echo "full result: $work/out/part-*.jsonl"
