"""Hosts on a private network, for the tests that cut links and partition hosts (test_netns*.py).

NetnsLab builds, for one test, a private Ethernet segment made only of network namespaces it
creates: a hub namespace holding a bridge, and one namespace per host (metadata server,
coordinators, workers, the client) plugged into that bridge by a veth pair, with an address in
10.213.0.0/24. Nothing is added to the machine's own network namespace, so no other interface or
address is touched, and two runs at once do not see each other. Processes run in their host's
namespace through `ip netns exec`; every namespace shares the machine's filesystem, so inputs and
outputs are plain files.

Faults:
- link_down(host) / link_up(host): the host's cable is cut (its veth end on the bridge goes down).
  Packets are dropped silently; nobody gets a refused connection.
- isolate(host, others) / heal(host): iptables DROP rules inside the host's namespace cut it off
  from the named hosts only, in both directions; the rest stay reachable.

Namespaces are named avnt-<pid>-<n>-<host>. close() kills every process in them and deletes them,
also after a failure; cleanup_stale() removes those left by runs whose process is gone.

NetnsCluster runs Aviary on such a network: a metadata server (aviary-shardserver), two durable
coordinators sharing it, N workers and a client host for the CLI.
"""

import glob
import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time

from harness import AVIARY, BUILD, stop_processes

SHARDSERVER = os.path.join(BUILD, "bin", "aviary-shardserver")
SUBNET = "10.213.0"
PREFIX = "avnt-"
_counter = itertools.count()
_lock = threading.Lock()


def slowcount_plugin():
    """Path of the slowcount test plugin (slowcount_plugin.cc), compiled on first use into the
    build tree with the compiler and flags a job author would use."""
    here = os.path.dirname(os.path.abspath(__file__))
    source = os.path.join(here, "slowcount_plugin.cc")
    out_dir = os.path.join(BUILD, "tests", "e2e-plugins")
    target = os.path.join(out_dir, "slowcount.so")
    root = os.path.dirname(os.path.dirname(here))
    # Rebuilt when the source or a header it includes is newer: a plugin built against older
    # headers is refused by the engine (another plugin ABI version).
    inputs = [source] + glob.glob(os.path.join(root, "include", "aviary", "*.h")) + \
        glob.glob(os.path.join(root, "tests", "plugins", "*.h"))
    if os.path.exists(target) and os.path.getmtime(target) >= max(os.path.getmtime(f) for f in inputs):
        return target
    os.makedirs(out_dir, exist_ok=True)
    tmp = f"{target}.{os.getpid()}.tmp"
    subprocess.run([os.environ.get("CXX", "c++"), "-std=c++20", "-O2", "-shared", "-fPIC",
                    "-I", os.path.join(root, "include"), "-I", os.path.join(root, "tests", "plugins"),
                    source, "-o", tmp], check=True, timeout=300)
    os.replace(tmp, target)
    return target


def _ip(*args, check=True):
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _our_namespaces():
    proc = _ip("netns", "list", check=False)
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    return [n for n in names if n.startswith(PREFIX)]


