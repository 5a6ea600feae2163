"""The `javascript` job run as a user would: `aviary run javascript` over JSON lines, with the
functions of MongoDB's documented mapReduce examples and of its jstests (mr_*), results computed
independently here; and a map that throws fails the job with exit 1 and the error."""

import json
import os
import random
import unittest
from collections import defaultdict

from harness import AviaryTestCase, Cluster, read_output, run_cli


def write_jsonl(path, docs):
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    return path


def orders(n=3000, seed=7):
    """Documents shaped like the orders collection of MongoDB's mapReduce examples."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        items = [{"sku": rng.choice(["mmm", "nnn", "ooo", "ppp"]), "qty": rng.randint(1, 9),
                  "price": round(rng.uniform(1, 10), 2)} for _ in range(rng.randint(1, 3))]
        docs.append({"_id": i, "cust_id": "cust%03d" % rng.randrange(60),
                     "ord_date": {"$date": "2020-03-%02dT00:00:00Z" % rng.randint(1, 28)},
                     "price": rng.randint(1, 100), "items": items,
                     "status": rng.choice(["A", "B", "D"])})
    return docs


class JavascriptJobTest(AviaryTestCase):
    def run_js(self, docs, *params, extra=(), check=0):
        path = write_jsonl(os.path.join(self.tmp, "in.jsonl"), docs)
        out = os.path.join(self.tmp, "out")
        args = ["run", "javascript", "--input", "files:" + path, "--output", "files:" + out, "--workers", "2",
                *extra]
        for p in params:
            args += ["--param", p]
        proc = run_cli(*args, check=check)
        return (read_output(out) if check == 0 else None), proc

    def test_orders_per_customer_sum(self):
        docs = orders()
        got, _ = self.run_js(docs, "map=function () { emit(this.cust_id, this.price); }",
                             "reduce=function (keyCustId, valuesPrices) { return Array.sum(valuesPrices); }",
                             extra=["--map-tasks", "3", "--reduce-tasks", "2"])
        want = defaultdict(float)
        for d in docs:
            want[d["cust_id"]] += d["price"]
        self.assertEqual(got, dict(want))

    def test_average_quantity_per_item_with_finalize(self):
        docs = orders()
        got, _ = self.run_js(
            docs,
            """map=function () {
                 for (var idx = 0; idx < this.items.length; idx++) {
                   var key = this.items[idx].sku;
                   var value = { count: 1, qty: this.items[idx].qty };
                   emit(key, value);
                 }
               }""",
            """reduce=function (keySKU, countObjVals) {
                 var reducedVal = { count: 0, qty: 0 };
                 for (var idx = 0; idx < countObjVals.length; idx++) {
                   reducedVal.count += countObjVals[idx].count;
                   reducedVal.qty += countObjVals[idx].qty;
                 }
                 return reducedVal;
               }""",
            "finalize=function (key, reducedVal) { reducedVal.avg = reducedVal.qty / reducedVal.count; return reducedVal; }",
            extra=["--map-tasks", "4"])
        want = {}
        for d in docs:
            for it in d["items"]:
                w = want.setdefault(it["sku"], {"count": 0, "qty": 0})
                w["count"] += 1
                w["qty"] += it["qty"]
        for w in want.values():
            w["avg"] = w["qty"] / w["count"]
        self.assertEqual(set(got), set(want))
        for k, w in want.items():
            self.assertEqual(got[k]["count"], w["count"])
            self.assertEqual(got[k]["qty"], w["qty"])
            self.assertAlmostEqual(got[k]["avg"], w["avg"], places=12)

    def test_multikey_tags_like_mr_correctness(self):
        rng = random.Random(3)
        docs = [{"_id": i, "tags": rng.sample(["a", "b", "c", "d", "e", "f"], rng.randint(0, 4))}
                for i in range(2000)]
        got, _ = self.run_js(docs, "map=function () { this.tags.forEach(function (z) { emit(z, { count: 1 }); }); }",
                             """reduce=function (key, values) {
                                  var total = 0;
                                  for (var i = 0; i < values.length; i++) total += values[i].count;
                                  return { count: total };
                                }""")
        want = defaultdict(int)
        for d in docs:
            for t in d["tags"]:
                want[t] += 1
        self.assertEqual(got, {k: {"count": float(v)} for k, v in want.items()})

    def test_scope_and_shell_helpers(self):
        docs = [{"_id": i, "when": {"$date": "2021-01-%02dT12:00:00Z" % (i % 28 + 1)}, "n": {"$numberLong": str(i)}}
                for i in range(500)]
        got, _ = self.run_js(
            docs,
            "map=function () { if (this.when >= since) emit(label + this.when.getUTCDate() % 2, NumberLong(this.n)); }",
            "reduce=function (k, values) { var s = 0; values.forEach(function (v) { s += v; }); return NumberLong(s); }",
            'scope={"since": {"$date": "2021-01-10T00:00:00Z"}, "label": "parity-"}')
        want = defaultdict(int)
        for d in docs:
            day = d["_id"] % 28 + 1
            if day >= 10:
                want["parity-%d" % (day % 2)] += d["_id"]
        self.assertEqual(got, dict(want))  # NumberLong comes back as an integer, not a double

    def test_a_map_that_throws_fails_the_job_with_the_error(self):
        docs = [{"_id": i, "x": i} for i in range(100)]
        _, proc = self.run_js(docs, "map=function () { if (this.x === 42) throw new Error('bad x'); emit(1, 1); }",
                              "reduce=function (k, v) { return Array.sum(v); }", extra=["--max-attempts", "2"],
                              check=1)
        self.assertIn("map function threw Error: bad x (map line 1) on document _id: 42", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out", "_SUCCESS")))

    def test_an_infinite_loop_is_stopped(self):
        _, proc = self.run_js([{"_id": 1}], "map=function () { while (true) {} }",
                              "reduce=function (k, v) { return 0; }", "call_timeout_ms=300",
                              extra=["--max-attempts", "1"], check=1)
        self.assertIn("map function exceeded 300 ms on document _id: 1", proc.stderr)

    def test_missing_functions_are_refused(self):
        _, proc = self.run_js([{"_id": 1}], "reduce=function (k, v) { return 0; }", extra=["--max-attempts", "1"],
                              check=1)
        self.assertIn("needs --param map=", proc.stderr)


class JavascriptClusterTest(AviaryTestCase):
    def test_submit_to_a_cluster(self):
        cluster = Cluster(self.tmp, workers=2)
        try:
            cluster.wait_for_workers(2)
            docs = orders(1000)
            path = write_jsonl(os.path.join(self.tmp, "in.jsonl"), docs)
            out = os.path.join(self.tmp, "out")
            proc = cluster.submit("javascript", "--input", "files:" + path, "--output", "files:" + out,
                                  "--param", "map=function () { emit(this.status, 1); }",
                                  "--param", "reduce=function (k, v) { return Array.sum(v); }", "--wait")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            want = defaultdict(float)
            for d in docs:
                want[d["status"]] += 1
            self.assertEqual(read_output(out), dict(want))
        finally:
            cluster.stop()


if __name__ == "__main__":
    unittest.main()
