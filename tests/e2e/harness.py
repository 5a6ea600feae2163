"""Shared helpers for Aviary's multi-process tests: start real coordinator and worker processes,
run the CLI, build corpora, and compute reference results independently of Aviary."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from collections import Counter, defaultdict

BUILD = os.environ.get("AVIARY_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
AVIARY = os.path.join(BUILD, "bin", "aviary")
TEST_PLUGINS = os.path.join(BUILD, "tests", "plugins")
WORD = re.compile(rb"[A-Za-z]+")


def plugin(name):
    return os.path.join(TEST_PLUGINS, name + ".so")


def run_cli(*args, timeout=300, check=None, env=None):
    """Runs `aviary ARGS`; returns CompletedProcess with text stdout/stderr."""
    proc = subprocess.run([AVIARY, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})
    if check is not None and proc.returncode != check:
        raise AssertionError(f"aviary {' '.join(map(str, args))} exited {proc.returncode}, wanted {check}\n"
                             f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def make_corpus(directory, files=8, max_bytes=4 << 20):
    """Writes `files` text files of real English-ish text found on every Debian machine (license
    texts and package copyright files), about max_bytes in all. Returns their paths."""
    sources = sorted(glob.glob("/usr/share/common-licenses/*")) + sorted(glob.glob("/usr/share/doc/*/copyright"))
    chunks, total = [], 0
    for path in sources:
        if total >= max_bytes:
            break
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        chunks.append(data)
        total += len(data)
    blob = b"".join(chunks)
    os.makedirs(directory, exist_ok=True)
    paths = []
    step = len(blob) // files + 1
    for i in range(files):
        path = os.path.join(directory, f"input-{i}.txt")
        with open(path, "wb") as f:
            f.write(blob[i * step:(i + 1) * step])
        paths.append(path)
    return paths


def reference_wordcount(paths):
    counts = Counter()
    for path in paths:
        with open(path, "rb") as f:
            for word in WORD.findall(f.read()):
                counts[word.decode()] += 1
    return dict(counts)


def reference_index(paths):
    index = defaultdict(set)
    for path in paths:
        with open(path, "rb") as f:
            for word in set(WORD.findall(f.read())):
                index[word.decode()].add(path)
    return {w: sorted(files) for w, files in index.items()}


def read_output(directory):
    """Reads DIR/part-*.jsonl into {_id: value}; fails on duplicate keys."""
    assert os.path.exists(os.path.join(directory, "_SUCCESS")), f"no _SUCCESS in {directory}"
    result = {}
    for part in sorted(glob.glob(os.path.join(directory, "part-*.jsonl"))):
        with open(part) as f:
            for line in f:
                doc = json.loads(line)
                assert doc["_id"] not in result, f"duplicate key {doc['_id']!r}"
                result[doc["_id"]] = doc["value"]
    return result


class Cluster:
    """A coordinator and workers as separate processes on loopback."""

    def __init__(self, root, workers=2, slots=1, worker_args=(), coordinator_args=(), env=None):
        self.root = root
        self.env = None if env is None else {**os.environ, **env}
        self.worker_args = list(worker_args)
        self.slots = slots
        self.coordinator = None
        self.address = None
        self.workers = {}
        self.logs = []
        self._start_coordinator(list(coordinator_args))
        for i in range(workers):
            self.start_worker(i)

    def _log(self, name):
        f = open(os.path.join(self.root, name + ".log"), "ab")
        self.logs.append(f)
        return f

    def _start_coordinator(self, extra):
        self.coordinator = subprocess.Popen([AVIARY, "coordinator", "--listen", "127.0.0.1:0", *extra],
                                            stdout=subprocess.PIPE, stderr=self._log("coordinator"), text=True,
                                            env=self.env)
        line = self.coordinator.stdout.readline()
        m = re.search(r"listening on (\S+)", line)
        assert m, f"coordinator did not start: {line!r}"
        self.address = m.group(1)

    def start_worker(self, i):
        data = os.path.join(self.root, f"worker-{i}")
        proc = subprocess.Popen([AVIARY, "worker", "--coordinator", self.address, "--listen", "127.0.0.1:0",
                                 "--data-dir", data, "--slots", str(self.slots), *self.worker_args],
                                stdout=subprocess.DEVNULL, stderr=self._log(f"worker-{i}"), env=self.env)
        self.workers[i] = proc
        return proc

    def kill_worker(self, i):
        self.workers[i].send_signal(signal.SIGKILL)
        self.workers[i].wait()

    def submit(self, *args, timeout=300):
        return run_cli("submit", *args, "--coordinator", self.address, timeout=timeout, env=self.env)

    def status(self, job_id):
        proc = run_cli("status", job_id, "--coordinator", self.address, "--json", check=0, env=self.env)
        return json.loads(proc.stdout)

    def wait_for_workers(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            proc = run_cli("workers", "--coordinator", self.address, "--json", env=self.env)
            if proc.returncode == 0:
                alive = [w for w in json.loads(proc.stdout).get("workers", []) if w.get("alive")]
                if len(alive) >= n:
                    return
            time.sleep(0.1)
        raise AssertionError(f"{n} workers did not register within {timeout} s")

    def stop(self):
        stop_processes([self.coordinator, *self.workers.values()])
        for f in self.logs:
            f.close()


def stop_processes(procs, timeout=10):
    """SIGTERM to every live process, then waits for each; kills what does not exit in time."""
    procs = [p for p in procs if p is not None]
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class AviaryTestCase(unittest.TestCase):
    maxDiff = 2000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=f"aviary-{self._testMethodName}-")

    def tearDown(self):
        if os.environ.get("AVIARY_KEEP_TEST_DIRS"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def assertOutputEquals(self, directory, expected):
        got = read_output(directory)
        missing = set(expected) - set(got)
        extra = set(got) - set(expected)
        self.assertFalse(missing, f"{len(missing)} keys missing, e.g. {sorted(missing)[:5]}")
        self.assertFalse(extra, f"{len(extra)} unexpected keys, e.g. {sorted(extra)[:5]}")
        wrong = [k for k in expected if got[k] != expected[k]]
        self.assertFalse(wrong, f"{len(wrong)} wrong values, e.g. {[(k, got[k], expected[k]) for k in wrong[:5]]}")


class ClusterTestCase(AviaryTestCase):
    """A coordinator and WORKERS workers of its own for each test, stopped after it."""

    WORKERS = 2

    def setUp(self):
        super().setUp()
        self.cluster = Cluster(self.tmp, workers=self.WORKERS)
        self.cluster.wait_for_workers(self.WORKERS)

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()
