"""The coordinator's web UI, JSON API and /metrics, and a worker's /metrics, on a real cluster:
fetched with urllib, the metrics parsed strictly, and the job page rendered by headless Chromium
(its DOM must hold what the page's script drew)."""

import json
import os
import re
import shutil
import subprocess
import unittest
import urllib.error
import urllib.request

from harness import AVIARY, AviaryTestCase, Cluster, make_corpus, stop_processes

SECRET = "web-ui-test-secret"


def get(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def parse_metrics(text):
    """A strict reading of the text format: every sample belongs to a family announced by HELP and
    TYPE, label values are well escaped, and histograms end with le="+Inf" equal to _count.
    Returns {(name, frozenset(labels)): value} and {family: type}."""
    from prometheus_client.parser import text_string_to_metric_families
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    helps = re.findall(r"^# HELP (\S+) ", text, re.M)
    type_lines = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    assert len(helps) == len(set(helps)) == len(type_lines), "one HELP and one TYPE per family"
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            assert any(name == f or name.startswith(f + "_") for f, _ in type_lines), f"sample without family: {line}"
    for (name, labels), value in samples.items():
        if name.endswith("_bucket") and ("le", "+Inf") in labels:
            rest = frozenset(kv for kv in labels if kv[0] != "le")
            assert samples[(name[:-7] + "_count", rest)] == value, f"+Inf bucket != _count for {name}"
    return samples, types


class WebUiTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        env = {"AVIARY_SECRET": SECRET}
        self.cluster = Cluster(self.tmp, workers=2, coordinator_args=["--http", "127.0.0.1:0"], env=env)
        line = self.cluster.coordinator.stdout.readline()
        m = re.search(r"web UI at (http://\S+)", line)
        self.assertTrue(m, f"no UI address printed: {line!r}")
        self.url = m.group(1)
        # A third worker of our own, with /metrics.
        self.worker = subprocess.Popen([AVIARY, "worker", "--coordinator", self.cluster.address, "--listen",
                                        "127.0.0.1:0", "--data-dir", os.path.join(self.tmp, "w-http"),
                                        "--http", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True,
                                       env={**os.environ, **env})
        self.worker.stdout.readline()
        m = re.search(r"metrics at (http://\S+)", self.worker.stdout.readline())
        self.assertTrue(m)
        self.worker_metrics = m.group(1)
        self.cluster.wait_for_workers(3)
        paths = make_corpus(os.path.join(self.tmp, "in"), files=6, max_bytes=1 << 20)
        self.out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit("wordcount", "--input", os.path.dirname(paths[0]) and
                                   "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + self.out, "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.job_id = re.search(r"job (\S+)", proc.stdout + proc.stderr).group(1).rstrip(":")

    def tearDown(self):
        stop_processes([self.worker])
        self.cluster.stop()
        super().tearDown()

    def test_json_api(self):
        code, ctype, body = get(self.url + "/api/jobs")
        self.assertEqual(code, 200)
        self.assertIn("application/json", ctype)
        jobs = json.loads(body)
        self.assertEqual([j["job_id"] for j in jobs], [self.job_id])
        self.assertEqual(jobs[0]["state"], "SUCCEEDED")
        self.assertEqual(json.loads(get(self.url + "/api/jobs?state=running")[2]), [])
        self.assertEqual(len(json.loads(get(self.url + "/api/jobs?state=finished")[2])), 1)
        self.assertEqual(get(self.url + "/api/jobs?state=bogus")[0], 400)

        job = json.loads(get(self.url + "/api/jobs/" + self.job_id)[2])
        maps = [t for t in job["tasks"] if t["kind"] == "MAP"]
        self.assertEqual(len(maps), job["maps_total"])
        attempts = [a for t in job["tasks"] for a in t["attempts"]]
        self.assertTrue(all(a["start_unix"] > 0 and a["end_unix"] >= a["start_unix"] for a in attempts))
        self.assertTrue(all(a["worker_address"] for a in attempts))
        self.assertEqual(sum(a["records_in"] for t in maps for a in t["attempts"] if a["state"] == "succeeded"),
                         job["input_records"])
        self.assertEqual([p["name"] for p in job["phases"]], ["map", "reduce", "commit"])
        self.assertIsInstance(job["counter_map"], dict)
        self.assertEqual(len(job["locality"]), sum(len(t["attempts"]) for t in maps))
        self.assertEqual(get(self.url + "/api/jobs/nosuchjob")[0], 404)

        workers = json.loads(get(self.url + "/api/workers")[2])
        self.assertEqual(len(workers), 3)
        self.assertTrue(all(w["alive"] and w["heartbeat_age_s"] >= 0 and w["slots"] == 1 for w in workers))

        for page in ["/", "/workers", "/jobs/" + self.job_id, "/app.js", "/style.css"]:
            self.assertEqual(get(self.url + page)[0], 200, page)

    def test_cancel_needs_the_secret(self):
        url = self.url + "/api/jobs/" + self.job_id + "/cancel"
        self.assertEqual(get(url, method="POST")[0], 401)
        self.assertEqual(get(url, {"Authorization": "Bearer wrong"}, method="POST")[0], 401)
        self.assertEqual(get(self.url + "/api/jobs/" + self.job_id + "/cancel")[0], 404)  # GET changes nothing
        code, _, body = get(url, {"Authorization": "Bearer " + SECRET}, method="POST")
        self.assertNotIn(code, (401, 403), body)  # authorized; a finished job just cannot be cancelled

    def test_metrics_parse_strictly(self):
        code, ctype, text = get(self.url + "/metrics")
        self.assertEqual(code, 200)
        self.assertIn("text/plain", ctype)
        samples, types = parse_metrics(text)
        self.assertEqual(samples[("aviary_jobs", frozenset({("state", "SUCCEEDED")}))], 1)
        self.assertEqual(samples[("aviary_coordinator_leader", frozenset())], 1)
        self.assertEqual(types["aviary_attempt_duration_seconds"], "histogram")
        self.assertGreater(samples[("aviary_attempt_duration_seconds_count", frozenset({("kind", "map")}))], 0)
        self.assertGreater(samples[("aviary_records_read_total", frozenset({("kind", "map")}))], 0)
        for kind in ("map", "reduce"):  # map output, and the result's part files
            self.assertGreater(samples[("aviary_bytes_written_total", frozenset({("kind", kind)}))], 0, kind)
        self.assertEqual(len([k for k in samples if k[0] == "aviary_worker_heartbeat_age_seconds"]), 3)
        self.assertEqual(types["aviary_rpc_errors"], "counter")

        _, _, wtext = get(self.worker_metrics)
        wsamples, wtypes = parse_metrics(wtext)
        self.assertEqual(wtypes["aviary_worker_attempt_duration_seconds"], "histogram")
        self.assertIn(("aviary_worker_slots", frozenset({("state", "free")})), wsamples)
        self.assertGreater(wsamples[("aviary_worker_coordinator_term", frozenset())] + 1, 0)

    @unittest.skipUnless(shutil.which("chromium"), "chromium is not installed (scripts/setup.sh installs it)")
    def test_job_page_in_a_real_browser(self):
        page = self.url + "/jobs/" + self.job_id
        args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + os.path.join(self.tmp, "chrome"), "--virtual-time-budget=5000"]
        dom = subprocess.run(args + ["--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
        self.assertIn('id="job-title"', dom)   # drawn by app.js from /api/jobs/ID
        self.assertIn(self.job_id, dom)
        self.assertIn("SUCCEEDED", dom)
        self.assertIn('class="attempt"', dom)  # the timeline's bars
        self.assertIn("map 0", dom)            # the attempts table
        jobs = subprocess.run(args + ["--dump-dom", self.url + "/"], capture_output=True, text=True, timeout=120).stdout
        self.assertIn('class="job-link"', jobs)
        shots = os.environ.get("AVIARY_SCREENSHOTS")  # where docs/ screenshots are made from a real run
        if shots:
            for name, url in [("web-ui-job", page), ("web-ui-jobs", self.url + "/"), ("web-ui-workers", self.url + "/workers")]:
                subprocess.run(args + ["--window-size=1000,700", "--screenshot=" + os.path.join(shots, name + ".png"), url],
                               capture_output=True, timeout=120)


if __name__ == "__main__":
    unittest.main()
