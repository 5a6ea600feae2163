"""Private data directories (issue 15 class 4), on real processes: the coordinator keeps its inline
results and plugin copies in a 0700 directory of its own instead of fixed /tmp paths, refuses a
symlink planted where that directory should be, and removes its per-process directory at exit."""

import os
import signal
import stat
import subprocess
import unittest

from harness import AVIARY, AviaryTestCase, run_cli


class PrivateDataDirTest(AviaryTestCase):
    def test_planted_symlink_is_refused_and_not_followed(self):
        target = os.path.join(self.tmp, "victim")
        os.mkdir(target, 0o755)
        planted = os.path.join(self.tmp, "data")
        os.symlink(target, planted)
        proc = run_cli("coordinator", "--listen", "127.0.0.1:0", "--data-dir", planted, timeout=30)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn(planted, proc.stderr)
        self.assertIn("symlink", proc.stderr)
        self.assertEqual(os.listdir(target), [], "nothing is written through the symlink")

    def test_default_dir_is_private_and_removed_at_exit(self):
        env = {**os.environ, "XDG_RUNTIME_DIR": self.tmp}
        coord = subprocess.Popen([AVIARY, "coordinator", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            self.assertIn("listening", coord.stdout.readline())
            data = os.path.join(self.tmp, "aviary", f"coordinator-{coord.pid}")
            for d in (data, os.path.join(data, "inline"), os.path.join(data, "plugins")):
                st = os.lstat(d)
                self.assertTrue(stat.S_ISDIR(st.st_mode), d)
                self.assertEqual(stat.S_IMODE(st.st_mode), 0o700, d)
        finally:
            coord.send_signal(signal.SIGTERM)
            self.assertEqual(coord.wait(timeout=30), 0)
        self.assertFalse(os.path.exists(data), "the per-process data dir is removed at exit")


if __name__ == "__main__":
    unittest.main()
