"""Errors in user code fail a job on the second attempt, not after every retry; reduceSingle gives
MongoDB 4.4+'s results; options that would be ignored are refused, naming the option."""

import glob
import json
import os
import unittest

from mongo_harness import MongoTestCase, run_cli

PRICE_MAP = "function () { emit(this.cust_id, {count: 1, price: this.price, reduced: false}); }"
# Marks what went through reduce: MongoDB 4.4+ reduces a key's single value too.
MARKING_REDUCE = """function (key, values) {
  var out = {count: 0, price: 0, reduced: true};
  values.forEach(function (v) { out.count += v.count; out.price += v.price; });
  return out;
}"""


def orders():
    docs = [{"_id": i, "cust_id": f"c{i % 10}", "price": i % 7 + 1} for i in range(200)]
    docs.append({"_id": 1000, "cust_id": "solo", "price": 42})
    return docs


class UserErrorsAndOptionsTest(MongoTestCase):
    SHARDS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = orders()
        cls.cluster.load_docs(cls.docs, cls.root + "/orders.jsonl", "shop.orders", "_id", "--hashed")

    def mapreduce(self, spec, *args, check=0):
        path = self.path("spec.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        proc = run_cli("mapreduce", "--coordinator", self.cluster.coordinator, "--db", self.cluster.entry + "shop",
                       "--spec", path, *args, check=check)
        return json.loads(proc.stdout)

    # --- user-code errors ---------------------------------------------------------------------

    def test_js_map_that_throws_on_one_document_fails_after_two_attempts_naming_the_function(self):
        status, proc = self.cluster.run_job(
            "javascript", "shop.orders", "shop.never",
            "--param", "map=function () { if (this._id === 7) throw new Error('bad order ' + this._id); emit(1, 1); }",
            "--param", "reduce=function (k, v) { return Array.sum(v); }", "--max-attempts", "4")
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(status["state"], "FAILED", status)
        error = status["error"]
        self.assertIn("the user's Map function threw the same error on attempts 1 and 2", error)
        self.assertIn("map function threw Error: bad order 7", error)
        self.assertIn("_id: 7", error)
        detail = json.loads(run_cli("status", status["job_id"], "--coordinator", self.cluster.coordinator, "--json",
                                    "--tasks", check=0).stdout)
        failing = [t for t in detail.get("tasks", []) if any("bad order" in a.get("error", "")
                                                             for a in t.get("attempts", []))]
        self.assertEqual(len(failing), 1, detail.get("tasks"))
        self.assertEqual(len(failing[0]["attempts"]), 2, failing[0])

    # --- reduce for single-value keys ---------------------------------------------------------

    def test_reduce_single_gives_mongodb_44_results(self):
        spec = {"mapReduce": "orders", "map": PRICE_MAP, "reduce": MARKING_REDUCE, "out": {"inline": 1}}
        default = {r["_id"]: r["value"] for r in self.mapreduce(spec)["results"]}
        self.assertEqual(default["solo"], {"count": 1.0, "price": 42.0, "reduced": False})
        self.assertTrue(default["c3"]["reduced"])
        for reply in (self.mapreduce(spec, "--reduce-single"), self.mapreduce({**spec, "reduceSingle": True})):
            self.assertEqual(reply.get("ok"), 1.0, reply)
            got = {r["_id"]: r["value"] for r in reply["results"]}
            self.assertEqual(got["solo"], {"count": 1.0, "price": 42.0, "reduced": True})
            self.assertTrue(all(v["reduced"] for v in got.values()), got)
            for k in range(10):
                want = [d["price"] for d in self.docs if d["cust_id"] == f"c{k}"]
                self.assertEqual(got[f"c{k}"]["count"], float(len(want)))
                self.assertEqual(got[f"c{k}"]["price"], float(sum(want)))

    def test_max_time_ms_is_honoured_not_ignored(self):
        # A map that never ends: only maxTimeMS can end the command.
        spec = {"mapReduce": "orders", "map": "function () { while (true) {} }",
                "reduce": "function (k, v) { return 1; }", "out": {"inline": 1}, "maxTimeMS": 1500}
        reply = self.mapreduce(spec, check=1)  # an error reply exits 1
        self.assertEqual(reply.get("ok"), 0.0, reply)
        self.assertEqual(reply.get("code"), 50, reply)
        self.assertEqual(reply.get("codeName"), "MaxTimeMSExpired", reply)

    # --- options that would be ignored --------------------------------------------------------

    def assertRefused(self, proc, *phrases):
        self.assertNotEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        for phrase in phrases:
            self.assertIn(phrase, proc.stderr)

    def test_query_on_files_input_is_refused(self):
        os.makedirs(self.path("in"), exist_ok=True)
        with open(self.path("in/a.txt"), "w") as f:
            f.write("a b\n")
        proc = self.cluster.submit("wordcount", "--input", "files:" + self.path("in/*.txt"), "--output",
                                   "files:" + self.path("out-q"), "--query", '{"x": 1}')
        self.assertRefused(proc, "--query")

    def test_out_mode_with_files_output_is_refused(self):
        proc = self.cluster.submit("wordcount", "--input", self.cluster.ns_uri("shop.orders"), "--output",
                                   "files:" + self.path("out-m"), "--out-mode", "merge")
        self.assertRefused(proc, "--out-mode")
        proc = self.cluster.submit("wordcount", "--input", self.cluster.ns_uri("shop.orders"), "--output", "inline",
                                   "--out-mode", "merge")
        self.assertRefused(proc, "--output inline does not take --out-mode")

    def test_a_shards_own_uri_as_input_is_refused(self):
        shard = self.cluster.status["shards"][0]
        proc = self.cluster.submit("wordcount", "--input", shard["uri"] + "shop.orders", "--output",
                                   "files:" + self.path("out-s"), "--wait")
        self.assertRefused(proc, "--input", "is shard '" + shard["name"] + "' of a sharded cluster")
        self.assertFalse(os.path.exists(self.path("out-s/_SUCCESS")))

    def test_a_misspelt_javascript_parameter_is_refused(self):
        proc = self.cluster.submit("javascript", "--input", self.cluster.ns_uri("shop.orders"), "--output", "inline",
                                   "--param", "map=" + PRICE_MAP, "--param", "reduce=" + MARKING_REDUCE,
                                   "--param", "reduce_singel=true")
        self.assertRefused(proc, "--param reduce_singel", "no such parameter")

    def test_a_dot_json_input_is_read_as_json_lines(self):
        os.makedirs(self.path("json"), exist_ok=True)
        with open(self.path("json/export.json"), "w") as f:
            for d in self.docs:
                f.write(json.dumps(d) + "\n")
        out = self.path("out-json")
        proc = run_cli("run", "javascript", "--input", "files:" + self.path("json/*.json"), "--output", "files:" + out,
                       "--param", "map=function () { emit(this.cust_id, this.price); }",
                       "--param", "reduce=function (k, v) { return Array.sum(v); }", check=0)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = {}
        for part in glob.glob(os.path.join(out, "part-*")):
            with open(part) as f:
                for line in f:
                    doc = json.loads(line)
                    got[doc["_id"]] = doc["value"]
        want = {}
        for d in self.docs:
            want[d["cust_id"]] = want.get(d["cust_id"], 0) + d["price"]
        self.assertEqual(got, {k: float(v) for k, v in want.items()})


if __name__ == "__main__":
    unittest.main()
