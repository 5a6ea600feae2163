"""Closed by default: a daemon that cannot authenticate its callers serves only this machine
unless its operator passes --insecure (docs/reliability.md, "Closed by default")."""

import os
import re
import signal
import subprocess
import unittest

from harness import AVIARY, AviaryTestCase, run_cli, stop_processes

NO_AUTH = {"AVIARY_SECRET": "", "AVIARY_TLS_CERT": "", "AVIARY_TLS_KEY": "", "AVIARY_TLS_CA": ""}


class ListenPolicyTest(AviaryTestCase):
    def start(self, args, env):
        """Starts a daemon; returns it with its first stdout line and (after it stops) its log."""
        log = os.path.join(self.tmp, f"daemon-{len(os.listdir(self.tmp))}.log")
        with open(log, "wb") as err:
            proc = subprocess.Popen([AVIARY, *args], stdout=subprocess.PIPE, stderr=err, text=True,
                                    env={**os.environ, **env})
        self.addCleanup(stop_processes, [proc])
        return proc, proc.stdout.readline(), log

    def stop(self, proc, log):
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        proc.stdout.close()
        with open(log) as f:
            return f.read()

    def assertRefused(self, proc, what, address):
        self.assertEqual(proc.returncode, 2, proc.stderr)
        for part in (f"refusing to serve the {what} on {address} without authentication", "--insecure"):
            self.assertIn(part, proc.stderr)

    def test_every_daemon_refuses_a_network_address_without_authentication(self):
        cases = [
            (["coordinator", "--listen", "0.0.0.0:0"], "coordinator RPC", "0.0.0.0:0"),
            (["coordinator", "--listen", "[::]:0"], "coordinator RPC", "[::]:0"),
            (["coordinator", "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0"], "web UI", "0.0.0.0:0"),
            (["worker", "--coordinator", "127.0.0.1:1", "--listen", "0.0.0.0:0", "--data-dir", self.tmp + "/w"],
             "worker's shuffle service", "0.0.0.0:0"),
            (["worker", "--coordinator", "127.0.0.1:1", "--data-dir", self.tmp + "/w", "--http", "0.0.0.0:0"],
             "worker's /metrics", "0.0.0.0:0"),
            (["gateway", "--listen", "0.0.0.0:0", "--upstream", "mongodb://127.0.0.1:1/", "--coordinator", "127.0.0.1:1"],
             "MongoDB-protocol gateway", "0.0.0.0:0"),
        ]
        for args, what, address in cases:
            with self.subTest(args=args):
                proc = run_cli(*args, env=NO_AUTH, timeout=30)
                self.assertRefused(proc, what, address)
        self.assertFalse(os.path.exists(self.tmp + "/w/jobs"), "a refused worker touches nothing")

    def test_a_secret_opens_the_network_and_the_log_says_how_callers_are_checked(self):
        proc, line, log = self.start(["coordinator", "--listen", "0.0.0.0:0", "--http", "0.0.0.0:0"],
                                     {**NO_AUTH, "AVIARY_SECRET": "s3cr3t-for-the-lab"})
        self.assertIn("listening on", line)
        port = re.search(r":(\d+)$", line.strip()).group(1)
        status = run_cli("status", "--coordinator", f"127.0.0.1:{port}", env={**NO_AUTH, "AVIARY_SECRET": "s3cr3t-for-the-lab"})
        self.assertEqual(status.returncode, 0, status.stderr)
        text = self.stop(proc, log)
        self.assertIn("coordinator RPC on 0.0.0.0:0: callers authenticated by the cluster secret", text)
        self.assertIn("web UI on 0.0.0.0:0: callers authenticated by the cluster secret", text)
        self.assertNotIn("s3cr3t", text)

    def test_insecure_is_the_operators_explicit_choice_and_is_logged(self):
        proc, line, log = self.start(["coordinator", "--listen", "0.0.0.0:0", "--insecure"], NO_AUTH)
        self.assertIn("listening on", line)
        text = self.stop(proc, log)
        self.assertIn("coordinator RPC on 0.0.0.0:0: NO AUTHENTICATION on a network address (--insecure)", text)

    def test_loopback_is_the_default_and_needs_nothing(self):
        # A port alone means 127.0.0.1; the log says loopback is all an unauthenticated daemon gets.
        proc, line, log = self.start(["coordinator", "--listen", "0"], NO_AUTH)
        self.assertRegex(line, r"listening on 127\.0\.0\.1:\d+")
        text = self.stop(proc, log)
        self.assertIn("coordinator RPC on 127.0.0.1:0: no authentication, so loopback only", text)

    def test_a_host_that_does_not_resolve_is_named(self):
        proc = run_cli("coordinator", "--listen", "no-such-host.invalid:7470", env=NO_AUTH, timeout=60)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("no-such-host.invalid:7470", proc.stderr)


if __name__ == "__main__":
    unittest.main()
