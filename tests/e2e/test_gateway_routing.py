"""The local cluster's gateway (`cluster status --json` field `gateway`) as a client sees it: a
sharded cluster behind mongos. Every result read through it is compared with the same result
computed from the shards directly (owned documents only) with pymongo."""

import json
import os
import signal
import unittest

import bson
import pymongo
from bson.code import Code

from mongo_harness import MongoTestCase, mongo_hash, write_corpus


class GatewayRoutingTest(MongoTestCase):
    SHARDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        corpus = cls.path(cls, "books.jsonl")
        cls.docs = write_corpus(corpus, docs=1200)
        cls.cluster.load(corpus, "lib.books", "_id", "--hashed")
        cls.gateway = cls.cluster.status["gateway"]

    def gw(self):
        return pymongo.MongoClient(self.gateway, serverSelectionTimeoutMS=5000)

    def owned_on_shards(self, ns, query=None):
        """Every document of `ns` matching `query`, read from each shard, orphans dropped."""
        db, coll = ns.split(".", 1)
        with self.cluster.client() as entry:
            meta = entry.config.collections.find_one({"_id": ns})
            chunks = list(entry.config.chunks.find({"uuid": meta["uuid"]}))
        out = []
        for s in self.cluster.status["shards"]:
            mine = [c for c in chunks if c["shard"] == s["name"]]
            with self.cluster.shard_client(s["name"]) as c:
                for d in c[db][coll].find(query or {}):
                    h = mongo_hash(d["_id"])
                    if any(self.in_chunk(h, c) for c in mine):
                        out.append(d)
        return out

    @staticmethod
    def in_chunk(h, chunk):
        lo, hi = chunk["min"]["_id"], chunk["max"]["_id"]
        low_ok = isinstance(lo, dict) or h >= lo
        high_ok = isinstance(hi, dict) or h < hi
        return low_ok and high_ok

    def test_count_documents_equals_the_sum_over_the_shards(self):
        with self.gw() as c:
            self.assertEqual(c.lib.books.count_documents({}), len(self.owned_on_shards("lib.books")))
            self.assertEqual(c.lib.books.count_documents({}), len(self.docs))

    def test_find_with_sort_and_limit_over_several_batches(self):
        expected = sorted(self.owned_on_shards("lib.books"), key=lambda d: (d["text"], d["_id"]))[7:7 + 250]
        with self.gw() as c:
            got = list(c.lib.books.find({}, {"text": 1}).sort([("text", 1), ("_id", 1)]).skip(7).limit(250).batch_size(40))
        self.assertEqual([d["_id"] for d in got], [d["_id"] for d in expected])
        self.assertEqual([set(d) for d in got], [{"_id", "text"}] * len(got))  # the projection holds

    def test_find_all_and_filter(self):
        with self.gw() as c:
            ids = [d["_id"] for d in c.lib.books.find({}, batch_size=100)]
            self.assertEqual(sorted(ids), sorted(d["_id"] for d in self.owned_on_shards("lib.books")))
            one = self.docs[5]
            self.assertEqual(c.lib.books.find_one({"_id": one["_id"]})["text"], one["text"])

    def test_aggregate_group_is_merged(self):
        with self.gw() as c:
            got = list(c.lib.books.aggregate([{"$match": {}}, {"$group": {"_id": "all", "n": {"$sum": 1}}}]))
        self.assertEqual(got, [{"_id": "all", "n": len(self.owned_on_shards("lib.books"))}])

    def test_aggregate_group_by_field_sorted_and_limited(self):
        counts = {}
        for d in self.owned_on_shards("lib.books", {"n": {"$lt": 1000}}):
            counts[d["author"]] = counts.get(d["author"], 0) + 1
        with self.gw() as c:
            got = list(c.lib.books.aggregate([
                {"$match": {"n": {"$lt": 1000}}}, {"$group": {"_id": "$author", "n": {"$count": {}}}},
                {"$sort": {"n": -1, "_id": 1}}, {"$limit": 3}], batchSize=2))
        expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        self.assertEqual([(d["_id"], d["n"]) for d in got], expected)

    def test_distinct(self):
        with self.gw() as c:
            got = c.lib.books.distinct("author", {"n": {"$lt": 500}})
        self.assertEqual(sorted(got), sorted({d["author"] for d in self.owned_on_shards("lib.books", {"n": {"$lt": 500}})}))

    def load_rw(self, ns, docs=300):
        corpus = self.path(ns + ".jsonl")
        write_corpus(corpus, docs=docs)
        self.cluster.load(corpus, ns, "_id", "--hashed")

    def shard_holding(self, ns, _id):
        db, coll = ns.split(".", 1)
        return [s["name"] for s in self.cluster.status["shards"]
                if self.cluster.shard_client(s["name"])[db][coll].find_one({"_id": _id})]

    def test_a_query_that_pins_the_shard_key_asks_only_the_owning_shard(self):
        # With every other shard's server paused, finds, counts, distincts and aggregates by _id
        # are still answered: as mongos targets them, they go to the owner alone.
        one = self.docs[11]
        owner = self.shard_holding("lib.books", one["_id"])
        self.assertEqual(len(owner), 1)
        others = [s["pid"] for s in self.cluster.status["shards"] if s["name"] != owner[0]]
        self.assertTrue(all(pid > 0 for pid in others))
        for pid in others:
            os.kill(pid, signal.SIGSTOP)
        try:
            with pymongo.MongoClient(self.gateway, serverSelectionTimeoutMS=5000, socketTimeoutMS=20000) as c:
                self.assertEqual(c.lib.books.find_one({"_id": one["_id"]})["text"], one["text"])
                self.assertEqual(c.lib.books.count_documents({"_id": {"$eq": one["_id"]}}), 1)
                self.assertEqual(c.lib.books.distinct("text", {"_id": one["_id"]}), [one["text"]])
                got = list(c.lib.books.aggregate([{"$match": {"_id": one["_id"]}}, {"$project": {"text": 1}}]))
                self.assertEqual(got, [{"_id": one["_id"], "text": one["text"]}])
        finally:
            for pid in others:
                os.kill(pid, signal.SIGCONT)

    def test_insert_goes_to_the_owning_shard_and_a_job_sees_it(self):
        self.load_rw("lib.ins")
        with self.gw() as c:
            c.lib.ins.insert_one({"_id": "gateway-doc-1", "text": "zebra quagga zebra"})
            c.lib.ins.insert_many([{"_id": f"gateway-doc-{i}", "text": "okapi"} for i in range(2, 6)], ordered=False)
            self.assertEqual(c.lib.ins.count_documents({}), 305)
        self.assertEqual(len(self.shard_holding("lib.ins", "gateway-doc-1")), 1)
        self.assertEqual(len(self.owned_on_shards("lib.ins")), 305)
        status, proc = self.cluster.run_job("wordcount", "lib.ins", "lib.counts_after_insert")
        self.assertEqual(status["state"], "SUCCEEDED", proc.stderr)
        result = self.cluster.read_output("lib.counts_after_insert")
        self.assertEqual(result.get("zebra"), 2)
        self.assertEqual(result.get("okapi"), 4)

    def test_orphans_are_not_seen(self):
        self.load_rw("lib.orph", docs=200)
        owner = self.shard_holding("lib.orph", 11)
        self.assertEqual(len(owner), 1)
        other = next(s["name"] for s in self.cluster.status["shards"] if s["name"] != owner[0])
        # A copy on a shard that does not own it, as a chunk migration leaves behind.
        self.cluster.shard_client(other).lib.orph.insert_one({"_id": 11, "text": "orphan", "author": "ghost", "n": 11})
        with self.gw() as c:
            self.assertEqual(c.lib.orph.count_documents({}), 200)
            self.assertEqual(len(list(c.lib.orph.find({"_id": 11}))), 1)
            self.assertNotEqual(c.lib.orph.find_one({"_id": 11})["text"], "orphan")
            self.assertNotIn("ghost", c.lib.orph.distinct("author"))
            self.assertEqual(c.lib.orph.count_documents({"author": "ghost"}), 0)
            r = c.lib.orph.update_many({"n": 11}, {"$set": {"touched": 1}})
            self.assertEqual(r.matched_count, 1)
        self.assertIsNone(self.cluster.shard_client(other).lib.orph.find_one({"touched": 1}))

    def test_update_and_delete_route_by_key(self):
        self.load_rw("lib.upd", docs=50)
        with self.gw() as c:
            c.lib.upd.insert_many([{"_id": f"upd-{i}", "text": "update me", "tag": "u"} for i in range(10)])
            r = c.lib.upd.update_one({"_id": "upd-3"}, {"$set": {"flag": True}})
            self.assertEqual((r.matched_count, r.modified_count), (1, 1))
            r = c.lib.upd.update_many({"tag": "u"}, {"$set": {"flag": True}})
            self.assertEqual((r.matched_count, r.modified_count), (10, 9))
            r = c.lib.upd.update_one({"tag": "u"}, {"$set": {"once": 1}})
            self.assertEqual(r.matched_count, 1)
            self.assertEqual(c.lib.upd.count_documents({"once": 1}), 1)
            r = c.lib.upd.update_one({"_id": "upd-new"}, {"$set": {"tag": "u"}}, upsert=True)
            self.assertEqual(r.upserted_id, "upd-new")
            self.assertEqual(len(self.shard_holding("lib.upd", "upd-new")), 1)
            self.assertEqual(c.lib.upd.delete_one({"tag": "u"}).deleted_count, 1)
            self.assertEqual(c.lib.upd.delete_many({"tag": "u"}).deleted_count, 10)
            self.assertEqual(c.lib.upd.count_documents({"tag": "u"}), 0)
            self.assertEqual(c.lib.upd.count_documents({}), 50)
        self.assertEqual(len(self.owned_on_shards("lib.upd", {"tag": "u"})), 0)

    def test_unsharded_collections_go_to_the_config_server(self):
        with self.gw() as c:
            c.scratch.plain.insert_one({"_id": 1, "v": "x"})
            self.assertEqual(c.scratch.plain.count_documents({}), 1)
        with self.cluster.client() as entry:
            self.assertEqual(entry.scratch.plain.find_one({"_id": 1})["v"], "x")

    def test_map_reduce_through_the_gateway(self):
        with self.gw() as c:
            reply = c.lib.command("mapReduce", "books", map=Code("function() { emit('docs', 1); }"),
                                  reduce=Code("function(k, vs) { return Array.sum(vs); }"), out={"inline": 1})
        self.assertEqual(reply["results"], [{"_id": "docs", "value": float(len(self.owned_on_shards("lib.books")))}])


if __name__ == "__main__":
    unittest.main()
