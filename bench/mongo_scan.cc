// The baseline for Aviary's MongoDB input: a plain libmongoc cursor per shard, each in its own
// thread, reading every document of DB.COLL straight from the shard (the same batch size as the
// engine, 10000) and finding its text field, as the engine does before calling Map.
//
// usage: mongo_scan --ns DB.COLL [--field text] [--batch 10000] SHARD_URI...
// Prints {"documents": N, "bytes": B, "text_bytes": T, "seconds": S}.
#include <mongoc/mongoc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Totals {
  std::atomic<uint64_t> documents{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> text_bytes{0};
  std::atomic<int> failures{0};
};

void Scan(const std::string& uri, const std::string& db, const std::string& coll, const std::string& field,
          int batch, Totals* totals) {
  bson_error_t error;
  mongoc_uri_t* u = mongoc_uri_new_with_error(uri.c_str(), &error);
  if (u == nullptr) {
    std::fprintf(stderr, "%s: %s\n", uri.c_str(), error.message);
    ++totals->failures;
    return;
  }
  mongoc_client_t* client = mongoc_client_new_from_uri(u);
  mongoc_collection_t* collection = mongoc_client_get_collection(client, db.c_str(), coll.c_str());
  bson_t filter = BSON_INITIALIZER;
  bson_t opts = BSON_INITIALIZER;
  BSON_APPEND_INT32(&opts, "batchSize", batch);
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(collection, &filter, &opts, nullptr);
  const bson_t* doc = nullptr;
  uint64_t documents = 0, bytes = 0, text_bytes = 0;
  while (mongoc_cursor_next(cursor, &doc)) {
    ++documents;
    bytes += doc->len;
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, field.c_str()) && BSON_ITER_HOLDS_UTF8(&it)) {
      uint32_t n = 0;
      bson_iter_utf8(&it, &n);
      text_bytes += n;
    }
  }
  if (mongoc_cursor_error(cursor, &error)) {
    std::fprintf(stderr, "%s: %s\n", uri.c_str(), error.message);
    ++totals->failures;
  }
  totals->documents += documents;
  totals->bytes += bytes;
  totals->text_bytes += text_bytes;
  mongoc_cursor_destroy(cursor);
  bson_destroy(&opts);
  bson_destroy(&filter);
  mongoc_collection_destroy(collection);
  mongoc_client_destroy(client);
  mongoc_uri_destroy(u);
}

}  // namespace

int main(int argc, char** argv) {
  std::string ns, field = "text";
  int batch = 10000;
  std::vector<std::string> uris;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--ns" && i + 1 < argc) ns = argv[++i];
    else if (a == "--field" && i + 1 < argc) field = argv[++i];
    else if (a == "--batch" && i + 1 < argc) batch = std::atoi(argv[++i]);
    else uris.push_back(a);
  }
  const size_t dot = ns.find('.');
  if (dot == std::string::npos || uris.empty()) {
    std::fprintf(stderr, "usage: mongo_scan --ns DB.COLL [--field text] [--batch 10000] SHARD_URI...\n");
    return 2;
  }
  mongoc_init();
  Totals totals;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (const std::string& uri : uris) {
    threads.emplace_back(Scan, uri, ns.substr(0, dot), ns.substr(dot + 1), field, batch, &totals);
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"documents\": %llu, \"bytes\": %llu, \"text_bytes\": %llu, \"seconds\": %.4f}\n",
              static_cast<unsigned long long>(totals.documents.load()),
              static_cast<unsigned long long>(totals.bytes.load()),
              static_cast<unsigned long long>(totals.text_bytes.load()), seconds);
  mongoc_cleanup();
  return totals.failures.load() == 0 ? 0 : 1;
}
