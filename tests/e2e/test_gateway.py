"""`aviary gateway` in front of a shard server of a local cluster: pymongo's CRUD calls through it
give what they give directly; db.command("mapReduce", ...) with bson.Code runs on Aviary in every
out mode; malformed, oversized and unknown frames from a raw socket close only that connection."""

import os
import socket
import struct
import threading
import unittest
from collections import defaultdict

import bson
import pymongo
from bson.code import Code

from gateway_harness import Gateway
from mongo_harness import MongoTestCase

MAP = "function () { emit(this.cust_id, this.price * factor); }"
REDUCE = "function (key, values) { return Array.sum(values); }"


def orders(n=600):
    return [{"_id": i, "cust_id": f"c{i % 17:02d}", "price": i % 40 + 1, "status": "A" if i % 4 else "D"}
            for i in range(n)]


def totals(docs, factor=1):
    want = defaultdict(float)
    for d in docs:
        want[d["cust_id"]] += d["price"] * factor
    return dict(want)


def op_msg(doc, request_id=1, flags=0):
    body = struct.pack("<I", flags) + b"\0" + bson.BSON.encode(doc)
    return struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body


def read_frame(sock):
    try:
        return read_frame_or_fail(sock)
    except ConnectionResetError:  # closed with our bytes unread: closed all the same
        return None


def read_frame_or_fail(sock):
    head = b""
    while len(head) < 16:
        chunk = sock.recv(16 - len(head))
        if not chunk:
            return None
        head += chunk
    length, _, response_to, op = struct.unpack("<iiii", head)
    body = b""
    while len(body) < length - 16:
        chunk = sock.recv(length - 16 - len(body))
        if not chunk:
            return None
        body += chunk
    return op, response_to, body


def reply_doc(frame):
    op, _, body = frame
    assert op in (2013, 1), op  # OP_MSG, or OP_REPLY to an OP_QUERY
    return bson.BSON(body[5:] if op == 2013 else body[20:]).decode()


