"""Correctness of the built-in jobs and the classic MapReduce lab checks, on real processes."""

import glob
import json
import os
import subprocess
import time
import unittest

from harness import (AVIARY, AviaryTestCase, ClusterTestCase, Cluster, make_corpus, plugin, read_output, reference_index,
                     reference_wordcount, run_cli)


class LocalModeTest(AviaryTestCase):
    def test_wordcount_equals_sequential_reference(self):
        paths = make_corpus(os.path.join(self.tmp, "in"))
        out = os.path.join(self.tmp, "out")
        run_cli("run", "wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                "--output", "files:" + out, "--workers", "2", "--reduce-tasks", "3", check=0)
        self.assertOutputEquals(out, reference_wordcount(paths))
        self.assertEqual(len(glob.glob(os.path.join(out, "part-*.jsonl"))), 3)

    def test_wordcount_reads_lines_in_blocks_exactly(self):
        # Wordcount takes a read buffer's whole lines per Map call. Lines longer than the buffer
        # (1 MiB), CRLF endings, empty lines, a last line without '\n' and split boundaries in
        # the middle of lines must give the counts of the text itself, and "records in" the lines.
        d = os.path.join(self.tmp, "in")
        os.makedirs(d)
        words = [b"alpha", b"Beta", b"gamma", b"delta", b"Eps", b"zeta", b"etaTheta"]
        long_line = b" ".join(words[i % 7] for i in range(400000))  # ~2.6 MB, no newline
        texts = [
            b"one two\r\nthree\r\n\r\n" + long_line + b"\r\nfour five\n" * 3000 + b"six",
            b"\n\n" + b"x y z\n" * 200000 + long_line,
        ]
        paths = []
        for i, text in enumerate(texts):
            paths.append(os.path.join(d, f"t{i}.txt"))
            with open(paths[-1], "wb") as f:
                f.write(text)
        out = os.path.join(self.tmp, "out")
        report = run_cli("run", "wordcount", "--input", "files:" + os.path.join(d, "*.txt"), "--output",
                         "files:" + out, "--workers", "2", "--map-tasks", "9", "--json", check=0)
        self.assertOutputEquals(out, reference_wordcount(paths))
        lines = sum(t.count(b"\n") + (0 if t.endswith(b"\n") else 1) for t in texts)
        self.assertEqual(int(json.loads(report.stdout)["totals"]["input_records"]), lines)

    def test_indexer_equals_sequential_reference(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=5, max_bytes=1 << 20)
        out = os.path.join(self.tmp, "out")
        run_cli("run", "indexer", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                "--output", "files:" + out, "--workers", "2", "--map-tasks", "7", check=0)
        self.assertOutputEquals(out, reference_index(paths))

    def test_spilling_with_tiny_memory_gives_same_result(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=2, max_bytes=2 << 20)
        out = os.path.join(self.tmp, "out")
        run_cli("run", "wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                "--output", "files:" + out, "--workers", "2", "--memory", "1", "--map-tasks", "2", check=0)
        self.assertOutputEquals(out, reference_wordcount(paths))

    def test_json_lines_input_reads_the_text_field(self):
        path = os.path.join(self.tmp, "docs.jsonl")
        with open(path, "w") as f:
            for i in range(200):
                f.write(json.dumps({"_id": i, "body": f"alpha beta {'gamma ' * (i % 3)}", "n": i}) + "\n")
        out = os.path.join(self.tmp, "out")
        run_cli("run", "wordcount", "--input", "files:" + path, "--output", "files:" + out, "--field", "body",
                check=0)
        self.assertEqual(read_output(out), {"alpha": 200, "beta": 200, "gamma": 199})


class InlineOutputTest(AviaryTestCase):
    def test_inline_output_prints_json_lines(self):
        path = os.path.join(self.tmp, "small.txt")
        with open(path, "w") as f:
            f.write("the cat and the dog\nthe end\n")
        proc = run_cli("run", "wordcount", "--input", "files:" + path, "--output", "inline", check=0)
        result = {}
        for line in proc.stdout.splitlines():
            doc = json.loads(line)
            result[doc["_id"]] = doc["value"]
        self.assertEqual(result, {"the": 3, "cat": 1, "and": 1, "dog": 1, "end": 1})


class ClusterTest(ClusterTestCase):
    def test_wordcount_through_submit_wait(self):
        paths = make_corpus(os.path.join(self.tmp, "in"))
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--map-tasks", "8", "--wait", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        status = json.loads(proc.stdout)
        self.assertEqual(status["state"], "SUCCEEDED")
        self.assertOutputEquals(out, reference_wordcount(paths))

    def test_relative_paths_mean_the_clients_directory(self):
        # The daemons run elsewhere; the client's relative paths must not land in their cwd.
        client_dir = os.path.join(self.tmp, "client")
        paths = make_corpus(os.path.join(client_dir, "in"), files=2, max_bytes=256 << 10)
        proc = subprocess.run([AVIARY, "submit", "wordcount", "--input", "files:in/*.txt", "--output", "files:out",
                               "--coordinator", self.cluster.address, "--wait"],
                              capture_output=True, text=True, timeout=300, cwd=client_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertOutputEquals(os.path.join(client_dir, "out"), reference_wordcount(paths))

    def test_job_count_each_map_task_runs_once(self):
        make_corpus(os.path.join(self.tmp, "in"), files=8, max_bytes=1 << 20)
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--map-tasks", "8", "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job_id = proc.stderr.split("submitted ")[1].split()[0]
        status = self.cluster.status(job_id)
        maps = [t for t in status["tasks"] if t["kind"] == "MAP"]
        self.assertEqual(len(maps), 8)
        for task in maps:
            self.assertEqual(len(task["attempts"]), 1, task)
            self.assertEqual(task["attempts"][0]["state"], "succeeded")

    def test_running_maps_carry_idle_splits_and_count_each_once(self):
        # A map attempt claims idle splits as it goes and reads them into its output: far fewer
        # attempts than splits run, every split is won once, and the result is exact.
        paths = make_corpus(os.path.join(self.tmp, "in"), files=6, max_bytes=1 << 20)
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--map-tasks", "24", "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertOutputEquals(out, reference_wordcount(paths))
        job_id = proc.stderr.split("submitted ")[1].split()[0]
        status = self.cluster.status(job_id)
        maps = [t for t in status["tasks"] if t["kind"] == "MAP"]
        self.assertEqual(len(maps), 24)
        carriers = {t["task"] for t in maps for a in t["attempts"] if not a["carried"]}
        carried = [a for t in maps for a in t["attempts"] if a["carried"]]
        self.assertEqual(len(carriers) + len(carried), 24, status["tasks"])
        self.assertGreater(len(carried), 0)
        self.assertTrue(all(a["carried_by_task"] in carriers and a["state"] == "succeeded" for a in carried))
        lines = sum(sum(1 for _ in open(p, "rb")) for p in paths)
        self.assertEqual(int(status["totals"]["input_records"]), lines)

    def test_map_parallelism(self):
        make_corpus(os.path.join(self.tmp, "in"), files=4, max_bytes=64 << 10)
        probe = os.path.join(self.tmp, "probe")
        os.makedirs(probe)
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit(plugin("mtiming"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--map-tasks", "4", "--param", "dir=" + probe,
                                   "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertGreaterEqual(read_output(out)["parallel"], 2, "map tasks never overlapped")

    def test_reduce_parallelism(self):
        make_corpus(os.path.join(self.tmp, "in"), files=2, max_bytes=16 << 10)
        probe = os.path.join(self.tmp, "probe")
        os.makedirs(probe)
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit(plugin("rtiming"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--reduce-tasks", "2", "--param", "dir=" + probe,
                                   "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertGreaterEqual(max(read_output(out).values()), 2, "reduce tasks never overlapped")

    def test_early_exit_output_final_when_submit_returns(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=8, max_bytes=2 << 20)
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        snapshot = {p: open(p, "rb").read() for p in glob.glob(os.path.join(out, "*"))}
        self.assertOutputEquals(out, reference_wordcount(paths))
        time.sleep(2)
        later = {p: open(p, "rb").read() for p in glob.glob(os.path.join(out, "*"))}
        self.assertEqual(snapshot, later, "output changed after submit --wait returned")
        self.assertFalse(os.path.exists(os.path.join(out, "_temporary")))
        for proc in self.cluster.workers.values():
            self.assertIsNone(proc.poll(), "a worker exited")


if __name__ == "__main__":
    unittest.main()
