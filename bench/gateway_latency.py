#!/usr/bin/python3
"""Relay latency of `aviary gateway`: a find of one document by _id, through the gateway and
against the upstream directly, on a fresh 1-shard local cluster (upstream: its shard server).
Prints median and p99 of each and the difference. Not a test: numbers depend on the machine.

    /usr/bin/python3 bench/gateway_latency.py [--requests 5000]"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))

import pymongo  # noqa: E402

from gateway_harness import Gateway  # noqa: E402
from mongo_harness import LocalCluster  # noqa: E402
from harness import run_cli  # noqa: E402


def measure(client, n):
    coll = client.bench.one
    for _ in range(200):  # warm up connections and caches
        coll.find_one({"_id": 1})
    times = []
    for _ in range(n):
        t = time.perf_counter()
        coll.find_one({"_id": 1})
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.99) - 1] * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="aviary-gateway-bench-")
    cluster = LocalCluster(os.path.join(root, "cluster"), shards=1)
    try:
        upstream = cluster.status["shards"][0]["uri"]
        coordinator = ",".join(c["address"] for c in cluster.status["coordinators"])
        gateway = Gateway(upstream, coordinator)
        try:
            direct = pymongo.MongoClient(upstream)
            via = pymongo.MongoClient(gateway.uri)
            direct.bench.one.replace_one({"_id": 1}, {"_id": 1, "text": "hello"}, upsert=True)
            rows = []
            for name, client in (("direct", direct), ("gateway", via), ("direct", direct), ("gateway", via)):
                rows.append((name, *measure(client, args.requests)))
            for name, median, p99 in rows:
                print(f"{name:8s} find_one by _id  median {median:8.1f} us   p99 {p99:8.1f} us   ({args.requests} requests)")
            # The better of two rounds each, so that a burst of load on a shared machine counts less.
            med = {n: min(r[1] for r in rows if r[0] == n) for n in ("direct", "gateway")}
            p99 = {n: min(r[2] for r in rows if r[0] == n) for n in ("direct", "gateway")}
            print(f"added by the gateway: median {med['gateway'] - med['direct']:.1f} us, "
                  f"p99 {p99['gateway'] - p99['direct']:.1f} us")
        finally:
            gateway.stop()
    finally:
        run_cli("cluster", "down", "--dir", cluster.dir, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
