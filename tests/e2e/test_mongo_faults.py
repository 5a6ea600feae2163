"""Faults on a MongoDB-backed cluster: a shard server killed while its map task reads it, a chunk
migrated while a job maps, a reduce attempt dying halfway through writing its result. The job must fail with a clear error (or retry and succeed) and never
leave a wrong result."""

import json
import os
import signal
import time
import unittest

from mongo_harness import MongoTestCase, pid_alive, reference_wordcount, run_cli, wait_for
from netns_harness import slowcount_plugin

# slowcount (slowcount_plugin.cc) is the built-in wordcount whose attempts pause first: with
# map_ms=1500 a map attempt holds its first batch of documents (the input reads 10000 a batch;
# each shard here holds more) while the test kills its shard server.
PAUSE_MS = 1500


def write_small_corpus(path, docs):
    """`docs` short JSON lines; returns them."""
    result = []
    with open(path, "w") as f:
        for i in range(docs):
            doc = {"_id": i, "text": f"w{i % 97} common {'odd' if i % 2 else 'even'}"}
            result.append(doc)
            f.write(json.dumps(doc) + "\n")
    return result


def map_running(cluster, job_id):
    status = cluster.job_status(job_id)
    return any(a.get("state") == "running" for t in status.get("tasks", []) if t["kind"] == "MAP"
               for a in t.get("attempts", []))


