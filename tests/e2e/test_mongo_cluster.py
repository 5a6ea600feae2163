"""The local cluster's life cycle (`aviary cluster up|down|status`) and the loader (`aviary load`):
where documents land, the metadata they are recorded with, input formats and errors."""

import json
import os
import signal
import unittest

import bson

from mongo_harness import (MongoTestCase, is_max_key, is_min_key, mongo_hash, pid_alive, run_cli,
                           write_corpus)


class LifecycleTest(MongoTestCase):
    SHARDS = 2

    def test_up_on_a_running_cluster_fails_clearly(self):
        proc = run_cli("cluster", "up", "--dir", self.cluster.dir)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("already running in " + os.path.realpath(self.cluster.dir), proc.stderr)
        self.assertIn("aviary cluster down --dir", proc.stderr)
        self.assertTrue(self.cluster.read_status(expect=0)["running"])  # untouched

    def test_down_then_up_keeps_the_data(self):
        corpus = self.path("keep.jsonl")
        docs = write_corpus(corpus, docs=500)
        self.cluster.load(corpus, "test.keep", "_id", "--hashed")
        before = {s["name"]: self.count_on(s["name"], "keep") for s in self.cluster.status["shards"]}
        self.assertEqual(sum(before.values()), len(docs))
        pids = [p["pid"] for p in self.all_processes(self.cluster.status)]

        down = self.cluster.down()
        self.assertIn(f"stopped {len(pids)} processes", down.stdout)
        for pid in pids:
            self.assertFalse(pid_alive(pid), f"pid {pid} still runs after cluster down")
        stopped = self.cluster.read_status(expect=3)
        self.assertFalse(stopped["running"])
        self.assertTrue(all(not p["alive"] for p in self.all_processes(stopped)))
        again = run_cli("cluster", "down", "--dir", self.cluster.dir, check=0)
        self.assertIn("was running", again.stdout)

        self.cluster.up()
        self.assertTrue(self.cluster.status["running"])
        after = {s["name"]: self.count_on(s["name"], "keep") for s in self.cluster.status["shards"]}
        self.assertEqual(after, before)
        with self.cluster.client() as c:
            self.assertEqual(c.config.collections.count_documents({"_id": "test.keep"}), 1)
            hosts = {d["_id"]: d["host"] for d in c.config.shards.find()}
        self.assertEqual(hosts, {s["name"]: s["uri"][len("mongodb://"):-1] for s in self.cluster.status["shards"]})

    def test_a_crashed_process_shows_in_status(self):
        worker = self.cluster.status["workers"][1]
        os.kill(worker["pid"], signal.SIGKILL)
        status = self.cluster.read_status(expect=3)
        self.assertFalse(status["running"])
        self.assertFalse(status["workers"][1]["alive"])
        # A degraded cluster is stopped and started again as a whole.
        self.cluster.down()
        self.cluster.up()
        self.assertTrue(self.cluster.status["running"])

    def count_on(self, shard, coll):
        with self.cluster.shard_client(shard) as c:
            return c.test[coll].count_documents({})

    @staticmethod
    def all_processes(status):
        return ([status["config_server"], status["gateway_process"]] + status["shards"] + status["coordinators"] +
                status["workers"])


