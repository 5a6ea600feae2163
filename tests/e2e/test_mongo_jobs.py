"""Jobs over sharded collections of a local 3-shard cluster: results equal an independent Python
count; data-local reads; orphans skipped; MongoDB's out modes (replace, merge, reduce); --query."""

import json
import unittest

from mongo_harness import MongoTestCase, reference_wordcount, run_cli, write_corpus


class MongoJobsTest(MongoTestCase):
    SHARDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.corpus = cls.root + "/corpus.jsonl"
        cls.docs = write_corpus(cls.corpus, docs=3000, parts=2)
        cls.cluster.load(cls.corpus, "test.hashed", "_id", "--hashed")
        cls.cluster.load(cls.corpus, "test.ranged", "author", "--chunks", "5")

    def assertLocal(self, status, documents, orphans=0):
        shards = status["shards"]
        self.assertEqual(sorted(s["shard"] for s in shards), ["shard0", "shard1", "shard2"])
        self.assertEqual(sum(int(s["documents_read"]) for s in shards), documents)
        self.assertEqual(sum(int(s["orphans_skipped"]) for s in shards), orphans)
        for s in shards:
            self.assertTrue(s["all_local"], f"{s['shard']} was read remotely: {s}")

    def test_wordcount_over_hashed_key_equals_reference(self):
        status, proc = self.cluster.run_job("wordcount", "test.hashed", "out.hashed_wc")
        self.assertSucceeded(status, proc)
        self.assertCountsEqual(self.cluster.read_output("out.hashed_wc"), reference_wordcount(self.docs))
        self.assertLocal(status, len(self.docs))
        # FerretDB has no snapshot reads: the status says the shards were read at their own times.
        note = status["spec"]["input_consistency"]
        self.assertRegex(note, r"^no single point in time: each source is read at its own time, because shard shard\d "
                               r"ignored readConcern \"snapshot\"")
        text = run_cli("status", status["job_id"], "--coordinator", self.cluster.coordinator, check=0).stdout
        self.assertIn("input read at: " + note, text)

    def test_wordcount_over_ranged_key_equals_reference(self):
        status, proc = self.cluster.run_job("wordcount", "test.ranged", "out.ranged_wc")
        self.assertSucceeded(status, proc)
        self.assertCountsEqual(self.cluster.read_output("out.ranged_wc"), reference_wordcount(self.docs))
        self.assertLocal(status, len(self.docs))

    def test_orphans_planted_on_other_shards_change_nothing(self):
        self.cluster.load(self.corpus, "test.orphans", "_id", "--hashed")
        planted = 0
        names = ["shard0", "shard1", "shard2"]
        for i, owner in enumerate(names):
            other = names[(i + 1) % len(names)]
            with self.cluster.shard_client(owner) as src, self.cluster.shard_client(other) as dst:
                copies = list(src.test.orphans.find().limit(40 + 10 * i))
                dst.test.orphans.insert_many(copies)  # same _id: a copy left behind by a migration
                planted += len(copies)
        status, proc = self.cluster.run_job("wordcount", "test.orphans", "out.orphans_wc")
        self.assertSucceeded(status, proc)
        self.assertCountsEqual(self.cluster.read_output("out.orphans_wc"), reference_wordcount(self.docs))
        self.assertLocal(status, len(self.docs), orphans=planted)
        again = self.cluster.job_status(status["job_id"])  # `aviary status JOB --json` says the same
        self.assertEqual(sum(int(s["orphans_skipped"]) for s in again["shards"]), planted)

    def test_query_filters_the_input(self):
        status, proc = self.cluster.run_job("wordcount", "test.hashed", "out.query_wc", "--query", '{"part": 1}')
        self.assertSucceeded(status, proc)
        part1 = [d for d in self.docs if d["part"] == 1]
        self.assertCountsEqual(self.cluster.read_output("out.query_wc"), reference_wordcount(part1))

    def test_replace_drops_what_was_there(self):
        with self.cluster.client() as c:
            c.out.replace_wc.insert_many([{"_id": "stale-key", "value": 1}, {"_id": "the", "value": -1}])
        status, proc = self.cluster.run_job("wordcount", "test.hashed", "out.replace_wc", "--out-mode", "replace")
        self.assertSucceeded(status, proc)
        self.assertCountsEqual(self.cluster.read_output("out.replace_wc"), reference_wordcount(self.docs))

    def test_merge_overwrites_same_keys_and_keeps_others(self):
        with self.cluster.client() as c:
            c.out.merge_wc.insert_many([{"_id": "unrelated-key", "value": 5}, {"_id": "the", "value": -1}])
        status, proc = self.cluster.run_job("wordcount", "test.hashed", "out.merge_wc", "--out-mode", "merge")
        self.assertSucceeded(status, proc)
        expected = reference_wordcount(self.docs)
        expected["unrelated-key"] = 5
        self.assertCountsEqual(self.cluster.read_output("out.merge_wc"), expected)

    def test_reduce_mode_adds_up_incrementally(self):
        # As MongoDB's mr_reduce test: a first run, then a second over new data with out: reduce;
        # the counts of words in both add up, documents of keys not seen again stay as they were.
        with self.cluster.client() as c:
            c.out.reduce_wc.insert_one({"_id": "unrelated-key", "value": 5})
        part0 = [d for d in self.docs if d["part"] == 0]
        status, proc = self.cluster.run_job("wordcount", "test.hashed", "out.reduce_wc", "--query", '{"part": 0}',
                                            "--out-mode", "reduce")
        self.assertSucceeded(status, proc)
        first = reference_wordcount(part0)
        first["unrelated-key"] = 5
        self.assertCountsEqual(self.cluster.read_output("out.reduce_wc"), first)
        status, proc = self.cluster.run_job("wordcount", "test.hashed", "out.reduce_wc", "--query", '{"part": 1}',
                                            "--out-mode", "reduce")
        self.assertSucceeded(status, proc)
        total = reference_wordcount(self.docs)
        total["unrelated-key"] = 5
        self.assertCountsEqual(self.cluster.read_output("out.reduce_wc"), total)


