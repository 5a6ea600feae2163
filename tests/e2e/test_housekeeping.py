"""History and housekeeping (issue 13 item 6), on real processes: `aviary jobs` (newest first, with
filters) reached through $AVIARY_COORDINATOR alone; ended jobs dropped after --job-retention with
their inline spools; dead workers leaving the worker list; the local cluster printing its web UIs
and a ready-to-paste AVIARY_COORDINATOR; job history queryable with pymongo in the durable store,
also after a failover; and no /dev/shm/mongoc-PID file left behind by any process."""

import glob
import json
import os
import re
import signal
import unittest

from harness import AviaryTestCase, Cluster, make_corpus, run_cli
from mongo_harness import MongoTestCase, wait_for, write_corpus

JOB_ROW = re.compile(r"^(job-\S+)\s+(\S+)\s+", re.M)


def table_ids(text):
    return [m.group(1) for m in JOB_ROW.finditer(text)]


def mongoc_shm_files_of(pids):
    """libmongoc's /dev/shm/mongoc-PID counter files of these processes: written since each one
    started, since a file of an earlier process that had the same (recycled) pid is not theirs."""
    with open("/proc/stat") as f:
        boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    out = set()
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        started = boot + ticks / os.sysconf("SC_CLK_TCK")
        out |= {f for f in glob.glob(f"/dev/shm/mongoc-{pid}") if os.stat(f).st_mtime >= started - 1}
    return out


def daemon_pids(status):
    """The cluster's own processes that use libmongoc: coordinators, workers, the gateway."""
    return [p["pid"] for p in status["coordinators"] + status["workers"] + [status["gateway_process"]] if p["pid"]]


class JobsTableAndRetentionTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        # The retention must outlast the listing checks below, a dozen CLI calls that take
        # seconds under AddressSanitizer on a loaded machine.
        self.cluster = Cluster(self.tmp, workers=2, coordinator_args=[
            "--job-retention", "20", "--dead-worker-retention", "2", "--worker-timeout", "1"])
        self.cluster.wait_for_workers(2)
        make_corpus(os.path.join(self.tmp, "in"), files=2, max_bytes=64 << 10)
        self.input = "files:" + os.path.join(self.tmp, "in", "*.txt")
        self.env = {"AVIARY_COORDINATOR": self.cluster.address}

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()

    def cli(self, *args, check=0):
        """The CLI with the coordinator from the environment only: no --coordinator flag."""
        return run_cli(*args, env=self.env, check=check)

    def submit(self, output):
        proc = self.cli("submit", "wordcount", "--input", self.input, "--output", output, "--wait", "--json")
        # With an inline result, stdout holds the result and the status goes to stderr.
        text = proc.stdout if output != "inline" else proc.stderr[proc.stderr.index("{"):]
        status = json.loads(text)
        self.assertEqual(status["state"], "SUCCEEDED")
        return status

    def test_jobs_lists_newest_first_filters_and_drops_ended_jobs_with_their_spools(self):
        first = self.submit("files:" + os.path.join(self.tmp, "out"))
        second = self.submit("inline")
        spool = second["spec"]["output_uri"].removeprefix("inline:")

        table = self.cli("jobs").stdout
        self.assertIn("STATE", table.splitlines()[0])
        self.assertEqual(table_ids(table), [second["job_id"], first["job_id"]], table)
        self.assertRegex(table, re.escape(first["job_id"]) + r"\s+succeeded\s+wordcount\s+\d{4}-\d\d-\d\d ")
        self.assertEqual(table_ids(self.cli("jobs", "--limit", "1").stdout), [second["job_id"]])
        self.assertEqual(table_ids(self.cli("jobs", "--state", "failed").stdout), [])
        self.assertEqual(table_ids(self.cli("jobs", "--state", "running").stdout), [])
        self.assertEqual(len(table_ids(self.cli("jobs", "--state", "finished").stdout)), 2)
        bad = self.cli("jobs", "--state", "done", check=None)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("'done' is not a job state", bad.stderr)

        # Kept while within --job-retention: the status. The inline result is handed out once:
        # submit --wait has read it, so it is gone already (a second read is refused: job_tracker_test).
        self.assertEqual(self.cluster.status(first["job_id"])["state"], "SUCCEEDED")
        self.assertTrue(spool.endswith(second["job_id"]), spool)
        self.assertFalse(os.path.exists(spool), "an inline result is removed once it has been read")
        wait_for(lambda: table_ids(self.cli("jobs").stdout) == [], timeout=90, interval=0.5,
                 what="ended jobs dropped after their retention")
        missing = run_cli("status", first["job_id"], "--coordinator", self.cluster.address)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("no job " + first["job_id"], missing.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "out", "_SUCCESS")),
                        "a committed output belongs to the user, not to the job's record")

    def test_a_dead_worker_leaves_the_worker_list_after_its_retention(self):
        self.cluster.kill_worker(1)

        def workers():
            return json.loads(self.cli("workers", "--json").stdout).get("workers", [])

        wait_for(lambda: any(not w.get("alive") for w in workers()), timeout=20, interval=0.1,
                 what="the killed worker declared dead")
        wait_for(lambda: len(workers()) == 1, timeout=20, interval=0.1, what="the dead worker gone from the list")
        self.assertTrue(workers()[0].get("alive"))

    def test_a_missing_coordinator_says_how_to_give_one(self):
        proc = run_cli("jobs", env={"AVIARY_COORDINATOR": ""})
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--coordinator", proc.stderr)
        self.assertIn("AVIARY_COORDINATOR", run_cli("jobs", "--help").stdout)


