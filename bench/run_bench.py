#!/usr/bin/env python3
"""Aviary's benchmark driver. Run it through scripts/bench.sh, which builds Aviary in Release,
prepares a Python venv with pyspark, numpy and matplotlib, and then calls this script.

Phases (--phases, default all but mongo when no cluster commands exist):
  main    word count over Zipf corpora of --sizes MiB: aviary run --workers 2, Spark local[2]
          (PySpark RDD), bench/wc_reference (single-threaded C++) and tr|sort|uniq -c; --runs
          runs each, engines alternating, medians reported; outputs checked against the reference.
  keys    the same for 1e3 .. 1e7 distinct words at a fixed size (aviary and the reference).
  memory  a corpus with far more distinct words than fit in a small worker --memory: aviary
          with the default and with small budgets; spills, and the RSS of every process.
  mongo   a sharded collection on a local cluster (aviary cluster up/load): an aviary scan vs a
          plain libmongoc cursor per shard (bench/mongo_scan), and wordcount over the collection.
  unique  (not in the default set) --unique-keys N distinct words, each exactly once (1e8 is
          690 MB of text: more distinct keys than any fixed-size corpus can hold); aviary and the
          reference, outputs checked by streaming (N lines, each count 1), not against a dict.
  collector  (not in the default set) the map side alone, bench/collector_bench, per vocabulary;
          with --baseline-build DIR also that build's collector_bench, alternating.

What is measured, for every run of every engine (see docs/performance.md):
  wall    seconds from spawn to exit of the command.
  cpu     user + sys seconds of the whole process tree: the driver is a child subreaper
          (PR_SET_CHILD_SUBREAPER), so every descendant, orphaned or not, is reaped by it and
          counted in getrusage(RUSAGE_CHILDREN).
  memory  peak of the summed PSS (proportional set size) of all live processes of the tree,
          sampled every 50 ms, in one extra run of each engine before the timed ones (in the
          memory and unique phases, in every run), so that sampling slows no timed run. PSS
          splits shared pages (the same binary mapped by five Aviary processes) among the
          processes, so the sum is what the tree really holds. Also the largest single process
          (VmHWM) and, per process kind, the largest VmHWM.
Raw results: build-bench/bench-results/<time>/results.json and runs.csv.
"""
import argparse
import collections
import csv
import ctypes
import datetime
import glob
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "performance.md")


# ------------------------------------------------------------------------------------------------
# Measuring a process tree


def become_subreaper(on=True):
    """Orphaned descendants come to us (so their CPU time is counted) while `on`. Turn it off to
    start daemons that must outlive the measurement (the local MongoDB cluster)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1 if on else 0, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def children_of(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return kids


def descendants(pid):
    out, todo = [], children_of(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def read_kb(path, field):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def process_kind(cmd):
    if re.match(r"\S*perf stat ", cmd):
        return "perf"
    if " task-runner " in f" {cmd} ":
        return "aviary-map" if "/map-" in cmd else "aviary-reduce" if "/reduce-" in cmd else "aviary-task"
    if re.search(r"aviary\S* (--\S+ \S+ )*worker ", cmd + " "):
        return "aviary-worker"
    if "java" in cmd.split(" ")[0]:
        return "jvm"
    if "pyspark" in cmd or "python" in cmd.split(" ")[0]:
        return "python"
    return os.path.basename(cmd.split(" ")[0]) if cmd else "?"


class Sampler(threading.Thread):
    """Samples the PSS of every descendant of this process until stopped."""

    def __init__(self, interval=0.05):
        super().__init__(daemon=True)
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_pss_kb = 0
        self.hwm_kb = {}  # pid -> largest VmHWM seen
        self.anon_kb = {}  # pid -> largest RssAnon seen: private data, without the shared code
        self.kind = {}
        self.samples = 0

    def run(self):
        me = os.getpid()
        while not self.stop_event.is_set():
            total = 0
            for pid in descendants(me):
                if self.kind.get(pid) == "perf":
                    continue  # the CPU counter around the command, not part of it
                total += read_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
                hwm = read_kb(f"/proc/{pid}/status", "VmHWM:")
                if hwm > self.hwm_kb.get(pid, 0):
                    self.hwm_kb[pid] = hwm
                anon = read_kb(f"/proc/{pid}/status", "RssAnon:")
                if anon > self.anon_kb.get(pid, 0):
                    self.anon_kb[pid] = anon
                # Re-read: a spawned process shows its parent's command line until it execs.
                if self.kind.get(pid) in (None, "aviary", "python", "sh"):
                    cmd = cmdline(pid)
                    if cmd:
                        self.kind[pid] = process_kind(cmd)
            self.peak_pss_kb = max(self.peak_pss_kb, total)
            self.samples += 1
            self.stop_event.wait(self.interval)

    def by_kind(self):
        out = {}
        for pid, hwm in self.hwm_kb.items():
            k = self.kind.get(pid, "?")
            out.setdefault(k, {"count": 0, "max_hwm_mb": 0.0, "max_anon_mb": 0.0})
            out[k]["count"] += 1
            out[k]["max_hwm_mb"] = max(out[k]["max_hwm_mb"], hwm / 1024)
            out[k]["max_anon_mb"] = max(out[k]["max_anon_mb"], self.anon_kb.get(pid, 0) / 1024)
        return out


def reap_all(timeout=30.0):
    """Reaps every remaining descendant (they are ours: we are a subreaper); kills stragglers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                for p in descendants(os.getpid()):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.02)


