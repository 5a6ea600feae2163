#!/usr/bin/env python3
"""JavaScript jobs against the same jobs as C++ plugins, side by side in one run.

Generates JSON lines documents ({_id, text, key, value}; ~100 MB by default), then runs, in
alternation, a word count (JavaScript vs examples/wordcount) and a per-key average (JavaScript
with finalize vs examples/average) with `aviary run`, checks that both sides agree, and prints
documents/s and the ratio (median of --runs). Usage:
    bench/js_bench.py [--build build] [--mb 100] [--runs 3] [--workers 2] [--dir /tmp/aviary-js-bench]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

WC_MAP = "function () { var w = this.text.split(' '); for (var i = 0; i < w.length; i++) emit(w[i], 1); }"
SUM_REDUCE = "function (key, values) { return Array.sum(values); }"
AVG_MAP = "function () { emit(this.key, { sum: this.value, count: 1 }); }"
AVG_REDUCE = """function (key, values) {
  var r = { sum: 0, count: 0 };
  for (var i = 0; i < values.length; i++) { r.sum += values[i].sum; r.count += values[i].count; }
  return r;
}"""
AVG_FINALIZE = "function (key, r) { return r.sum / r.count; }"


def generate(path, megabytes, seed=1):
    if os.path.exists(path) and os.path.getsize(path) >= megabytes * 1_000_000 * 0.98:
        return sum(1 for _ in open(path, "rb"))
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
                  for _ in range(20000)]
    cum, total = [], 0.0
    for r in range(len(vocabulary)):  # Zipf-like
        total += 1.0 / (r + 1)
        cum.append(total)
    n = 0
    with open(path + ".tmp", "w") as f:
        size = 0
        while size < megabytes * 1_000_000:
            text = " ".join(rng.choices(vocabulary, cum_weights=cum, k=rng.randint(8, 16)))
            line = json.dumps({"_id": n, "text": text, "key": "k%d" % rng.randrange(1000),
                               "value": round(rng.uniform(0, 100), 3)}) + "\n"
            f.write(line)
            size += len(line)
            n += 1
    os.rename(path + ".tmp", path)
    return n


def run(aviary, job, params, data, out, workers):
    cmd = [aviary, "run", job, "--input", "files:" + data, "--output", "files:" + out, "--overwrite",
           "--workers", str(workers)]
    for k, v in params.items():
        cmd += ["--param", "%s=%s" % (k, v)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd[:3]), proc.stderr[-2000:]))
    return elapsed


def read_output(out):
    result = {}
    for name in sorted(os.listdir(out)):
        if name.startswith("part-"):
            with open(os.path.join(out, name)) as f:
                for line in f:
                    doc = json.loads(line)
                    result[doc["_id"]] = doc["value"]
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/aviary-js-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    aviary = os.path.abspath(os.path.join(args.build, "bin", "aviary"))
    data = os.path.join(args.dir, "docs-%dmb.jsonl" % args.mb)
    docs = generate(data, args.mb)
    print("input: %s, %d documents, %.1f MB" % (data, docs, os.path.getsize(data) / 1e6))

    jobs = {
        "wordcount": [("C++", "wordcount", {}),
                      ("JavaScript", "javascript", {"map": WC_MAP, "reduce": SUM_REDUCE})],
        "average": [("C++", "average", {"key": "key", "value": "value"}),
                    ("JavaScript", "javascript", {"map": AVG_MAP, "reduce": AVG_REDUCE, "finalize": AVG_FINALIZE})],
    }
    rows = []
    for name, sides in jobs.items():
        times = {label: [] for label, _, _ in sides}
        outputs = {}
        for _ in range(args.runs):  # alternate the sides so load changes hit both alike
            for label, job, params in sides:
                out = os.path.join(args.dir, "out-%s-%s" % (name, label))
                times[label].append(run(aviary, job, params, data, out, args.workers))
                outputs[label] = out
        a, b = (read_output(outputs[label]) for label, _, _ in sides)
        same = a.keys() == b.keys() and all(abs(float(a[k]) - float(b[k])) <= 1e-9 * max(1, abs(float(a[k]))) for k in a)
        if not same:
            sys.exit("%s: the JavaScript and C++ results differ" % name)
        cpp, js = (statistics.median(times[label]) for label, _, _ in sides)
        rows.append((name, cpp, js, len(a)))
    print("\n| job | C++ plugin | JavaScript | JS / C++ time | keys |")
    print("|---|---|---|---|---|")
    for name, cpp, js, keys in rows:
        print("| %s | %.2f s (%.0f docs/s) | %.2f s (%.0f docs/s) | %.2fx | %d |" %
              (name, cpp, docs / cpp, js, docs / js, js / cpp, keys))
    print("\n(median of %d runs, aviary run --workers %d, results checked equal)" % (args.runs, args.workers))


if __name__ == "__main__":
    main()
