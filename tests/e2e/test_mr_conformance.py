"""MongoDB mapReduce conformance, modeled on MongoDB's own jstests (jstests/core/query/map_reduce/
mr_*.js): the same kinds of functions and data shapes, written for this test, on a local 3-shard
cluster, each command run twice: through the CLI (`aviary mapreduce --spec`) and through the API
(pymongo's db.command("mapReduce", ...) against `aviary gateway`). Expected results are computed
here in Python, independently of Aviary.

Covered: correctness (objects and numbers as values, a query, many values per key, many keys),
re-reduce in `reduce` out mode, `merge`, an average with finalize, sort and limit, scope,
multikey emits with queries, output to another database, undefined and null, big values (more
than 16 MB through one key), the `this` object (dot and bracket access), each out mode against
a pre-existing target."""

import json
import os
import unittest
from collections import Counter, defaultdict

import pymongo
from bson.code import Code
from bson.raw_bson import RawBSONDocument
from bson.son import SON

from gateway_harness import Gateway
from mongo_harness import MongoTestCase, run_cli

DB = "conf"
OTHER_DB = "conf_other"
SUM = "function (k, vs) { return Array.sum(vs); }"

# mr_correctness: tags as objects {count} and as numbers.
MAP_TAG_OBJ = "function () { this.tags.forEach(function (t) { emit(t, {count: 1}); }); }"
REDUCE_COUNT_OBJ = """function (key, values) {
  var n = 0;
  for (var i = 0; i < values.length; i++) n += values[i].count;
  return {count: n};
}"""
MAP_TAG_NUM = "function () { for (let t of this.tags) emit(t, 1); }"
REDUCE_LOOP_SUM = "function (key, values) { let n = 0; for (let v of values) { n += v; } return n; }"

# mr_reduce / mr_merge / other db: emit each element of `a`.
MAP_ELEMENTS = "function () { for (var i = 0; i < this.a.length; i++) emit(this.a[i], 1); }"


def tag_docs():
    docs = [{"_id": 1, "x": 1, "tags": ["a", "b"]}, {"_id": 2, "x": 2, "tags": ["b", "c"]},
            {"_id": 3, "x": 3, "tags": ["c", "a"]}, {"_id": 4, "x": 4, "tags": ["b", "c"]}]
    docs += [{"_id": i, "x": i, "tags": ["b", "d"]} for i in range(5, 1000)]
    return docs


def tag_counts(docs, where=lambda d: True):
    return dict(Counter(t for d in docs if where(d) for t in d["tags"]))


