#include "components/tensor/safetensors.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::tensor {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// A safetensors image assembled by hand from the format's specification.
std::string Image(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + json + data;
}

absl::Status ParseStatus(const std::string& bytes) {
  return SafetensorsFile::FromBytes(bytes).status();
}

TEST(SafetensorsTest, EveryDTypeRoundTripsBitExactly) {
  std::mt19937_64 rng(7);
  std::vector<std::string> payloads;
  std::vector<SafetensorsTensorView> views;
  for (DType dtype : AllDTypes()) {
    const std::vector<int64_t> shape = {3, 5};
    std::string bytes(15 * DTypeSize(dtype), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());  // arbitrary bit patterns, NaNs included
    payloads.push_back(bytes);
  }
  for (size_t i = 0; i < AllDTypes().size(); ++i) {
    views.push_back({std::string("t_") + DTypeName(AllDTypes()[i]), AllDTypes()[i], {3, 5},
                     payloads[i].data(), payloads[i].size()});
  }
  const std::string path = TempPath("all_dtypes.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, views, {{"k", "v"}}).ok());

  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata().at("k"), "v");
  ASSERT_EQ(file->entries().size(), AllDTypes().size());
  for (size_t i = 0; i < views.size(); ++i) {
    absl::StatusOr<const SafetensorsEntry*> entry = file->Find(views[i].name);
    ASSERT_TRUE(entry.ok());
    EXPECT_EQ((*entry)->dtype, views[i].dtype);
    EXPECT_EQ((*entry)->shape, views[i].shape);
    EXPECT_EQ(file->Bytes(**entry), payloads[i]) << views[i].name;
  }
  // The serialized image and the written file are identical.
  absl::StatusOr<std::string> image = SerializeSafetensors(views, {{"k", "v"}});
  ASSERT_TRUE(image.ok());
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), *image);
  // The data section starts 8-byte aligned.
  uint64_t header_len = 0;
  std::memcpy(&header_len, image->data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);
}

TEST(SafetensorsTest, ReadsAFileBuiltFromTheSpecification) {
  // Two F32 values then one I16, written byte by byte, with a padded header.
  const std::string json =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"I16","shape":[1],"data_offsets":[8,10]},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}   )";
  const float a[2] = {1.5f, -2.0f};
  const int16_t b = -300;
  std::string data(reinterpret_cast<const char*>(a), 8);
  data.append(reinterpret_cast<const char*>(&b), 2);
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(Image(json, data));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->metadata().at("format"), "pt");
  absl::StatusOr<const SafetensorsEntry*> ea = file->Find("a");
  ASSERT_TRUE(ea.ok());
  float got[2];
  std::memcpy(got, file->Bytes(**ea).data(), 8);
  EXPECT_EQ(got[0], 1.5f);
  EXPECT_EQ(got[1], -2.0f);
  absl::StatusOr<const SafetensorsEntry*> eb = file->Find("b");
  ASSERT_TRUE(eb.ok());
  EXPECT_EQ((*eb)->dtype, DType::kI16);
  int16_t got_b;
  std::memcpy(&got_b, file->Bytes(**eb).data(), 2);
  EXPECT_EQ(got_b, -300);
  EXPECT_EQ(file->Find("c").status().code(), absl::StatusCode::kNotFound);
}

TEST(SafetensorsTest, ScalarsAndEmptyTensors) {
  const std::string json =
      R"({"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},)"
      R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]}})";
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(Image(json, std::string(8, 'x')));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file->Find("s"))->numel(), 1);
  EXPECT_EQ((*file->Find("e"))->numel(), 0);
}

TEST(SafetensorsTest, MalformedInputsGiveClearErrors) {
  const std::string good_json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string good = Image(good_json, std::string(8, '\0'));
  ASSERT_TRUE(ParseStatus(good).ok());

  struct Case {
    std::string name, bytes, expected;
  };
  std::string huge(8, '\xff');
  std::string long_header(8, '\0');
  long_header[0] = 100;  // claims 100 header bytes, has none
  const std::vector<Case> cases = {
      {"empty", "", "shorter than the 8-byte header length"},
      {"truncated data", good.substr(0, good.size() - 3), "truncated"},
      {"truncated header", long_header + "{}", "truncated"},
      {"huge header length", huge + "{}", "exceeds the limit"},
      {"not json", Image("{not json", ""), "not valid JSON"},
      {"not an object", Image("[1,2]", ""), "not a JSON object"},
      {"unknown dtype", Image(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})",
                              std::string(8, '\0')),
       "unknown dtype \"F33\""},
      {"shape/size mismatch", Image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                    std::string(8, '\0')),
       "needs 3 elements"},
      {"out of range", Image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                             std::string(8, '\0')),
       "ends at byte 16"},
      {"overlap", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                        std::string(8, '\0')),
       "overlaps"},
      {"hole", Image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                     std::string(8, '\0')),
       "belong to no tensor"},
      {"trailing bytes", Image(good_json, std::string(12, '\0')), "tensors cover 8"},
      {"end before begin", Image(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})",
                                 std::string(8, '\0')),
       "end before begin"},
      {"negative dim", Image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                             std::string(8, '\0')),
       "non-negative integer"},
      {"overflowing shape",
       Image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
             std::string(8, '\0')),
       "overflows"},
      {"offsets arity", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})",
                              std::string(8, '\0')),
       "[begin, end]"},
      {"missing dtype", Image(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
       "missing string \"dtype\""},
      {"extra field", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})",
                            std::string(8, '\0')),
       "unexpected field \"x\""},
      {"metadata value", Image(R"({"__metadata__":{"k":1}})", ""), "must be a string"},
  };
  for (const Case& c : cases) {
    absl::Status status = ParseStatus(c.bytes);
    EXPECT_FALSE(status.ok()) << c.name;
    EXPECT_THAT(status.message(), HasSubstr(c.expected)) << c.name << ": " << status;
  }
}

TEST(SafetensorsTest, OpenNamesThePathAndMissingFiles) {
  const std::string path = TempPath("broken.safetensors");
  std::ofstream(path, std::ios::binary) << "short";
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr(path));
  EXPECT_EQ(SafetensorsFile::Open(TempPath("missing.safetensors")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SafetensorsTest, WriterRejectsBadTensors) {
  const float v[2] = {1, 2};
  EXPECT_THAT(SerializeSafetensors({{"a", DType::kF32, {3}, v, 8}}).status().message(),
              HasSubstr("need 12 bytes, got 8"));
  EXPECT_THAT(SerializeSafetensors({{"a", DType::kF32, {2}, v, 8}, {"a", DType::kF32, {2}, v, 8}})
                  .status()
                  .message(),
              HasSubstr("duplicate"));
  EXPECT_FALSE(SerializeSafetensors({{"__metadata__", DType::kF32, {2}, v, 8}}).ok());
  EXPECT_FALSE(SerializeSafetensors({{"a", DType::kF32, {-1}, v, 8}}).ok());
  // A failed write leaves no file behind.
  const std::string path = TempPath("rejected.safetensors");
  EXPECT_FALSE(WriteSafetensors(path, {{"a", DType::kF32, {3}, v, 8}}).ok());
  EXPECT_EQ(SafetensorsFile::Open(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::tensor
