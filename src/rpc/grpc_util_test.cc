#include "rpc/grpc_util.h"

#include <gtest/gtest.h>

#include "rpc/aviary.grpc.pb.h"
#include "rpc/channel_factory.h"

namespace aviary::rpc {
namespace {

TEST(GrpcStatus, CodesAreTheSameNumbersBothWays) {
  for (StatusCode code : {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kPermissionDenied,
                          StatusCode::kUnauthenticated, StatusCode::kDataLoss}) {
    const grpc::Status wire = ToGrpc(Status(code, "what went wrong"));
    EXPECT_EQ(static_cast<int>(wire.error_code()), static_cast<int>(code));
    const Status back = FromGrpc(wire, "peer:1");
    EXPECT_EQ(back.code(), code);
    EXPECT_EQ(back.message(), "what went wrong");
  }
  EXPECT_TRUE(ToGrpc(Status::OK()).ok());
  EXPECT_TRUE(FromGrpc(grpc::Status::OK, "peer:1").ok());
}

// A message about reachability names the peer, so that a user knows which address failed.
TEST(GrpcStatus, UnreachablePeersAreNamed) {
  const Status s = FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"), "worker w:1");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "cannot reach worker w:1: connection refused");
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late"), "p").message(), "cannot reach p: late");
}

TEST(TransportSecrets, RoundTripThroughTheTaskPipeEncoding) {
  TransportOptions in;
  in.secret = "s3cret";
  in.tls_cert = "-----BEGIN CERTIFICATE-----\nabc\n";
  in.tls_key = "-----BEGIN PRIVATE KEY-----\nkey\n";
  in.tls_ca = "-----BEGIN CERTIFICATE-----\nca\n";
  TransportOptions out;
  ASSERT_TRUE(DecodeTransportSecrets(EncodeTransportSecrets(in), &out));
  EXPECT_EQ(out.secret, in.secret);
  EXPECT_EQ(out.tls_cert, in.tls_cert);
  EXPECT_EQ(out.tls_key, in.tls_key);
  EXPECT_EQ(out.tls_ca, in.tls_ca);
  EXPECT_TRUE(out.tls());
  EXPECT_FALSE(DecodeTransportSecrets(std::string("\xff\xff\xff", 3), &out));
}

TEST(TransportSecrets, TlsSettingsAreCheckedWithClearErrors) {
  TransportOptions o;
  EXPECT_TRUE(CheckTls(o).ok());
  o.tls_cert = "-----BEGIN CERTIFICATE-----\n";
  EXPECT_NE(CheckTls(o).message().find("--tls-cert needs --tls-key"), std::string::npos);
  o.tls_key = "not a key";
  EXPECT_NE(CheckTls(o).message().find("--tls-key holds no PEM block"), std::string::npos);
  o.tls_key = "-----BEGIN PRIVATE KEY-----\n";
  EXPECT_TRUE(CheckTls(o).ok());
  TransportOptions key_only;
  key_only.tls_key = o.tls_key;
  EXPECT_NE(CheckTls(key_only).message().find("--tls-key needs --tls-cert"), std::string::npos);
}

TEST(ChannelFactory, DefaultChannelsToNowhereFailUnavailable) {
  auto stub = Worker::NewStub(ChannelFactory::Default()->NewChannel("unix:/nonexistent/aviary-grpc-util-test"));
  grpc::ClientContext context;
  PrepareContext(&context, std::chrono::seconds(10));
  FetchPartitionRequest request;
  auto reader = stub->FetchPartition(&context, request);
  DataChunk chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace aviary::rpc
