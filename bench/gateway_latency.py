#!/usr/bin/python3
"""Latency of `aviary gateway`: a find of one document by _id, through the gateway and against
the server directly. Prints median and p99 of each and the difference. Not a test: numbers
depend on the machine.

Relay (default): a fresh 1-shard local cluster; the gateway relays to its shard server.
--routed: a fresh 2-shard local cluster's own gateway (routing by chunks) on a collection
sharded by _id, against the shard that owns the document.

    /usr/bin/python3 bench/gateway_latency.py [--requests 5000] [--routed [--docs 200]]"""

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


def measure(coll, n, _id=1):
    for _ in range(min(200, n)):  # warm up connections and caches
        coll.find_one({"_id": _id})
    times = []
    for _ in range(n):
        t = time.perf_counter()
        coll.find_one({"_id": _id})
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.99) - 1] * 1e6


def report(pairs, n):
    """pairs: (name, collection, _id) measured twice each, interleaved."""
    rows = []
    for name, coll, _id in pairs * 2:
        rows.append((name, *measure(coll, n, _id)))
    for name, median, p99 in rows:
        print(f"{name:8s} find_one by _id  median {median:10.1f} us   p99 {p99:10.1f} us   ({n} requests)")
    # The better of two rounds each, so that a burst of load on a shared machine counts less.
    names = [p[0] for p in pairs]
    med = {n: min(r[1] for r in rows if r[0] == n) for n in names}
    p99 = {n: min(r[2] for r in rows if r[0] == n) for n in names}
    a, b = names
    print(f"added by the gateway: median {med[b] - med[a]:.1f} us, p99 {p99[b] - p99[a]:.1f} us")


def routed(args):
    root = tempfile.mkdtemp(prefix="aviary-gateway-bench-")
    cluster = LocalCluster(os.path.join(root, "cluster"), shards=2)
    try:
        docs = [{"_id": i, "text": f"document {i}"} for i in range(args.docs)]
        cluster.load_docs(docs, os.path.join(root, "docs.jsonl"), "bench.sharded", "_id")
        target = args.docs // 3
        owner = None
        for s in cluster.status["shards"]:
            with cluster.shard_client(s["name"]) as c:
                if c.bench.sharded.find_one({"_id": target}) is not None:
                    owner = s["uri"]
        direct = pymongo.MongoClient(owner)
        via = pymongo.MongoClient(cluster.status["gateway"])
        assert via.bench.sharded.find_one({"_id": target}) == direct.bench.sharded.find_one({"_id": target})
        print(f"2 shards, {args.docs} documents sharded by _id; the owning shard direct vs the cluster's gateway")
        report([("direct", direct.bench.sharded, target), ("gateway", via.bench.sharded, target)], args.requests)
    finally:
        run_cli("cluster", "down", "--dir", cluster.dir, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--routed", action="store_true")
    parser.add_argument("--docs", type=int, default=200)
    args = parser.parse_args()
    if args.routed:
        return routed(args)
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
            report([("direct", direct.bench.one, 1), ("gateway", via.bench.one, 1)], args.requests)
        finally:
            gateway.stop()
    finally:
        run_cli("cluster", "down", "--dir", cluster.dir, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
