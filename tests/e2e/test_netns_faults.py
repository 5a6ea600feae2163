"""Faults across hosts: every process on its own host (network namespace) on a private bridge,
with real links to cut and real partitions (see netns_harness.py). Each case checks the exact
output against a word count computed here in Python, and that nothing was written twice: every
reduce partition has exactly one successful attempt, part files hold no duplicate key, and the
output directory holds nothing but the result.

Needs root (network namespaces, veth, a bridge, iptables); skipped otherwise."""

import os
import time
import unittest

from harness import AviaryTestCase, make_corpus, reference_wordcount
import netns_harness
from netns_harness import NetnsCluster, log_time, slowcount_plugin

MAP_TASKS = 36
REDUCE_TASKS = 6


def setUpModule():
    reason = netns_harness.unavailable_reason()
    if reason:
        raise unittest.SkipTest(reason)
    netns_harness.cleanup_stale()


def snapshot(directory):
    """{name: contents} of the files in `directory`."""
    result = {}
    for name in os.listdir(directory):
        with open(os.path.join(directory, name), "rb") as f:
            result[name] = f.read()
    return result


def reduces_done(done_before):
    """A wait_until predicate: some reduce partitions are done; records their attempt numbers
    in `done_before` ({partition: [attempt, ...]})."""
    def predicate(s):
        if s["state"] != "REDUCING" or s["reduces_done"] < 1:
            return False
        for t in s["tasks"]:
            if t["kind"] == "REDUCE" and t["state"] == "DONE":
                done_before[t["task"]] = [a["attempt"] for a in t["attempts"]]
        return True
    return predicate


def reduces_rerun(status, done_before):
    """(partition, attempts before, attempts now) of every partition in `done_before` run again."""
    return [(t["task"], done_before[t["task"]], [a["attempt"] for a in t["attempts"]]) for t in status["tasks"]
            if t["kind"] == "REDUCE" and t["task"] in done_before
            and [a["attempt"] for a in t["attempts"]] != done_before[t["task"]]]


def attempts_of(status, worker_id):
    return [(t["kind"], t["task"], a) for t in status.get("tasks", []) for a in t["attempts"]
            if a["worker_id"] == worker_id]


class NetnsTestCase(AviaryTestCase):
    workers = 3

    def setUp(self):
        super().setUp()
        self.plugin = slowcount_plugin()
        self.paths = make_corpus(os.path.join(self.tmp, "in"), files=8, max_bytes=2 << 20)
        self.expected = reference_wordcount(self.paths)
        self.out = os.path.join(self.tmp, "out")
        # Map attempts carry a few splits each (about 60 KB a split here): faults strike while
        # splits are carried, and maps still finish a few at a time for the tests to wait on.
        self.cluster = NetnsCluster(self.tmp, workers=self.workers, coordinator_args=("--carry-splits-mb", "0.2"))
        self.addCleanup(self.cluster.stop)
        self.cluster.wait_for_workers(self.workers)

    def need_iptables(self):
        reason = netns_harness.iptables_reason()
        if reason:
            self.skipTest(reason)

    def submit(self, map_ms=300, reduce_ms=600):
        return self.cluster.submit(self.plugin, "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + self.out, "--map-tasks", MAP_TASKS, "--reduce-tasks",
                                   REDUCE_TASKS, "--max-attempts", 10, "--param", f"map_ms={map_ms}", "--param",
                                   f"reduce_ms={reduce_ms}")

    def worker_id(self, i, alive=True):
        address = self.cluster.worker_address(i)
        for w in self.cluster.workers():
            if w["address"] == address and w.get("alive", False) == alive:
                return w["worker_id"]
        return None

    def wait_worker(self, i, predicate, timeout=30, what="worker state"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            workers = [w for w in self.cluster.workers() if w["address"] == self.cluster.worker_address(i)]
            found = predicate(workers)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"w{i}: {what} within {timeout} s; coordinator lists {self.cluster.workers()}")

    def assertFinishedExactlyOnce(self, job, timeout=120):
        status = self.cluster.wait_finished(job, timeout=timeout)
        self.assertEqual(status["state"], "SUCCEEDED", status.get("error"))
        self.assertEqual(status["job_id"], job)
        self.assertOutputEquals(self.out, self.expected)  # also fails on a key written twice
        parts = sorted(f for f in os.listdir(self.out) if f != "_SUCCESS")
        self.assertEqual(parts, [f"part-{p:05d}.jsonl" for p in range(REDUCE_TASKS)],
                         "the output directory holds more than the result")
        reduces = [t for t in status["tasks"] if t["kind"] == "REDUCE"]
        self.assertEqual(len(reduces), REDUCE_TASKS)
        for task in reduces:
            self.assertEqual(sum(a["state"] == "succeeded" for a in task["attempts"]), 1, task)
        for task in status["tasks"]:
            if task["kind"] == "MAP":
                self.assertGreaterEqual(sum(a["state"] == "succeeded" for a in task["attempts"]), 1, task)
        return status


