"""Bad input of every kind: a clear message, a non-zero exit, and nothing half-written."""

import os
import stat
import unittest

from harness import AviaryTestCase, make_corpus, plugin, read_output, run_cli


class BadInputTest(AviaryTestCase):
    def run_wordcount(self, input_uri, out=None, *extra, job="wordcount"):
        out = out or os.path.join(self.tmp, "out")
        return run_cli("run", job, "--input", input_uri, "--output", "files:" + out, *extra), out

    def assertCleanFailure(self, proc, out, *needles, code=2):
        self.assertEqual(proc.returncode, code, f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        for needle in needles:
            self.assertIn(needle, proc.stderr)
        if os.path.exists(out):
            self.assertNotIn("_SUCCESS", os.listdir(out))
            self.assertFalse([f for f in os.listdir(out) if f.startswith("part-")])

    def test_missing_input(self):
        proc, out = self.run_wordcount("files:" + os.path.join(self.tmp, "nope", "*.txt"))
        self.assertCleanFailure(proc, out, "no input files match", "nope")

    def test_unreadable_input_file(self):
        if os.geteuid() == 0:
            self.skipTest("root reads every file")
        path = os.path.join(self.tmp, "secret.txt")
        with open(path, "w") as f:
            f.write("hidden words\n")
        os.chmod(path, 0)
        proc, out = self.run_wordcount("files:" + path)
        self.assertCleanFailure(proc, out, "secret.txt")

    def test_input_that_is_a_directory(self):
        os.makedirs(os.path.join(self.tmp, "dir.txt"))
        proc, out = self.run_wordcount("files:" + os.path.join(self.tmp, "*.txt"))
        self.assertCleanFailure(proc, out, "dir.txt")

    def test_empty_input_gives_empty_result(self):
        path = os.path.join(self.tmp, "empty.txt")
        open(path, "w").close()
        proc, out = self.run_wordcount("files:" + path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(read_output(out), {})

    def test_library_that_is_not_a_plugin(self):
        make_corpus(os.path.join(self.tmp, "in"), files=1, max_bytes=1000)
        proc, out = self.run_wordcount("files:" + os.path.join(self.tmp, "in", "*.txt"), None,
                                       job=plugin("not_a_plugin"))
        self.assertCleanFailure(proc, out, "not an Aviary plugin")

    def test_file_that_is_not_a_library(self):
        fake = os.path.join(self.tmp, "fake.so")
        with open(fake, "w") as f:
            f.write("not an ELF file\n")
        proc, out = self.run_wordcount("files:/etc/hostname", None, job=fake)
        self.assertCleanFailure(proc, out, "fake.so")

    def test_unknown_builtin_job(self):
        proc, out = self.run_wordcount("files:/etc/hostname", None, job="wordcont")
        self.assertCleanFailure(proc, out, "wordcont")

    def test_bad_flags(self):
        for args in (["run"], ["run", "wordcount", "--input", "files:/etc/hostname"],
                     ["run", "wordcount", "--input", "files:/x", "--output", "files:/y", "--workers", "zero"],
                     ["frobnicate"], ["worker", "--coordinator", "x"]):
            with self.subTest(args=args):
                proc = run_cli(*args)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertTrue(proc.stderr.strip())

    def test_an_option_the_source_or_sink_does_not_take_is_refused(self):
        for extra, needle in ((["--query", "{}"], "files: input does not take --query"),
                              (["--out-mode", "merge"], "files: output does not take --out-mode")):
            with self.subTest(extra=extra):
                proc, out = self.run_wordcount("files:/etc/hostname", None, *extra)
                self.assertCleanFailure(proc, out, needle)
        # A value the sink refuses, caught before anything starts (no server at port 1).
        proc = run_cli("run", "wordcount", "--input", "files:/etc/hostname", "--output", "mongodb://127.0.0.1:1/db.out",
                       "--out-mode", "append")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("--out-mode must be replace, merge or reduce, not 'append'", proc.stderr)

    def test_unsupported_uri(self):
        proc, out = self.run_wordcount("ftp://example/x")
        self.assertCleanFailure(proc, out, "ftp://example/x")

    def test_output_that_already_holds_a_result_is_kept(self):
        make_corpus(os.path.join(self.tmp, "in"), files=1, max_bytes=2000)
        uri = "files:" + os.path.join(self.tmp, "in", "*.txt")
        proc, out = self.run_wordcount(uri)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        before = read_output(out)
        proc, out = self.run_wordcount(uri, out)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("already", proc.stderr)
        self.assertEqual(read_output(out), before)
        proc, out = self.run_wordcount(uri, out, "--overwrite")
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_unreachable_coordinator(self):
        proc = run_cli("submit", "wordcount", "--input", "files:/etc/hostname", "--output",
                       "files:" + os.path.join(self.tmp, "out"), "--coordinator", "127.0.0.1:1", "--wait")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("127.0.0.1:1", proc.stderr)
        proc = run_cli("status", "--coordinator", "127.0.0.1:1")
        self.assertEqual(proc.returncode, 3, proc.stderr)

    def test_malformed_json_line_names_file_and_line(self):
        path = os.path.join(self.tmp, "docs.jsonl")
        with open(path, "w") as f:
            f.write('{"text": "fine"}\n{"text": "also fine"}\n{"text": broken\n')
        proc, out = self.run_wordcount("files:" + path)
        self.assertCleanFailure(proc, out, "docs.jsonl:3", code=1)
        proc, out = self.run_wordcount("files:" + path, os.path.join(self.tmp, "out2"), "--skip-bad-records")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(read_output(out), {"fine": 2, "also": 1})


if __name__ == "__main__":
    unittest.main()
