"""The seq: source end to end: `aviary run` over seq:N/K gives the exact count and sum."""

import json
import os
import shutil
import tempfile
import unittest

from harness import plugin, run_cli


class SeqSourceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aviary-seq-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_a_job_over_seq_sees_every_number_once(self):
        out = os.path.join(self.tmp, "out")
        proc = run_cli("run", plugin("seq_sum"), "--input", "seq:1000/4", "--output", "files:" + out,
                       "--workers", "2", "--reduce-tasks", "2", "--json", check=0)
        status = json.loads(proc.stdout)
        self.assertEqual(status["maps_total"], 4)
        result = {}
        for name in sorted(os.listdir(out)):
            if name.startswith("part-"):
                with open(os.path.join(out, name)) as f:
                    for line in f:
                        doc = json.loads(line)
                        result[doc["_id"]] = doc["value"]
        self.assertEqual(result, {"count": 1000, "sum": 999 * 1000 // 2})

    def test_an_option_seq_does_not_take_is_refused(self):
        proc = run_cli("run", plugin("seq_sum"), "--input", "seq:10", "--output",
                       "files:" + os.path.join(self.tmp, "out"), "--field", "body", check=2)
        self.assertIn("seq: input does not take --field", proc.stderr)


if __name__ == "__main__":
    unittest.main()
