#include "components/itd/default_models.h"

#include <cstdio>
#include <fstream>

#include "components/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warden::itd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::warden::testing::IsOk;
using ::warden::testing::StatusIs;

TEST(DefaultModelsTest, LoadsTheCommittedSaeAndRegistry) {
  absl::StatusOr<sae::TopKSae> sae = LoadSaeOrDefault("");
  ASSERT_TRUE(sae.ok()) << sae.status();
  absl::StatusOr<ConceptRegistry> registry = LoadRegistryOrDefault("");
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_FALSE(registry->concepts.empty());
  EXPECT_FALSE(registry->UnionFeatures().empty());
}

TEST(DefaultModelsTest, AMalformedRegistryNamesTheFile) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/bad.json";
  std::ofstream(path) << "{\"layer\": ";
  EXPECT_THAT(LoadRegistryOrDefault(path), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path)));
}

TEST(DefaultModelsTest, AMissingFileIsNotFound) {
  EXPECT_THAT(LoadRegistryOrDefault("/nonexistent/concepts.json"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LoadSaeOrDefault("/nonexistent/sae.safetensors"), Not(IsOk()));
}

}  // namespace
}  // namespace warden::itd