_PERF = None


def perf_available():
    """Whether `perf stat` can count this user's processes (it may be missing or forbidden)."""
    global _PERF
    if _PERF is None:
        perf = shutil.which("perf")
        _PERF = bool(perf) and subprocess.run([perf, "stat", "-x", ",", "-e", "task-clock", "--", "true"],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    return _PERF


def measure(cmd, stdout_path=None, env=None, shell=False, timeout=None, sample=True):
    """Runs cmd; returns a dict of wall, cpu, user, sys, peak_mem_mb, max_rss_mb, rc, stdout.

    With sample=False no memory is sampled (the memory fields are None): the sampler reads
    /proc of every process of the tree 20 times a second, and that CPU is taken from the
    engines that use both cores, not from a single-threaded one, which leaves a core idle.

    CPU is the task-clock that `perf stat` counts over every task the command starts (inherited
    counters, so nothing escapes), when perf works; else user + sys from getrusage of the reaped
    tree. getrusage alone misses processes whose parent ignores SIGCHLD (their times are
    discarded when they are reaped automatically): PySpark's worker daemon does that."""
    reap_all(timeout=5)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = Sampler() if sample else None
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    perf_out = None
    if perf_available() and not shell:
        fd, perf_out = tempfile.mkstemp(prefix="perf-stat-", suffix=".csv")
        os.close(fd)
        cmd = [shutil.which("perf"), "stat", "-x", ",", "-e", "task-clock", "-o", perf_out, "--"] + list(cmd)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env, shell=shell)
    if sampler:
        sampler.start()
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for q in descendants(os.getpid()):
            os.kill(q, signal.SIGKILL)
        stdout, stderr = p.communicate()
    t1 = time.monotonic()
    reap_all()
    if sampler:
        sampler.stop_event.set()
        sampler.join()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if stdout_path:
        out.close()
    user = ru1.ru_utime - ru0.ru_utime
    sys_ = ru1.ru_stime - ru0.ru_stime
    cpu, cpu_source = user + sys_, "getrusage"
    if perf_out:
        try:
            with open(perf_out) as f:
                for line in f:
                    fields = line.strip().split(",")
                    if len(fields) > 2 and fields[2].startswith("task-clock") and fields[0] not in ("", "<not counted>"):
                        cpu, cpu_source = float(fields[0]) / 1000, "perf task-clock"
        finally:
            os.unlink(perf_out)
    return {
        "wall": t1 - t0,
        "user": user,
        "sys": sys_,
        "cpu": cpu,
        "cpu_source": cpu_source,
        "peak_mem_mb": sampler.peak_pss_kb / 1024 if sampler else None,
        "max_rss_mb": (max((h for pid, h in sampler.hwm_kb.items() if sampler.kind.get(pid) != "perf"), default=0) / 1024
                       if sampler else None),
        "processes": sampler.by_kind() if sampler else {},
        "samples": sampler.samples if sampler else 0,
        "rc": p.returncode,
        "stdout": (stdout or b"").decode(errors="replace")[-20000:],
        "stderr": (stderr or b"").decode(errors="replace")[-4000:],
    }


# ------------------------------------------------------------------------------------------------
# Corpora


def generated(args, name, want, gen_args):
    """Runs gen_corpus.py with `gen_args` into DATA/name unless it holds what `want` names
    already; returns (dir, paths, bytes)."""
    gen = os.path.join(ROOT, "bench", "gen_corpus.py")
    with open(gen, "rb") as f:
        stamp = hashlib.sha1(f.read()).hexdigest()[:12]
    d = os.path.join(args.data, name)
    stamp_file = os.path.join(d, ".generated")
    want = f"{stamp} {want}"
    if not (os.path.exists(stamp_file) and open(stamp_file).read() == want):
        shutil.rmtree(d, ignore_errors=True)
        log(f"generating {name} ...")
        subprocess.run([sys.executable, gen, d] + gen_args, check=True)
        with open(stamp_file, "w") as f:
            f.write(want)
    paths = sorted(glob.glob(os.path.join(d, "part-*")))
    return d, paths, sum(os.path.getsize(p) for p in paths)


def unique_corpus(args, n, files=8):
    """N distinct words, each once (generated once)."""
    return generated(args, f"unique-{n:g}-s{args.seed}", f"{n} {args.seed} {files}",
                     ["--unique", str(int(n)), "--files", str(files), "--seed", str(args.seed)])


