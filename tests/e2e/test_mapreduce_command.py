"""`aviary mapreduce`: MongoDB's mapReduce command document (from --spec, or --map/--reduce files)
run on a local 3-shard cluster; replies in MongoDB's shape; every out mode; errors as MongoDB's."""

import json
import os
import unittest
from collections import defaultdict

from mongo_harness import MongoTestCase, run_cli

MAP = "function () { emit(this.cust_id, this.price); }"
REDUCE = "function (keyCustId, valuesPrices) { return Array.sum(valuesPrices); }"


def orders(n=2000):
    return [{"_id": i, "cust_id": f"c{(i * 37) % 23:02d}", "price": (i * 13) % 50 + 1, "qty": i % 7,
             "status": "A" if i % 3 else "D"} for i in range(n)]


def totals(docs, where=lambda d: True):
    want = defaultdict(float)
    for d in docs:
        if where(d):
            want[d["cust_id"]] += d["price"]
    return dict(want)


class MapReduceCommandTest(MongoTestCase):
    SHARDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = orders()
        cls.cluster.load_docs(cls.docs, cls.root + "/orders.jsonl", "shop.orders", "_id", "--hashed")

    def mapreduce(self, spec=None, *args, check=0):
        extra = list(args)
        if spec is not None:
            path = self.path("spec.json")
            with open(path, "w") as f:
                json.dump(spec, f)
            extra += ["--spec", path]
        proc = run_cli("mapreduce", "--coordinator", self.cluster.coordinator, "--db", self.cluster.entry + "shop",
                       *extra, check=check)
        try:
            return json.loads(proc.stdout), proc
        except ValueError:
            raise AssertionError(f"no JSON reply (exit {proc.returncode}): {proc.stdout}\n{proc.stderr}")

    def assertCounts(self, reply, output):
        self.assertEqual(reply["ok"], 1.0, reply)
        self.assertEqual(reply["counts"]["input"], len(self.docs))
        self.assertEqual(reply["counts"]["emit"], len(self.docs))
        self.assertEqual(reply["counts"]["output"], output)
        self.assertIsInstance(reply["timeMillis"], int)

    def test_inline_orders_per_customer(self):
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE, "out": {"inline": 1}})
        want = totals(self.docs)
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, want)
        self.assertEqual(len(reply["results"]), len(want))
        self.assertCounts(reply, len(want))
        self.assertNotIn("result", reply)

    def test_verbose_adds_the_timing_of_each_phase(self):
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE, "out": {"inline": 1},
                                   "verbose": True})
        self.assertCounts(reply, len(totals(self.docs)))
        timing = reply["timing"]
        self.assertEqual(sorted(timing), ["commitTime", "mapTime", "reduceTime", "shuffleTime", "total"])
        self.assertEqual(timing["total"], reply["timeMillis"])
        self.assertLessEqual(timing["mapTime"] + timing["shuffleTime"] + timing["reduceTime"], timing["total"])
        self.assertGreater(reply["counts"]["reduce"], 0)  # 2000 orders of 23 customers: values are folded

    def test_replace_into_a_named_collection(self):
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": {"$code": MAP}, "reduce": {"$code": REDUCE},
                                   "out": "totals"})
        self.assertEqual(reply["result"], "totals")
        self.assertEqual(self.cluster.read_output("shop.totals"), totals(self.docs))
        self.assertCounts(reply, len(totals(self.docs)))

    def test_merge_into_another_database_keeps_other_keys(self):
        with self.cluster.client() as c:
            c.reports.merged.drop()
            c.reports.merged.insert_many([{"_id": "c00", "value": -1.0}, {"_id": "zz", "value": 5.0}])
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE,
                                   "out": {"merge": "merged", "db": "reports"}})
        self.assertEqual(reply["result"], {"db": "reports", "collection": "merged"})
        self.assertEqual(self.cluster.read_output("reports.merged"), {**totals(self.docs), "zz": 5.0})

    def test_reduce_mode_adds_to_what_is_there(self):
        with self.cluster.client() as c:
            c.shop.running.drop()
            c.shop.running.insert_many([{"_id": "c01", "value": 1000.0}, {"_id": "old", "value": 1.0}])
        self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE, "out": {"reduce": "running"}})
        want = totals(self.docs)
        want["c01"] += 1000.0
        want["old"] = 1.0
        self.assertEqual(self.cluster.read_output("shop.running"), want)

    def test_function_files_query_scope_and_finalize(self):
        for name, src in [("map.js", "function () { if (this.qty >= minQty) emit(this.cust_id, this.price); }"),
                          ("reduce.js", REDUCE), ("finalize.js", "function (k, v) { return v * factor; }")]:
            with open(self.path(name), "w") as f:
                f.write(src)
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": "ignored", "reduce": "ignored",
                                   "query": {"status": "A"}, "scope": {"minQty": 2, "factor": 2},
                                   "out": {"inline": 1}},
                                  "--map", self.path("map.js"), "--reduce", self.path("reduce.js"),
                                  "--finalize", self.path("finalize.js"))
        want = {k: 2 * v for k, v in totals(self.docs, lambda d: d["status"] == "A" and d["qty"] >= 2).items()}
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, want)
        self.assertEqual(reply["counts"]["input"], sum(1 for d in self.docs if d["status"] == "A"))

    def test_without_a_spec_collection_and_files_give_inline_output(self):
        for name, src in [("m2.js", MAP), ("r2.js", REDUCE)]:
            with open(self.path(name), "w") as f:
                f.write(src)
        reply, _ = self.mapreduce(None, "--collection", "orders", "--map", self.path("m2.js"),
                                  "--reduce", self.path("r2.js"))
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, totals(self.docs))

    def test_a_map_that_throws_is_a_js_interpreter_failure(self):
        reply, proc = self.mapreduce({"mapReduce": "orders", "map": "function () { throw new Error('bad order'); }",
                                      "reduce": REDUCE, "out": {"inline": 1}}, check=1)
        self.assertEqual(reply["ok"], 0.0)
        self.assertEqual(reply["code"], 139)
        self.assertEqual(reply["codeName"], "JSInterpreterFailure")
        self.assertIn("bad order", reply["errmsg"])

    def test_sort_and_limit_select_the_global_first_documents(self):
        # The 150 orders with the highest price (ties broken by _id, as the MongoDB source does),
        # wherever their shards are; counts.input is the limit.
        chosen = sorted(self.docs, key=lambda d: (-d["price"], d["_id"]))[:150]
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE, "sort": {"price": -1},
                                   "limit": 150, "out": {"inline": 1}})
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, totals(chosen))
        self.assertEqual(reply["counts"]["input"], 150)
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE, "query": {"status": "A"},
                                   "sort": {"qty": 1, "price": 1}, "limit": 40, "out": "firsts"})
        chosen = sorted((d for d in self.docs if d["status"] == "A"), key=lambda d: (d["qty"], d["price"], d["_id"]))[:40]
        self.assertEqual(self.cluster.read_output("shop.firsts"), totals(chosen))

    def test_bad_sort_and_limit_are_mongodbs_errors(self):
        for extra in ({"sort": {"price": 2}, "limit": 5}, {"limit": -5}):
            reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "reduce": REDUCE, "out": "x", **extra},
                                      check=2)
            self.assertEqual(reply["ok"], 0.0)
            self.assertEqual(reply["codeName"], "BadValue")

    def test_a_missing_reduce_is_mongodbs_error(self):
        reply, _ = self.mapreduce({"mapReduce": "orders", "map": MAP, "out": "x"}, check=2)
        self.assertEqual(reply["code"], 40414)
        self.assertEqual(reply["errmsg"], "BSON field 'mapReduce.reduce' is missing but a required field")


if __name__ == "__main__":
    unittest.main()