def _delete_namespace(name):
    """Kills the processes inside `name` (they were started there by a lab), then deletes it."""
    for _ in range(3):
        pids = [int(p) for p in _ip("netns", "pids", name, check=False).stdout.split() if p.isdigit()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    _ip("netns", "delete", name, check=False)


def cleanup_stale():
    """Deletes the namespaces of earlier runs whose test process no longer exists."""
    for name in _our_namespaces():
        m = re.match(rf"{PREFIX}(\d+)-", name)
        if m and not _pid_alive(int(m.group(1))):
            _delete_namespace(name)


def unavailable_reason():
    """None when namespaces can be made here, else why not (the tests then skip)."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs these tests as root)"
    try:
        subprocess.run(["ip", "-V"], capture_output=True, check=True, timeout=10)
    except (OSError, subprocess.CalledProcessError):
        return "iproute2's `ip` is not installed (scripts/setup.sh installs it)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    proc = _ip("netns", "add", probe, check=False)
    if proc.returncode != 0:
        return f"`ip netns add` is not permitted here: {proc.stderr.strip()}"
    try:
        proc = _ip("-n", probe, "link", "add", "br0", "type", "bridge", check=False)
        if proc.returncode != 0:
            return f"cannot create a bridge in a namespace: {proc.stderr.strip()}"
    finally:
        _ip("netns", "delete", probe, check=False)
    if not os.path.exists(SHARDSERVER):
        return "aviary-shardserver is not built"
    return None


def iptables_reason():
    """None when iptables works inside a namespace, else why not."""
    try:
        subprocess.run(["iptables", "--version"], capture_output=True, check=True, timeout=10)
    except (OSError, subprocess.CalledProcessError):
        return "iptables is not installed (scripts/setup.sh installs it)"
    return None


class NetnsLab:
    """A bridge in a hub namespace and one namespace per host. Use as a context manager or call
    close(); every process started through it is killed at close()."""

    def __init__(self):
        with _lock:
            n = next(_counter)
        self.prefix = f"{PREFIX}{os.getpid()}-{n}-"
        self.hub = self.prefix + "hub"
        self.hosts = {}  # name -> address
        self.procs = []
        self._isolated = set()
        try:
            _ip("netns", "add", self.hub)
            _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.hub, "link", "set", "br0", "up")
        except Exception:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def namespace(self, host):
        return self.prefix + host

    def add_host(self, host, address):
        """Creates host `host` with `address` (in 10.213.0.0/24) on the bridge."""
        assert address.startswith(SUBNET + "."), address
        assert host not in self.hosts and len(host) <= 10, host
        ns = self.namespace(host)
        _ip("netns", "add", ns)
        self.hosts[host] = address
        _ip("link", "add", "v-" + host, "netns", self.hub, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", self.hub, "link", "set", "v-" + host, "master", "br0")
        _ip("-n", self.hub, "link", "set", "v-" + host, "up")
        _ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        return address

    def wrap(self, host, argv):
        return ["ip", "netns", "exec", self.namespace(host), *map(str, argv)]

    # The lab's daemons listen on its network, not on loopback: like any cluster, it needs a
    # secret (docs/reliability.md, "Closed by default").
    ENV = {**os.environ, "AVIARY_SECRET": "netns-lab-secret"}

    def popen(self, host, argv, **kwargs):
        """Starts `argv` inside `host`; it is killed at close() if still running."""
        kwargs.setdefault("env", self.ENV)
        proc = subprocess.Popen(self.wrap(host, argv), **kwargs)
        self.procs.append(proc)
        return proc

    def run(self, host, argv, timeout=120):
        return subprocess.run(self.wrap(host, argv), capture_output=True, text=True, timeout=timeout, env=self.ENV)

    def can_connect(self, host, address, timeout=2.0):
        """Whether `host` can open a TCP connection to `address` (HOST:PORT)."""
        ip, port = address.rsplit(":", 1)
        code = ("import socket,sys\n"
                f"s=socket.socket(); s.settimeout({timeout})\n"
                f"sys.exit(s.connect_ex(('{ip}', {port})))\n")
        return self.run(host, ["python3", "-c", code], timeout=timeout + 10).returncode == 0

    # Faults -----------------------------------------------------------------------------------

    def link_down(self, host):
        _ip("-n", self.hub, "link", "set", "v-" + host, "down")

    def link_up(self, host):
        _ip("-n", self.hub, "link", "set", "v-" + host, "up")

    def isolate(self, host, others):
        """Drops every packet between `host` and each of `others` (both ways), inside `host`."""
        for other in others:
            peer = self.hosts[other]
            for rule in (["INPUT", "-s", peer], ["OUTPUT", "-d", peer]):
                proc = self.run(host, ["iptables", "-w", "-A", *rule, "-j", "DROP"])
                if proc.returncode != 0:
                    raise RuntimeError(f"iptables in {host} failed: {proc.stderr.strip()}")
        self._isolated.add(host)

    def heal(self, host):
        for chain in ("INPUT", "OUTPUT"):
            proc = self.run(host, ["iptables", "-w", "-F", chain])
            if proc.returncode != 0:
                raise RuntimeError(f"iptables in {host} failed: {proc.stderr.strip()}")
        self._isolated.discard(host)

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for host in list(self.hosts):
            _delete_namespace(self.namespace(host))
        self.hosts.clear()
        _delete_namespace(self.hub)


def log_time(line):
    """The time (seconds since the epoch, local clock) at the start of an aviary log line."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})", line)
    if not m:
        return None
    return time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + int(m.group(2)) / 1000


