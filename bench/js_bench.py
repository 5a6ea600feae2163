#!/usr/bin/env python3
"""JavaScript jobs against the same jobs as C++ plugins, side by side in one run.

Runs, in alternation, a word count (JavaScript vs examples/wordcount) and a per-key average
(JavaScript with finalize vs examples/average), checks that both sides agree, and prints
documents/s and the ratio (median of --runs). Two inputs:
  files (default)  ~100 MB of generated JSON lines {_id, text, key, value}, with `aviary run`
  --cluster        the sharded demo data: the King James Bible (`bible`, one verse a document
                   {_id, book, chapter, verse, text}) on a local 3-shard cluster, with `aviary submit`
--before BUILD adds a third side, the JavaScript job of another build (e.g. main's), so an
optimisation is measured before/after in the same run. Usage:
    bench/js_bench.py [--build build] [--before /work/main/build] [--cluster] [--mb 100] [--runs 5]
                      [--workers 2] [--dir /tmp/aviary-js-bench]
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

WC_MAP = "function () { var w = this.text.split(' '); for (var i = 0; i < w.length; i++) emit(w[i], 1); }"
# examples/wordcount's words: maximal runs of ASCII letters (the Bible has punctuation).
WC_MAP_LETTERS = """function () {
  var w = this.text.match(/[A-Za-z]+/g);
  if (w) for (var i = 0; i < w.length; i++) emit(w[i], 1);
}"""
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


def bible_documents(path):
    """The demo's corpus as JSON lines, as src/demo/demo_bible.cc reads it."""
    if os.path.exists(path):
        return sum(1 for _ in open(path))
    proc = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True)
    n = 0
    with open(path + ".tmp", "w") as f:
        for line in proc.stdout.splitlines():
            ref, _, text = line.partition(" ")
            book = ref.rstrip("0123456789:")
            if ":" in book:
                book = book[:book.index(":")]
            chapter, _, verse = ref[len(book):].partition(":")
            if not text or not chapter.isdigit() or not verse.isdigit():
                continue
            f.write(json.dumps({"_id": ref, "book": book, "chapter": int(chapter), "verse": int(verse),
                                "text": text}) + "\n")
            n += 1
    os.rename(path + ".tmp", path)
    return n


class Cluster:
    """A local sharded cluster holding the Bible in library.bible (hashed _id)."""

    def __init__(self, aviary, directory, shards):
        self.aviary, self.dir = aviary, os.path.join(directory, "cluster")
        subprocess.run([aviary, "cluster", "down", "--dir", self.dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        up = subprocess.run([aviary, "cluster", "up", "--shards", str(shards), "--dir", self.dir],
                            capture_output=True, text=True, check=True)
        self.entry = up.stdout.strip()
        status = json.loads(subprocess.run([aviary, "cluster", "status", "--dir", self.dir, "--json"],
                                           capture_output=True, text=True, check=True).stdout)
        self.coordinator = ",".join(c["address"] for c in status["coordinators"])

    def load(self, path):
        subprocess.run([self.aviary, "load", "--input", path, "--into", self.entry + "library.bible",
                        "--shard-key", "_id", "--hashed"], capture_output=True, check=True)

    def down(self):
        subprocess.run([self.aviary, "cluster", "down", "--dir", self.dir], capture_output=True)


def timed_job(cmd, params):
    """Runs an aviary command with the job's --param flags; returns (process, wall seconds)."""
    for k, v in params.items():
        cmd = cmd + ["--param", "%s=%s" % (k, v)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd[:3]), proc.stderr[-2000:]))
    return proc, elapsed


def run_on_cluster(aviary, cluster, job, params, out):
    """`aviary submit --wait` of one job; returns the wall time. `aviary` is the client's build:
    it ships its own lib/aviary/JOB.so, so another build's JavaScript job runs on the same cluster."""
    cmd = [aviary, "submit", job, "--coordinator", cluster.coordinator, "--input", cluster.entry + "library.bible",
           "--output", "inline", "--wait"]
    proc, elapsed = timed_job(cmd, params)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "part-inline.jsonl"), "w") as f:
        f.write(proc.stdout)
    return elapsed


def run(aviary, job, params, data, out, workers):
    if isinstance(data, Cluster):
        return run_on_cluster(aviary, data, job, params, out)
    cmd = [aviary, "run", job, "--input", "files:" + data, "--output", "files:" + out, "--overwrite",
           "--workers", str(workers)]
    return timed_job(cmd, params)[1]


