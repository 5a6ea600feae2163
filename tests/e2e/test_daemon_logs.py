"""Daemon logs (issue 13 item 5): one line per event that matters (an attempt started, a retry,
an attempt succeeded or failed), and with --log-file the log goes to a file rotated at
--log-max-bytes with --log-keep older files, stderr keeping only what libraries print."""

import glob
import os
import re
import subprocess
import unittest

from harness import AVIARY, AviaryTestCase, make_corpus, plugin, run_cli, stop_processes


class DaemonLogsTest(AviaryTestCase):
    def start(self, *args):
        stderr = open(os.path.join(self.tmp, "coordinator.stderr"), "w")
        self.addCleanup(stderr.close)
        proc = subprocess.Popen([AVIARY, *args, "coordinator", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                stderr=stderr, text=True)
        self.addCleanup(lambda: stop_processes([proc]))
        line = proc.stdout.readline()
        m = re.search(r"listening on (\S+)", line)
        self.assertTrue(m, line)
        worker = subprocess.Popen([AVIARY, "worker", "--coordinator", m.group(1), "--data-dir",
                                   os.path.join(self.tmp, "w")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: stop_processes([worker]))
        return m.group(1)

    def test_the_coordinators_file_log_tells_each_attempt_and_rotates(self):
        log = os.path.join(self.tmp, "logs", "coordinator.log")
        os.makedirs(os.path.dirname(log))
        address = self.start("--log-file", log, "--log-max-bytes", "4096", "--log-keep", "2")
        make_corpus(os.path.join(self.tmp, "in"), files=3, max_bytes=30 << 10)
        # A job of many tasks (more than 12 KiB of log: three rotations, of which two files are
        # kept), then one whose only map crashes on both of its attempts.
        proc = run_cli("submit", "wordcount", "--coordinator", address, "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                       "--output", "files:" + os.path.join(self.tmp, "out"), "--map-tasks", "60", "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        failing = run_cli("submit", plugin("contain"), "--coordinator", address, "--input",
                          "files:" + os.path.join(self.tmp, "in", "*.txt"), "--output", "files:" + os.path.join(self.tmp, "out2"),
                          "--param", "mode=flood", "--param", "mb=0", "--max-attempts", "2", "--map-tasks", "1", "--wait")
        self.assertEqual(failing.returncode, 1, failing.stderr)

        files = sorted(glob.glob(os.path.join(self.tmp, "logs", "coordinator*.log")))
        self.assertEqual([os.path.basename(f) for f in files], ["coordinator.1.log", "coordinator.2.log", "coordinator.log"])
        for f in files:
            self.assertLessEqual(os.path.getsize(f), 4096 + 1024, f)  # rotated at the line that crossed 4 KiB
        text = "".join(open(f).read() for f in reversed(files))
        self.assertRegex(text, r"job job-\S+: map task \d+ attempt 1 -> worker w\d+-\w+ at 127\.0\.0\.1:\d+")
        self.assertRegex(text, r"map task \d+ attempt 1 succeeded on w\d+-\w+ in \d+\.\d s")
        self.assertRegex(text, r"map task 0 attempt 1 failed on w\d+-\w+")
        self.assertRegex(text, r"map task 0 attempt 2 \(retry\) -> worker")
        with open(os.path.join(self.tmp, "coordinator.stderr")) as f:
            self.assertNotIn("attempt", f.read())  # the log went to the file, not to stderr

    def test_a_log_file_that_cannot_be_written_is_refused_at_start(self):
        not_a_dir = os.path.join(self.tmp, "a-file")
        open(not_a_dir, "w").close()
        proc = run_cli("--log-file", os.path.join(not_a_dir, "c.log"), "coordinator", "--listen", "127.0.0.1:0", timeout=30)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("cannot write --log-file", proc.stderr)
        proc = run_cli("--log-max-bytes", "10", "workers", "--coordinator", "127.0.0.1:1", timeout=30)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--log-max-bytes", proc.stderr)


if __name__ == "__main__":
    unittest.main()
