"""User code is contained (docs/reliability.md): a plugin cannot see the cluster secret, cannot
crash the client that checks it, cannot exceed its memory or CPU limit, leaves no process behind,
and cannot flood the worker daemon with its output."""

import glob
import json
import os
import re
import shutil
import signal
import unittest

from harness import AviaryTestCase, Cluster, make_corpus, plugin, run_cli

SECRET = "correct horse battery staple"
ASAN = "asan" in os.path.basename(os.path.normpath(os.environ.get("AVIARY_BUILD", "")))


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def read_parts(out):
    text = ""
    for path in glob.glob(os.path.join(out, "part-*")):
        with open(path) as f:
            text += f.read()
    return text


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")


class ContainmentTest(AviaryTestCase):
    def corpus(self, files=2):
        make_corpus(os.path.join(self.tmp, "in"), files=files, max_bytes=100 << 10)
        return "files:" + os.path.join(self.tmp, "in", "*.txt")

    def submit(self, cluster, mode, *extra):
        out = os.path.join(self.tmp, "out-" + mode)
        return out, cluster.submit(plugin("contain"), "--input", self.corpus(), "--output", "files:" + out,
                                   "--param", "mode=" + mode, "--max-attempts", "1", "--wait", *extra)

    def assert_map_attempts_are_contained(self, cluster):
        """Runs the probe in two map attempts; each must lead its own process group, be the worker
        daemon's child, read /dev/null and hold no socket (of the fork server or any other)."""
        out, proc = self.submit(cluster, "probe", "--map-tasks", "2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text = read_parts(out)
        layouts = re.findall(r"map-saw:.*? (group:\S+ parent:\S+ stdin:\S+ sockets:\d+);", text)
        self.assertGreaterEqual(len(layouts), 1, text)  # the two maps may see the same: one key
        for layout in layouts:
            self.assertEqual(layout, "group:own parent:worker stdin:/dev/null sockets:0")

    def test_user_code_never_sees_the_secret(self):
        cluster = Cluster(self.tmp, workers=2, env={"AVIARY_SECRET": SECRET})
        try:
            cluster.wait_for_workers(2)
            out, proc = self.submit(cluster, "probe", "--reduce-tasks", "2", "--map-tasks", "2")
            self.assertEqual(proc.returncode, 0, proc.stderr)  # reducers fetched: they had the secret
            text = read_parts(out)
            self.assertIn("map-saw:env:", text)  # the probe ran in map and in reduce
            self.assertIn("reduce-saw:env:", text)
            self.assertNotIn(SECRET, text)
            self.assertNotIn("AVIARY_SECRET", text)
        finally:
            cluster.stop()

    def test_an_attempt_is_a_process_of_its_own_below_the_worker(self):
        # Forked by the worker's fork server or exec'd, an attempt leads its own process group,
        # is the worker daemon's child, reads /dev/null and holds no socket of the fork server.
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            self.assert_map_attempts_are_contained(cluster)
        finally:
            cluster.stop()

    def test_attempts_are_exec_d_the_same_way_once_the_fork_server_is_gone(self):
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            worker = cluster.workers[0].pid
            with open(f"/proc/{worker}/task/{worker}/children") as f:
                children = [int(p) for p in f.read().split()]
            zygotes = [p for p in children if b"task-zygote" in open(f"/proc/{p}/cmdline", "rb").read()]
            self.assertEqual(len(zygotes), 1, children)
            os.kill(zygotes[0], signal.SIGKILL)
            self.assert_map_attempts_are_contained(cluster)
        finally:
            cluster.stop()

    def test_the_secret_from_a_file_is_not_exported_either(self):
        secret_file = os.path.join(self.tmp, "secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        out = os.path.join(self.tmp, "out")
        proc = run_cli("--secret-file", secret_file, "run", plugin("contain"), "--input", self.corpus(),
                       "--output", "files:" + out, "--param", "mode=probe", "--workers", "2", "--reduce-tasks", "2",
                       env={"AVIARY_SECRET": ""})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text = read_parts(out)
        self.assertIn("reduce-saw:env:", text)
        self.assertNotIn(SECRET, text)

    def test_a_plugin_that_aborts_when_loaded_fails_the_submit_with_a_message(self):
        out = os.path.join(self.tmp, "out")
        proc = run_cli("submit", plugin("static_abort"), "--input", self.corpus(), "--output", "files:" + out,
                       "--coordinator", "127.0.0.1:1")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(plugin("static_abort"), proc.stderr)
        self.assertIn("SIGABRT", proc.stderr)

    def test_a_truncated_library_fails_the_submit_with_a_message(self):
        broken = os.path.join(self.tmp, "truncated.so")
        with open(plugin("contain"), "rb") as f:
            data = f.read()
        with open(broken, "wb") as f:
            f.write(data[:20000])  # the headers promise segments that are not there: SIGBUS when mapped
        proc = run_cli("submit", broken, "--input", self.corpus(), "--output", "files:" + self.tmp + "/out",
                       "--coordinator", "127.0.0.1:1")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(broken, proc.stderr)
        self.assertIn("SIGBUS", proc.stderr)

    def test_memory_limit_kills_the_attempt_and_names_the_limit(self):
        cluster = Cluster(self.tmp, workers=1, worker_args=["--memory", "256"])
        try:
            cluster.wait_for_workers(1)
            _, proc = self.submit(cluster, "hog", "--param", "mb=" + ("1400" if ASAN else "600"))
            self.assertEqual(proc.returncode, 1, proc.stderr)
            # Under AddressSanitizer the limit has room for its shadow memory (task_process.h).
            self.assertIn("exceeded the memory limit of %d MB" % (256 + 768 if ASAN else 256), proc.stderr)
        finally:
            cluster.stop()

    def test_the_javascript_job_runs_under_the_memory_limit(self):
        path = os.path.join(self.tmp, "in.jsonl")
        with open(path, "w") as f:
            for i in range(2000):
                f.write(json.dumps({"_id": i, "k": i % 7}) + "\n")
        cluster = Cluster(self.tmp, workers=1, worker_args=["--memory", "256"])
        try:
            cluster.wait_for_workers(1)
            proc = cluster.submit("javascript", "--input", "files:" + path, "--output", "files:" + self.tmp + "/out",
                                  "--param", "map=function () { emit(this.k, 1); }",
                                  "--param", "reduce=function (k, v) { return Array.sum(v); }", "--wait")
            self.assertEqual(proc.returncode, 0, proc.stderr)
        finally:
            cluster.stop()

    def test_cpu_limit_kills_the_attempt_and_names_the_limit(self):
        cluster = Cluster(self.tmp, workers=1, worker_args=["--task-cpu-limit", "1"])
        try:
            cluster.wait_for_workers(1)
            _, proc = self.submit(cluster, "spin")
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("exceeded the CPU-time limit of 1 s", proc.stderr)
        finally:
            cluster.stop()

    def test_nothing_an_attempt_forks_outlives_it(self):
        pidfile = os.path.join(self.tmp, "pids")
        # One attempt per map task, none carrying the other's split: each attempt forks its own.
        cluster = Cluster(self.tmp, workers=1, coordinator_args=("--carry-splits-mb", "0"))
        try:
            cluster.wait_for_workers(1)
            out, proc = self.submit(cluster, "fork", "--param", "pidfile=" + pidfile, "--map-tasks", "2")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(pidfile) as f:
                pids = [int(line) for line in f]
            self.assertEqual(len(pids), 6)  # per map task: a child, a runaway, its grandchild
            self.assertEqual([p for p in pids if alive(p)], [])
        finally:
            cluster.stop()

    def test_output_capture_is_bounded_and_keeps_the_tail(self):
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            worker = cluster.workers[0].pid
            # The same path with 1 MiB first: the peak it leaves is what capturing costs (threads,
            # allocator arenas, code pages the kernel maps), whatever the volume.
            _, proc = self.submit(cluster, "flood", "--param", "mb=1")
            self.assertEqual(proc.returncode, 1, proc.stderr)
            baseline = peak_rss_mb(worker)
            shutil.rmtree(os.path.join(self.tmp, "out-flood"), ignore_errors=True)
            _, proc = self.submit(cluster, "flood", "--param", "mb=512")
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("flood done: these are the last words", proc.stderr)
            self.assertIn("SIGABRT", proc.stderr)
            self.assertIn("bytes of output not kept", proc.stderr)
            # The daemon held no copy of the 512 MiB it was sent: its peak grew by far less.
            self.assertLess(peak_rss_mb(worker) - baseline, 64, f"baseline {baseline} MiB")
        finally:
            cluster.stop()


if __name__ == "__main__":
    unittest.main()
