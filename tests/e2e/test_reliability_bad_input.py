"""Bad input and hostile conditions, beyond test_bad_input.py: malformed JSON across splits and
files, documents without the text field, lines longer than 16 MiB, invalid and unreachable URIs,
a full disk while spilling, and messages larger than the RPC limit. Each must end in a clear
message and, where the command fails, a non-zero exit; nothing may be lost or half-written."""

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import AVIARY, AviaryTestCase, Cluster, WORD, read_output, reference_wordcount, run_cli


def write_jsonl(path, lines):
    with open(path, "w") as f:
        for line in lines:
            f.write(line + "\n")


def words_of(docs, field="text"):
    counts = {}
    for doc in docs:
        text = doc.get(field)
        if isinstance(text, str):
            for w in WORD.findall(text.encode()):
                counts[w.decode()] = counts.get(w.decode(), 0) + 1
    return counts


def assertNoResult(test, out):
    """Nothing of a failed job is left in `out`: no _SUCCESS, no part file, no temporary."""
    if os.path.exists(out):
        test.assertEqual([f for f in os.listdir(out) if f == "_SUCCESS" or f.startswith("part-")], [],
                         f"a failed job left results in {out}")
        test.assertFalse(os.path.exists(os.path.join(out, "_temporary")) and os.listdir(os.path.join(out, "_temporary")),
                         "a failed job left temporary output behind")


def counter(status, name):
    return {c["name"]: int(c["value"]) for c in status.get("counters", [])}.get(name, 0)