def final_status(cluster, job_id):
    status = cluster.job_status(job_id)
    return status if status["state"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None


class ShardServerKillTest(MongoTestCase):
    SHARDS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plugin = slowcount_plugin()

    def test_shard_server_killed_during_a_map_never_gives_a_wrong_result(self):
        corpus = self.path("kill.jsonl")
        docs = write_small_corpus(corpus, docs=26000)
        expected = reference_wordcount(docs)
        self.cluster.load(corpus, "test.kill", "_id", "--hashed")
        # A first, complete result that a failed job must leave as it is.
        status, proc = self.cluster.run_job("wordcount", "test.kill", "out.kill")
        self.assertSucceeded(status, proc)
        self.assertCountsEqual(self.cluster.read_output("out.kill"), expected)

        proc = self.cluster.submit(self.plugin, "--input", self.cluster.ns_uri("test.kill"), "--output",
                                   self.cluster.ns_uri("out.kill"), "--max-attempts", "2", "--param",
                                   f"map_ms={PAUSE_MS}")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = proc.stdout.strip()
        wait_for(lambda: map_running(self.cluster, job_id), timeout=60, what="a running map attempt")
        time.sleep(0.5)  # the attempt holds its first batch and sleeps in its first Map call
        victim = self.cluster.shard("shard0")
        os.kill(victim["pid"], signal.SIGKILL)
        wait_for(lambda: not pid_alive(victim["pid"]), timeout=10, what="the shard server's death")

        try:
            final = wait_for(lambda: final_status(self.cluster, job_id), timeout=60, interval=0.2, what="the end of the job")
        except AssertionError:
            tasks = run_cli("status", job_id, "--coordinator", self.cluster.coordinator, "--tasks").stdout
            self.fail(f"job {job_id} did not end within 60 s after shard0's server was killed:\n{tasks}")
        print(f"\n  job {job_id} after the kill: {final['state']} {final.get('error', '')}")
        if final["state"] == "SUCCEEDED":
            self.assertCountsEqual(self.cluster.read_output("out.kill"), expected)
        else:
            self.assertEqual(final["state"], "FAILED", final)
            host = victim["uri"][len("mongodb://"):-1]
            self.assertRegex(final["error"], f"shard0|{host}", f"the error does not say which shard: {final['error']}")
            # The earlier result is untouched: no partial replace.
            self.assertCountsEqual(self.cluster.read_output("out.kill"), expected)



class ChunkMigrationTest(MongoTestCase):
    """A chunk migrated while a job maps (issue 15 item 8): the splits filtered ownership by the
    chunk table of planning time, so moved documents may be read twice or not at all. The job
    must fail before commit, saying so, and keep nothing; a job planned afterwards is exact."""

    SHARDS = 2

    def test_a_chunk_moved_during_the_map_phase_fails_the_job_before_commit(self):
        corpus = self.path("moving.jsonl")
        docs = write_small_corpus(corpus, docs=2000)
        self.cluster.load(corpus, "test.moving", "_id")  # range chunks on _id
        out = self.path("moving-out")
        proc = self.cluster.submit(slowcount_plugin(), "--input", self.cluster.ns_uri("test.moving"), "--output",
                                   "files:" + out, "--param", "map_ms=5000")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = proc.stdout.strip()
        wait_for(lambda: map_running(self.cluster, job_id), timeout=60, what="a running map attempt")
        self.assertEqual(self.cluster.job_status(job_id)["spec"]["input_layout"][:8], "4 chunks", "the planned layout")
        self.move_a_chunk("test.moving", "shard1", "shard0")

        final = wait_for(lambda: final_status(self.cluster, job_id), timeout=120, interval=0.2, what="the end of the job")
        self.assertEqual(final["state"], "FAILED", final)
        self.assertIn("the chunks of test.moving changed while the job read it", final["error"])
        self.assertIn("run the job again", final["error"])
        self.assertEqual(os.listdir(out) if os.path.exists(out) else [], [], "nothing of the result is kept")

        status, proc = self.cluster.run_job("wordcount", "test.moving", "out.moving")
        self.assertSucceeded(status, proc)
        self.assertCountsEqual(self.cluster.read_output("out.moving"), reference_wordcount(docs))

    def move_a_chunk(self, ns, source, target):
        """Moves one chunk of `ns` with numeric bounds from shard `source` to `target` as a
        migration does: documents copied, the chunk table updated, then the source's deleted."""
        db, coll = ns.split(".", 1)
        with self.cluster.client() as entry:
            meta = entry.config.collections.find_one({"_id": ns})
            chunk = next(c for c in entry.config.chunks.find({"uuid": meta["uuid"], "shard": source})
                         if all(isinstance(c[b]["_id"], int) for b in ("min", "max")))
            query = {"_id": {"$gte": chunk["min"]["_id"], "$lt": chunk["max"]["_id"]}}
            with self.cluster.shard_client(source) as src, self.cluster.shard_client(target) as dst:
                moving = list(src[db][coll].find(query))
                self.assertGreater(len(moving), 0)
                dst[db][coll].insert_many(moving)
                entry.config.chunks.update_one({"_id": chunk["_id"]}, {"$set": {"shard": target}})
                src[db][coll].delete_many(query)


class ReduceDeathTest(MongoTestCase):
    """Every reduce attempt writes straight into the job's one staged collection: an attempt that
    dies halfway leaves documents there that its retry writes again. Each key must still land
    exactly once, with the right count, and the commit must copy nothing."""

    SHARDS = 1

    def test_a_reduce_attempt_that_dies_while_writing_leaves_no_duplicate_and_loses_nothing(self):
        def word(n):  # letters only: the word count splits at everything else
            return "k" + "".join(chr(ord("a") + int(d)) for d in str(n))
        docs = [{"_id": i, "text": f"{word(i % 6000)} {word(i * 7 % 6000)} shared"} for i in range(12000)]
        self.cluster.load_docs(docs, self.path("dying.jsonl"), "test.dying", "_id")
        marker = self.path("died")
        status, proc = self.cluster.run_job(slowcount_plugin(), "test.dying", "out.dying", "--reduce-tasks", "2",
                                            "--param", "die_after=1500", "--param", f"marker={marker}")
        self.assertSucceeded(status, proc)
        self.assertTrue(os.path.exists(marker), "no reduce attempt died")
        reduces = [t for t in status["tasks"] if t["kind"] == "REDUCE"]
        died = [t for t in reduces if len(t["attempts"]) > 1]
        self.assertEqual(len(died), 1, reduces)
        self.assertNotEqual(died[0]["attempts"][0]["state"], "succeeded", died[0])
        self.assertCountsEqual(self.cluster.read_output("out.dying"), reference_wordcount(docs))
        with self.cluster.client() as c:
            self.assertEqual([n for n in c.out.list_collection_names() if n.startswith("aviary_tmp_")], [])


if __name__ == "__main__":
    unittest.main()