def corpus(args, mb, vocab, fmt="text", files=8):
    """The Zipf corpus of `mb` MiB over `vocab` words (generated once)."""
    return generated(args, f"zipf-{mb:g}mib-v{vocab:g}-s{args.seed}-{fmt}", f"{mb} {vocab} {args.seed} {fmt} {files}",
                     ["--mb", str(mb), "--files", str(files), "--vocab", str(int(vocab)), "--seed", str(args.seed),
                      "--format", fmt])


def warm(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


# ------------------------------------------------------------------------------------------------
# Engines: each returns (command, env, shell, stdout_path) and a parser of its output


def tmpdir(args, tag):
    os.makedirs(args.tmp, exist_ok=True)
    return tempfile.mkdtemp(prefix=tag + "-", dir=args.tmp)


def read_tsv_counts(paths):
    """{word: count} from files of "word<TAB>count" lines."""
    counts = {}
    for p in paths:
        with open(p) as f:
            for line in f:
                w, c = line.rstrip("\n").split("\t")
                counts[w] = int(c)
    return counts


class Aviary:
    name = "aviary"

    def __init__(self, args, memory_mb=None, label=None):
        self.args = args
        self.memory_mb = memory_mb
        if label:
            self.name = label

    def command(self, d, paths, out):
        cmd = [self.args.aviary, "run", "wordcount", "--input", f"files:{d}/part-*", "--output", f"files:{out}",
               "--workers", str(self.args.workers), "--json"]
        if self.memory_mb:
            cmd += ["--memory", str(self.memory_mb)]
        return cmd, None, False, None

    @staticmethod
    def parse(out):
        counts = {}
        for p in sorted(glob.glob(os.path.join(out, "part-*.jsonl"))):
            with open(p) as f:
                for line in f:
                    doc = json.loads(line)
                    counts[doc["_id"]] = doc["value"]
        return counts

    @staticmethod
    def extra(result):
        try:
            job = json.loads(result["stdout"])
        except ValueError:
            return {}
        counters = {c["name"]: int(c["value"]) for c in job.get("counters", [])}
        return {"map_tasks": job.get("maps_total"), "reduce_tasks": job.get("reduces_total"),
                "state": job.get("state"), "counters": counters,
                "job_s": job.get("end_unix", 0) - job.get("submit_unix", 0)}


class Spark:
    name = "spark"

    def __init__(self, args):
        self.args = args

    def command(self, d, paths, out):
        cmd = [sys.executable, os.path.join(ROOT, "bench", "spark_wordcount.py"), d, out,
               "--master", f"local[{self.args.workers}]", "--partitions", str(self.args.workers)]
        return cmd, None, False, None

    @staticmethod
    def parse(out):
        return read_tsv_counts(glob.glob(os.path.join(out, "part-*")))

    @staticmethod
    def extra(result):
        for line in result["stdout"].splitlines():
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    pass
        return {}


class Reference:
    name = "reference"

    def __init__(self, args):
        self.args = args

    def command(self, d, paths, out):
        os.makedirs(out, exist_ok=True)
        return [self.args.reference, "-o", os.path.join(out, "counts.tsv")] + paths, None, False, None

    @staticmethod
    def parse(out):
        return read_tsv_counts([os.path.join(out, "counts.tsv")])

    @staticmethod
    def extra(result):
        parts = result["stdout"].split()
        return {"distinct": int(parts[0]), "words": int(parts[1])} if len(parts) == 2 else {}


class Coreutils:
    name = "coreutils"

    def __init__(self, args):
        self.args = args

    def command(self, d, paths, out):
        os.makedirs(out, exist_ok=True)
        env = dict(os.environ, LC_ALL="C", TMPDIR=out)
        script = "cat \"$@\" | tr -cs 'A-Za-z' '\\n' | sort | uniq -c > \"$OUT\""
        env["OUT"] = os.path.join(out, "counts.txt")
        return ["sh", "-c", script, "sh"] + paths, env, False, None

    @staticmethod
    def parse(out):
        counts = {}
        with open(os.path.join(out, "counts.txt")) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:  # a leading separator makes one empty line: no word
                    counts[parts[1]] = int(parts[0])
        return counts

    @staticmethod
    def extra(result):
        return {}


# ------------------------------------------------------------------------------------------------
# Running


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_avg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_quiet(args):
    """Waits (up to --quiet-wait s) for the 1-minute load average to drop below --quiet-load."""
    if args.quiet_wait <= 0:
        return
    deadline = time.monotonic() + args.quiet_wait
    while load_avg() > args.quiet_load and time.monotonic() < deadline:
        time.sleep(5)


def run_engine(args, engine, d, paths, nbytes, check_against=None, verify=None, sample=True):
    out = os.path.join(tmpdir(args, engine.name), "out")
    cmd, env, shell, stdout_path = engine.command(d, paths, out)
    wait_quiet(args)
    load = load_avg()
    r = measure(cmd, stdout_path=stdout_path, env=env, shell=shell, timeout=args.timeout, sample=sample)
    r["load_before"] = load
    r["engine"] = engine.name
    r["mb_per_s"] = nbytes / 1e6 / r["wall"] if r["wall"] > 0 else 0
    r["extra"] = engine.extra(r) if r["rc"] == 0 else {}
    if r["rc"] != 0:
        log(f"{engine.name} FAILED (rc {r['rc']}): {r['stderr'][-1500:]}")
    counts = None
    if r["rc"] == 0 and verify is not None:
        r["correct"] = verify(out)
    if r["rc"] == 0 and check_against is not None:
        counts = engine.parse(out)
        r["correct"] = counts == check_against
        if not r["correct"]:
            diff = [w for w in set(counts) | set(check_against) if counts.get(w) != check_against.get(w)]
            r["mismatches"] = len(diff)
            log(f"{engine.name}: output differs from the reference on {len(diff)} words, e.g. "
                f"{[(w, counts.get(w), check_against.get(w)) for w in diff[:3]]}")
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    del r["stdout"]
    mem = f"mem {r['peak_mem_mb']:7.1f} MB" if sample else "(timed run)"
    log(f"  {engine.name:>10}: wall {r['wall']:7.2f} s  cpu {r['cpu']:7.2f} s  {mem}  "
        f"{r['mb_per_s']:7.1f} MB/s  load {load:.1f}" + ("" if r.get("correct", True) else "  WRONG OUTPUT"))
    return r, counts


def reference_counts(args, d, paths):
    out = tmpdir(args, "truth")
    subprocess.run([args.reference, "-o", os.path.join(out, "counts.tsv")] + paths, check=True,
                   stdout=subprocess.DEVNULL)
    counts = Reference.parse(out)
    shutil.rmtree(out, ignore_errors=True)
    return counts


def check_reference(args):
    """The reference is the yardstick, so it is itself checked against an independent count (Python's
    re and Counter) on a sample with the awkward cases: words at file ends, non-ASCII bytes, no words."""
    import random
    rng = random.Random(args.seed)
    d = tmpdir(args, "refcheck")
    alphabet = b"abcXYZ q\n\t.,;'-0123456789\xc3\xa9\xff"
    samples = [b"", b"...", b"word", b"tail word", bytes(rng.choice(alphabet) for _ in range(1 << 20))]
    paths = []
    for i, data in enumerate(samples):
        paths.append(os.path.join(d, f"sample-{i}"))
        with open(paths[-1], "wb") as f:
            f.write(data)
    want = collections.Counter()
    for data in samples:
        want.update(w.decode() for w in re.findall(rb"[A-Za-z]+", data))
    got = reference_counts(args, d, paths)
    shutil.rmtree(d, ignore_errors=True)
    if got != dict(want):
        sys.exit(f"bench/wc_reference disagrees with an independent count on {len(set(got) ^ set(want))} words")
    log(f"reference checked against an independent count: {len(want)} words, {sum(want.values())} occurrences")


def run_matrix(args, engines, d, paths, nbytes, runs, check_engines, phase, tags, verify_for=None,
               memory_run=True):
    """Runs every engine `runs` times, alternating; returns the list of run records.

    With memory_run, each engine first runs once with its memory sampled (role "memory"), and
    then `runs` times without (role "timed"): times come from the timed runs, memory from the
    sampled one, so that sampling costs no engine time. Without it, every run is sampled and
    timed (role "timed+memory"). The first run of each engine in `check_engines` is checked
    against the reference's counts; with `verify_for(engine)` (a check of an output directory)
    the first run of every engine is checked that way instead."""
    warm(paths)
    truth = reference_counts(args, d, paths) if check_engines and verify_for is None else None
    plan = [(-1, "memory")] if memory_run else []
    plan += [(i, "timed" if memory_run else "timed+memory") for i in range(runs)]
    records = []
    for n, (i, role) in enumerate(plan):
        k = max(i, 0) % len(engines)  # rotate who goes first; the memory run goes as the first timed one
        order = engines[k:] + engines[:k]
        for e in order:
            first = n == 0
            check = truth if (first and e.name in check_engines) else None
            verify = verify_for(e) if (first and verify_for is not None) else None
            r, _ = run_engine(args, e, d, paths, nbytes, check_against=check, verify=verify, sample=role != "timed")
            r.update(tags, phase=phase, run=i, bytes=nbytes, role=role)
            records.append(r)
    return records


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(records, key_fields):
    """Medians per (key_fields..., engine) over successful runs."""
    groups = collections.OrderedDict()
    for r in records:
        k = tuple(r.get(f) for f in key_fields) + (r["engine"],)
        groups.setdefault(k, []).append(r)
    out = []
    for k, rs in groups.items():
        ok = [r for r in rs if r["rc"] == 0]
        s = dict(zip(key_fields + ["engine"], k))
        s["runs"] = len([r for r in rs if r.get("role") != "memory"])
        s["failed"] = len(rs) - len(ok)
        timed = [r for r in ok if r.get("role") != "memory"]
        for m in ["wall", "cpu", "mb_per_s"]:
            s[m] = median([r[m] for r in timed])
        for m in ["peak_mem_mb", "max_rss_mb"]:
            s[m] = median([r[m] for r in ok])  # None in the timed runs, which median() skips
        s["correct"] = all(r.get("correct", True) for r in rs)
        s["checked"] = any("correct" in r for r in rs)
        s["bytes"] = rs[0]["bytes"]
        s["extra"] = ok[0]["extra"] if ok else {}
        out.append(s)
    return out


# ------------------------------------------------------------------------------------------------
# Reports


def checked_cell(s):
    """The "Output checked" column of a summary row."""
    return ("yes" if s["correct"] else "**MISMATCH**") if s["checked"] else "-"


def fmt(x, digits=2):
    if x is None:
        return "-"
    return f"{x:.{digits}f}"


def main_table(summary, ref="reference"):
    lines = ["| Input | Engine | Wall (s) | CPU (s) | Peak memory (MB) | Throughput (MB/s) | Wall vs reference "
             "| CPU vs reference | Output checked |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    by_size = collections.OrderedDict()
    for s in summary:
        by_size.setdefault(s["size_mib"], []).append(s)
    for size, rows in by_size.items():
        r = next((x for x in rows if x["engine"] == ref), None)
        for s in rows:
            wall_ratio = s["wall"] / r["wall"] if r and s["wall"] and r["wall"] else None
            cpu_ratio = s["cpu"] / r["cpu"] if r and s["cpu"] and r["cpu"] else None
            check = checked_cell(s)
            if s["failed"]:
                check += f" ({s['failed']} failed)"
            lines.append(f"| {size:g} MiB | {s['engine']} | {fmt(s['wall'])} | {fmt(s['cpu'])} | "
                         f"{fmt(s['peak_mem_mb'], 0)} | {fmt(s['mb_per_s'], 1)} | {fmt(wall_ratio)}x | "
                         f"{fmt(cpu_ratio)}x | {check} |")
    return "\n".join(lines)


def replace_block(text, name, body):
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    if begin not in text:
        return text + f"\n{begin}\n{body}\n{end}\n"
    a = text.index(begin) + len(begin)
    b = text.index(end)
    return text[:a] + "\n" + body + "\n" + text[b:]


def machine_line(args, records):
    loads = [r["load_before"] for r in records]
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores ({cpu}), {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} "
            f"GiB; load average before runs: median {median(loads):.1f}, max {max(loads):.1f}; "
            f"{args.runs} runs per engine, medians" +
            ("; memory from one more run, sampled and untimed" if any(r.get("role") == "memory" for r in records) else "") +
            f"; generated {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}")


def plot(path, series, xlabel, ylabel, title, logx=True, logy=True, annotate=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for name, (xs, ys) in series.items():
        pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if annotate:
        ax.text(0.01, -0.2, annotate, transform=ax.transAxes, fontsize=7, va="top")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------
# Phases


def phase_main(args, out):
    engines = [e for e in [Aviary(args), Spark(args), Reference(args), Coreutils(args)] if e.name in args.engines]
    records = []
    for size in args.sizes:
        d, paths, nbytes = corpus(args, size, args.vocab)
        log(f"main: {size} MiB ({nbytes / 1e6:.0f} MB, {len(paths)} files), {args.runs} runs")
        es = [e for e in engines if not (e.name == "spark" and args.spark_max_mb and size > args.spark_max_mb)]
        # Every engine's output is compared with the reference at the smallest size; Aviary's at all.
        check = {e.name for e in es} if size == min(args.sizes) else {"aviary"}
        records += run_matrix(args, es, d, paths, nbytes, args.runs, check, "main", {"size_mib": size})
        save(out, records, "main")
    summary = summarize(records, ["size_mib"])
    return records, summary


def phase_keys(args, out):
    engines = [e for e in [Aviary(args), Reference(args), Spark(args)] if e.name in args.keys_engines]
    records = []
    for vocab in args.keys_vocab:
        d, paths, nbytes = corpus(args, args.keys_mib, vocab)
        log(f"keys: vocabulary {vocab:g}, {args.keys_mib} MiB")
        records += run_matrix(args, engines, d, paths, nbytes, args.runs, {"aviary"}, "keys", {"vocab": vocab})
        save(out, records, "keys")
    summary = summarize(records, ["vocab"])
    # The realised number of distinct words, from the reference.
    distinct = {}
    for r in records:
        if r["engine"] == "reference" and r["extra"].get("distinct"):
            distinct[r["vocab"]] = r["extra"]["distinct"]
    for s in summary:
        s["distinct"] = distinct.get(s["vocab"])
    return records, summary


def unique_output_ok(engine, n):
    """A check of `engine`'s output for the unique phase: n words, each counted once, read as
    a stream (a dict of 1e8 words would not fit)."""
    def check(out):
        words = total = 0
        if engine.name == "reference":
            files, pattern = [os.path.join(out, "counts.tsv")], re.compile(rb"\t(\d+)$")
        else:
            files, pattern = sorted(glob.glob(os.path.join(out, "part-*.jsonl"))), re.compile(rb'"value": (\d+)}$')
        for path in files:
            with open(path, "rb") as f:
                for line in f:
                    m = pattern.search(line.rstrip(b"\n"))
                    words += 1
                    total += int(m.group(1)) if m else -(1 << 40)
        ok = words == n and total == n
        if not ok:
            log(f"{engine.name}: {words} words counted {total} times; wanted {n} words once each")
        return ok
    return check


def phase_unique(args, out):
    engines = [Aviary(args), Reference(args)]
    records = []
    for n in args.unique_keys:
        d, paths, nbytes = unique_corpus(args, n)
        log(f"unique: {n:g} distinct words, {nbytes / 1e6:.0f} MB")
        records += run_matrix(args, engines, d, paths, nbytes, args.runs, set(), "unique", {"keys": n},
                              verify_for=lambda e, n=int(n): unique_output_ok(e, n), memory_run=False)
        save(out, records, "unique")
    return records, summarize(records, ["keys"])


def report_unique(args, records, summary, text):
    lines = ["| Distinct words | Input | Engine | Wall (s) | CPU (s) | Peak memory (MB) | Largest process (MB) |"
             " Output checked |", "|---:|---:|---|---:|---:|---:|---:|---|"]
    for s in summary:
        check = checked_cell(s)
        lines.append(f"| {s['keys']:g} | {s['bytes'] / 1e6:.0f} MB | {s['engine']} | {fmt(s['wall'])} | {fmt(s['cpu'])} | "
                     f"{fmt(s['peak_mem_mb'], 0)} | {fmt(s['max_rss_mb'], 0)} | {check} |")
    return replace_block(text, "unique", f"Every word once; machine: {machine_line(args, records)}.\n\n" +
                         "\n".join(lines))


def phase_memory(args, out):
    d, paths, nbytes = corpus(args, args.memory_mib, args.memory_vocab)
    log(f"memory: vocabulary {args.memory_vocab:g}, {args.memory_mib} MiB")
    engines = [Reference(args), Aviary(args, label="aviary --memory 1024 (default)")]
    for m in args.memory_budgets:
        engines.append(Aviary(args, memory_mb=m, label=f"aviary --memory {m}"))
    records = run_matrix(args, engines, d, paths, nbytes, args.memory_runs, {e.name for e in engines if e.name != "reference"},
                         "memory", {"vocab": args.memory_vocab, "size_mib": args.memory_mib}, memory_run=False)
    save(out, records, "memory")
    return records, summarize(records, ["size_mib"])


def phase_collector(args, out):
    """collector_bench (the map side alone) over single-file corpora; with --baseline-build, the
    same binary of another build too, runs alternating."""
    builds = [("after" if args.baseline_build else "this build", args.build)]
    if args.baseline_build:
        builds.insert(0, ("before", args.baseline_build))
    records = []
    for vocab in args.collector_vocab:
        d, paths, nbytes = corpus(args, args.collector_mib, vocab, files=1)
        warm(paths)
        log(f"collector: vocabulary {vocab:g}, {args.collector_mib} MiB")
        for i in range(args.runs):
            for label, build in (builds if i % 2 == 0 else builds[::-1]):
                p = subprocess.run([os.path.join(build, "bin", "collector_bench"), paths[0]], stdout=subprocess.PIPE,
                                   text=True, check=True)
                r = json.loads(p.stdout.splitlines()[0])
                r.update(phase="collector", engine=label, vocab=vocab, run=i, bytes=nbytes, load_before=load_avg())
                records.append(r)
                log(f"  {label:>10}: emit {r['emit_s']:.3f} s  finish {r['finish_s']:.3f} s  keys {r['keys']}")
        with open(os.path.join(out, "collector.json"), "w") as f:
            json.dump(records, f, indent=1)
    summary = []
    for vocab in args.collector_vocab:
        for label, _ in builds:
            rs = [r for r in records if r["vocab"] == vocab and r["engine"] == label]
            summary.append({"vocab": vocab, "engine": label, "keys": rs[0]["keys"], "bytes": rs[0]["bytes"],
                            "emit_s": median([r["emit_s"] for r in rs]), "finish_s": median([r["finish_s"] for r in rs]),
                            "total_s": median([r["emit_s"] + r["finish_s"] for r in rs])})
    return records, summary


def report_collector(args, records, summary, text):
    lines = ["| Vocabulary | Distinct words | Build | Tokenize + emit (s) | Sort + write (s) | Total (s) | MB/s |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    for s in summary:
        lines.append(f"| {s['vocab']:g} | {s['keys']} | {s['engine']} | {fmt(s['emit_s'], 3)} | {fmt(s['finish_s'], 3)} | "
                     f"{fmt(s['total_s'], 3)} | {fmt(s['bytes'] / 1e6 / s['total_s'], 0)} |")
    head = (f"{args.collector_mib:g} MiB per file, one map task's work on one core; machine: "
            f"{machine_line(args, records)}.")
    block = "collector-before-after" if args.baseline_build else "collector"
    return replace_block(text, block, head + "\n\n" + "\n".join(lines))


def save(out, records, phase):
    with open(os.path.join(out, f"{phase}.json"), "w") as f:
        json.dump(records, f, indent=1, default=str)
    fields = ["phase", "engine", "run", "role", "size_mib", "vocab", "bytes", "wall", "cpu", "user", "sys", "peak_mem_mb",
              "max_rss_mb", "mb_per_s", "rc", "correct", "load_before"]
    with open(os.path.join(out, f"{phase}.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in records:
            w.writerow(r)


def report_main(args, records, summary, text):
    body = [f"Machine: {machine_line(args, records)}.", "", main_table(summary), ""]
    ratios = []
    for size in args.sizes:
        row = {s["engine"]: s for s in summary if s["size_mib"] == size}
        av, ref, sp = row.get("aviary"), row.get("reference"), row.get("spark")
        parts = []
        if av and ref and av["wall"] and ref["wall"]:
            target = "0.55x" if size >= 1024 else "0.6x"  # issue 14: 0.6x at 256 MiB, 0.55x from 1 GiB
            parts.append(f"Aviary/reference wall **{av['wall'] / ref['wall']:.2f}x** (target <= {target})")
        if av and sp and av["wall"] and sp["wall"]:
            parts.append(f"Spark/Aviary wall **{sp['wall'] / av['wall']:.1f}x** (target >= 5x)")
        ratios.append(f"- {size:g} MiB: " + ", ".join(parts))
    body += ratios
    text = replace_block(text, "main", "\n".join(body))
    sizes = args.sizes
    series_t, series_m = {}, {}
    for e in args.engines:
        rows = {s["size_mib"]: s for s in summary if s["engine"] == e}
        series_t[e] = (sizes, [rows[x]["wall"] if x in rows else None for x in sizes])
        series_m[e] = (sizes, [rows[x]["peak_mem_mb"] if x in rows else None for x in sizes])
    plot(os.path.join(ROOT, "docs", "perf-size-time.png"), series_t, "input size (MiB)", "wall time (s)",
         "Word count: wall time vs input size (2 cores)")
    plot(os.path.join(ROOT, "docs", "perf-size-memory.png"), series_m, "input size (MiB)",
         "peak memory, summed PSS of the process tree (MB)", "Word count: peak memory vs input size")
    return text


def report_keys(args, records, summary, text):
    lines = ["| Vocabulary | Distinct words | Engine | Wall (s) | CPU (s) | Peak memory (MB) | Throughput (MB/s) |"
             " Output checked |", "|---:|---:|---|---:|---:|---:|---:|---|"]
    for s in summary:
        check = checked_cell(s)
        lines.append(f"| {s['vocab']:g} | {s['distinct'] or '-'} | {s['engine']} | {fmt(s['wall'])} | {fmt(s['cpu'])} | "
                     f"{fmt(s['peak_mem_mb'], 0)} | {fmt(s['mb_per_s'], 1)} | {check} |")
    text = replace_block(text, "keys", f"{args.keys_mib} MiB of text per point; machine: "
                         f"{machine_line(args, records)}.\n\n" + "\n".join(lines))
    engines = sorted({s["engine"] for s in summary})
    st, sm = {}, {}
    for e in engines:
        rows = [s for s in summary if s["engine"] == e and s["distinct"]]
        st[e] = ([s["distinct"] for s in rows], [s["wall"] for s in rows])
        sm[e] = ([s["distinct"] for s in rows], [s["peak_mem_mb"] for s in rows])
    plot(os.path.join(ROOT, "docs", "perf-keys-time.png"), st, "distinct words", "wall time (s)",
         f"Word count of {args.keys_mib} MiB: wall time vs distinct words", logy=False)
    plot(os.path.join(ROOT, "docs", "perf-keys-memory.png"), sm, "distinct words",
         "peak memory, summed PSS (MB)", f"Word count of {args.keys_mib} MiB: peak memory vs distinct words")
    return text


def report_memory(args, records, summary, text):
    lines = ["| Engine | Wall (s) | CPU (s) | Peak memory, tree (MB) | Largest map task (MB) | Largest reduce task "
             "(MB) | Largest worker daemon (MB) | Map spills | Output checked |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in summary:
        ok = [r for r in records if r["engine"] == s["engine"] and r["rc"] == 0]

        def largest(kind):
            if not ok:
                return "-"
            rss = median([r["processes"].get(kind, {}).get("max_hwm_mb") for r in ok])
            anon = median([r["processes"].get(kind, {}).get("max_anon_mb") for r in ok])
            return f"{fmt(rss, 0)} ({fmt(anon, 0)})"
        spills = s["extra"].get("counters", {}).get("map_spills", 0) if s["engine"] != "reference" else None
        check = checked_cell(s)
        lines.append(f"| {s['engine']} | {fmt(s['wall'])} | {fmt(s['cpu'])} | {fmt(s['peak_mem_mb'], 0)} | "
                     f"{largest('aviary-map')} | {largest('aviary-reduce')} | "
                     f"{largest('aviary-worker')} | {spills if spills is not None else '-'} | {check} |")
    distinct = next((r["extra"].get("distinct") for r in records if r["engine"] == "reference" and r["rc"] == 0), None)
    head = (f"{args.memory_mib} MiB of text drawn from {args.memory_vocab:g} words ({distinct} distinct in the "
            f"input); {args.workers} workers, 1 slot each (a task's budget is the worker's --memory). Process "
            f"columns give peak RSS and, in brackets, its private part (RssAnon: data, not the shared code). "
            f"Machine: {machine_line(args, records)}.")
    text = replace_block(text, "memory", head + "\n\n" + "\n".join(lines))
    return text


def phase_mongo(args, out):
    import mongo_bench  # bench/mongo_bench.py: needs `aviary cluster`, so only loaded when asked for
    return mongo_bench.run(args, out, sys.modules[__name__])


def report_mongo(args, records, summary, text):
    import mongo_bench
    return mongo_bench.report(args, records, summary, text, sys.modules[__name__])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--sizes", default="100,500,2000", help="corpus sizes in MiB (main phase)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--vocab", type=float, default=1e5, help="vocabulary of the main corpora")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--engines", default="aviary,spark,reference,coreutils")
    p.add_argument("--phases", default="main,keys,memory")
    p.add_argument("--spark-max-mb", type=float, default=0, help="skip Spark above this size (0: never)")
    p.add_argument("--keys-vocab", default="1e3,1e4,1e5,1e6,1e7")
    p.add_argument("--keys-mib", type=float, default=200)
    p.add_argument("--keys-engines", default="aviary,reference")
    p.add_argument("--unique-keys", default="1e7,1e8", help="unique phase: distinct words, each once")
    p.add_argument("--memory-vocab", type=float, default=1e7)
    p.add_argument("--memory-mib", type=float, default=500)
    p.add_argument("--memory-budgets", default="64,32", help="worker --memory values (MB) to try")
    p.add_argument("--memory-runs", type=int, default=0, help="runs in the memory phase (default: --runs)")
    p.add_argument("--mongo-mib", type=float, default=100, help="JSON documents to load (mongo phase)")
    p.add_argument("--mongo-shards", type=int, default=2)
    p.add_argument("--collector-vocab", default="1e3,1e5,1e6,1e7", help="collector phase: vocabularies")
    p.add_argument("--collector-mib", type=float, default=64, help="collector phase: size of the one file")
    p.add_argument("--baseline-build", default="", help="collector phase: a build dir to compare with")
    p.add_argument("--timeout", type=float, default=7200)
    p.add_argument("--quiet-load", type=float, default=1.5, help="wait for the load average to drop below this")
    p.add_argument("--quiet-wait", type=float, default=0, help="...for at most this many seconds per run")
    p.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md and the plots")
    args = p.parse_args()
    args.sizes = [float(x) for x in args.sizes.split(",") if x]
    args.engines = [x for x in args.engines.split(",") if x]
    args.keys_vocab = [float(x) for x in args.keys_vocab.split(",") if x]
    args.unique_keys = [float(x) for x in args.unique_keys.split(",") if x]
    args.collector_vocab = [float(x) for x in args.collector_vocab.split(",") if x]
    args.keys_engines = [x for x in args.keys_engines.split(",") if x]
    args.memory_budgets = [int(x) for x in args.memory_budgets.split(",") if x]
    args.memory_runs = args.memory_runs or args.runs
    args.phases = [x for x in args.phases.split(",") if x]
    args.aviary = os.path.join(args.build, "bin", "aviary")
    args.reference = os.path.join(args.build, "bin", "wc_reference")
    args.data = os.path.join(args.build, "bench-data")
    become_subreaper()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    args.tmp = os.path.join(args.build, "bench-tmp", f"{stamp}-{os.getpid()}")  # engines' outputs
    out = os.path.join(args.build, "bench-results", stamp)
    os.makedirs(out, exist_ok=True)
    latest = os.path.join(args.build, "bench-results", "latest")
    if os.path.islink(latest):
        os.unlink(latest)
    os.symlink(stamp, latest)
    log(f"results in {out}")
    check_reference(args)
    with open(os.path.join(out, "args.json"), "w") as f:
        json.dump(vars(args), f, indent=1)

    def current_text():  # read afresh: the prose may be edited while a long run goes on
        return open(DOC).read() if os.path.exists(DOC) else "# Performance\n"

    phases = {"main": (phase_main, report_main), "keys": (phase_keys, report_keys),
              "memory": (phase_memory, report_memory), "collector": (phase_collector, report_collector),
              "mongo": (phase_mongo, report_mongo), "unique": (phase_unique, report_unique)}
    all_summaries = {}
    for phase in args.phases:
        if phase not in phases:
            sys.exit(f"unknown phase {phase}")
        run_phase, report = phases[phase]
        records, summary = run_phase(args, out)
        all_summaries[phase] = summary
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(all_summaries, f, indent=1, default=str)
        if not args.no_docs:
            text = report(args, records, summary, current_text())
            with open(DOC, "w") as f:
                f.write(text)
    shutil.rmtree(args.tmp, ignore_errors=True)
    bad = [s for ss in all_summaries.values() for s in ss if not s.get("correct", True) or s.get("failed")]
    log(f"done; results in {out}" + (f"; {len(bad)} result(s) FAILED or WRONG" if bad else ""))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