class ConformanceTest(MongoTestCase):
    SHARDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = {
            "tags": tag_docs(),
            "many_keys": [{"_id": i, "x": i, "tags": ["Z%d" % (i % 2500)]} for i in range(5000)],
            "elements": [{"_id": i, "a": [i, i + 1]} for i in range(1, 6)],
            "posts": [{"_id": "blog 1", "author": "x",
                       "comments": [{"user_id": "a", "txt": "asdasdasd"}, {"user_id": "b", "txt": "asdasdasdasdasdasdas"}]},
                      {"_id": "blog 2", "author": "y",
                       "comments": [{"user_id": "b", "txt": "asdasdasdaaa"}, {"user_id": "c", "txt": "asdasdasdaasdasdas"}]}],
            "sorted": [{"_id": i, "x": x} for i, x in enumerate([1, 10, 2, 9, 3, 8, 4, 7, 5, 6])],
            "ranked": [{"_id": i, "score": (i * 7919) % 1009, "v": i % 13} for i in range(600)],
            "pets": [{"_id": 1, "name": "name1", "tags": ["dog", "cat"]}, {"_id": 2, "name": "name2", "tags": ["cat"]},
                     {"_id": 3, "name": "name3", "tags": ["mouse", "cat", "dog"]}, {"_id": 4, "name": "name4", "tags": []}],
            "undef": [{"_id": 1, "x": 0}, {"_id": 2, "x": 5}],
            "visits": [{"_id": i, "partner": p, "visits": v}
                       for i, (p, v) in enumerate([(1, 9), (2, 9), (1, 11), (1, 30), (2, 41), (2, 41)])],
            "big": [{"_id": i, "s": "a" * (4 << 20)} for i in range(5)],
        }
        for name, docs in cls.data.items():
            path = os.path.join(cls.root, name + ".jsonl")
            with open(path, "w") as f:
                for d in docs:
                    f.write(json.dumps(d) + "\n")
            cls.cluster.load(path, "%s.%s" % (DB, name), "_id", "--hashed", check=0)
        cls.gateway = Gateway(cls.cluster.entry, cls.cluster.coordinator, log=os.path.join(cls.root, "gateway.log"))
        cls.api = pymongo.MongoClient(cls.gateway.uri, serverSelectionTimeoutMS=5000)
        cls.direct = cls.cluster.client()

    @classmethod
    def tearDownClass(cls):
        cls.api.close()
        cls.direct.close()
        cls.gateway.stop()
        super().tearDownClass()

    # --- running one command both ways

    def cli(self, spec, db=DB):
        path = self.path("spec.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        proc = run_cli("mapreduce", "--coordinator", self.cluster.coordinator, "--db", self.cluster.entry + db,
                       "--spec", path)
        try:
            reply = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"no JSON reply (exit {proc.returncode}): {proc.stdout}\n{proc.stderr}")
        self.assertEqual(reply.get("ok"), 1.0, reply)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return reply

    def api_call(self, spec, db=DB):
        command = SON()
        for key, value in spec.items():
            command[key] = Code(value) if key in ("map", "reduce", "finalize") and value is not None else value
        reply = self.api[db].command(command)
        self.assertEqual(reply["ok"], 1.0, reply)
        return reply

    def both(self, spec, db=DB, out=None, prepare=None):
        """Runs `spec` through the CLI and through the gateway. `out(suffix)` gives the out field for
        each way (a separate target each); `prepare(suffix)` fills its target first. Yields
        (way, reply, suffix)."""
        for way, run in (("cli", self.cli), ("api", self.api_call)):
            s = dict(spec)
            if out is not None:
                s["out"] = out(way)
            if prepare is not None:
                prepare(way)
            with self.subTest(way=way):
                yield way, run(s, db), way

    def inline(self, spec, **kw):
        for way, reply, _ in self.both({**spec, "out": {"inline": 1}}, **kw):
            yield way, {r["_id"]: r["value"] for r in reply["results"]}

    def read(self, db, coll):
        return {d["_id"]: d["value"] for d in self.direct[db][coll].find()}

    def target(self, db, coll, docs):
        self.direct[db][coll].drop()
        if docs:
            self.direct[db][coll].insert_many([dict(d) for d in docs])

    # --- mr_correctness

    def test_correctness_objects_numbers_query_many_values_and_many_keys(self):
        docs = self.data["tags"]
        for way, got in self.inline({"mapReduce": "tags", "map": MAP_TAG_OBJ, "reduce": REDUCE_COUNT_OBJ}):
            self.assertEqual(got, {k: {"count": n} for k, n in tag_counts(docs).items()}, way)
        query = {"x": {"$gt": 2}, "_id": {"$lt": 5}}
        for way, got in self.inline({"mapReduce": "tags", "map": MAP_TAG_NUM, "reduce": REDUCE_LOOP_SUM, "query": query}):
            self.assertEqual(got, tag_counts(docs, lambda d: 2 < d["x"] and d["_id"] < 5), way)
        for way, reply, s in self.both({"mapReduce": "tags", "map": MAP_TAG_OBJ, "reduce": REDUCE_COUNT_OBJ},
                                       out=lambda s: {"merge": "correct_" + s}):
            self.assertEqual(reply["result"], "correct_" + s)
            self.assertEqual(self.read(DB, "correct_" + s), {k: {"count": n} for k, n in tag_counts(docs).items()})
            self.assertEqual(reply["counts"]["input"], len(docs))
            self.assertEqual(reply["counts"]["emit"], sum(len(d["tags"]) for d in docs))
            self.assertEqual(reply["counts"]["output"], 4)
        many = self.data["many_keys"]
        for way, got in self.inline({"mapReduce": "many_keys", "map": MAP_TAG_OBJ, "reduce": REDUCE_COUNT_OBJ}):
            self.assertCountsEqual(got, {k: {"count": n} for k, n in tag_counts(many).items()})

    # --- mr_reduce and mr_merge: incremental runs against what is there

    def incremental(self, mode):
        """Three runs over growing _id ranges: a replace, then two `mode` runs over the new
        documents only, with documents the job never emits added to the target in between."""
        docs = self.data["elements"]
        steps = [({"_id": {"$lte": 3}}, "replace", None), ({"_id": {"$gt": 3, "$lte": 4}}, mode, (10, 5)),
                 ({"_id": {"$gt": 4}}, mode, (20, 10))]
        for way in ("cli", "api"):
            coll = "%s_inc_%s" % (mode, way)
            self.direct[DB][coll].drop()
            want = {}
            run = self.cli if way == "cli" else self.api_call
            for query, out_mode, extra in steps:
                if extra:
                    self.direct[DB][coll].insert_one({"_id": extra[0], "value": extra[1]})
                    want[extra[0]] = extra[1]
                run({"mapReduce": "elements", "map": MAP_ELEMENTS, "reduce": SUM, "query": query,
                     "out": {out_mode: coll}})
                lo, hi = query["_id"].get("$gt", 0), query["_id"].get("$lte", 99)
                new = Counter(x for d in docs if lo < d["_id"] <= hi for x in d["a"])
                for k, n in new.items():
                    want[k] = want.get(k, 0) + n if out_mode == "reduce" else n
            self.assertEqual(self.read(DB, coll), want, way)

    def test_reduce_mode_re_reduces_with_the_existing_values(self):
        self.incremental("reduce")

    def test_merge_mode_overwrites_same_keys_and_keeps_others(self):
        self.incremental("merge")

    # --- mr_compute_avg: finalize, including for keys with a single value

    def test_compute_avg_with_finalize(self):
        spec = {"mapReduce": "posts",
                "map": "function () { for (let c of this.comments) emit(c.user_id, {totalSize: c.txt.length, num: 1}); }",
                "reduce": """function (user, values) {
                  let r = {totalSize: 0, num: 0};
                  for (let v of values) { r.totalSize += v.totalSize; r.num += v.num; }
                  return r;
                }""",
                "finalize": "function (user, r) { r.avg = r.totalSize / r.num; return r; }"}
        sizes = defaultdict(list)
        for d in self.data["posts"]:
            for c in d["comments"]:
                sizes[c["user_id"]].append(len(c["txt"]))
        want = {u: {"totalSize": sum(s), "num": len(s), "avg": sum(s) / len(s)} for u, s in sizes.items()}
        for way, got in self.inline(spec):
            self.assertEqual(got, want, way)
            self.assertEqual({u: v["avg"] for u, v in got.items()}, {"a": 9, "b": 16, "c": 18})
        for way, reply, s in self.both(spec, out=lambda s: "avg_" + s):
            self.assertEqual(self.read(DB, "avg_" + s), want, way)

    # --- mr_sort: sort and limit select the input

    def test_sort_and_limit_select_the_first_documents_across_shards(self):
        spec = {"mapReduce": "sorted", "map": "function () { emit('a', this.x); }", "reduce": SUM}
        for extra, total in [({}, 55), ({"query": {"x": {"$lt": 3}}}, 3), ({"sort": {"x": 1}, "limit": 2}, 3),
                             ({"sort": {"x": -1}, "limit": 3}, 27), ({"sort": {"x": 1}}, 55),
                             ({"sort": {"x": 1}, "limit": 4, "query": {"x": {"$gt": 5}}}, 6 + 7 + 8 + 9),
                             ({"sort": {"x": 1}, "limit": 100}, 55)]:
            for way, got in self.inline({**spec, **extra}):
                self.assertEqual(got, {"a": total}, (way, extra))
        ranked = self.data["ranked"]
        for sort, limit in [({"score": -1}, 50), ({"v": 1, "score": 1}, 77)]:
            keyed = sorted(ranked, key=lambda d: tuple(d[f] * o for f, o in sort.items()))[:limit]
            want = dict(Counter(d["v"] for d in keyed))
            spec = {"mapReduce": "ranked", "map": "function () { emit(this.v, 1); }", "reduce": SUM, "sort": sort,
                    "limit": limit}
            for way, reply, s in self.both(spec, out=lambda s: {"replace": "ranked_" + s}):
                self.assertEqual(self.read(DB, "ranked_" + s), want, (way, sort))
                self.assertEqual(reply["counts"]["input"], limit)

    # --- mr_scope

    def test_scope_variables_are_globals(self):
        spec = {"mapReduce": "tags", "map": "function () { this.tags.forEach((t) => emit(t, {count: xx.val})); }",
                "reduce": REDUCE_COUNT_OBJ, "query": {"_id": {"$lt": 5}}}
        counts = tag_counts(self.data["tags"], lambda d: d["_id"] < 5)
        for val in (1, 2):
            for way, got in self.inline({**spec, "scope": {"xx": {"val": val}}}):
                self.assertEqual(got, {k: {"count": n * val} for k, n in counts.items()}, way)

    # --- mr_multikey_deduping: arrays emit per element; queries on other fields

    def test_multikey_emits_and_queries(self):
        docs = self.data["pets"]
        spec = {"mapReduce": "pets", "map": "function () { for (var i = 0; i < this.tags.length; i++) emit(this.tags[i], 1); }",
                "reduce": SUM}
        for query, where in [(None, lambda d: True), ({"name": "name1"}, lambda d: d["name"] == "name1"),
                             ({"name": {"$gt": "name"}}, lambda d: d["name"] > "name")]:
            for way, got in self.inline({**spec, "query": query}):
                self.assertEqual(got, tag_counts(docs, where), (way, query))
        for way, got in self.inline({"mapReduce": "pets", "map": "function () { emit(this._id, 1); }", "reduce": SUM,
                                     "query": {"tags": "cat"}}):
            self.assertEqual(got, {1: 1, 2: 1, 3: 1}, way)

    # --- mr_replace_into_other_db, mr_reduce_merge_other_db

    def test_output_to_another_database_in_every_mode(self):
        docs = self.data["elements"][:3]
        spec = {"mapReduce": "elements", "map": MAP_ELEMENTS, "reduce": SUM, "query": {"_id": {"$lte": 3}}}
        counts = dict(Counter(x for d in docs for x in d["a"]))
        cases = [("replace", [{"_id": 5, "value": 1}], counts),
                 ("merge", [{"_id": 1, "value": "something else"}, {"_id": 5, "value": "existing"}],
                  {**counts, 5: "existing"}),
                 ("reduce", [{"_id": 1, "value": 100}, {"_id": 5, "value": 0}], {**counts, 1: 101, 5: 0})]
        for mode, existing, want in cases:
            name = lambda s: "other_%s_%s" % (mode, s)
            for way, reply, s in self.both(spec, out=lambda s: {mode: name(s), "db": OTHER_DB},
                                           prepare=lambda s: self.target(OTHER_DB, name(s), existing)):
                self.assertEqual(reply["result"], {"db": OTHER_DB, "collection": name(s)})
                self.assertEqual(self.read(OTHER_DB, name(s)), want, (way, mode))
                self.assertEqual(self.read(DB, name(s)), {}, "nothing is written to the input's database")

    # --- each out mode against a pre-existing target, in the same database

    def test_each_out_mode_against_an_existing_target(self):
        spec = {"mapReduce": "pets", "map": "function () { this.tags.forEach(function (t) { emit(t, 1); }); }",
                "reduce": SUM}
        counts = tag_counts(self.data["pets"])
        existing = [{"_id": "cat", "value": 10}, {"_id": "fish", "value": 2}]
        for mode, want in [("replace", counts), ("merge", {**counts, "fish": 2}),
                           ("reduce", {**counts, "cat": counts["cat"] + 10, "fish": 2})]:
            name = lambda s: "existing_%s_%s" % (mode, s)
            out = (lambda s: name(s)) if mode == "replace" else (lambda s: {mode: name(s)})
            for way, reply, s in self.both(spec, out=out, prepare=lambda s: self.target(DB, name(s), existing)):
                self.assertEqual(reply["result"], name(s))
                self.assertEqual(self.read(DB, name(s)), want, (way, mode))
        for way, reply, s in self.both(spec, out=lambda s: {"inline": 1}):
            self.assertNotIn("result", reply)
            self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, counts)

    # --- mr_undef and mr_null_arguments

    def test_undefined_and_null(self):
        spec = {"mapReduce": "undef", "map": "function () { emit(this.mod, this.x); }",
                "reduce": "function (k, v) { total = 0; for (i in v) { total += v[i]; } return total; }"}
        for way, reply, s in self.both(spec, out=lambda s: "undef_" + s):
            raw = list(self.direct[DB].get_collection("undef_" + s, codec_options=self.direct.codec_options.with_options(
                document_class=RawBSONDocument)).find())
            self.assertEqual(len(raw), 1, way)
            # The first element of {_id: key, value}: type 0x0A (null), never 0x06 (undefined).
            self.assertEqual(raw[0].raw[4], 0x0A, (way, raw[0].raw[:12]))
            self.assertEqual(self.read(DB, "undef_" + s), {None: 5}, way)
        base = {"mapReduce": "undef", "map": "function () { emit(this._id, 1); }", "reduce": SUM}
        for field in ("finalize", "query", "sort", "scope", "limit"):
            for way, got in self.inline({**base, field: None}):
                self.assertEqual(got, {1: 1, 2: 1}, (way, field))

    # --- mr_bigobject: more than 16 MB through one key's reduce

    def test_big_values_through_one_key(self):
        docs = self.data["big"]
        spec = {"mapReduce": "big", "map": "function () { emit(1, this.s); }", "reduce": "function (k, v) { return 1; }"}
        for way, reply, s in self.both(spec, out=lambda s: {"merge": "big_" + s}):
            self.assertEqual(self.read(DB, "big_" + s), {1: 1}, way)
        spec["reduce"] = """function (k, v) {
          let total = 0;
          for (let i = 0; i < v.length; i++) {
            const x = v[i];
            if (typeof x == "number") total += x; else total += x.length;
          }
          return total;
        }"""
        for way, got in self.inline(spec):
            self.assertEqual(got, {1: sum(len(d["s"]) for d in docs)}, way)

    # --- mr_use_this_object: this.x and this["x"]

    def test_the_this_object(self):
        reduce = """function (k, v) {
          let stats = [], total = 0;
          for (let i = 0; i < v.length; i++) {
            for (let j in v[i].stats) { stats.push(v[i].stats[j]); total += v[i].stats[j]; }
          }
          return {stats: stats, total: total};
        }"""
        visits = defaultdict(list)
        for d in self.data["visits"]:
            visits[d["partner"]].append(d["visits"])
        for mapper in ("function () { emit(this.partner, {stats: [this.visits]}); }",
                       "function () { let x = 'partner', y = 'visits'; emit(this[x], {stats: [this[y]]}); }"):
            spec = {"mapReduce": "visits", "map": mapper, "reduce": reduce}
            for way, reply, s in self.both(spec, out=lambda s: {"merge": "this_" + s},
                                           prepare=lambda s: self.target(DB, "this_" + s, [])):
                got = self.read(DB, "this_" + s)
                self.assertEqual(set(got), set(visits), way)
                for partner, values in visits.items():
                    self.assertEqual(sorted(got[partner]["stats"]), sorted(values), (way, partner))
                    self.assertEqual(got[partner]["total"], sum(values))


if __name__ == "__main__":
    unittest.main()
