"""Inputs a careless or hostile user gives (issue 15, classes 2, 3 and 6), with real processes:
file names and plugin errors that are not UTF-8, FIFOs in the input glob, outputs that would land
on the job's input (files and MongoDB), the term `aviary workers` reports, and a client pointed at
a port that is not a coordinator. Every case must end: each call has a subprocess timeout, and a
timeout is a failure."""

import json
import os
import signal
import subprocess
import time
import unittest

from harness import AVIARY, AviaryTestCase, Cluster, ClusterTestCase, make_corpus, plugin, read_output, reference_wordcount, run_cli
from mongo_harness import MongoTestCase, write_corpus
from test_failover import SHARDSERVER, FailoverCluster


class HangTest(ClusterTestCase):
    """Class 2: every input is planned without blocking on it, and every job ends."""

    def submit_wait(self, *args):
        return self.cluster.submit(*args, "--wait", "--json", timeout=90)

    def test_file_name_that_is_not_utf8_is_read_and_the_job_ends(self):
        indir = os.path.join(self.tmp, "in")
        os.makedirs(indir)
        with open(os.path.join(os.fsencode(indir), b"caf\xe9 \xff.txt"), "wb") as f:
            f.write(b"hello world hello\n")
        with open(os.path.join(indir, "plain.txt"), "w") as f:
            f.write("world\n")
        out = os.path.join(self.tmp, "out")
        proc = self.submit_wait("wordcount", "--input", "files:" + indir + "/*", "--output", "files:" + out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        status = json.loads(proc.stdout)
        self.assertEqual(status["state"], "SUCCEEDED", status.get("error"))
        self.assertEqual(read_output(out), {"hello": 2, "world": 2})
        # The status shows the name escaped, and stays readable.
        listed = run_cli("status", status["job_id"], "--coordinator", self.cluster.address, "--json", "--tasks",
                         timeout=30)
        self.assertEqual(listed.returncode, 0, listed.stderr)

    def test_a_parameter_that_is_not_utf8_is_refused_naming_it(self):
        with open(os.path.join(self.tmp, "a.txt"), "w") as f:
            f.write("words\n")
        proc = subprocess.run([AVIARY, "submit", "wordcount", "--input", "files:" + self.tmp + "/a.txt", "--output",
                               "files:" + self.tmp + "/out", "--param", b"greeting=caf\xe9",
                               "--coordinator", self.cluster.address], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(b'params[0].value ("caf\\xE9") is not valid UTF-8', proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))

    def test_a_job_id_that_is_not_utf8_is_not_found(self):
        for command in ("status", "cancel"):
            with self.subTest(command=command):
                proc = subprocess.run([AVIARY, command, b"job-\xff", "--coordinator", self.cluster.address],
                                      capture_output=True, timeout=30)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(b"no job job-\\xFF", proc.stderr)

    def test_plugin_errors_that_are_not_utf8_fail_the_job_with_a_message(self):
        make_corpus(os.path.join(self.tmp, "in"), files=1, max_bytes=2000)
        for mode, needle in (("badstderr", "bad bytes \\xFF\\xFE\\xC0 end"), ("badsetup", "refused: \\xFF\\xFE")):
            with self.subTest(mode=mode):
                out = os.path.join(self.tmp, "out-" + mode)
                proc = self.submit_wait(plugin("contain"), "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                        "--output", "files:" + out, "--param", "mode=" + mode, "--max-attempts", "1")
                self.assertEqual(proc.returncode, 1, proc.stderr)
                status = json.loads(proc.stdout)
                self.assertEqual(status["state"], "FAILED")
                self.assertIn(needle, status["error"])
                # The workers keep working: their heartbeats were never refused.
                self.cluster.wait_for_workers(2)

    def test_fifo_in_the_input_glob_is_refused_without_blocking(self):
        indir = os.path.join(self.tmp, "in")
        os.makedirs(indir)
        with open(os.path.join(indir, "a.txt"), "w") as f:
            f.write("words here\n")
        os.mkfifo(os.path.join(indir, "b.txt"))
        proc = run_cli("submit", "wordcount", "--input", "files:" + indir + "/*.txt",
                       "--output", "files:" + os.path.join(self.tmp, "out"), "--coordinator", self.cluster.address,
                       timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("b.txt is a FIFO, not a regular file", proc.stderr)
        # Local mode plans the same way.
        proc = run_cli("run", "wordcount", "--input", "files:" + indir + "/*.txt",
                       "--output", "files:" + os.path.join(self.tmp, "out2"), timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("is a FIFO", proc.stderr)
        # The coordinator is not stuck: it answers, and stops on SIGTERM.
        self.cluster.wait_for_workers(2)
        coordinator = self.cluster.coordinator
        coordinator.send_signal(signal.SIGTERM)
        self.assertEqual(coordinator.wait(timeout=15), 0)

    def test_character_device_in_the_input_is_refused(self):
        proc = run_cli("submit", "wordcount", "--input", "files:/dev/zero", "--output",
                       "files:" + os.path.join(self.tmp, "out"), "--coordinator", self.cluster.address, timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("/dev/zero is a character device", proc.stderr)


class StopTest(AviaryTestCase):
    """Class 2: a daemon stops on SIGTERM within a bounded time even while a call is stuck."""

    def test_coordinator_exits_on_sigterm_while_its_metadata_server_hangs(self):
        if not os.path.exists(SHARDSERVER):
            self.skipTest("aviary-shardserver is not built")
        cluster = FailoverCluster(self.tmp, workers=1)
        meta = cluster.procs["meta"]
        submit = None
        try:
            active = cluster.wait_active()
            os.makedirs(os.path.join(self.tmp, "in"))
            with open(os.path.join(self.tmp, "in", "a.txt"), "w") as f:
                f.write("a b c\n")
            meta.send_signal(signal.SIGSTOP)  # every call to the metadata store now hangs
            submit = subprocess.Popen([AVIARY, "submit", "wordcount", "--input", "files:" + self.tmp + "/in/*.txt",
                                       "--output", "files:" + self.tmp + "/out",
                                       "--coordinator", cluster.coordinators[active]],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)  # let the submission reach its handler
            coordinator = cluster.procs[active]
            coordinator.send_signal(signal.SIGTERM)
            try:
                coordinator.wait(timeout=30)  # the grace is 10 s
            except subprocess.TimeoutExpired:
                self.fail("the coordinator did not exit within 30 s of SIGTERM")
        finally:
            meta.send_signal(signal.SIGCONT)
            if submit is not None:
                submit.kill()
                submit.wait()
            cluster.stop()


class OutputOverInputTest(AviaryTestCase):
    """Class 3, files: an output that would land on the job's input is refused before anything
    is written, by every way of running a job."""

    def setUp(self):
        super().setUp()
        self.indir = os.path.join(self.tmp, "in")
        make_corpus(self.indir, files=2, max_bytes=4000)
        self.before = sorted(os.listdir(self.indir))

    def run_job(self, glob, out, *extra):
        return run_cli("run", "wordcount", "--input", "files:" + glob, "--output", "files:" + out, *extra, timeout=60)

    def assertRefused(self, proc, *needles):
        self.assertEqual(proc.returncode, 2, f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        for needle in needles:
            self.assertIn(needle, proc.stderr)
        self.assertEqual(sorted(os.listdir(self.indir)), self.before, "the input directory changed")

    def test_output_equal_to_the_input_directory_is_refused(self):
        self.assertRefused(self.run_job(self.indir + "/*.txt", self.indir), "is the input's directory")
        self.assertRefused(self.run_job(self.indir + "/*.txt", self.indir + "/", "--overwrite"), "is the input's directory")

    def test_output_inside_the_input_glob_is_refused(self):
        self.assertRefused(self.run_job(self.indir + "/*", self.indir + "/out"), "is matched by the input glob")
        self.assertRefused(self.run_job(self.tmp + "/*/*.txt", self.tmp + "/out"), "a directory the input glob")
        self.assertFalse(os.path.exists(self.tmp + "/out"))

    def test_symlinks_and_dot_dot_are_resolved(self):
        os.symlink(self.indir, os.path.join(self.tmp, "link"))
        self.assertRefused(self.run_job(self.indir + "/*.txt", os.path.join(self.tmp, "link")), "input")
        self.assertRefused(self.run_job(os.path.join(self.tmp, "link") + "/*.txt", self.indir), "input")
        self.assertRefused(self.run_job(self.indir + "/*.txt", os.path.join(self.tmp, "elsewhere", "..", "in")), "input")

    def test_a_separate_output_still_works(self):
        # Beside the input, and below the input's directory where the glob does not reach.
        for out in (os.path.join(self.tmp, "out"), os.path.join(self.indir, "out")):
            with self.subTest(out=out):
                proc = self.run_job(self.indir + "/*.txt", out)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertTrue(os.path.exists(os.path.join(out, "_SUCCESS")))

    def test_submit_to_a_cluster_refuses_it_too(self):
        cluster = Cluster(self.tmp, workers=1)
        try:
            proc = cluster.submit("wordcount", "--input", "files:" + self.indir + "/*.txt", "--output",
                                  "files:" + self.indir, timeout=30)
            self.assertRefused(proc, "is the input's directory")
        finally:
            cluster.stop()


class MongoOutputOverInputTest(MongoTestCase):
    """Class 3, MongoDB: the output collection may not be the input collection, except with
    out mode reduce (which MongoDB allows on purpose)."""

    SHARDS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = write_corpus(cls.root + "/corpus.jsonl", docs=300, parts=2)
        cls.cluster.load(cls.root + "/corpus.jsonl", "test.same", "_id", "--hashed")

    def count(self, ns):
        db, coll = ns.split(".")
        with self.cluster.client() as c:
            return c[db][coll].count_documents({})

    def test_replace_and_merge_into_the_input_collection_are_refused(self):
        before = self.count("test.same")
        for mode in ("replace", "merge"):
            with self.subTest(mode=mode):
                proc = self.cluster.submit("wordcount", "--input", self.cluster.ns_uri("test.same"), "--output",
                                           self.cluster.ns_uri("test.same"), "--out-mode", mode, "--wait", timeout=60)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("output collection test.same is the job's input collection", proc.stderr)
                self.assertEqual(self.count("test.same"), before)

    def test_reduce_into_the_input_collection_is_allowed(self):
        self.cluster.load(self.root + "/corpus.jsonl", "test.reduced", "_id", "--hashed")
        proc = self.cluster.submit("wordcount", "--input", self.cluster.ns_uri("test.reduced"), "--output",
                                   self.cluster.ns_uri("test.reduced"), "--out-mode", "reduce", "--wait", "--json",
                                   timeout=120)
        self.assertNotIn("is the job's input collection", proc.stderr)
        self.assertSucceeded(json.loads(proc.stdout), proc)


class TermAndAddressTest(AviaryTestCase):
    """Class 6: `aviary workers --json` reports the term the active coordinator holds, and a
    client pointed at a port that is not a coordinator says so."""

    def test_workers_reports_the_term_after_failover(self):
        if not os.path.exists(SHARDSERVER):
            self.skipTest("aviary-shardserver is not built")
        cluster = FailoverCluster(self.tmp)
        try:
            first = cluster.wait_active()
            self.assertEqual(self.reported_term(cluster.coordinators[first]), 1)
            # A standby reports the term it sees the active coordinator hold, and that it is not active.
            standby = next(name for name in cluster.coordinators if name != first)
            for _ in range(100):  # until the standby has polled the lease (every lease_timeout/6)
                proc = run_cli("workers", "--coordinator", cluster.coordinators[standby], "--json", timeout=30, check=0)
                view = json.loads(proc.stdout)
                if int(view.get("term", 0)) > 0:
                    break
                time.sleep(0.1)
            self.assertEqual((int(view.get("term", 0)), view.get("active", False)), (1, False), view)
            cluster.kill(first)
            second = cluster.wait_active()
            term = self.reported_term(cluster.coordinators[second])
            self.assertEqual(term, 2)
            with open(os.path.join(self.tmp, second + ".log"), errors="replace") as f:
                self.assertIn(f"active coordinator for term {term}", f.read())
        finally:
            cluster.stop()

    def reported_term(self, address):
        proc = run_cli("workers", "--coordinator", address, "--json", timeout=30, check=0)
        return int(json.loads(proc.stdout)["term"])

    def test_a_worker_port_is_not_a_coordinator(self):
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            listed = json.loads(run_cli("workers", "--coordinator", cluster.address, "--json", check=0).stdout)
            worker = listed["workers"][0]["address"]
            for args in (["workers"], ["status", "job-1"], ["cancel", "job-1"],
                         ["submit", "wordcount", "--input", "files:/etc/hostname", "--output",
                          "files:" + os.path.join(self.tmp, "out")]):
                with self.subTest(args=args):
                    proc = run_cli(*args, "--coordinator", worker, timeout=30)
                    self.assertEqual(proc.returncode, 3, proc.stderr)
                    self.assertIn(f"{worker} is not an Aviary coordinator", proc.stderr)
        finally:
            cluster.stop()

    def test_no_error_reaches_the_user_without_words(self):
        proc = run_cli("workers", "--coordinator", "127.0.0.1:1", timeout=30)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertRegex(proc.stderr.strip(), r"^aviary: \S.*127\.0\.0\.1:1")

    def test_a_stale_driver_counter_file_of_the_same_pid_stays_silent(self):
        # A SIGKILLed process leaves /dev/shm/mongoc-PID behind, and the next process given that PID
        # got "Falling back to malloc for counters." from libmongoc on stderr, before main ran.
        # The file is made in the child between fork and exec, so the PID is certainly the same.
        made = os.path.join(self.tmp, "stale-counter-file")

        def leave_a_stale_file():
            path = f"/dev/shm/mongoc-{os.getpid()}"
            with open(path, "xb"):
                pass
            with open(made, "w") as f:
                f.write(path)

        proc = subprocess.run([AVIARY, "workers", "--coordinator", "127.0.0.1:1"], capture_output=True,
                              text=True, timeout=30, preexec_fn=leave_a_stale_file)
        with open(made) as f:
            os.unlink(f.read())
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertRegex(proc.stderr, r"^aviary: cannot reach coordinator 127\.0\.0\.1:1[^\n]*\n?$")

    def test_daemons_and_task_processes_leave_no_driver_counter_files(self):
        cluster = Cluster(self.tmp, workers=1)
        try:
            cluster.wait_for_workers(1)
            out = os.path.join(self.tmp, "out")
            cluster.submit("wordcount", "--input", "files:/etc/hostname", "--output", "files:" + out, "--wait")
            pids = descendants(cluster.coordinator.pid) | descendants(cluster.workers[0].pid)
            self.assertGreaterEqual(len(pids), 3, pids)  # coordinator, worker, task zygote
            self.assertEqual([pid for pid in sorted(pids) if os.path.exists(f"/dev/shm/mongoc-{pid}")], [])
        finally:
            cluster.stop()


def descendants(pid):
    """`pid` and every live process below it."""
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        for task in os.listdir(f"/proc/{current}/task") if os.path.isdir(f"/proc/{current}/task") else ():
            try:
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
            except OSError:
                pass
    return found

if __name__ == "__main__":
    unittest.main()