# A job whose reduces pause this long leaves a wide moment with some partitions done and others
# running: the reduces of a wave start together (their workers are answered the moment the last
# map ends) and so end together, and a status poll on a loaded machine takes a good part of a second.
SLOW_REDUCE_MS = 2000


class CoordinatorKillTest(NetnsTestCase):
    def kill_active_when(self, condition, **submit_args):
        job = self.submit(**submit_args)
        first = self.cluster.wait_active()
        self.cluster.wait_until(job, condition, what="the moment to kill the coordinator")
        self.cluster.kill(first)
        second = self.cluster.wait_active(not_name=first)
        self.assertNotEqual(first, second)
        # The killed coordinator comes back as a standby: one active coordinator at a time.
        self.cluster.start_coordinator(first)
        status = self.assertFinishedExactlyOnce(job)
        self.assertEqual(self.cluster.active(), [second])
        self.assertIn("active coordinator for term 2", self.cluster.log(second))
        return status

    def test_active_coordinator_sigkilled_during_map(self):
        self.kill_active_when(lambda s: s["state"] == "MAPPING" and s["maps_done"] >= 3)

    def test_active_coordinator_sigkilled_during_reduce(self):
        done_before = {}
        status = self.kill_active_when(reduces_done(done_before), reduce_ms=SLOW_REDUCE_MS)
        # Partitions finished under the old coordinator were not run again under the new one.
        self.assertEqual(reduces_rerun(status, done_before), [])


