"""Console progress and Ctrl-C (issue 13 item 4), on real processes: `submit --wait` without a
terminal prints a plain progress line per change (tasks done / running / total, records) and, on
SIGINT, detaches and prints the commands to follow and cancel the job, which keeps running;
`run` cancels its job on SIGINT, leaves no partial output and exits 130."""

import json
import os
import re
import signal
import subprocess
import time
import unittest

from harness import AVIARY, AviaryTestCase, Cluster, make_corpus, run_cli
from mongo_harness import wait_for
from netns_harness import slowcount_plugin


def read_until(stream, needle, timeout=60):
    """Lines of `stream` up to and including the first that holds `needle` (a string or a regex)."""
    lines, deadline = [], time.time() + timeout
    while time.time() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if (needle.search(line) if isinstance(needle, re.Pattern) else needle in line):
            return lines
    raise AssertionError(f"{needle!r} not seen; got {''.join(lines)!r}")


class ConsoleTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        make_corpus(os.path.join(self.tmp, "in"), files=4, max_bytes=256 << 10)
        self.input = "files:" + os.path.join(self.tmp, "in", "*.txt")
        self.plugin = slowcount_plugin()

    def test_submit_wait_shows_progress_and_detaches_on_interrupt(self):
        cluster = Cluster(self.tmp, workers=1, slots=2)
        try:
            cluster.wait_for_workers(1)
            proc = subprocess.Popen([AVIARY, "submit", self.plugin, "--input", self.input, "--output",
                                     "files:" + os.path.join(self.tmp, "out"), "--param", "map_ms=1500",
                                     "--map-tasks", "4", "--wait", "--coordinator", cluster.address],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            # Two attempts run; the splits they have claimed to read next count as running too.
            lines = read_until(proc.stderr, re.compile(r"\([1-9] running\)"))
            job_id = lines[0].split()[-1]
            self.assertTrue(job_id.startswith("job-"), lines)
            self.assertRegex(lines[-1], r"mapping +map 0/4 \([234] running\) reduce 0/\d+ \| \S+ records in")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 130, err)
            self.assertIn(f"detached: job {job_id} keeps running", err)
            self.assertIn(f"aviary cancel {job_id} --coordinator {cluster.address}", err)
            self.assertNotIn(cluster.status(job_id)["state"], ("CANCELLED", "FAILED"))
            run_cli("cancel", job_id, "--coordinator", cluster.address, check=0)
        finally:
            cluster.stop()

    def test_run_cancels_its_job_on_interrupt_and_leaves_nothing(self):
        out = os.path.join(self.tmp, "out")
        proc = subprocess.Popen([AVIARY, "run", self.plugin, "--input", self.input, "--output", "files:" + out,
                                 "--param", "map_ms=60000", "--map-tasks", "2", "--workers", "1"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        read_until(proc.stderr, "running)")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("cancelling", err)
        self.assertIn("was cancelled", err)
        left = os.listdir(out) if os.path.isdir(out) else []
        self.assertEqual(left, [], "a cancelled run leaves no output, not even _temporary")


if __name__ == "__main__":
    unittest.main()
