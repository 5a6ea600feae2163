"""Helpers for the MongoDB end-to-end tests: a local sharded cluster per test class, brought up with
`aviary cluster up` in a temporary directory and stopped with `aviary cluster down` at the end;
pymongo clients of its entry and of each shard; corpora; and reference results computed without
Aviary (word counts in Python, MongoDB's hashed shard key function re-implemented from its
definition).

pymongo comes from Debian's python3-pymongo, which only loads under /usr/bin/python3."""

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import time
import unittest
from collections import Counter

import pymongo

from harness import AVIARY, BUILD, run_cli

SHARD_SERVER = os.path.join(BUILD, "bin", "aviary-shardserver")
WORD = re.compile(r"[A-Za-z]+")


def write_corpus(path, docs=3000, parts=2):
    """Writes `docs` JSON lines {_id, text, author, part, n} built from the license texts found on
    every Debian machine; returns the documents."""
    lines = []
    for name in sorted(os.listdir("/usr/share/common-licenses")):
        full = os.path.join("/usr/share/common-licenses", name)
        if os.path.isfile(full):
            with open(full, errors="replace") as f:
                lines.extend(l.strip() for l in f if l.strip())
        if len(lines) >= docs:
            break
    assert len(lines) >= docs, f"only {len(lines)} lines of license text on this machine"
    result = []
    with open(path, "w") as f:
        for i in range(docs):
            doc = {"_id": i, "text": lines[i], "author": f"author-{(i * 7919) % 101:03d}", "part": i % parts, "n": i}
            result.append(doc)
            f.write(json.dumps(doc) + "\n")
    return result


def reference_wordcount(docs, field="text"):
    counts = Counter()
    for doc in docs:
        counts.update(WORD.findall(doc.get(field, "")))
    return dict(counts)


