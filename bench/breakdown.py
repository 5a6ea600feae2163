#!/usr/bin/env python3
"""Where the wall time of one `aviary run` goes, phase by phase (docs/performance.md, "Fixed costs").

usage: bench/breakdown.py --aviary build-bench/bin/aviary --input 'files:DIR/part-*' [--runs 5]
                          [--workers 2] [--job wordcount]

Runs the job --runs times after one warm-up (so the page cache holds the input) and prints the
median of each phase, from the timestamps the job report gives (`--json`) and the two this
script takes around the process:

  start-up       exec of `aviary run` until the job is submitted (private cluster start)
  to first task  submission until the first map attempt starts
  map waves      first map start until the last map end; split into the attempts' CPU time
                 (per slot, summed over the waves) and the rest (task process start-up, reads,
                 waiting for a slot)
  hand-over gaps between one attempt's end and the next one's start on the same worker
  to reduce      last map end until the first reduce start
  reduce         first reduce start until the last reduce end
  commit         last reduce end until the job's end
  exit           the job's end until the process has exited (report, cluster shutdown)
"""
import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time


def one_run(args, out):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.aviary, "run", args.job, "--input", args.input, "--output", f"files:{out}",
           "--workers", str(args.workers), "--json", "--http", ""]
    t0 = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    t1 = time.time()
    return t0, t1, json.loads(done.stdout)


def phases(t0, t1, job):
    # Carried splits' attempts stand for the carrier's reading (docs/architecture.md, "Carried
    # splits"): only the attempts that ran a process count.
    attempts = [(t["kind"], a) for t in job["tasks"] for a in t["attempts"]
                if a["state"] == "succeeded" and not a.get("carried")]
    maps = [a for k, a in attempts if k == "MAP"]
    reduces = [a for k, a in attempts if k == "REDUCE"]
    submit, end = job["submit_unix"], job["end_unix"]
    map_start = min(a["start_unix"] for a in maps)
    map_end = max(a["end_unix"] for a in maps)
    red_start = min(a["start_unix"] for a in reduces)
    red_end = max(a["end_unix"] for a in reduces)
    slots = max(1, len({a["worker_id"] for a in maps}))
    map_cpu = sum(float(a["counters"].get("cpu_seconds", 0)) for a in maps) / slots
    gaps = []
    by_worker = {}
    for _, a in attempts:
        by_worker.setdefault(a["worker_id"], []).append(a)
    for runs in by_worker.values():
        runs.sort(key=lambda a: a["start_unix"])
        gaps += [b["start_unix"] - a["end_unix"] for a, b in zip(runs, runs[1:])]
    return {
        "total": t1 - t0,
        "start-up": submit - t0,
        "to first task": map_start - submit,
        "map waves": map_end - map_start,
        "  of which map CPU per slot": map_cpu,
        "  of which the rest": (map_end - map_start) - map_cpu,
        "hand-over gap (mean)": statistics.mean(gaps) if gaps else 0.0,
        "to reduce": red_start - map_end,
        "reduce": red_end - red_start,
        "commit": end - red_end,
        "exit": t1 - end,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--aviary", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--job", default="wordcount")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/out"
        one_run(args, out)  # warm-up: the input in the page cache, the binary's pages loaded
        rows = [phases(*one_run(args, out)) for _ in range(args.runs)]
    print(f"| phase | median of {args.runs} (s) | min | max |")
    print("|---|---|---|---|")
    for name in rows[0]:
        values = [r[name] for r in rows]
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")


if __name__ == "__main__":
    main()
