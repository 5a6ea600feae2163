"""Task logs (issue 13 item 5): what every attempt writes to stdout and stderr is kept by the
coordinator, bounded, and read with `aviary logs JOB [TASK] [--kind] [--attempt]` and from the
web UI (/api/jobs/JOB/logs, linked from the job's page), while the job is listed."""

import json
import os
import re
import unittest
import urllib.request

from harness import AviaryTestCase, Cluster, make_corpus, plugin, run_cli


class TaskLogsTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        self.cluster = Cluster(self.tmp, workers=2, coordinator_args=["--http", "127.0.0.1:0"])
        m = re.search(r"web UI at (http://\S+)", self.cluster.coordinator.stdout.readline())
        self.assertTrue(m)
        self.url = m.group(1)
        self.cluster.wait_for_workers(2)
        self.addCleanup(self.cluster.stop)

    def logs(self, *args):
        return run_cli("logs", *args, "--coordinator", self.cluster.address)

    def submit(self, *args):
        proc = self.cluster.submit(*args, "--wait", "--json")
        return json.loads(proc.stdout)["job_id"], proc

    def test_a_javascript_jobs_prints_are_kept_per_attempt(self):
        path = os.path.join(self.tmp, "in.jsonl")
        with open(path, "w") as f:
            for i in range(40):
                f.write(json.dumps({"_id": i, "k": i % 4}) + "\n")
        job, proc = self.submit("javascript", "--input", "files:" + path, "--output", "files:" + os.path.join(self.tmp, "out"),
                                "--map-tasks", "2", "--reduce-tasks", "2",
                                "--param", "map=function () { if (this._id % 10 == 3) print('saw', this._id); emit(this.k, 1); }",
                                "--param", "reduce=function (k, v) { print('reducing', k); return Array.sum(v); }")
        self.assertEqual(proc.returncode, 0, proc.stderr)

        every = self.logs(job)
        self.assertEqual(every.returncode, 0, every.stderr)
        for i in (3, 13, 23, 33):
            self.assertIn(f"saw {i}", every.stdout)
        self.assertRegex(every.stdout, r"==> map task 0, attempt 1, worker 127\.0\.0\.1:\d+ <==")
        self.assertIn("==> reduce task", every.stdout)

        one = self.logs(job, "1", "--kind", "map", "--attempt", "1")
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertEqual(one.stdout.count("==> "), 1, one.stdout)
        self.assertIn("==> map task 1, attempt 1", one.stdout)

        none = self.logs(job, "7", "--kind", "map")
        self.assertEqual(none.returncode, 2)
        self.assertIn("no such attempt wrote to stdout or stderr", none.stderr)

        # The web UI serves the same text and links to it from the job's page.
        with urllib.request.urlopen(f"{self.url}/api/jobs/{job}/logs", timeout=10) as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
            self.assertEqual(r.read().decode(), every.stdout)

    def test_a_failing_attempts_last_words_are_kept_and_the_flood_before_them_bounded(self):
        make_corpus(os.path.join(self.tmp, "in"), files=1, max_bytes=20 << 10)
        job, proc = self.submit(plugin("contain"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                "--output", "files:" + os.path.join(self.tmp, "out2"), "--param", "mode=flood",
                                "--param", "mb=8", "--max-attempts", "2")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        got = self.logs(job)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(got.stdout.count("==> map task 0, attempt"), 2, got.stdout[:300])  # both attempts
        self.assertEqual(got.stdout.count("flood done: these are the last words"), 2)
        self.assertIn("bytes of output dropped", got.stdout)
        self.assertLess(len(got.stdout), 200 << 10)  # 8 MiB each were written; 32 KiB each kept

    def test_an_unknown_job_is_refused(self):
        proc = self.logs("job-20000101-000000-0000")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no job job-20000101-000000-0000", proc.stderr)


if __name__ == "__main__":
    unittest.main()