def mongo_hash(value):
    """MongoDB's hashed index value (BSONElementHasher::hash64, seed 0) of an int or a str: MD5 over
    the seed, the canonical type and the value (numbers as int64); the digest's first 8 bytes as a
    little-endian int64."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"mongo_hash handles int and str, not {type(value).__name__}")
    if isinstance(value, int):
        canonical, payload = 10, struct.pack("<q", value)
    else:
        raw = value.encode()
        canonical, payload = 15, struct.pack("<i", len(raw) + 1) + raw + b"\0"
    digest = hashlib.md5(struct.pack("<i", 0) + struct.pack("<i", canonical) + payload).digest()
    return struct.unpack("<q", digest[:8])[0]


def is_min_key(bound):
    return bound == {"aviary": "minKey"}


def is_max_key(bound):
    return bound == {"aviary": "maxKey"}


class LocalCluster:
    """A cluster started with `aviary cluster up` in `directory`."""

    def __init__(self, directory, shards=3, extra=()):
        self.dir = directory
        self.shards = shards
        self.up(*extra)

    def up(self, *extra):
        proc = run_cli("cluster", "up", "--shards", self.shards, "--dir", self.dir, *extra, timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"aviary cluster up failed ({proc.returncode}): {proc.stderr}\n{self.log_tails()}")
        self.entry = proc.stdout.strip()
        self.status = self.read_status(expect=0)
        return proc

    def down(self):
        return run_cli("cluster", "down", "--dir", self.dir, timeout=60, check=0)

    def read_status(self, expect=None):
        proc = run_cli("cluster", "status", "--dir", self.dir, "--json", timeout=60, check=expect)
        return json.loads(proc.stdout)

    @property
    def coordinator(self):
        # Every coordinator, as workers and clients take them: whichever is active answers.
        return ",".join(c["address"] for c in self.status["coordinators"])

    def shard(self, name):
        return next(s for s in self.status["shards"] if s["name"] == name)

    def client(self, uri=None):
        # "standard": UUIDs as MongoDB stores them (binary subtype 4), also in queries.
        return pymongo.MongoClient(uri or self.entry, serverSelectionTimeoutMS=5000, uuidRepresentation="standard")

    def shard_client(self, name):
        return self.client(self.shard(name)["uri"])

    def ns_uri(self, ns):
        return self.entry + ns

    def load_docs(self, docs, path, ns, key, *extra):
        """Writes `docs` to `path` as JSON lines and loads them into `ns`."""
        with open(path, "w") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        return self.load(path, ns, key, *extra)

    def load(self, path, ns, key, *extra, check=0):
        return run_cli("load", "--input", path, "--into", self.ns_uri(ns), "--shard-key", key, *extra, check=check,
                       timeout=120)

    def submit(self, job, *args, timeout=300):
        return run_cli("submit", job, "--coordinator", self.coordinator, *args, timeout=timeout)

    def run_job(self, job, input_ns, output_ns, *args):
        """Submits and waits; returns the final job status (JSON) and the CompletedProcess."""
        proc = self.submit(job, "--input", self.ns_uri(input_ns), "--output", self.ns_uri(output_ns), "--wait", "--json",
                           *args)
        try:
            status = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"no job status (exit {proc.returncode}): {proc.stderr}\n{self.log_tails()}")
        return status, proc

    def job_status(self, job_id):
        proc = run_cli("status", job_id, "--coordinator", self.coordinator, "--json", check=0)
        return json.loads(proc.stdout)

    def read_output(self, ns):
        db, coll = ns.split(".", 1)
        with self.client() as c:
            docs = list(c[db][coll].find())
        result = {}
        for d in docs:
            assert d["_id"] not in result, f"duplicate key {d['_id']!r} in {ns}"
            assert set(d) == {"_id", "value"}, f"output document {d} is not {{_id, value}}"
            result[d["_id"]] = d["value"]
        return result

    def log_tails(self, lines=5):
        out = []
        logs = os.path.join(self.dir, "logs")
        for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
            with open(os.path.join(logs, name), errors="replace") as f:
                tail = f.readlines()[-lines:]
            out.append(f"--- {name}\n" + "".join(tail))
        return "\n".join(out)


class MongoTestCase(unittest.TestCase):
    """One local cluster of SHARDS shards for the whole class."""

    SHARDS = 3
    maxDiff = 2000

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SHARD_SERVER):
            raise AssertionError(f"{SHARD_SERVER} is missing: build it with scripts/build_shardserver.sh")
        cls.root = tempfile.mkdtemp(prefix=f"aviary-{cls.__name__}-")
        try:
            cls.cluster = LocalCluster(os.path.join(cls.root, "cluster"), shards=cls.SHARDS)
        except BaseException:
            run_cli("cluster", "down", "--dir", os.path.join(cls.root, "cluster"), timeout=60)
            shutil.rmtree(cls.root, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.down()
        if os.environ.get("AVIARY_KEEP_TEST_DIRS"):
            print("kept", cls.root)
        else:
            shutil.rmtree(cls.root, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.root, name)

    def assertCountsEqual(self, got, expected):
        missing = set(expected) - set(got)
        extra = set(got) - set(expected)
        self.assertFalse(missing, f"{len(missing)} keys missing, e.g. {sorted(missing)[:5]}")
        self.assertFalse(extra, f"{len(extra)} unexpected keys, e.g. {sorted(extra)[:5]}")
        wrong = [k for k in expected if got[k] != expected[k]]
        self.assertFalse(wrong, f"{len(wrong)} wrong values, e.g. {[(k, got[k], expected[k]) for k in wrong[:5]]}")

    def assertSucceeded(self, status, proc):
        self.assertEqual(status.get("state"), "SUCCEEDED",
                         f"job failed: {status.get('error')}\n{proc.stderr}\n{self.cluster.log_tails()}")
        self.assertEqual(proc.returncode, 0, proc.stderr)


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout} s")


def pid_alive(pid):
    """True when `pid` runs and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


__all__ = ["AVIARY", "LocalCluster", "MongoTestCase", "mongo_hash", "pid_alive", "reference_wordcount", "run_cli",
           "wait_for", "write_corpus", "is_min_key", "is_max_key"]
