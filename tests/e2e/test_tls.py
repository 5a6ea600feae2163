"""TLS and mutual TLS on every RPC (issue 15 item 7), with certificates made by openssl at test
time: a coordinator and two workers speak mutual TLS; a job's client calls, heartbeats and the
shuffle between workers (two workers, so reducers fetch from the other one) all go over it and the
result is exact; the wire is TLS (openssl s_client completes a verified handshake); a client or a
worker whose certificate another CA signed is refused, and so is a plaintext client. The web UI, its
API and both daemons' /metrics are HTTPS with the same certificate."""

import http.client
import json
import os
import re
import ssl
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from cert_harness import make_ca, make_cert
from harness import AVIARY, AviaryTestCase, Cluster, make_corpus, reference_wordcount, run_cli, stop_processes


class TlsTest(AviaryTestCase):
    def setUp(self):
        super().setUp()
        self.certs = os.path.join(self.tmp, "certs")
        os.makedirs(self.certs)
        make_ca(self.certs, "ca")
        make_cert(self.certs, "node", "ca")
        make_ca(self.certs, "other-ca")
        make_cert(self.certs, "intruder", "other-ca")
        self.tls = self.tls_env("node", "ca")
        self.cluster = Cluster(self.tmp, workers=2, slots=2, env=self.tls, coordinator_args=["--http", "127.0.0.1:0"])
        m = re.search(r"web UI at (\S+)", self.cluster.coordinator.stdout.readline())
        self.assertTrue(m, "the coordinator printed no web UI address")
        self.web = m.group(1)
        self.cluster.wait_for_workers(2)
        self.paths = make_corpus(os.path.join(self.tmp, "in"), files=6, max_bytes=1 << 20)

    def tearDown(self):
        self.cluster.stop()
        super().tearDown()

    def tls_env(self, cert, ca):
        c = self.certs
        return {"AVIARY_TLS_CERT": f"{c}/{cert}.pem", "AVIARY_TLS_KEY": f"{c}/{cert}.key", "AVIARY_TLS_CA": f"{c}/{ca}.pem"}

    def test_a_job_runs_exactly_over_mutual_tls(self):
        out = os.path.join(self.tmp, "out")
        proc = self.cluster.submit("wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                                   "--output", "files:" + out, "--reduce-tasks", "4", "--wait")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertOutputEquals(out, reference_wordcount(self.paths))

    def test_aviary_run_given_tls_files_as_flags_runs_its_workers_over_them(self):
        # Its workers are forks that read the files themselves (devcluster/worker_forks.h): with
        # two of them and four reducers, the shuffle crosses between them over mutual TLS.
        c = self.certs
        out = os.path.join(self.tmp, "out-run")
        plain = {"AVIARY_TLS_CERT": "", "AVIARY_TLS_KEY": "", "AVIARY_TLS_CA": ""}
        proc = run_cli("--tls-cert", f"{c}/node.pem", "--tls-key", f"{c}/node.key", "--tls-ca", f"{c}/ca.pem",
                       "run", "wordcount", "--input", "files:" + os.path.join(self.tmp, "in", "*.txt"),
                       "--output", "files:" + out, "--workers", "2", "--reduce-tasks", "4", env=plain, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertOutputEquals(out, reference_wordcount(self.paths))

    def test_the_wire_is_tls_with_a_verified_handshake(self):
        host, port = self.cluster.address.rsplit(":", 1)
        c = self.certs
        proc = subprocess.run(["openssl", "s_client", "-connect", f"{host}:{port}", "-CAfile", f"{c}/ca.pem",
                               "-cert", f"{c}/node.pem", "-key", f"{c}/node.key", "-alpn", "h2",
                               "-verify_return_error", "-brief"],
                              input="", capture_output=True, text=True, errors="replace", timeout=30)  # the server's HTTP/2 frames are not text
        self.assertIn("Verification: OK", proc.stderr, proc.stderr)

    def test_a_certificate_from_another_ca_is_refused(self):
        proc = run_cli("workers", "--coordinator", self.cluster.address, env=self.tls_env("intruder", "ca"), timeout=60)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn(f"cannot reach coordinator {self.cluster.address}", proc.stderr)
        self.assertIn("TLS is on", proc.stderr)

        # A worker with such a certificate never joins, so it is never handed a task.
        worker = subprocess.Popen([AVIARY, "worker", "--coordinator", self.cluster.address, "--listen", "127.0.0.1:0",
                                   "--data-dir", os.path.join(self.tmp, "w-intruder")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, **self.tls_env("intruder", "other-ca")})
        try:
            time.sleep(2)  # ten heartbeats' time: long enough to have registered, were it let in
            workers = json.loads(run_cli("workers", "--coordinator", self.cluster.address, "--json",
                                         env=self.tls).stdout).get("workers", [])
            self.assertEqual(len(workers), 2, workers)
        finally:
            stop_processes([worker])

    def test_a_plaintext_client_is_refused(self):
        plain = {"AVIARY_TLS_CERT": "", "AVIARY_TLS_KEY": "", "AVIARY_TLS_CA": ""}
        proc = run_cli("workers", "--coordinator", self.cluster.address, env=plain, timeout=60)
        self.assertEqual(proc.returncode, 3, proc.stderr)

    def fetch(self, url, cafile):
        context = ssl.create_default_context(cafile=os.path.join(self.certs, cafile))
        with urllib.request.urlopen(url, context=context, timeout=30) as reply:
            return reply.read().decode()

    def test_the_web_ui_and_metrics_are_https_with_the_nodes_certificate(self):
        self.assertTrue(self.web.startswith("https://127.0.0.1:"), self.web)
        self.assertIn("<html", self.fetch(self.web + "/", "ca.pem"))
        self.assertEqual(json.loads(self.fetch(self.web + "/api/jobs", "ca.pem")), [])
        self.assertIn("aviary_workers", self.fetch(self.web + "/metrics", "ca.pem"))
        # Plain HTTP gets no page, and neither does a client that trusts another CA.
        with self.assertRaises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            urllib.request.urlopen(self.web.replace("https://", "http://") + "/api/jobs", timeout=30).read()
        with self.assertRaises(urllib.error.URLError) as refused:
            self.fetch(self.web + "/api/jobs", "other-ca.pem")
        self.assertIsInstance(refused.exception.reason, ssl.SSLCertVerificationError)

        # A worker's /metrics too.
        worker = subprocess.Popen([AVIARY, "worker", "--coordinator", self.cluster.address, "--listen", "127.0.0.1:0",
                                   "--data-dir", os.path.join(self.tmp, "w-metrics"), "--http", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  env={**os.environ, **self.tls})
        try:
            lines = [worker.stdout.readline(), worker.stdout.readline()]
            m = re.search(r"metrics at (https://\S+)", "".join(lines))
            self.assertTrue(m, lines)
            self.assertIn("aviary_worker", self.fetch(m.group(1), "ca.pem"))
        finally:
            stop_processes([worker])

    def test_bad_tls_settings_are_refused_before_anything_starts(self):
        c = self.certs
        proc = run_cli("--tls-cert", f"{c}/node.pem", "workers", "--coordinator", self.cluster.address,
                       env={"AVIARY_TLS_KEY": ""})
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--tls-cert needs --tls-key", proc.stderr)
        proc = run_cli("--tls-ca", f"{c}/missing.pem", "workers", "--coordinator", self.cluster.address)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("cannot read --tls-ca file", proc.stderr)


if __name__ == "__main__":
    unittest.main()