class NetnsCluster:
    """Aviary on a NetnsLab: host `meta` runs the metadata server, `c1` and `c2` the coordinators,
    `w0`.. the workers, `client` the CLI. Logs go to ROOT/<name>.log (appended across restarts)."""

    COORD_PORT = 7400
    WORKER_PORT = 7500
    META_PORT = 27017

    def __init__(self, root, workers=3, slots=1, lease_timeout=2, worker_timeout=2, worker_args=(), coordinator_args=()):
        self.root = root
        self.coordinator_args = list(coordinator_args)
        self.slots = slots
        self.lease_timeout = lease_timeout
        self.worker_timeout = worker_timeout
        self.worker_args = list(worker_args)
        self.lab = NetnsLab()
        self.procs = {}
        self.logs = []
        try:
            self.lab.add_host("client", f"{SUBNET}.3")
            self.lab.add_host("meta", f"{SUBNET}.2")
            for i, name in enumerate(("c1", "c2")):
                self.lab.add_host(name, f"{SUBNET}.{11 + i}")
            for i in range(workers):
                self.lab.add_host(f"w{i}", f"{SUBNET}.{21 + i}")
            self.coordinators = {name: f"{self.lab.hosts[name]}:{self.COORD_PORT}" for name in ("c1", "c2")}
            self.address = ",".join(self.coordinators.values())
            self.metadata = f"mongodb://{self.lab.hosts['meta']}:{self.META_PORT}/aviary_meta"
            self.start_meta()
            for name in self.coordinators:
                self.start_coordinator(name)
            for i in range(workers):
                self.start_worker(i)
        except Exception:
            self.stop()
            raise

    # Processes --------------------------------------------------------------------------------

    def log_path(self, name):
        return os.path.join(self.root, name + ".log")

    def _log(self, name):
        f = open(self.log_path(name), "ab")
        self.logs.append(f)
        return f

    def start_meta(self):
        proc = self.lab.popen("meta", [SHARDSERVER, "--listen", f"{self.lab.hosts['meta']}:{self.META_PORT}",
                                       "--data-dir", os.path.join(self.root, "meta"), "--log-level", "error"],
                              stdout=subprocess.PIPE, stderr=self._log("meta"), text=True)
        line = proc.stdout.readline()
        assert "ready mongodb://" in line, f"metadata server did not start: {line!r}"
        self.procs["meta"] = proc

    def start_coordinator(self, name):
        proc = self.lab.popen(name, [AVIARY, "coordinator", "--listen", self.coordinators[name], "--metadata",
                                     self.metadata, "--lease-timeout", self.lease_timeout, "--worker-timeout",
                                     self.worker_timeout, *self.coordinator_args],
                              stdout=subprocess.PIPE, stderr=self._log(name), text=True)
        line = proc.stdout.readline()
        assert "listening on" in line, f"coordinator {name} did not start: {line!r}"
        self.procs[name] = proc

    def start_worker(self, i):
        name = f"w{i}"
        proc = self.lab.popen(name, [AVIARY, "worker", "--coordinator", self.address, "--listen",
                                     self.worker_address(i), "--data-dir", os.path.join(self.root, f"worker-{i}"),
                                     "--slots", self.slots, *self.worker_args],
                              stdout=subprocess.DEVNULL, stderr=self._log(name))
        self.procs[name] = proc

    def worker_address(self, i):
        return f"{self.lab.hosts[f'w{i}']}:{self.WORKER_PORT}"

    def signal(self, name, sig):
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(sig)

    def kill(self, name):
        self.signal(name, signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def terminate(self, names, timeout=15):
        """SIGTERM to every process in `names`, then waits for all; returns their exit codes."""
        for name in names:
            self.signal(name, signal.SIGTERM)
        codes = {}
        for name in names:
            codes[name] = self.procs[name].wait(timeout=timeout)
        return codes

    def stop(self):
        stop_processes(self.procs.values())
        self.lab.close()
        for proc in self.procs.values():
            if proc.stdout:
                proc.stdout.close()
        for f in self.logs:
            f.close()

    def log(self, name):
        with open(self.log_path(name), errors="replace") as f:
            return f.read()

    # The CLI, run on the client host ----------------------------------------------------------

    def cli(self, *args, timeout=120):
        return self.lab.run("client", [AVIARY, *args], timeout=timeout)

    def submit(self, *args):
        proc = self.cli("submit", *args, "--coordinator", self.address)
        assert proc.returncode == 0, f"submit failed: {proc.stderr}"
        return proc.stdout.strip()

    def status(self, job, coordinator=None):
        """The job's status with tasks, or None when no coordinator answers."""
        proc = self.cli("status", job, "--coordinator", coordinator or self.address, "--json", timeout=30)
        return json.loads(proc.stdout) if proc.returncode == 0 else None

    def cluster_status(self, coordinator):
        proc = self.cli("workers", "--coordinator", coordinator, "--json", timeout=30)
        return json.loads(proc.stdout) if proc.returncode == 0 else None

    def active(self):
        """Names of the coordinators that say they are active."""
        names = []
        for name, address in self.coordinators.items():
            if self.procs[name].poll() is not None:
                continue
            status = self.cluster_status(address)
            if status and status.get("active"):
                names.append(name)
        return names

    def wait_active(self, timeout=20, not_name=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            names = [n for n in self.active() if n != not_name]
            if names:
                return names[0]
            time.sleep(0.1)
        raise AssertionError(f"no coordinator (other than {not_name}) became active within {timeout} s")

    def workers(self):
        """Workers as the active coordinator lists them."""
        proc = self.cli("workers", "--coordinator", self.address, "--json", timeout=30)
        return json.loads(proc.stdout).get("workers", []) if proc.returncode == 0 else []

    def wait_for_workers(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if sum(1 for w in self.workers() if w.get("alive")) >= n:
                return
            time.sleep(0.1)
        raise AssertionError(f"{n} workers did not register within {timeout} s")

    def wait_until(self, job, predicate, timeout=60, what="the condition"):
        """Polls the job's status until `predicate(status)` holds; returns that status."""
        deadline = time.time() + timeout
        status = None
        while time.time() < deadline:
            status = self.status(job) or status
            if status and predicate(status):
                return status
            time.sleep(0.05)
        raise AssertionError(f"job {job}: {what} did not happen within {timeout} s; last status: "
                             f"{json.dumps(status)[:2000] if status else None}")

    def wait_finished(self, job, timeout=120):
        return self.wait_until(job, lambda s: s["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"), timeout,
                               "the end of the job")
