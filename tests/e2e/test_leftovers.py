"""Leftovers (issue 15, class 5): everything a job creates has an owner that removes it when the
job ends or is abandoned. Here a coordinator without a metadata store dies, or stops, in the
middle of a job: its `_temporary` output and the workers' map outputs must not stay forever."""

import os
import re
import signal
import subprocess
import time
import unittest

from harness import AVIARY, AviaryTestCase, make_corpus, run_cli, stop_processes
from netns_harness import slowcount_plugin


def wait_for(predicate, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


class AbandonedJobTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        make_corpus(os.path.join(self.tmp, "in"), files=2, max_bytes=64 << 10)
        self.out = os.path.join(self.tmp, "out")
        self.env = {**os.environ, "XDG_RUNTIME_DIR": os.path.join(self.tmp, "run")}
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)
        self.procs = []
        self.addCleanup(lambda: stop_processes(self.procs))

    def start_coordinator(self, listen, *args):
        log = open(os.path.join(self.tmp, f"coordinator-{len(self.procs)}.log"), "ab")
        self.addCleanup(log.close)
        proc = subprocess.Popen([AVIARY, "coordinator", "--listen", listen, *args], stdout=subprocess.PIPE,
                                stderr=log, text=True, env=self.env)
        self.procs.append(proc)
        line = proc.stdout.readline()
        self.assertIn("listening on", line)
        proc.stdout.close()
        return proc, re.search(r"listening on (\S+)", line).group(1)

    def start_workers(self, address, n=2):
        for i in range(n):
            self.procs.append(subprocess.Popen(
                [AVIARY, "worker", "--coordinator", address, "--data-dir", self.worker_dir(i)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env))

    def worker_dir(self, i):
        return os.path.join(self.tmp, f"w{i}")

    def map_outputs(self):
        # A worker dropping its map outputs removes and recreates `jobs`: absent for a moment.
        outputs = []
        for i in range(2):
            try:
                outputs += os.listdir(os.path.join(self.worker_dir(i), "jobs"))
            except FileNotFoundError:
                pass
        return outputs

    def submit_slow_job(self, address):
        """A job whose map attempts run (they sleep before their first record): its output is
        set up (`_temporary/JOB`) and the workers hold its attempt directories."""
        proc = run_cli("submit", slowcount_plugin(), "--coordinator", address, "--input",
                       "files:" + os.path.join(self.tmp, "in", "*.txt"), "--output", "files:" + self.out,
                       "--map-tasks", "4", "--reduce-tasks", "2", "--param", "map_ms=120000", env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        job = re.search(r"job-\S+", proc.stdout).group(0)
        wait_for(lambda: job in self.map_outputs(), "the job's map attempts running")
        self.assertTrue(os.path.isdir(os.path.join(self.out, "_temporary", job)))
        return job

    def test_a_restarted_coordinator_removes_what_its_killed_predecessor_left(self):
        data = os.path.join(self.tmp, "coordinator-data")
        first, address = self.start_coordinator("127.0.0.1:0", "--data-dir", data)
        self.start_workers(address)
        job = self.submit_slow_job(address)

        first.send_signal(signal.SIGKILL)
        first.wait()
        self.start_coordinator(address, "--data-dir", data)
        wait_for(lambda: not os.path.exists(os.path.join(self.out, "_temporary")), "the lost job's _temporary removed")
        # The workers re-register with the coordinator that forgot them and drop what nobody will fetch.
        wait_for(lambda: job not in self.map_outputs(), "the lost job's map outputs removed")
        self.assertEqual(os.listdir(self.out) if os.path.exists(self.out) else [], [])

    def test_a_killed_coordinators_default_dir_is_cleaned_by_the_next_one(self):
        first, address = self.start_coordinator("127.0.0.1:0")
        own_dir = os.path.join(self.env["XDG_RUNTIME_DIR"], "aviary", f"coordinator-{first.pid}")
        self.assertTrue(os.path.isdir(own_dir))
        self.start_workers(address)
        job = self.submit_slow_job(address)

        first.send_signal(signal.SIGKILL)
        first.wait()
        self.start_coordinator(address)
        wait_for(lambda: not os.path.exists(own_dir), "the dead coordinator's data dir removed")
        self.assertFalse(os.path.exists(os.path.join(self.out, "_temporary", job)))

    def test_a_coordinator_that_stops_removes_its_unfinished_jobs_output(self):
        coordinator, address = self.start_coordinator("127.0.0.1:0")
        self.start_workers(address)
        job = self.submit_slow_job(address)
        coordinator.send_signal(signal.SIGTERM)
        self.assertEqual(coordinator.wait(timeout=30), 0)
        self.assertFalse(os.path.exists(os.path.join(self.out, "_temporary", job)))


if __name__ == "__main__":
    unittest.main()
