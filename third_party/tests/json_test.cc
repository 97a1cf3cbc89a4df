// Checks the nlohmann-json wiring and the behaviour the project relies on:
// parse errors are exceptions we can turn into Status.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace warden::third_party_tests {
namespace {

TEST(JsonTest, ParsesAndRejects) {
  auto doc = nlohmann::json::parse(R"({"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})");
  EXPECT_EQ(doc["dtype"], "F32");
  EXPECT_EQ(doc["shape"][1].get<int64_t>(), 3);
  EXPECT_THROW(nlohmann::json::parse("{\"a\": [1, 2"), nlohmann::json::parse_error);
  EXPECT_FALSE(nlohmann::json::accept("{\"a\": }"));
}

}  // namespace
}  // namespace warden::third_party_tests