class WorkerFaultTest(NetnsTestCase):
    def test_workers_sigkilled_during_map_and_reduce(self):
        # On a loaded machine the status poll and the kill that follows it take long enough for a
        # shorter reduce to finish first.
        job = self.submit(reduce_ms=SLOW_REDUCE_MS)
        second = self.worker_id(1)
        self.cluster.wait_until(job, lambda s: s["maps_done"] >= 4, what="4 maps done")
        first = self.worker_id(0)
        self.cluster.kill("w0")
        self.wait_worker(0, lambda ws: any(w["worker_id"] == first and not w["alive"] for w in ws),
                         what="declared dead after SIGKILL")
        self.cluster.start_worker(0)  # a new process: registers under a new identity
        reborn = self.wait_worker(0, lambda ws: next((w["worker_id"] for w in ws if w["alive"] and
                                                      w["worker_id"] != first), None), what="re-registered")
        status = self.cluster.wait_until(job, lambda s: s["state"] == "REDUCING" and any(
            a["state"] == "running" and a["worker_address"] == self.cluster.worker_address(1)
            for t in s["tasks"] if t["kind"] == "REDUCE" for a in t["attempts"]), what="a reduce running on w1")
        self.cluster.kill("w1")
        status = self.assertFinishedExactlyOnce(job)
        for dead in (first, second):
            attempts = attempts_of(status, dead)
            self.assertFalse([a for _, _, a in attempts if a["state"] == "running"], attempts)
        # The reduce w1 was running when it died was lost, not failed, and redone elsewhere.
        self.assertTrue(any(k == "REDUCE" and a["state"] == "lost" for k, _, a in attempts_of(status, second)),
                        attempts_of(status, second))
        # The restarted w0 was given work under its new identity.
        self.assertTrue(any(a["state"] == "succeeded" for _, _, a in attempts_of(status, reborn)))

    def test_worker_cut_off_from_coordinators_but_not_peers_then_healed(self):
        self.need_iptables()
        lab = self.cluster.lab
        job = self.submit()
        old = self.worker_id(0)
        self.cluster.wait_until(job, lambda s: s["maps_done"] >= 2 and any(
            a["state"] == "running" for _, _, a in attempts_of(s, old)), what="a map running on w0")
        lab.isolate("w0", ["c1", "c2"])
        # Cut off from both coordinators, still reachable from its peers (and they from it).
        self.assertTrue(lab.can_connect("w1", self.cluster.worker_address(0)))
        self.assertTrue(lab.can_connect("w0", self.cluster.worker_address(1)))
        self.assertFalse(lab.can_connect("w0", self.cluster.coordinators["c1"], timeout=0.5))
        self.wait_worker(0, lambda ws: any(w["worker_id"] == old and not w["alive"] for w in ws),
                         what="declared dead while partitioned")
        status = self.cluster.status(job)
        self.assertTrue(any(a["state"] == "lost" and "worker lost" in a["error"]
                            for _, _, a in attempts_of(status, old)), attempts_of(status, old))
        lab.heal("w0")
        new = self.wait_worker(0, lambda ws: next((w["worker_id"] for w in ws if w["alive"] and
                                                   w["worker_id"] != old), None), what="re-registered after healing")
        status = self.assertFinishedExactlyOnce(job)
        # Its work was redone elsewhere: nothing of the old identity counts any more ...
        self.assertFalse([a for _, _, a in attempts_of(status, old) if a["state"] in ("succeeded", "running")],
                         attempts_of(status, old))
        # ... and under its new identity it was given work again.
        self.assertTrue(any(a["state"] == "succeeded" for _, _, a in attempts_of(status, new)),
                        f"{new} did no work after healing")
        registered = [l for l in self.cluster.log("w0").splitlines() if "registered with coordinator" in l]
        self.assertEqual(len(registered), 2, registered)
        self.assertIn(f" as {old} ", registered[0])
        self.assertIn(f" as {new} ", registered[1])

    def test_worker_link_cut_then_restored(self):
        lab = self.cluster.lab
        job = self.submit()
        old = self.worker_id(2)
        self.cluster.wait_until(job, lambda s: s["maps_done"] >= 2 and any(
            a["state"] == "running" for _, _, a in attempts_of(s, old)), what="a map running on w2")
        lab.link_down("w2")
        self.assertFalse(lab.can_connect("w1", self.cluster.worker_address(2), timeout=0.5))
        self.wait_worker(2, lambda ws: any(w["worker_id"] == old and not w["alive"] for w in ws),
                         what="declared dead with its link cut")
        lab.link_up("w2")
        new = self.wait_worker(2, lambda ws: next((w["worker_id"] for w in ws if w["alive"] and
                                                   w["worker_id"] != old), None), what="back after the link came up")
        status = self.assertFinishedExactlyOnce(job)
        self.assertFalse([a for _, _, a in attempts_of(status, old) if a["state"] in ("succeeded", "running")])
        self.assertTrue(any(a["state"] == "succeeded" for _, _, a in attempts_of(status, new)))


    def test_worker_host_vanishes_as_reduce_starts(self):
        # The link goes down without a word (no connection is refused): reducers fetching from the
        # host must give up on it quickly, and their late reports must not discard the map
        # outputs redone meanwhile on the other workers.
        lab = self.cluster.lab
        job = self.submit(map_ms=300, reduce_ms=300)
        old = self.worker_id(2)
        self.cluster.wait_until(job, lambda s: s["state"] == "REDUCING", what="the reduce phase")
        lab.link_down("w2")
        cut = time.time()
        status = self.assertFinishedExactlyOnce(job)
        self.assertLess(time.time() - cut, 45, "the job took too long to get over a vanished host")
        for t in status["tasks"]:
            if t["kind"] != "MAP":
                continue
            on_old = [a for a in t["attempts"] if a["worker_id"] == old]
            # Redone once if the vanished host had done it, never otherwise.
            self.assertEqual(len(t["attempts"]), 1 + len(on_old), t)