class GatewayTest(MongoTestCase):
    SHARDS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = cls.cluster.shard("shard0")["uri"]
        cls.gateway = Gateway(cls.upstream, cls.cluster.coordinator, log=os.path.join(cls.root, "gateway.log"))
        cls.gw = pymongo.MongoClient(cls.gateway.uri, serverSelectionTimeoutMS=5000)
        cls.direct = pymongo.MongoClient(cls.upstream, serverSelectionTimeoutMS=5000)
        cls.docs = orders()
        cls.gw.shop.orders.insert_many(cls.docs)

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        cls.direct.close()
        cls.gateway.stop()
        super().tearDownClass()

    def assertGatewayServes(self):
        self.assertTrue(self.gateway.alive())
        with pymongo.MongoClient(self.gateway.uri, serverSelectionTimeoutMS=5000) as c:
            self.assertEqual(c.admin.command("ping")["ok"], 1.0)

    # --- relayed commands

    def crud(self, client, coll):
        c = client.crud[coll]
        c.drop()
        out = {}
        c.insert_many([{"_id": i, "k": i % 5, "v": i} for i in range(300)])
        out["insert_then_count"] = c.count_documents({})
        out["find_batches"] = list(c.find({}, batch_size=7).sort("_id", 1))
        out["update"] = c.update_many({"k": 2}, {"$inc": {"v": 1000}}).modified_count
        out["after_update"] = list(c.find({"k": 2}).sort("_id", 1))
        out["aggregate"] = sorted(c.aggregate([{"$match": {"v": {"$gte": 10}}},
                                               {"$group": {"_id": "$k", "n": {"$sum": 1}, "total": {"$sum": "$v"}}}]),
                                  key=lambda d: d["_id"])
        out["delete"] = c.delete_many({"k": 0}).deleted_count
        out["distinct"] = sorted(c.distinct("k"))
        c.drop()
        out["dropped"] = coll in client.crud.list_collection_names()
        return out

    def test_crud_through_the_gateway_equals_direct(self):
        via = self.crud(self.gw, "same")
        direct = self.crud(self.direct, "same")
        self.assertEqual(via, direct)
        self.assertEqual(len(via["find_batches"]), 300)
        self.assertFalse(via["dropped"])

    def test_a_cursor_over_many_batches_and_errors_come_back_as_upstreams(self):
        got = [d["_id"] for d in self.gw.shop.orders.find({}, batch_size=25).sort("_id", 1)]
        self.assertEqual(got, list(range(len(self.docs))))
        with self.assertRaises(pymongo.errors.OperationFailure) as via:
            self.gw.shop.command("noSuchCommand")
        with self.assertRaises(pymongo.errors.OperationFailure) as direct:
            self.direct.shop.command("noSuchCommand")
        self.assertEqual(via.exception.code, direct.exception.code)

    def test_hello_offers_no_compression(self):
        hello = self.gw.admin.command("isMaster")
        self.assertNotIn("compression", hello)
        self.assertEqual(hello["maxMessageSizeBytes"], self.direct.admin.command("isMaster")["maxMessageSizeBytes"])

    # --- mapReduce on Aviary

    def mapreduce(self, out, **extra):
        return self.gw.shop.command("mapReduce", "orders", map=Code(MAP, {"factor": 2}), reduce=Code(REDUCE), out=out,
                                    **extra)

    def test_inline(self):
        reply = self.mapreduce({"inline": 1})
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, totals(self.docs, 2))
        self.assertEqual(reply["counts"]["input"], len(self.docs))
        self.assertEqual(reply["counts"]["output"], 17)
        self.assertEqual(reply["ok"], 1.0)

    def test_replace_merge_and_reduce(self):
        self.gw.shop.mr.drop()
        self.gw.shop.mr.insert_one({"_id": "stale", "value": 1.0})
        reply = self.mapreduce("mr")
        self.assertEqual(reply["result"], "mr")
        read = lambda: {d["_id"]: d["value"] for d in self.gw.shop.mr.find()}
        self.assertEqual(read(), totals(self.docs, 2))
        self.gw.shop.mr.insert_one({"_id": "kept", "value": 5.0})
        reply = self.mapreduce({"merge": "mr"})
        self.assertEqual(read(), {**totals(self.docs, 2), "kept": 5.0})
        self.mapreduce({"reduce": "mr"})
        self.assertEqual(read(), {**{k: 2 * v for k, v in totals(self.docs, 2).items()}, "kept": 5.0})
        reply = self.mapreduce({"replace": "mr2", "db": "reports"})
        self.assertEqual(reply["result"], {"db": "reports", "collection": "mr2"})
        self.assertEqual({d["_id"]: d["value"] for d in self.gw.reports.mr2.find()}, totals(self.docs, 2))

    def test_query_and_finalize_and_the_pymongo_helper(self):
        reply = self.gw.shop.command("mapReduce", "orders", map=Code(MAP), reduce=Code(REDUCE),
                                     finalize=Code("function (k, v) { return v + 1; }"), query={"status": "A"},
                                     scope={"factor": 1}, out={"inline": 1})
        want = {k: v + 1 for k, v in totals([d for d in self.docs if d["status"] == "A"]).items()}
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, want)
        helper = self.gw.shop.orders.inline_map_reduce(Code(MAP), Code(REDUCE), scope={"factor": 3})
        self.assertEqual({r["_id"]: r["value"] for r in helper}, totals(self.docs, 3))

    def test_sort_and_limit(self):
        chosen = sorted(self.docs, key=lambda d: (d["price"], d["_id"]))[:25]
        reply = self.mapreduce({"inline": 1}, sort={"price": 1}, limit=25)
        self.assertEqual({r["_id"]: r["value"] for r in reply["results"]}, totals(chosen, 2))
        self.assertEqual(reply["counts"]["input"], 25)

    def test_errors_are_mongodb_errors(self):
        with self.assertRaises(pymongo.errors.OperationFailure) as thrown:
            self.gw.shop.command("mapReduce", "orders", map=Code("function () { throw new Error('no way'); }"),
                                 reduce=Code(REDUCE), out={"inline": 1})
        self.assertEqual(thrown.exception.code, 139)
        self.assertIn("no way", str(thrown.exception))
        with self.assertRaises(pymongo.errors.OperationFailure) as missing:
            self.gw.shop.command("mapReduce", "orders", map=Code(MAP), out={"inline": 1})
        self.assertEqual(missing.exception.code, 40414)
        with self.assertRaises(pymongo.errors.OperationFailure) as sort:
            self.mapreduce({"inline": 1}, sort={"price": 3}, limit=2)
        self.assertEqual(sort.exception.code, 2)
        self.assertGatewayServes()

    # --- protocol errors from a raw socket

    def raw(self):
        s = socket.create_connection(self.gateway.address, timeout=10)
        return s

    def assertClosedWithProtocolError(self, payload):
        with self.raw() as s:
            s.sendall(payload)
            frame = read_frame(s)
            if frame is not None:
                doc = reply_doc(frame)
                self.assertEqual(doc["ok"], 0.0)
                self.assertEqual(doc["codeName"], "ProtocolError")
                self.assertIsNone(read_frame(s), "the connection stays open after a protocol error")
        self.assertGatewayServes()

    def test_a_raw_hello_is_relayed(self):
        with self.raw() as s:
            s.sendall(op_msg({"hello": 1, "$db": "admin"}, request_id=42))
            op, response_to, _ = frame = read_frame(s)
            self.assertEqual(response_to, 42)
            self.assertEqual(reply_doc(frame)["ok"], 1.0)

    def test_an_oversized_frame_is_refused(self):
        self.assertClosedWithProtocolError(struct.pack("<iiii", 48_000_001, 1, 0, 2013) + b"\0" * 64)

    def test_a_negative_length_is_refused(self):
        self.assertClosedWithProtocolError(struct.pack("<iiii", -1, 1, 0, 2013))

    def test_unknown_and_compressed_opcodes_are_refused(self):
        for op in (2005, 2012, 1, 9999):
            self.assertClosedWithProtocolError(struct.pack("<iiii", 26, 1, 0, op) + b"\0" * 10)

    def test_malformed_op_msgs_are_refused(self):
        good = op_msg({"ping": 1, "$db": "admin"})
        bad_type = bytearray(good)
        bad_type[25] = 0x77                                                          # no such BSON type
        self.assertClosedWithProtocolError(bytes(bad_type))
        bad_kind = bytearray(good)
        bad_kind[20] = 7
        self.assertClosedWithProtocolError(bytes(bad_kind))
        bad_doc = bytearray(good)
        bad_doc[21:25] = struct.pack("<i", 1 << 20)
        self.assertClosedWithProtocolError(bytes(bad_doc))
        self.assertClosedWithProtocolError(struct.pack("<iiii", 21, 1, 0, 2013) + b"\0\0\0\0\0")
        query_not_handshake = (struct.pack("<i", 0) + b"shop.orders\0" + struct.pack("<ii", 0, 1) +
                               bson.BSON.encode({}))
        self.assertClosedWithProtocolError(struct.pack("<iiii", 16 + len(query_not_handshake), 1, 0, 2004) +
                                           query_not_handshake)

    def test_a_client_that_hangs_up_mid_frame_harms_no_one(self):
        with self.raw() as s:
            s.sendall(op_msg({"ping": 1, "$db": "admin"})[:10])
        self.assertGatewayServes()

    def test_many_connections_at_once(self):
        errors = []

        def one(i):
            try:
                with self.raw() as s:
                    s.sendall(op_msg({"ping": 1, "$db": "admin"}, request_id=i))
                    frame = read_frame(s)
                    if frame is None or frame[1] != i or reply_doc(frame)["ok"] != 1.0:
                        errors.append(i)
            except OSError as e:
                errors.append((i, str(e)))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