class LocalClusterHistoryTest(MongoTestCase):
    SHARDS = 1

    def test_status_prints_web_uis_and_the_coordinator_environment(self):
        status = self.cluster.read_status(expect=0)
        self.assertEqual(status["coordinator_env"], "AVIARY_COORDINATOR=" + self.cluster.coordinator)
        for c in status["coordinators"]:
            self.assertRegex(c["web_ui"], r"^http://127\.0\.0\.1:\d+/$")
        text = run_cli("cluster", "status", "--dir", self.cluster.dir, check=0).stdout
        self.assertIn("export AVIARY_COORDINATOR=" + self.cluster.coordinator, text)
        self.assertIn("web UI http://127.0.0.1:", text)

    def test_history_is_queryable_after_a_failover_and_no_shm_file_is_left(self):
        self.addCleanup(self.restart_cluster)
        path = self.path("history.jsonl")
        write_corpus(path, docs=400)
        self.cluster.load(path, "hist.docs", "_id")
        status, proc = self.cluster.run_job("wordcount", "hist.docs", "hist.out")
        self.assertSucceeded(status, proc)

        with self.cluster.client() as client:
            doc = client.aviary_metadata.jobs.find_one({"_id": status["job_id"]}, {"record": 0})
        self.assertEqual(doc["state"], "SUCCEEDED")
        self.assertEqual(doc["name"], "wordcount")
        self.assertEqual(doc["input_records"], 400)
        self.assertEqual(doc["output_records"], int(status["output_records"]))
        self.assertLessEqual(doc["submitted"], doc["ended"])

        active = next(c for c in self.cluster.read_status()["coordinators"] if c["active"])
        os.kill(active["pid"], signal.SIGKILL)
        # The standby takes over with the history it restored from the store.
        wait_for(lambda: status["job_id"] in run_cli("jobs", env={"AVIARY_COORDINATOR": self.cluster.coordinator}).stdout,
                 timeout=30, interval=0.2, what="the job listed by the coordinator that took over")
        with self.cluster.client() as client:
            failed = list(client.aviary_metadata.jobs.find({"state": "FAILED", "name": "wordcount"}))
        self.assertEqual(failed, [])

        # Daemons never exit, so a file of theirs is there for good: none may have one (nor may
        # the task processes, which inherit the same environment from their worker).
        pids = daemon_pids(self.cluster.read_status())
        self.assertGreaterEqual(len(pids), 3)  # the coordinator left, a worker, the gateway
        self.assertEqual(mongoc_shm_files_of(pids), set(),
                         "libmongoc's shared-memory counters must not leak from any Aviary process")

    def restart_cluster(self):
        self.cluster.down()
        self.cluster.up()


if __name__ == "__main__":
    unittest.main()
