"""--sort and --limit on a sharded collection of a local 3-shard cluster, as MongoDB's mapReduce
applies them: the first N documents of the whole collection in sort order (after --query), ties
broken by _id, missing fields as null, numbers by value; orphans never take a place; every shard
still read where it lives. Expected results are computed here in Python."""

import json
import unittest

from mongo_harness import MongoTestCase, run_cli

DOCS = 1500


def word(i):
    """A word unique to document i (wordcount splits words at anything but letters)."""
    letters = ""
    while True:
        letters = chr(ord("a") + i % 26) + letters
        i //= 26
        if i == 0:
            return "doc" + letters


def make_docs():
    docs = []
    for i in range(DOCS):
        doc = {"_id": i, "text": word(i), "part": i % 2}
        if i % 11 != 0:  # every 11th has no ts: it sorts as null
            ts = i % 37  # many ties, so the limit falls inside a run of equal keys
            doc["ts"] = ts + 0.5 if i % 5 == 0 else ts  # doubles between the ints: compared by value
        docs.append(doc)
    return docs


def first(docs, limit, descending):
    """MongoDB's order on ts (missing = null, below every number) with the _id tie-break."""
    def rank(d):
        ts = d.get("ts")
        return (0, 0) if ts is None else (1, ts)
    ordered = sorted(docs, key=lambda d: d["_id"])
    ordered.sort(key=rank, reverse=descending)  # stable: _id ascending within ties
    return ordered[:limit]


class MongoSortLimitTest(MongoTestCase):
    SHARDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = make_docs()
        cls.corpus = cls.root + "/docs.jsonl"
        with open(cls.corpus, "w") as f:
            for d in cls.docs:
                f.write(json.dumps(d) + "\n")
        cls.cluster.load(cls.corpus, "test.sl", "_id", "--hashed", check=0)

    def run_limited(self, out, *args):
        status, proc = self.cluster.run_job("wordcount", "test.sl", out, *args)
        self.assertSucceeded(status, proc)
        shards = status["shards"]
        for s in shards:
            self.assertTrue(s["all_local"], f"{s['shard']} was read remotely: {s}")
        return status, self.cluster.read_output(out)

    def assertChosen(self, got, expected_docs, status):
        self.assertCountsEqual(got, {d["text"]: 1 for d in expected_docs})
        self.assertEqual(sum(int(s["documents_read"]) for s in status["shards"]), len(expected_docs))

    def test_data_spread_over_three_shards(self):
        for name in ["shard0", "shard1", "shard2"]:
            with self.cluster.shard_client(name) as c:
                self.assertGreater(c.test.sl.count_documents({}), 100, name)

    def test_descending_limit_with_ties_at_the_boundary(self):
        expected = first(self.docs, 50, descending=True)
        # The boundary falls among equal ts: the _id tie-break decides, so the count is exact.
        self.assertEqual(expected[49].get("ts"), first(self.docs, 51, True)[50].get("ts"))
        status, got = self.run_limited("out.sl_desc", "--sort", '{"ts": -1}', "--limit", "50")
        self.assertChosen(got, expected, status)

    def test_ascending_puts_missing_fields_first(self):
        expected = first(self.docs, 200, descending=False)
        self.assertIn(None, [d.get("ts") for d in expected])
        status, got = self.run_limited("out.sl_asc", "--sort", '{"ts": 1}', "--limit", "200")
        self.assertChosen(got, expected, status)

    def test_limit_applies_after_query(self):
        part1 = [d for d in self.docs if d["part"] == 1]
        expected = first(part1, 40, descending=True)
        status, got = self.run_limited("out.sl_query", "--query", '{"part": 1}', "--sort", '{"ts": -1}', "--limit", "40")
        self.assertChosen(got, expected, status)

    def test_limit_without_sort_reads_exactly_limit_documents(self):
        status, got = self.run_limited("out.sl_nosort", "--limit", "77")
        self.assertEqual(len(got), 77)
        self.assertTrue(set(got) <= {d["text"] for d in self.docs})
        self.assertEqual(sum(int(s["documents_read"]) for s in status["shards"]), 77)

    def test_limit_zero_and_sort_alone_read_everything(self):
        for out, args in [("out.sl_zero", ["--limit", "0"]), ("out.sl_sortonly", ["--sort", '{"ts": -1}'])]:
            status, got = self.run_limited(out, *args)
            self.assertChosen(got, self.docs, status)

    def test_limit_larger_than_collection(self):
        status, got = self.run_limited("out.sl_big", "--sort", '{"ts": 1}', "--limit", str(DOCS * 2))
        self.assertChosen(got, self.docs, status)

    def test_bad_limits_and_sorts_are_refused(self):
        for args in [["--limit", "-1"], ["--limit", "2.5"], ["--limit", "ten"], ["--sort", '{"ts": 2}'],
                     ["--sort", "not json"]]:
            proc = self.cluster.submit("wordcount", "--input", self.cluster.ns_uri("test.sl"), "--output",
                                       self.cluster.ns_uri("out.sl_bad"), *args)
            self.assertNotEqual(proc.returncode, 0, args)
            self.assertIn(args[0], proc.stderr, args)

    def test_files_input_refuses_limit_and_sort(self):
        for flag, value in [("--limit", "5"), ("--sort", '{"ts": 1}')]:
            proc = self.cluster.submit("wordcount", "--input", "files:" + self.corpus, "--output", self.path("out_files"),
                                       flag, value)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("files", proc.stderr)
            self.assertIn(flag, proc.stderr)

    def test_reduce_mode_does_not_limit_the_existing_target(self):
        status, _ = self.run_limited("out.sl_reduce")
        expected = first(self.docs, 10, descending=True)
        status, got = self.run_limited("out.sl_reduce", "--out-mode", "reduce", "--sort", '{"ts": -1}', "--limit", "10")
        chosen = {d["text"] for d in expected}
        self.assertCountsEqual(got, {d["text"]: 2 if d["text"] in chosen else 1 for d in self.docs})

    def test_orphans_never_take_a_place(self):
        # Copies of each shard's documents on the next shard, with a ts above every real one: if
        # an orphan were counted it would take the first places.
        names = ["shard0", "shard1", "shard2"]
        copies = []
        for i, owner in enumerate(names):  # read every shard before planting anything
            with self.cluster.shard_client(owner) as src:
                docs = list(src.test.sl.find().sort("_id", 1).limit(20))
            for k, c in enumerate(docs):
                c["ts"] = 1000 + 100 * i + k
            copies.append(docs)
        planted = 0
        for i, docs in enumerate(copies):
            with self.cluster.shard_client(names[(i + 1) % 3]) as dst:
                dst.test.sl.insert_many(docs)  # same _id as on the owner: left behind by a migration
                planted += len(docs)
        self.assertEqual(planted, 60)
        expected = first(self.docs, 30, descending=True)
        status, got = self.run_limited("out.sl_orphans", "--sort", '{"ts": -1}', "--limit", "30")
        self.assertChosen(got, expected, status)


if __name__ == "__main__":
    unittest.main()