class ClusterStatusTest(MongoTestCase):
    SHARDS = 2

    def test_status_json_shape(self):
        status = self.cluster.read_status(expect=0)
        self.assertTrue(status["running"])
        self.assertEqual(status["entry"], self.cluster.entry)
        self.assertRegex(status["entry"], r"^mongodb://127\.0\.0\.1:\d+/$")
        self.assertEqual([s["name"] for s in status["shards"]], ["shard0", "shard1"])
        workers = {w["shard"]: w for w in status["workers"]}
        for s in status["shards"]:
            self.assertRegex(s["uri"], r"^mongodb://127\.0\.0\.1:\d+/$")
            self.assertTrue(s["alive"])
            self.assertEqual(s["worker"], workers[s["name"]]["address"])
        # Two coordinators sharing the config server's metadata: one active, one standby.
        self.assertEqual(len(status["coordinators"]), 2)
        for coordinator in status["coordinators"]:
            self.assertRegex(coordinator["address"], r"^127\.0\.0\.1:\d+$")
            self.assertGreater(coordinator["pid"], 0)
        self.assertEqual(sum(c["active"] for c in status["coordinators"]), 1)
        for w in status["workers"]:
            self.assertRegex(w["address"], r"^127\.0\.0\.1:\d+$")
            self.assertGreater(w["pid"], 0)
            self.assertTrue(w["registered"])
        # The shards are recorded in config.shards of the entry, as MongoDB does.
        with self.cluster.client() as c:
            recorded = {d["_id"]: d["host"] for d in c.config.shards.find()}
        self.assertEqual(recorded, {s["name"]: s["uri"][len("mongodb://"):-1] for s in status["shards"]})

    def test_workers_command_lists_one_worker_per_shard(self):
        out = run_cli("workers", "--coordinator", self.cluster.coordinator, "--json", check=0)
        workers = json.loads(out.stdout)["workers"]
        self.assertEqual(sorted(w["shard"] for w in workers if w.get("alive")), ["shard0", "shard1"])


if __name__ == "__main__":
    unittest.main()
