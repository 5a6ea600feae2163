"""Failures: crashing and stalling user code, workers killed with SIGKILL mid-job."""

import json
import os
import random
import threading
import time
import unittest

from harness import AviaryTestCase, Cluster, make_corpus, plugin, read_output, reference_wordcount, run_cli
from netns_harness import slowcount_plugin


class PluginCrashTest(AviaryTestCase):
    def test_crashing_and_stalling_plugin_still_gives_exact_output(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=8, max_bytes=1 << 20)
        out = os.path.join(self.tmp, "out")
        run_cli("run", plugin("crash"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                "--output", "files:" + out, "--workers", "3", "--map-tasks", "8", "--reduce-tasks", "4",
                "--task-timeout", "3", "--max-attempts", "30", check=0, timeout=600)
        self.assertOutputEquals(out, reference_wordcount(paths))

    def test_each_kind_of_plugin_failure_fails_the_job_but_not_the_workers(self):
        make_corpus(os.path.join(self.tmp, "in"), files=2, max_bytes=8 << 10)
        cluster = Cluster(self.tmp, workers=2, worker_args=["--task-timeout", "2"])
        try:
            cluster.wait_for_workers(2)
            for mode, expect in [("segv", "SIGSEGV"), ("abort", "SIGABRT"), ("throw", "threw on purpose"),
                                 ("exit", "exited with code 7"), ("loop", "no progress"),
                                 ("setup", "refusing to start")]:
                with self.subTest(mode=mode):
                    out = os.path.join(self.tmp, "out-" + mode)
                    proc = cluster.submit(plugin("faulty"), "--input",
                                          "files:" + os.path.join(self.tmp, "in", "*.txt"), "--output",
                                          "files:" + out, "--param", "mode=" + mode, "--max-attempts", "2",
                                          "--wait", "--json")
                    self.assertEqual(proc.returncode, 1, proc.stderr)
                    status = json.loads(proc.stdout)
                    self.assertEqual(status["state"], "FAILED")
                    self.assertIn("the user's Map function threw the same error on attempts 1 and 2" if mode == "throw"
                                  else "failed 2 times", status["error"])
                    self.assertIn(expect, status["error"])
                    self.assertFalse(os.path.exists(os.path.join(out, "_SUCCESS")))
                    self.assertEqual([f for f in os.listdir(out) if f.startswith("part-")] if os.path.exists(out)
                                     else [], [])
                    for p in cluster.workers.values():
                        self.assertIsNone(p.poll(), "a worker died with the plugin")
        finally:
            cluster.stop()


class UserCodeErrorTest(AviaryTestCase):
    """An exception from user code is deterministic: the job fails on the second attempt, not after all."""

    def test_plugin_that_always_throws_fails_after_exactly_two_attempts(self):
        make_corpus(os.path.join(self.tmp, "in"), files=1, max_bytes=4 << 10)
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            proc = cluster.submit(plugin("faulty"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                  "--output", "files:" + os.path.join(self.tmp, "out"), "--param", "mode=throw",
                                  "--map-tasks", "1", "--max-attempts", "4", "--wait", "--json")
            self.assertEqual(proc.returncode, 1, proc.stderr)
            status = json.loads(proc.stdout)
            self.assertEqual(status["state"], "FAILED")
            self.assertIn("map task 0: the user's Map function threw the same error on attempts 1 and 2",
                          status["error"])
            self.assertIn("faulty plugin threw on purpose", status["error"])
            attempts = [a for t in status.get("tasks", []) for a in t.get("attempts", [])]
            if attempts:  # the status lists attempts: exactly two ran
                self.assertEqual(len(attempts), 2, status)
        finally:
            cluster.stop()

    def test_the_error_says_where_in_the_input_map_threw(self):
        path = os.path.join(self.tmp, "in.txt")
        with open(path, "w") as f:
            f.write("first line\nsecond line\n")
        for blocks, where in [("0", f"(record at {path} offset 0)"), ("1", f"(lines from {path} offset 0)")]:
            proc = run_cli("run", plugin("faulty"), "--input", "files:" + path, "--output",
                           "files:" + os.path.join(self.tmp, "out" + blocks), "--param", "mode=throw",
                           "--param", "blocks=" + blocks, "--workers", "1", check=1)
            self.assertIn("faulty plugin threw on purpose " + where, proc.stderr)

    def test_plugin_that_throws_only_on_its_first_attempt_succeeds(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=1, max_bytes=4 << 10)
        out = os.path.join(self.tmp, "out")
        run_cli("run", plugin("faulty"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                "--output", "files:" + out, "--param", "mode=throw_once",
                "--param", "marker=" + os.path.join(self.tmp, "marker"), "--map-tasks", "1", check=0, timeout=300)
        self.assertTrue(os.path.exists(os.path.join(out, "_SUCCESS")))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "marker")))


class WorkerKillTest(AviaryTestCase):
    def test_workers_killed_and_restarted_at_random_during_a_job(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=8, max_bytes=4 << 20)
        cluster = Cluster(self.tmp, workers=3, coordinator_args=["--worker-timeout", "1.5"])
        stop = threading.Event()
        kills = []

        def chaos():
            # A bounded number of kills at random moments: enough to hit maps, shuffles and
            # reduces, few enough that a slow (sanitizer) build still makes progress between them.
            seed = int(os.environ.get("AVIARY_CHAOS_SEED", time.time()))
            print(f"chaos seed {seed}")
            rng = random.Random(seed)
            while not stop.is_set() and len(kills) < 8:
                if stop.wait(rng.uniform(0.3, 1.0) if not kills else rng.uniform(0.5, 2.0)):
                    return
                i = rng.randrange(3)
                cluster.kill_worker(i)
                kills.append(i)
                stop.wait(rng.uniform(0.0, 0.5))
                cluster.start_worker(i)

        thread = threading.Thread(target=chaos)
        try:
            cluster.wait_for_workers(3)
            thread.start()
            out = os.path.join(self.tmp, "out")
            # Attempts that take a known time keep the job alive across the kills: a plain word
            # count of this corpus can end before the first one (task processes start fast).
            proc = cluster.submit(slowcount_plugin(), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                  "--output", "files:" + out, "--map-tasks", "40", "--reduce-tasks", "6",
                                  "--param", "map_ms=100", "--param", "reduce_ms=200",
                                  "--max-attempts", "50", "--wait", timeout=600)
            stop.set()
            thread.join()
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertGreater(len(kills), 0, "the job ended before any worker was killed")
            self.assertOutputEquals(out, reference_wordcount(paths))
        finally:
            stop.set()
            if thread.is_alive():
                thread.join()
            cluster.stop()


if __name__ == "__main__":
    unittest.main()
