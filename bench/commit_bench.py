#!/usr/bin/env python3
"""How long a job writing its result to MongoDB takes from its last reduce's end to its commit's end.

Brings up a local sharded cluster (`aviary cluster up`) per build, writes a files input with N
distinct words (each once, so the result has N documents), and runs `aviary submit wordcount
--output mongodb://ENTRY/bench.out_N`, in alternation between the builds, --runs times per size.
The job's own counters give the phases: reduce (first fetch to last reduce end) and commit (last
reduce end to the job's end). The first run of every size and build is checked: the target holds
exactly the N words, each with value 1.

    bench/commit_bench.py [--build build] [--before OTHER_BUILD] [--sizes 10000,100000,1000000]
                          [--runs 3] [--shards 2] [--dir /tmp/aviary-commit-bench]

--before takes a build directory or a copy of one's bin/ and lib/ (the binaries link statically).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

import pymongo


def word(i):
    """The i-th distinct word: letters only, as the word count's tokenizer splits."""
    letters = []
    while True:
        letters.append(chr(ord("a") + i % 26))
        i //= 26
        if i == 0:
            return "w" + "".join(letters)


def make_input(path, n, files=4):
    os.makedirs(path, exist_ok=True)
    outs = [open(os.path.join(path, f"part-{k}"), "w") for k in range(files)]
    for i in range(n):
        outs[i % files].write(word(i) + "\n")
    for f in outs:
        f.close()


class Cluster:
    def __init__(self, label, build, root, shards):
        self.label, self.aviary = label, os.path.join(build, "bin", "aviary")
        self.dir = os.path.join(root, "cluster-" + label)
        subprocess.run([self.aviary, "cluster", "down", "--dir", self.dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        subprocess.run([self.aviary, "cluster", "up", "--shards", str(shards), "--dir", self.dir], check=True,
                       capture_output=True)
        status = json.loads(subprocess.run([self.aviary, "cluster", "status", "--dir", self.dir, "--json"],
                                           capture_output=True, text=True, check=True).stdout)
        self.entry = status["entry"].rstrip("/")
        self.coordinator = ",".join(c["address"] for c in status["coordinators"])

    def down(self):
        subprocess.run([self.aviary, "cluster", "down", "--dir", self.dir], capture_output=True)

    def run(self, inputs, n):
        out = f"{self.entry}/bench.out_{n}"
        r = subprocess.run([self.aviary, "submit", "wordcount", "--coordinator", self.coordinator, "--input",
                            f"files:{inputs}/part-*", "--output", out, "--wait", "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{self.label}: job failed: {r.stderr[-2000:]}")
        doc = json.loads(r.stdout)
        counts = doc["counts"]
        return {"reduce_s": int(counts["reduce_millis"]) / 1000, "commit_s": int(counts["commit_millis"]) / 1000,
                "job_s": int(counts["time_millis"]) / 1000, "output": int(doc["output_records"])}

    def check(self, n):
        coll = pymongo.MongoClient(self.entry + "/")["bench"][f"out_{n}"]
        seen = 0
        for d in coll.find({}, batch_size=10000):
            if d["value"] != 1:
                return False
            seen += 1
        return seen == n and coll.find_one({"_id": word(n - 1)}) is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--before")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/aviary-commit-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    builds = [("after", args.build)] + ([("before", args.before)] if args.before else [])
    clusters = []
    try:
        for label, build in builds:
            clusters.append(Cluster(label, build, args.dir, args.shards))
        rows = []
        for n in [int(float(s)) for s in args.sizes.split(",")]:
            inputs = os.path.join(args.dir, f"words-{n}")
            if not os.path.isdir(inputs):
                make_input(inputs, n)
            results = {c.label: [] for c in clusters}
            for run in range(args.runs):
                order = clusters if run % 2 == 0 else clusters[::-1]
                for c in order:
                    r = c.run(inputs, n)
                    if run == 0:
                        r["checked"] = c.check(n)
                    results[c.label].append(r)
                    print(f"{n:>9} {c.label:>6} run {run}: reduce {r['reduce_s']:7.2f} s  commit {r['commit_s']:7.2f} s"
                          f"  job {r['job_s']:7.2f} s", file=sys.stderr, flush=True)
            for c in clusters:
                rs = results[c.label]
                rows.append({"documents": n, "build": c.label, "runs": len(rs),
                             "reduce_s": statistics.median(r["reduce_s"] for r in rs),
                             "commit_s": statistics.median(r["commit_s"] for r in rs),
                             "job_s": statistics.median(r["job_s"] for r in rs),
                             "checked": rs[0].get("checked")})
        print("| result documents | build | reduce (s) | commit: last reduce end to job end (s) | job (s) | output checked |")
        print("|---:|---|---:|---:|---:|---|")
        for r in rows:
            print(f"| {r['documents']:,} | {r['build']} | {r['reduce_s']:.2f} | {r['commit_s']:.2f} | {r['job_s']:.2f} |"
                  f" {'yes' if r['checked'] else 'NO'} |")
        print(json.dumps(rows), file=sys.stderr)
        if not all(r["checked"] for r in rows):
            sys.exit(1)
    finally:
        for c in clusters:
            c.down()


if __name__ == "__main__":
    main()