class ClusterCase(AviaryTestCase):
    """One coordinator and two workers on loopback for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="aviary-bad-input-cluster-")
        try:
            cls.cluster = Cluster(cls.root, workers=2)
        except BaseException:
            shutil.rmtree(cls.root, ignore_errors=True)
            raise
        try:
            cls.cluster.wait_for_workers(2)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def submit_wait(self, *args):
        proc = self.cluster.submit(*args, "--wait", "--json")
        status = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
        return proc, status


class MalformedJsonTest(ClusterCase):
    def make_input(self):
        rng = random.Random(5)
        vocab = ["river", "stone", "cloud", "ember", "frost", "grove", "harbor", "meadow"]
        good = {"a": [], "b": []}
        lines = {"a": [], "b": []}
        for name in ("a", "b"):
            for i in range(3000):
                doc = {"_id": f"{name}{i}", "text": " ".join(rng.choice(vocab) for _ in range(6))}
                good[name].append(doc)
                lines[name].append(json.dumps(doc))
        # Bad lines, placed so that they fall in different map tasks, far from a split's start.
        lines["a"][1200] = '{"text": "unterminated'
        lines["b"][2100] = '{"text": "x"} trailing garbage'
        lines["b"][2900] = "[1, 2, 3]"
        for name, index in (("a", 1200), ("b", 2100), ("b", 2900)):
            good[name][index] = None
        lines["b"].insert(10, "")  # a blank line is not a record, good or bad
        for name in ("a", "b"):
            write_jsonl(os.path.join(self.tmp, f"{name}.jsonl"), lines[name])
        docs = [d for name in ("a", "b") for d in good[name] if d is not None]
        return docs

    def test_default_fails_naming_file_and_line_and_writes_nothing(self):
        self.make_input()
        out = os.path.join(self.tmp, "out")
        proc, status = self.submit_wait("wordcount", "--input", "files:" + os.path.join(self.tmp, "*.jsonl"),
                                        "--output", "files:" + out, "--map-tasks", "6", "--max-attempts", "2")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(status["state"], "FAILED")
        # Line numbers count from the start of the file, not of the split (the 1-based line
        # 1201 of a.jsonl, 2102 of b.jsonl with the blank line).
        self.assertRegex(status["error"], r"(a\.jsonl:1201|b\.jsonl:2102|b\.jsonl:2902): malformed JSON")
        assertNoResult(self, out)

    def test_skip_bad_records_counts_and_skips(self):
        docs = self.make_input()
        out = os.path.join(self.tmp, "out")
        proc, status = self.submit_wait("wordcount", "--input", "files:" + os.path.join(self.tmp, "*.jsonl"),
                                        "--output", "files:" + out, "--map-tasks", "6", "--skip-bad-records")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(read_output(out), words_of(docs))
        # The counter as `aviary status --json` shows it, summed over winning attempts only.
        status = self.cluster.status(status["job_id"])
        self.assertEqual(counter(status, "bad_records_skipped"), 3, status.get("counters"))
        self.assertEqual(int(status["input_records"]), len(docs))


class MissingFieldTest(ClusterCase):
    def test_documents_without_a_text_field_count_as_empty_text(self):
        docs = [{"text": "alpha beta"}, {"other": "gamma"}, {}, {"text": None}, {"text": 7}, {"text": {"a": "delta"}},
                {"text": ["epsilon"]}, {"text": ""}, {"text": "beta zeta"}, {"body": "eta theta", "text": "iota"}]
        path = os.path.join(self.tmp, "docs.jsonl")
        write_jsonl(path, [json.dumps(d) for d in docs])
        out = os.path.join(self.tmp, "out")
        proc, status = self.submit_wait("wordcount", "--input", "files:" + path, "--output", "files:" + out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(read_output(out), {"alpha": 1, "beta": 2, "zeta": 1, "iota": 1})
        self.assertEqual(int(status["input_records"]), len(docs))
        # Another field by --field: documents without it are empty too.
        out2 = os.path.join(self.tmp, "out2")
        proc, status = self.submit_wait("wordcount", "--input", "files:" + path, "--output", "files:" + out2,
                                        "--field", "body")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(read_output(out2), {"eta": 1, "theta": 1})


class LongLineTest(ClusterCase):
    def test_lines_longer_than_16_mib(self):
        rng = random.Random(11)
        vocab = ["alpha", "beta", "gamma", "delta", "epsilon"]
        long_line = " ".join(rng.choice(vocab) for _ in range(3_400_000))  # about 18 MiB
        self.assertGreater(len(long_line), 16 << 20)
        giant_word = "q" * (17 << 20)
        text = os.path.join(self.tmp, "long.txt")
        with open(text, "w") as f:
            f.write("first line\n" + long_line + "\nmiddle\n" + giant_word + " tail\nlast line\n")
        jsonl = os.path.join(self.tmp, "long.jsonl")
        write_jsonl(jsonl, [json.dumps({"text": "first"}), json.dumps({"text": long_line}), json.dumps({"text": "end"})])
        for path in (text, jsonl):
            with self.subTest(input=os.path.basename(path)):
                out = os.path.join(self.tmp, "out-" + os.path.basename(path))
                # Several map tasks, so split boundaries fall inside the long lines.
                proc, status = self.submit_wait("wordcount", "--input", "files:" + path, "--output", "files:" + out,
                                                "--map-tasks", "4", "--reduce-tasks", "2")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                if path == text:
                    expected = reference_wordcount([text])
                else:
                    expected = words_of([{"text": "first"}, {"text": long_line}, {"text": "end"}])
                self.assertEqual(read_output(out), expected)


class UriTest(AviaryTestCase):
    def run_job(self, input_uri, output_uri, timeout=60):
        return run_cli("run", "wordcount", "--input", input_uri, "--output", output_uri, "--workers", "1",
                       timeout=timeout)

    def test_invalid_uris_are_refused_before_anything_runs(self):
        hostname = "files:/etc/hostname"
        out = os.path.join(self.tmp, "out")
        cases = [
            ("mongodb://", "files:" + out, "names no database and collection"),
            ("mongodb://garbage", "files:" + out, "names no database and collection"),
            ("mongodb://host:notaport/db.coll", "files:" + out, "Invalid host string"),
            ("mongodb:///db.coll", "files:" + out, "names no host"),
            ("mongodb://127.0.0.1:1/db", "files:" + out, "names no collection"),
            ("files:", "files:" + out, "names no files"),
            ("files", "files:" + out, "unsupported input URI"),
            (hostname, "mongodb://", "names no database and collection"),
            (hostname, "mongodb://h:x/db.c", "Invalid host string"),
            (hostname, "files:", "names no directory"),
            (hostname, "ftp://example/x", "unsupported output URI"),
        ]
        for input_uri, output_uri, needle in cases:
            with self.subTest(input=input_uri, output=output_uri):
                proc = self.run_job(input_uri, output_uri)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(needle, proc.stderr)
                assertNoResult(self, out)
        for metadata, needle in [("mongodb://", "must look like mongodb://HOST:PORT/DB"),
                                 ("garbage", "must look like mongodb://HOST:PORT/DB"),
                                 ("mongodb://127.0.0.1:1/", "must look like mongodb://HOST:PORT/DB"),
                                 ("mongodb://h:x/meta", "Invalid host string")]:
            with self.subTest(metadata=metadata):
                proc = run_cli("coordinator", "--listen", "127.0.0.1:0", "--metadata", metadata, timeout=60)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(needle, proc.stderr)

    def test_unreachable_servers_exit_3_naming_them(self):
        out = os.path.join(self.tmp, "out")
        for input_uri, output_uri in [("mongodb://127.0.0.1:1/db.coll", "files:" + out),
                                      ("files:/etc/hostname", "mongodb://127.0.0.1:1/db.coll")]:
            with self.subTest(input=input_uri, output=output_uri):
                start = time.time()
                proc = self.run_job(input_uri, output_uri)
                self.assertEqual(proc.returncode, 3, proc.stderr)
                self.assertIn("cannot reach mongodb://127.0.0.1:1/", proc.stderr)
                self.assertLess(time.time() - start, 30)
                assertNoResult(self, out)
        proc = run_cli("coordinator", "--listen", "127.0.0.1:0", "--metadata", "mongodb://127.0.0.1:1/meta", timeout=60)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("cannot reach mongodb://127.0.0.1:1/", proc.stderr)
        # Every coordinator of a list unreachable: exit 3, naming them.
        proc = run_cli("status", "--coordinator", "127.0.0.1:1,127.0.0.1:2")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("127.0.0.1:", proc.stderr)


class OversizedMessageTest(AviaryTestCase):
    def test_submission_over_the_rpc_limit_is_refused_clearly(self):
        # A 100 MB --param cannot be passed at all (Linux caps one argument at 128 KiB), so the
        # message is made large the other way a user can: a plugin library padded to 100 MB,
        # which the submission carries to the coordinator.
        big = os.path.join(self.tmp, "big.so")
        shutil.copy(os.path.join(os.path.dirname(AVIARY), "..", "lib", "aviary", "wordcount.so"), big)
        with open(big, "ab") as f:
            f.truncate(100_000_000)
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            out = os.path.join(self.tmp, "out")
            proc = cluster.submit(big, "--input", "files:/etc/hostname", "--output", "files:" + out, "--wait")
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("too large to submit", proc.stderr)
            self.assertIn("64 MiB", proc.stderr)
            assertNoResult(self, out)
            # The largest parameters the OS lets through do work, and nothing crashed meanwhile.
            value = "w" * (120 << 10)
            params = [arg for i in range(8) for arg in ("--param", f"p{i}={value}")]
            proc = cluster.submit("wordcount", "--input", "files:/etc/hostname", "--output", "files:" + out, *params,
                                  "--wait")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(read_output(out), reference_wordcount(["/etc/hostname"]))
            self.assertIsNone(cluster.coordinator.poll())
            self.assertIsNone(cluster.workers[0].poll())
        finally:
            cluster.stop()


class FullDiskTest(AviaryTestCase):
    def mount_small_disk(self, size="400k"):
        if os.geteuid() != 0:
            self.skipTest("mounting a small filesystem needs root")
        disk = os.path.join(self.tmp, "small-disk")
        os.makedirs(disk)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "aviary-test", disk],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
        self.addCleanup(subprocess.run, ["umount", "-l", disk], capture_output=True)
        return disk

    def test_full_disk_while_spilling_fails_the_attempt_and_another_worker_redoes_it(self):
        disk = self.mount_small_disk()
        # Many distinct words, so that 1 MiB of map memory spills and the spill overflows the disk.
        rng = random.Random(3)
        os.makedirs(os.path.join(self.tmp, "in"))
        paths = []
        for i in range(4):
            path = os.path.join(self.tmp, "in", f"part-{i}.txt")
            with open(path, "w") as f:
                for _ in range(16000):
                    f.write(" ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
                                     for _ in range(8)) + "\n")
            paths.append(path)
        cluster = Cluster(self.tmp, workers=0)
        try:
            small = subprocess.Popen([AVIARY, "worker", "--coordinator", cluster.address, "--listen", "127.0.0.1:0",
                                      "--data-dir", disk, "--memory", "1"],
                                     stdout=subprocess.DEVNULL, stderr=cluster._log("small-disk-worker"))
            cluster.workers["small"] = small
            cluster.wait_for_workers(1)
            small_id = [w["worker_id"] for w in json.loads(run_cli("workers", "--coordinator", cluster.address,
                                                                   "--json").stdout)["workers"]][0]
            cluster.worker_args = ["--memory", "1"]
            cluster.start_worker(1)
            cluster.wait_for_workers(2)
            out = os.path.join(self.tmp, "out")
            proc = cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                  "--output", "files:" + out, "--map-tasks", "8", "--reduce-tasks", "2",
                                  "--wait", "--json", timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            job = json.loads(proc.stdout)["job_id"]
            self.assertOutputEquals(out, reference_wordcount(paths))
            status = cluster.status(job)
            failed = [(t["kind"], t["task"], a) for t in status["tasks"] for a in t["attempts"] if a["state"] == "failed"]
            self.assertTrue(failed, "no attempt met the full disk; the test did not test anything")
            for kind, task, attempt in failed:
                self.assertEqual(attempt["worker_id"], small_id)
                self.assertIn("No space left on device", attempt["error"], (kind, task))
            for t in status["tasks"]:
                self.assertEqual(sum(a["state"] == "succeeded" for a in t["attempts"]), 1, t)
            # A reducer that cannot store what it fetched is at fault itself: the map outputs it
            # fetched are fine and must not be declared lost and run again.
            lost = [(t["kind"], t["task"], a["error"]) for t in status["tasks"] for a in t["attempts"]
                    if a["state"] == "lost"]
            self.assertEqual(lost, [])
            self.assertGreater(counter(status, "map_spills"), 0)
            self.assertIsNone(small.poll(), "the worker with the full disk died")
            # Its disk is given back once the job is over.
            deadline = time.time() + 10
            while time.time() < deadline and os.listdir(os.path.join(disk, "jobs")):
                time.sleep(0.1)
            self.assertEqual(os.listdir(os.path.join(disk, "jobs")), [])
        finally:
            cluster.stop()


if __name__ == "__main__":
    unittest.main()
