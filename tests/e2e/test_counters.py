"""Job counters on a real cluster: the engine's counters (Hadoop's) and MongoDB's counts equal the
real sizes of the input and output, in `status --json`, in the summary `submit --wait` prints and
in the web UI's /api/jobs/ID; and a slow task's counters move while it runs, not only at its end."""

import json
import os
import re
import time
import unittest
import urllib.request

from harness import AviaryTestCase, Cluster, WORD, make_corpus, read_output, run_cli


def lines_of(paths):
    """Records the text input reads: one per line (a last line without a newline counts too)."""
    n = 0
    for path in paths:
        with open(path, "rb") as f:
            n += len(f.read().splitlines())
    return n


def write_lines(path, lines):
    with open(path, "w") as f:
        for line in lines:
            f.write(line + "\n")
    return path


def api_job(url, job_id):
    with urllib.request.urlopen(f"{url}/api/jobs/{job_id}", timeout=30) as r:
        return json.loads(r.read().decode())


def n(value):
    """A uint64 as protobuf's JSON prints it (a string) or as a number."""
    return int(value)


class CountersTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        self.cluster = Cluster(self.tmp, workers=2, slots=2, coordinator_args=["--http", "127.0.0.1:0"])
        m = re.search(r"web UI at (http://\S+)", self.cluster.coordinator.stdout.readline())
        self.assertTrue(m, "no web UI address printed")
        self.url = m.group(1)
        self.cluster.wait_for_workers(2)

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()

    def submit_wait(self, *args):
        proc = self.cluster.submit(*args, "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = re.search(r"job (\S+) \(", proc.stdout).group(1)
        return job_id, proc.stdout

    def assertSummaryShows(self, summary, counts, totals):
        self.assertIn(f"  counts: input {counts['input']}, emit {counts['emit']}, reduce {counts['reduce']}, "
                      f"output {counts['output']}; timeMillis {counts['time_millis']} (", summary)
        for name in ("input_records", "input_bytes", "map_emits", "output_records", "output_bytes"):
            self.assertIn(f"  counter {name}: {totals[name]}\n", summary)

    def test_wordcount_counters_equal_the_real_input_and_output(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=5, max_bytes=1 << 20)
        out = os.path.join(self.tmp, "out")
        job_id, summary = self.submit_wait("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                           "--output", "files:" + out, "--map-tasks", "5", "--reduce-tasks", "3")
        words = 0
        for p in paths:
            with open(p, "rb") as f:
                words += len(WORD.findall(f.read()))
        result = read_output(out)
        job = self.cluster.status(job_id)
        totals = {k: n(v) if k != "cpu_seconds" else v for k, v in job["totals"].items()}
        counts = {k: n(v) for k, v in job["counts"].items()}

        self.assertEqual(totals["input_records"], lines_of(paths))
        self.assertEqual(totals["input_bytes"], sum(os.path.getsize(p) for p in paths))
        self.assertEqual(totals["map_emits"], words)
        self.assertEqual(totals["combine_input_records"], words)
        self.assertEqual(totals["map_output_records"], totals["combine_output_records"])  # nothing spilled
        self.assertEqual(totals["reduce_input_values"], totals["map_output_records"])
        # The reduces fetch the maps' partition segments: all of each file but its index.
        self.assertGreater(totals["shuffle_bytes"], 0)
        self.assertLessEqual(totals["shuffle_bytes"], totals["map_output_bytes"])
        self.assertEqual(totals["reduce_groups"], len(result))
        self.assertEqual(totals["output_records"], len(result))
        self.assertGreater(totals["output_bytes"], 0)
        self.assertGreater(totals["cpu_seconds"], 0)
        self.assertGreater(totals["peak_rss_bytes"], 1 << 20)
        # Reduce calls: each fold in the map-side table, plus one per word seen by two or more maps.
        folds = words - totals["combine_output_records"]
        self.assertGreaterEqual(totals["reduce_calls"], folds)
        self.assertLessEqual(totals["reduce_calls"], folds + totals["reduce_groups"])

        self.assertEqual(counts["input"], lines_of(paths))
        self.assertEqual(counts["emit"], words)
        self.assertEqual(counts["reduce"], totals["reduce_calls"])
        self.assertEqual(counts["output"], len(result))
        self.assertGreater(counts["time_millis"], 0)
        self.assertGreaterEqual(counts["time_millis"], counts["map_millis"])
        # A finished job's progress is its totals.
        self.assertEqual(job["progress"], job["totals"])
        # Each attempt carries its own; the winning maps' sum is the job's input.
        maps = [a for t in job["tasks"] if t["kind"] == "MAP" for a in t["attempts"] if a["state"] == "succeeded"]
        self.assertEqual(sum(n(a["counters"]["input_records"]) for a in maps), totals["input_records"])

        self.assertSummaryShows(summary, counts, totals)
        api = api_job(self.url, job_id)
        self.assertEqual(api["counts"]["emit"], words)
        self.assertEqual(api["totals"]["input_bytes"], totals["input_bytes"])
        with urllib.request.urlopen(self.url + "/metrics", timeout=30) as r:
            metrics = r.read().decode()
        self.assertRegex(metrics, r'aviary_job_counter_total\{counter="map_emits"\} %d(\.0)?\n' % words)

    def test_javascript_counts_are_mongodbs(self):
        # 300 documents, keys k0..k9, 2 emits each: input 300, emit 600, output 10.
        docs = [json.dumps({"_id": i, "k": "k%d" % (i % 10), "v": i}) for i in range(300)]
        path = write_lines(os.path.join(self.tmp, "in.jsonl"), docs)
        out = os.path.join(self.tmp, "out")
        job_id, summary = self.submit_wait(
            "javascript", "--input", "files:" + path, "--output", "files:" + out, "--map-tasks", "3",
            "--param", "map=function () { emit(this.k, this.v); emit(this.k, 1); }",
            "--param", "reduce=function (k, vs) { var s = 0; vs.forEach(function (v) { s += v; }); return s; }")
        result = read_output(out)
        self.assertEqual(len(result), 10)
        self.assertEqual(result["k3"], sum(i for i in range(300) if i % 10 == 3) + 30)
        job = self.cluster.status(job_id)
        counts = {k: n(v) for k, v in job["counts"].items()}
        self.assertEqual((counts["input"], counts["emit"], counts["output"]), (300, 600, 10))
        self.assertEqual(n(job["totals"]["input_bytes"]), os.path.getsize(path))
        self.assertGreater(counts["reduce"], 0)
        totals = {k: n(v) if k != "cpu_seconds" else v for k, v in job["totals"].items()}
        self.assertSummaryShows(summary, counts, totals)

    def test_a_slow_tasks_counters_rise_while_it_runs(self):
        records = 400
        path = write_lines(os.path.join(self.tmp, "in.jsonl"), [json.dumps({"i": i}) for i in range(records)])
        # About 20 ms a record: the single map task runs for several seconds.
        slow_map = ("map=function () { var t = Date.now(); while (Date.now() - t < 20) {} "
                    "emit(this.i % 7, 1); }")
        proc = self.cluster.submit("javascript", "--input", "files:" + path, "--output",
                                   "files:" + os.path.join(self.tmp, "out"), "--map-tasks", "1",
                                   "--param", slow_map,
                                   "--param", "reduce=function (k, vs) { return Array.sum(vs); }")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = proc.stdout.strip()
        seen_status = seen_api = None
        deadline = time.time() + 240
        while time.time() < deadline and (seen_status is None or seen_api is None):
            job = self.cluster.status(job_id)
            if job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            read = n(job["progress"]["input_records"])
            if 0 < read < records:
                seen_status = read
                self.assertEqual(n(job["totals"]["input_records"]), 0)  # no map has finished
                attempt = job["tasks"][0]["attempts"][-1]
                self.assertGreater(n(attempt["counters"]["input_records"]), 0)
                text = run_cli("status", job_id, "--coordinator", self.cluster.address, check=0).stdout
                self.assertRegex(text, r"records read so far")
            progress = api_job(self.url, job_id)["progress"]
            if 0 < progress["input_records"] < records:
                seen_api = progress["input_records"]
            time.sleep(0.2)
        self.assertIsNotNone(seen_status, "status --json never showed the running map's records so far")
        self.assertIsNotNone(seen_api, "/api/jobs/ID never showed the running map's records so far")
        job = self.cluster.status(job_id)
        while time.time() < deadline and job["state"] not in ("SUCCEEDED", "FAILED", "CANCELLED"):
            time.sleep(0.2)
            job = self.cluster.status(job_id)
        self.assertEqual(job["state"], "SUCCEEDED", job.get("error"))
        self.assertEqual(n(job["counts"]["input"]), records)
        self.assertEqual(job["progress"], job["totals"])


if __name__ == "__main__":
    unittest.main()
