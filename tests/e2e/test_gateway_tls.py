"""`aviary gateway` over TLS (issue 12 item 2). With --tls-certificate-key-file it serves TLS only:
pymongo with tls=True and the CA's file verifies it, and CRUD and a JavaScript mapReduce work over
it; a plaintext client and a client that trusts another CA get no service, and the gateway goes on
serving. A second gateway whose --upstream URI says tls=true relays to the first over TLS and
checks its certificate: against a CA that did not sign it, nothing is relayed. Certificates are
made by openssl at test time."""

import os
import unittest

import pymongo
import pymongo.errors
from bson.code import Code

from cert_harness import combined_pem, make_ca, make_cert
from gateway_harness import Gateway
from harness import run_cli
from mongo_harness import MongoTestCase

MAP = "function () { emit(this.k, this.n); }"
REDUCE = "function (key, values) { return Array.sum(values); }"


class GatewayTlsTest(MongoTestCase):
    SHARDS = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.certs = os.path.join(cls.root, "certs")
        os.makedirs(cls.certs)
        for ca in ("ca", "other-ca"):
            make_ca(cls.certs, ca)
        make_cert(cls.certs, "gateway", "ca")
        cls.ca = os.path.join(cls.certs, "ca.pem")
        cls.other_ca = os.path.join(cls.certs, "other-ca.pem")
        cls.upstream = cls.cluster.shard("shard0")["uri"]
        cls.gateway = Gateway(cls.upstream, cls.cluster.coordinator, "--tls-certificate-key-file",
                              combined_pem(cls.certs, "gateway"), log=cls.path(cls, "gateway.log"))

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        super().tearDownClass()

    def client(self, uri=None, **tls):
        return pymongo.MongoClient(uri or self.plain_uri(self.gateway), serverSelectionTimeoutMS=3000, **tls)

    @staticmethod
    def plain_uri(gateway):
        host, port = gateway.address
        return f"mongodb://{host}:{port}/"

    def verified(self):
        return self.client(tls=True, tlsCAFile=self.ca)

    def test_the_gateway_says_tls_in_the_uri_it_prints(self):
        self.assertTrue(self.gateway.uri.endswith("/?tls=true"), self.gateway.uri)

    def test_crud_and_a_mapreduce_over_a_verified_tls_connection(self):
        with self.verified() as c:
            coll = c.tls_crud.docs
            coll.drop()
            coll.insert_many([{"_id": i, "k": i % 3, "n": i} for i in range(30)])
            self.assertEqual(coll.count_documents({"k": 1}), 10)
            self.assertEqual([d["_id"] for d in coll.find({}, batch_size=7).sort("_id", 1)], list(range(30)))
            reply = c.tls_crud.command("mapReduce", "docs", map=Code(MAP), reduce=Code(REDUCE), out={"inline": 1})
            expected = {k: float(sum(i for i in range(30) if i % 3 == k)) for k in range(3)}
            self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, expected)
        with pymongo.MongoClient(self.upstream) as direct:  # the relay wrote what it was sent
            self.assertEqual(direct.tls_crud.docs.count_documents({}), 30)

    def test_a_plaintext_client_gets_no_service_and_the_gateway_serves_on(self):
        with self.client() as plain:
            with self.assertRaises(pymongo.errors.PyMongoError):
                plain.admin.command("ping")
        self.assertTrue(self.gateway.alive())
        with self.verified() as c:
            self.assertEqual(c.admin.command("ping")["ok"], 1.0)

    def test_a_client_that_trusts_another_ca_refuses_the_gateway(self):
        with self.client(tls=True, tlsCAFile=self.other_ca) as c:
            with self.assertRaises(pymongo.errors.ServerSelectionTimeoutError) as e:
                c.admin.command("ping")
        self.assertIn("certificate verify failed", str(e.exception))

    def test_a_gateway_relays_to_a_tls_upstream_and_checks_its_certificate(self):
        upstream = self.plain_uri(self.gateway)
        trusting = Gateway(f"{upstream}?tls=true&tlsCAFile={self.ca}", self.cluster.coordinator,
                           log=self.path("trusting.log"))
        doubting = Gateway(f"{upstream}?tls=true&tlsCAFile={self.other_ca}", self.cluster.coordinator,
                           log=self.path("doubting.log"))
        try:
            with self.client(trusting.uri) as c:
                c.tls_chain.docs.drop()
                c.tls_chain.docs.insert_many([{"_id": i} for i in range(5)])
            with pymongo.MongoClient(self.upstream) as direct:
                self.assertEqual(direct.tls_chain.docs.count_documents({}), 5)
            with self.client(doubting.uri) as c:
                with self.assertRaises(pymongo.errors.PyMongoError):
                    c.admin.command("ping")
        finally:
            trusting.stop()
            doubting.stop()
        with open(self.path("doubting.log")) as f:
            self.assertIn("TLS handshake with the upstream 127.0.0.1 failed", f.read())

    def test_bad_tls_settings_are_refused_before_it_listens(self):
        cert_only = os.path.join(self.certs, "gateway.pem")
        proc = run_cli("gateway", "--listen", "127.0.0.1:0", "--upstream", self.upstream, "--coordinator",
                       self.cluster.coordinator, "--tls-certificate-key-file", cert_only, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"{cert_only}: no PEM private key", proc.stderr)
        self.assertEqual(proc.stdout, "")
        proc = run_cli("gateway", "--listen", "127.0.0.1:0", "--upstream", self.upstream + "?tls=maybe",
                       "--coordinator", self.cluster.coordinator, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("tls=maybe: must be true or false", proc.stderr)


if __name__ == "__main__":
    unittest.main()
