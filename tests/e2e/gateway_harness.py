"""Starts `aviary gateway` in front of an upstream server and stops it; used by test_gateway.py and
bench/gateway_latency.py."""

import subprocess

from harness import AVIARY


class Gateway:
    def __init__(self, upstream, coordinator, *extra, log=None):
        self.log = open(log, "w") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen([AVIARY, "gateway", "--listen", "127.0.0.1:0", "--upstream", upstream,
                                      "--coordinator", coordinator, *extra],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.uri = self.proc.stdout.readline().strip()
        if not self.uri.startswith("mongodb://"):
            self.proc.kill()
            raise AssertionError(f"aviary gateway did not start (exit {self.proc.wait()})")
        host, port = self.uri[len("mongodb://"):].split("/", 1)[0].rsplit(":", 1)
        self.address = (host, int(port))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()