def read_output(out):
    result = {}
    for name in sorted(os.listdir(out)):
        if name.startswith("part-"):
            with open(os.path.join(out, name)) as f:
                for line in f:
                    if not line.startswith("{"):
                        continue
                    doc = json.loads(line)
                    result[doc["_id"]] = doc["value"]
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--before", help="another build whose JavaScript job runs as a third side")
    ap.add_argument("--cluster", action="store_true", help="the sharded demo data (the Bible on 3 shards)")
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/aviary-js-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    aviary = os.path.abspath(os.path.join(args.build, "bin", "aviary"))
    before = os.path.abspath(os.path.join(args.before, "bin", "aviary")) if args.before else None
    cluster = None
    if args.cluster:
        path = os.path.join(args.dir, "bible.jsonl")
        docs = bible_documents(path)
        cluster = data = Cluster(aviary, args.dir, args.shards)
        cluster.load(path)
        print("input: the King James Bible, %d verses on %d shards (%s)" % (docs, args.shards, cluster.entry))
        wc_map, avg = WC_MAP_LETTERS, {"key": "book", "value": "verse"}
    else:
        data = os.path.join(args.dir, "docs-%dmb.jsonl" % args.mb)
        docs = generate(data, args.mb)
        print("input: %s, %d documents, %.1f MB" % (data, docs, os.path.getsize(data) / 1e6))
        wc_map, avg = WC_MAP, {"key": "key", "value": "value"}
    avg_map = AVG_MAP.replace("this.key", "this." + avg["key"]).replace("this.value", "this." + avg["value"])
    js = {"wordcount": {"map": wc_map, "reduce": SUM_REDUCE},
          "average": {"map": avg_map, "reduce": AVG_REDUCE, "finalize": AVG_FINALIZE}}
    jobs = {"wordcount": [("C++", aviary, "wordcount", {})], "average": [("C++", aviary, "average", avg)]}
    for name in jobs:
        jobs[name].append(("JavaScript", aviary, "javascript", js[name]))
        if before:
            jobs[name].append(("JavaScript (before)", before, "javascript", js[name]))
    rows = []
    try:
        for name, sides in jobs.items():
            times = {label: [] for label, _, _, _ in sides}
            outputs = {}
            for _ in range(args.runs):  # alternate the sides so load changes hit both alike
                for label, binary, job, params in sides:
                    out = os.path.join(args.dir, "out-%s-%s" % (name, label.replace(" ", "-")))
                    times[label].append(run(binary, job, params, data, out, args.workers))
                    outputs[label] = out
            results = [read_output(outputs[label]) for label, _, _, _ in sides]
            a = results[0]
            for b in results[1:]:
                same = a.keys() == b.keys() and all(
                    abs(float(a[k]) - float(b[k])) <= 1e-9 * max(1, abs(float(a[k]))) for k in a)
                if not same:
                    sys.exit("%s: the JavaScript and C++ results differ" % name)
            medians = {label: statistics.median(times[label]) for label in times}
            rows.append((name, medians, times, len(a)))
    finally:
        if cluster:
            cluster.down()
    labels = [label for label, _, _, _ in jobs["wordcount"]]
    print("\n| job | " + " | ".join(labels) + " | " + " | ".join("%s / C++ time" % l for l in labels[1:]) + " | keys |")
    print("|---|" + "---|" * (2 * len(labels)) + "")
    for name, medians, times, keys in rows:
        cells = ["%.2f s (%.0f docs/s)" % (medians[l], docs / medians[l]) for l in labels]
        ratios = ["%.2fx" % (medians[l] / medians["C++"]) for l in labels[1:]]
        print("| %s | %s | %s | %d |" % (name, " | ".join(cells), " | ".join(ratios), keys))
    print("\n(median of %d runs, %s, results checked equal)" %
          (args.runs, "aviary submit on a %d-shard local cluster" % args.shards if cluster
           else "aviary run --workers %d" % args.workers))
    for name, medians, times, keys in rows:
        print("%s runs: %s" % (name, "; ".join("%s %s" % (l, " ".join("%.2f" % t for t in times[l])) for l in labels)))


if __name__ == "__main__":
    main()
