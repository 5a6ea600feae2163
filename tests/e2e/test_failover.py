"""A durable coordinator: state in MongoDB (our FerretDB shard server), a standby that takes over
when the active coordinator is killed, and jobs that finish with exact output regardless."""

import json
import os
import re
import signal
import subprocess
import time
import unittest

from harness import AVIARY, BUILD, AviaryTestCase, make_corpus, reference_wordcount, run_cli, stop_processes

SHARDSERVER = os.path.join(BUILD, "bin", "aviary-shardserver")


class FailoverCluster:
    """A metadata server, two coordinators sharing it, and workers that know both."""

    def __init__(self, root, workers=2, lease_timeout=2):
        self.root = root
        self.procs = {}
        self.logs = []
        meta = subprocess.Popen([SHARDSERVER, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(root, "meta"),
                                 "--log-level", "error"], stdout=subprocess.PIPE, stderr=self._log("meta"), text=True)
        line = meta.stdout.readline()
        m = re.search(r"ready (mongodb://\S+)", line)
        assert m, f"metadata server did not start: {line!r}"
        self.procs["meta"] = meta
        self.metadata = m.group(1).rstrip("/") + "/aviary_meta"
        self.lease_timeout = lease_timeout
        self.coordinators = {}
        for name in ("c1", "c2"):
            self.start_coordinator(name)
        self.address = ",".join(self.coordinators.values())
        for i in range(workers):
            self.procs[f"w{i}"] = subprocess.Popen(
                [AVIARY, "worker", "--coordinator", self.address, "--listen", "127.0.0.1:0",
                 "--data-dir", os.path.join(root, f"worker-{i}")],
                stdout=subprocess.DEVNULL, stderr=self._log(f"worker-{i}"))

    def _log(self, name):
        f = open(os.path.join(self.root, name + ".log"), "ab")
        self.logs.append(f)
        return f

    def start_coordinator(self, name, port=0):
        listen = f"127.0.0.1:{port}"
        proc = subprocess.Popen([AVIARY, "coordinator", "--listen", listen, "--metadata", self.metadata,
                                 "--lease-timeout", str(self.lease_timeout), "--worker-timeout", "3"],
                                stdout=subprocess.PIPE, stderr=self._log(name), text=True)
        m = re.search(r"listening on (\S+)", proc.stdout.readline())
        assert m, f"coordinator {name} did not start"
        self.procs[name] = proc
        self.coordinators[name] = m.group(1)

    def active(self):
        for name, address in self.coordinators.items():
            if self.procs[name].poll() is not None:
                continue
            proc = run_cli("workers", "--coordinator", address, "--json")
            if proc.returncode == 0 and json.loads(proc.stdout).get("active"):
                return name
        return None

    def wait_active(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            name = self.active()
            if name:
                return name
            time.sleep(0.2)
        raise AssertionError("no coordinator became active")

    def kill(self, name):
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop(self):
        stop_processes(self.procs.values())
        for f in self.logs:
            f.close()


class FailoverTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(SHARDSERVER):
            self.skipTest("aviary-shardserver is not built")
        self.cluster = FailoverCluster(self.tmp)

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()

    def run_job_killing_leader(self, kill_when):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=8, max_bytes=4 << 20)
        out = os.path.join(self.tmp, "out")
        first = self.cluster.wait_active()
        job = run_cli("submit", "wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                      "--output", "files:" + out, "--map-tasks", "40", "--reduce-tasks", "6",
                      "--coordinator", self.cluster.address, check=0).stdout.strip()
        deadline = time.time() + 60
        while time.time() < deadline:
            status = run_cli("status", job, "--coordinator", self.cluster.address, "--json")
            if status.returncode == 0 and kill_when(json.loads(status.stdout)):
                break
            time.sleep(0.05)
        self.cluster.kill(first)
        second = self.cluster.wait_active()
        self.assertNotEqual(first, second)
        final = None
        deadline = time.time() + 120
        while time.time() < deadline:
            proc = run_cli("status", job, "--coordinator", self.cluster.address, "--json")
            if proc.returncode == 0:
                final = json.loads(proc.stdout)
                if final["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    break
            time.sleep(0.2)
        self.assertEqual(final["state"], "SUCCEEDED", final.get("error"))
        self.assertOutputEquals(out, reference_wordcount(paths))
        # Committed work was not redone: every reduce partition has exactly one successful attempt.
        for task in final["tasks"]:
            if task["kind"] == "REDUCE":
                self.assertEqual(sum(a["state"] == "succeeded" for a in task["attempts"]), 1, task)

    def test_leader_killed_during_map(self):
        self.run_job_killing_leader(lambda s: s["maps_done"] >= 3)

    def test_leader_killed_during_reduce(self):
        self.run_job_killing_leader(lambda s: s["state"] == "REDUCING" or s["reduces_done"] >= 1)


if __name__ == "__main__":
    unittest.main()