class MetadataPartitionTest(NetnsTestCase):
    def test_active_coordinator_cut_off_from_metadata_steps_down_before_standby_takes_over(self):
        self.need_iptables()
        job = self.submit()
        old = self.cluster.wait_active()
        new = "c2" if old == "c1" else "c1"
        self.cluster.wait_until(job, lambda s: s["maps_done"] >= 3, what="3 maps done")
        self.cluster.lab.isolate(old, ["meta"])
        self.assertEqual(self.cluster.wait_active(timeout=30, not_name=old), new)
        # The old coordinator is still reachable, and says it is not active.
        deadline = time.time() + 10
        while time.time() < deadline and (self.cluster.cluster_status(self.cluster.coordinators[old]) or {}).get("active"):
            time.sleep(0.1)
        self.assertFalse(self.cluster.cluster_status(self.cluster.coordinators[old])["active"])
        status = self.assertFinishedExactlyOnce(job)
        self.cluster.lab.heal(old)
        time.sleep(1)
        self.assertEqual(self.cluster.active(), [new])

        old_log, new_log = self.cluster.log(old), self.cluster.log(new)
        step_down = [l for l in old_log.splitlines() if "stepping down as active coordinator" in l]
        take_over = [l for l in new_log.splitlines() if "active coordinator for term 2" in l]
        self.assertTrue(step_down, old_log[-3000:])
        self.assertTrue(take_over, new_log[-3000:])
        self.assertLess(log_time(step_down[0]), log_time(take_over[0]),
                        f"the old coordinator stepped down after the standby took over:\n{step_down[0]}\n{take_over[0]}")
        # Only the new coordinator committed the job.
        self.assertNotIn(f"job {job} succeeded", old_log)
        self.assertIn(f"job {job} succeeded", new_log)

        # Nothing the old coordinator had under way when it was cut off reached the store after the
        # partition healed: a third term, taken by the old coordinator, still sees the job done.
        result = snapshot(self.out)
        time.sleep(2)
        self.cluster.kill(new)
        self.assertEqual(self.cluster.wait_active(timeout=30), old)
        self.assertIn("active coordinator for term 3", self.cluster.log(old))
        again = self.cluster.status(job)
        self.assertEqual(again["state"], "SUCCEEDED", again.get("error"))
        self.assertEqual([t["attempts"] for t in again["tasks"]], [t["attempts"] for t in status["tasks"]])
        time.sleep(1)
        self.assertEqual(snapshot(self.out), result)


class WholeClusterRestartTest(NetnsTestCase):
    def test_whole_cluster_stopped_and_started_mid_job_resumes(self):
        job = self.submit(reduce_ms=SLOW_REDUCE_MS)
        done_before = {}
        before = self.cluster.wait_until(job, reduces_done(done_before), what="a reduce done")
        self.assertLess(before["reduces_done"], REDUCE_TASKS)
        names = ["c1", "c2"] + [f"w{i}" for i in range(self.workers)]
        codes = self.cluster.terminate(names)
        self.assertEqual(codes, {n: 0 for n in names}, "a process did not stop cleanly on SIGTERM")
        codes = self.cluster.terminate(["meta"])
        self.assertEqual(codes, {"meta": 0})
        self.assertFalse(os.path.exists(os.path.join(self.out, "_SUCCESS")))

        self.cluster.start_meta()
        for name in ("c1", "c2"):
            self.cluster.start_coordinator(name)
        for i in range(self.workers):
            self.cluster.start_worker(i)
        status = self.assertFinishedExactlyOnce(job)
        self.assertEqual(reduces_rerun(status, done_before), [],
                         "a partition committed before the restart was run again")


if __name__ == "__main__":
    unittest.main()
