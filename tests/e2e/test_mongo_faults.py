"""Faults on a MongoDB-backed cluster: a shard server killed while its map task reads it. The job
must fail with a clear error (or retry and succeed) and never leave a wrong result."""

import json
import os
import signal
import subprocess
import time
import unittest

from mongo_harness import MongoTestCase, pid_alive, reference_wordcount, wait_for

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# wordcount whose first Map call of each attempt sleeps 1.5 s, so that the test can kill a shard
# server while its map task is between two batches of documents (the input reads 10000 a batch;
# each shard holds more). Built here, as a job author would build a plugin out of tree.
SLOW_WORDCOUNT = r"""
#include <chrono>
#include <thread>
#include "aviary/aviary.h"

class SlowCount : public aviary::Job {
 public:
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    if (first_) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    first_ = false;
    const std::string_view text = record.text();
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && !IsLetter(text[i])) ++i;
      const size_t start = i;
      while (i < text.size() && IsLetter(text[i])) ++i;
      if (i > start) ctx.Emit(text.substr(start, i - start), int64_t{1});
    }
  }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& counts) override {
    int64_t sum = 0;
    for (aviary::ValueView c : counts) sum += c.as_int();
    return aviary::Value::Int64(sum);
  }
  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }

 private:
  bool first_ = true;
  static bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
};

AVIARY_PLUGIN(SlowCount, "slowcount", "test: wordcount that pauses 1.5 s at its first record")
"""


def write_small_corpus(path, docs):
    """`docs` short JSON lines; returns them."""
    result = []
    with open(path, "w") as f:
        for i in range(docs):
            doc = {"_id": i, "text": f"w{i % 97} common {'odd' if i % 2 else 'even'}"}
            result.append(doc)
            f.write(json.dumps(doc) + "\n")
    return result


class ShardServerKillTest(MongoTestCase):
    SHARDS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        source = os.path.join(cls.root, "slowcount.cc")
        with open(source, "w") as f:
            f.write(SLOW_WORDCOUNT)
        cls.plugin = os.path.join(cls.root, "slowcount.so")
        subprocess.run(["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-I", os.path.join(REPO, "include"), source,
                        "-o", cls.plugin], check=True, capture_output=True, timeout=120)

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
                                   self.cluster.ns_uri("out.kill"), "--max-attempts", "2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = proc.stdout.strip()
        wait_for(lambda: self.map_running(job_id), timeout=60, what="a running map attempt")
        time.sleep(0.5)  # the attempt holds its first batch and sleeps in its first Map call
        victim = self.cluster.shard("shard0")
        os.kill(victim["pid"], signal.SIGKILL)
        wait_for(lambda: not pid_alive(victim["pid"]), timeout=10, what="the shard server's death")

        final = wait_for(lambda: self.final(job_id), timeout=60, interval=0.2, what="the end of the job")
        print(f"\n  job {job_id} after the kill: {final['state']} {final.get('error', '')}")
        if final["state"] == "SUCCEEDED":
            self.assertCountsEqual(self.cluster.read_output("out.kill"), expected)
        else:
            self.assertEqual(final["state"], "FAILED", final)
            host = victim["uri"][len("mongodb://"):-1]
            self.assertRegex(final["error"], f"shard0|{host}", f"the error does not say which shard: {final['error']}")
            # The earlier result is untouched: no partial replace.
            self.assertCountsEqual(self.cluster.read_output("out.kill"), expected)

    def map_running(self, job_id):
        status = self.cluster.job_status(job_id)
        return any(a.get("state") == "running" for t in status.get("tasks", []) if t["kind"] == "MAP"
                   for a in t.get("attempts", []))

    def final(self, job_id):
        status = self.cluster.job_status(job_id)
        return status if status["state"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None


if __name__ == "__main__":
    unittest.main()
