"""MongoDB's mapReduce semantics on a local 3-shard cluster: key equality by BSON value across
shards and partitions, incremental reduce against targets as MongoDB writes them, documents with
BSON types Aviary does not model, size limits and refused namespaces."""

import json
import unittest

from bson import json_util
from bson.int64 import Int64
from bson.regex import Regex
from bson.timestamp import Timestamp

from harness import plugin
from mongo_harness import MongoTestCase

SUMFIELD = plugin("sumfield")


def ext(doc):
    """A document as one line of MongoDB extended JSON (types kept: $numberLong, $numberDouble...)."""
    return json_util.dumps(doc, json_options=json_util.CANONICAL_JSON_OPTIONS)


class MongoSemanticsTest(MongoTestCase):
    SHARDS = 3

    def load_docs(self, ns, docs):
        path = self.path(ns + ".jsonl")
        with open(path, "w") as f:
            for i, d in enumerate(docs):
                f.write(ext({"_id": i, **d}) + "\n")
        proc = self.cluster.load(path, ns, "_id", "--hashed")
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def run_sum(self, input_ns, output_ns, *args):
        return self.cluster.run_job(SUMFIELD, input_ns, output_ns, "--reduce-tasks", "4", *args)

    def raw_output(self, ns):
        db, coll = ns.split(".", 1)
        with self.cluster.client() as c:
            return list(c[db][coll].find())

    def test_numeric_and_nested_keys_are_one_key_across_shards_and_partitions(self):
        # Each class below is one key for MongoDB; the documents are spread over 3 shards and the
        # keys over 4 reduce partitions, so before the fix equal keys met in no reduce at all.
        classes = [
            (3, [3, Int64(3), 3.0]),
            (0, [0, -0.0, 0.0, Int64(0)]),
            (2.5, [2.5, 2.5]),
            ({"a": 1}, [{"a": 1}, {"a": 1.0}, {"a": Int64(1)}]),
            ({"a": [1, 2]}, [{"a": [1, 2.0]}, {"a": [1.0, Int64(2)]}]),
            (None, [None, "MISSING"]),
            ("3", ["3"]),  # a string is no number
            (Int64(2**53 + 1), [Int64(2**53 + 1)]),  # no double holds it: apart from 2^53
            (Int64(2**53), [float(2**53), Int64(2**53)]),
        ]
        docs = []
        for _, members in classes:
            for m in members:
                for _ in range(2):
                    docs.append({"value": 1} if m == "MISSING" else {"key": m, "value": 1})
        self.load_docs("sem.nums", docs)
        status, proc = self.run_sum("sem.nums", "out.nums")
        self.assertSucceeded(status, proc)
        got = self.raw_output("out.nums")
        self.assertEqual(len(got), len(classes), got)
        by_key = {json.dumps(d["_id"], sort_keys=True, default=str): d["value"] for d in got}
        for key, members in classes:
            self.assertEqual(by_key.get(json.dumps(key, sort_keys=True, default=str)), 2 * len(members), (key, got))
        # An integral key is written as NumberLong, whichever number type was emitted.
        three = next(d for d in got if d["_id"] == 3 and not isinstance(d["_id"], str))
        self.assertIsInstance(three["_id"], Int64)
        self.assertEqual(int(status.get("output_records", len(classes))), len(classes))

    def test_inline_output_merges_numeric_keys(self):
        self.load_docs("sem.inline", [{"key": 3, "value": 1}, {"key": 3.0, "value": 2}, {"key": Int64(3), "value": 3}])
        proc = self.cluster.submit(SUMFIELD, "--input", self.cluster.ns_uri("sem.inline"), "--output", "inline",
                                   "--reduce-tasks", "3", "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        self.assertEqual(rows, [{"_id": 3, "value": 6}])

    def test_incremental_reduce_against_a_target_written_by_mongodb(self):
        with self.cluster.client() as c:
            c.out.inc.insert_many([
                {"_id": 1.0, "value": 100.0},                   # JavaScript numbers: doubles
                {"_id": 7, "value": 9, "extra": "kept"},         # int32 _id, an extra field
                {"_id": "no-value", "other": True},              # no value field at all
            ])
        self.load_docs("sem.inc", [{"key": 1, "value": 1}, {"key": "new", "value": 5}])
        status, proc = self.run_sum("sem.inc", "out.inc", "--out-mode", "reduce")
        self.assertSucceeded(status, proc)
        got = {json.dumps(d["_id"]): d for d in self.raw_output("out.inc")}
        self.assertEqual(got["1.0"]["value"], 101)
        self.assertIsInstance(got["1.0"]["_id"], float, "the target's own _id type is kept")
        self.assertEqual(got["7"], {"_id": 7, "value": 9, "extra": "kept"})
        self.assertEqual(got['"no-value"'], {"_id": "no-value", "other": True})
        self.assertEqual(got['"new"']["value"], 5)
        self.assertEqual(len(got), 4)

    def test_incremental_reduce_finalizes_only_keys_with_new_results(self):
        with self.cluster.client() as c:
            c.out.incfin.insert_many([{"_id": "old", "value": 30.0}, {"_id": "both", "value": 20.0}])
        self.load_docs("sem.incfin", [{"key": "both", "value": 1}, {"key": "fresh", "value": 2}])
        status, proc = self.run_sum("sem.incfin", "out.incfin", "--out-mode", "reduce", "--param", "finalize=times10")
        self.assertSucceeded(status, proc)
        got = {d["_id"]: d["value"] for d in self.raw_output("out.incfin")}
        self.assertEqual(got, {"old": 30.0, "both": 210.0, "fresh": 20})

    def test_unmodelled_bson_types_before_the_key_hide_nothing(self):
        # FerretDB stores these; decimal128, code and min/max key are covered by unit tests.
        docs = []
        for key in ["k1", "k2"]:
            docs.append({"r": Regex("^a", "i"), "ts": Timestamp(5, 1), "key": key, "value": 1})
        self.load_docs("sem.types", docs)
        status, proc = self.run_sum("sem.types", "out.types")
        self.assertSucceeded(status, proc)
        self.assertEqual({d["_id"]: d["value"] for d in self.raw_output("out.types")}, {"k1": 1, "k2": 1})
        # The engine's own walk too: Record::text() is the --field after the regex.
        self.load_docs("sem.types_text", [{"r": Regex("x"), "ts": Timestamp(1, 1), "text": "hello world"}] * 3)
        status, proc = self.cluster.run_job("wordcount", "sem.types_text", "out.types_text")
        self.assertSucceeded(status, proc)
        self.assertEqual(self.cluster.read_output("out.types_text"), {"hello": 3, "world": 3})

    def test_output_document_over_16_mib_fails_naming_the_key(self):
        self.load_docs("sem.big", [{"key": "huge"}])
        status, proc = self.run_sum("sem.big", "out.big", "--param", "big=16777300", "--max-attempts", "1")
        self.assertEqual(status.get("state"), "FAILED", status)
        self.assertIn("BSONObjectTooLarge", status.get("error", ""))
        self.assertIn('"huge"', status.get("error", ""))
        self.assertEqual(self.raw_output("out.big"), [])

    def test_output_into_system_databases_is_refused_at_submission(self):
        self.load_docs("sem.sys", [{"key": "a"}])
        for db in ["admin", "config", "local"]:
            proc = self.cluster.submit(SUMFIELD, "--input", self.cluster.ns_uri("sem.sys"), "--output",
                                       self.cluster.ns_uri(db + ".mr_out"), "--wait")
            self.assertNotEqual(proc.returncode, 0, db)
            self.assertIn(f"database '{db}'", proc.stderr)
        with self.cluster.client() as c:
            self.assertNotIn("mr_out", c.config.list_collection_names())


if __name__ == "__main__":
    unittest.main()