class LoadTest(MongoTestCase):
    SHARDS = 3

    def chunks_of(self, ns):
        with self.cluster.client() as c:
            coll = c.config.collections.find_one({"_id": ns})
            self.assertIsNotNone(coll, f"{ns} not in config.collections")
            return coll, list(c.config.chunks.find({"uuid": coll["uuid"]}))

    def docs_by_shard(self, coll):
        found = {}
        for s in self.cluster.status["shards"]:
            with self.cluster.shard_client(s["name"]) as c:
                found[s["name"]] = list(c.test[coll].find())
        return found

    def test_hashed_load_places_each_document_on_the_owner_of_its_hash(self):
        corpus = self.path("hashed.jsonl")
        docs = write_corpus(corpus, docs=600)
        proc = self.cluster.load(corpus, "test.h", "_id", "--hashed")
        self.assertIn("loaded 600 documents", proc.stdout)
        coll, chunks = self.chunks_of("test.h")
        self.assertEqual(coll["key"], {"_id": "hashed"})
        self.assertFalse(coll["unique"])
        self.assertEqual(len(chunks), 6)  # 2 per shard, as MongoDB's initial split
        self.assertEqual(sorted(c["shard"] for c in chunks), ["shard0", "shard0", "shard1", "shard1", "shard2", "shard2"])
        bounds = sorted((c["min"]["_id"] for c in chunks if not is_min_key(c["min"]["_id"])))
        self.assertEqual(bounds, [-6148914691236517204, -3074457345618258602, 0, 3074457345618258602,
                                  6148914691236517204])

        def owner(h):
            for c in chunks:
                lo, hi = c["min"]["_id"], c["max"]["_id"]
                if (is_min_key(lo) or lo <= h) and (is_max_key(hi) or h < hi):
                    return c["shard"]
            raise AssertionError(f"no chunk holds {h}")

        placed = self.docs_by_shard("h")
        self.assertEqual(sum(len(v) for v in placed.values()), len(docs))
        for shard, shard_docs in placed.items():
            for d in shard_docs:
                self.assertEqual(owner(mongo_hash(d["_id"])), shard, f"document {d['_id']} is on the wrong shard")

    def test_ranged_load_cuts_contiguous_ranges_and_missing_keys_are_null(self):
        path = self.path("ranged.jsonl")
        with open(path, "w") as f:
            for i in range(300):
                f.write(json.dumps({"_id": i, "k": f"key-{i:04d}"}) + "\n")
            f.write(json.dumps({"_id": "no-key"}) + "\n")  # no k: its key is null, below every string
        self.cluster.load(path, "test.r", "k", "--chunks", "4")
        coll, chunks = self.chunks_of("test.r")
        self.assertEqual(coll["key"], {"k": 1})
        chunks.sort(key=lambda c: (not is_min_key(c["min"]["k"]), c["min"]["k"] if isinstance(c["min"]["k"], str) else ""))
        self.assertTrue(is_min_key(chunks[0]["min"]["k"]))
        self.assertTrue(is_max_key(chunks[-1]["max"]["k"]))
        for a, b in zip(chunks, chunks[1:]):
            self.assertEqual(a["max"], b["min"], "chunks must be contiguous")
        self.assertEqual([c["shard"] for c in chunks], ["shard0", "shard1", "shard2", "shard0"])
        placed = self.docs_by_shard("r")
        where = {d["_id"]: shard for shard, ds in placed.items() for d in ds}
        self.assertEqual(len(where), 301)
        self.assertEqual(where["no-key"], chunks[0]["shard"])
        for c in chunks:
            lo, hi = c["min"]["k"], c["max"]["k"]
            for i in range(300):
                k = f"key-{i:04d}"
                if (is_min_key(lo) or lo <= k) and (is_max_key(hi) or k < hi):
                    self.assertEqual(where[i], c["shard"], f"{k} is on the wrong shard")

    def test_loading_again_replaces_the_earlier_load(self):
        corpus = self.path("again.jsonl")
        write_corpus(corpus, docs=300)
        self.cluster.load(corpus, "test.again", "author")
        _, old_chunks = self.chunks_of("test.again")
        write_corpus(corpus, docs=200)
        proc = self.cluster.load(corpus, "test.again", "_id", "--hashed", "--chunks", "3")
        self.assertIn("replacing the earlier load", proc.stdout)
        coll, chunks = self.chunks_of("test.again")
        self.assertEqual(coll["key"], {"_id": "hashed"})
        self.assertEqual(len(chunks), 3)
        with self.cluster.client() as c:
            self.assertEqual(c.config.chunks.count_documents({"_id": {"$in": [ch["_id"] for ch in old_chunks]}}), 0)
            self.assertEqual(c.config.collections.count_documents({"_id": "test.again"}), 1)
        self.assertEqual(sum(len(v) for v in self.docs_by_shard("again").values()), 200)

    def test_bson_and_text_inputs(self):
        dump = self.path("dump.bson")
        with open(dump, "wb") as f:
            for i in range(50):
                f.write(bson.encode({"_id": i, "text": f"word{i} common"}))
        self.cluster.load(dump, "test.fromdump", "_id", "--hashed")
        text = self.path("lines.txt")
        with open(text, "w") as f:
            f.write("first line\nsecond line\n\nfourth\n")
        self.cluster.load(text, "test.fromtext", "_id")
        placed = self.docs_by_shard("fromdump")
        self.assertEqual(sorted(d["_id"] for ds in placed.values() for d in ds), list(range(50)))
        lines = sorted((d["_id"], d["text"]) for ds in self.docs_by_shard("fromtext").values() for d in ds)
        self.assertEqual(lines, [(1, "first line"), (2, "second line"), (3, ""), (4, "fourth")])

    def test_errors_say_what_and_where(self):
        bad = self.path("bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"_id": 1}\n{"_id": 2}\n{"_id": \n')
        proc = self.cluster.load(bad, "test.bad", "_id", check=2)
        self.assertIn(f"{bad}:3: ", proc.stderr)

        arrays = self.path("arrays.jsonl")
        with open(arrays, "w") as f:
            f.write('{"_id": 1, "tags": ["a"]}\n')
        proc = self.cluster.load(arrays, "test.arrays", "tags", check=2)
        self.assertIn(f"{arrays}:1", proc.stderr)
        self.assertIn("array", proc.stderr)

        ok = self.path("ok.jsonl")
        write_corpus(ok, docs=10)
        shard0 = self.cluster.status["shards"][0]["uri"]
        proc = run_cli("load", "--input", ok, "--into", shard0 + "test.x", "--shard-key", "_id", check=2)
        host = shard0[len("mongodb://"):-1]
        self.assertIn(f"no shards registered at {host} (is it the entry of an aviary cluster?)", proc.stderr)

        proc = run_cli("load", "--input", ok, "--into", self.cluster.entry + "test.x", "--shard-key", "a.b", check=2)
        self.assertIn("top-level", proc.stderr)
        proc = run_cli("load", "--input", self.path("missing.jsonl"), "--into", self.cluster.entry + "test.x",
                       "--shard-key", "_id", check=2)
        self.assertIn("missing.jsonl", proc.stderr)
        proc = run_cli("load", "--input", ok, "--into", "mongodb://127.0.0.1:1/test.x", "--shard-key", "_id",
                       check=3, timeout=60)
        self.assertIn("127.0.0.1:1", proc.stderr)


if __name__ == "__main__":
    unittest.main()
