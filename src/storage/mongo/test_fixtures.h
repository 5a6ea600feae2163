// Test helpers: extended-JSON fixtures (one document a line) turned into BSON bytes, and small
// BSON builders.
#ifndef AVIARY_STORAGE_MONGO_TEST_FIXTURES_H_
#define AVIARY_STORAGE_MONGO_TEST_FIXTURES_H_

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "storage/mongo/handles.h"

namespace aviary::mongo::testing {

// BSON bytes of one extended-JSON document; fails the test on bad JSON.
inline std::string Bson(const std::string& json) {
  bson_error_t error;
  BsonPtr doc(bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &error));
  EXPECT_TRUE(doc) << "bad fixture JSON: " << error.message << ": " << json;
  return doc ? std::string(BsonBytes(doc.get())) : std::string();
}

// Every document of testdata/`name`, one extended-JSON document a line.
inline std::vector<std::string> LoadFixture(const std::string& name) {
  std::ifstream in(std::string(AVIARY_MONGO_TESTDATA) + "/" + name);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::vector<std::string> docs;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) docs.push_back(Bson(line));
  }
  return docs;
}

}  // namespace aviary::mongo::testing

#endif  // AVIARY_STORAGE_MONGO_TEST_FIXTURES_H_
