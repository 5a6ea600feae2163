"""Authenticated RPC: a cluster with a secret refuses callers without it."""

import os
import unittest

from harness import AviaryTestCase, Cluster, make_corpus, reference_wordcount, run_cli


class SecretTest(AviaryTestCase):
    def test_jobs_run_with_the_secret_and_strangers_are_refused(self):
        paths = make_corpus(os.path.join(self.tmp, "in"), files=2, max_bytes=200 << 10)
        secret_file = os.path.join(self.tmp, "secret")
        with open(secret_file, "w") as f:
            f.write("correct horse battery staple\n")
        cluster = Cluster(self.tmp, workers=2, env={"AVIARY_SECRET": "correct horse battery staple"})
        try:
            cluster.wait_for_workers(2)
            out = os.path.join(self.tmp, "out")
            proc = cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                  "--output", "files:" + out, "--wait")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertOutputEquals(out, reference_wordcount(paths))

            for env in ({"AVIARY_SECRET": ""}, {"AVIARY_SECRET": "wrong"}):
                proc = run_cli("status", "--coordinator", cluster.address, env=env)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("cluster secret", proc.stderr)
            proc = run_cli("--secret-file", secret_file, "status", "--coordinator", cluster.address,
                           env={"AVIARY_SECRET": ""})
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(self.tmp, "coordinator.log")) as f:
                log = f.read()
            self.assertIn("refused unauthenticated", log)
            self.assertNotIn("correct horse", log)
        finally:
            cluster.stop()


if __name__ == "__main__":
    unittest.main()
