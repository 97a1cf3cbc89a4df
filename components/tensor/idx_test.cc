#include "components/tensor/idx.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::tensor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<uint8_t> Header(uint8_t type, std::vector<uint32_t> dims) {
  std::vector<uint8_t> out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back((d >> shift) & 0xff);
  }
  return out;
}

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

TEST(IdxTest, ParsesUnsignedBytes) {
  std::vector<uint8_t> bytes = Header(0x08, {2, 2, 3});
  for (int i = 0; i < 12; ++i) bytes.push_back(static_cast<uint8_t>(i * 20));
  absl::StatusOr<IdxArray> array = ParseIdx(bytes.data(), bytes.size());
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->type, IdxType::kU8);
  EXPECT_THAT(array->dims, ElementsAre(2, 2, 3));
  EXPECT_EQ(array->numel(), 12);
  EXPECT_EQ(array->data[11], 220);
}

TEST(IdxTest, ConvertsBigEndianElementsToHostOrder) {
  std::vector<uint8_t> bytes = Header(0x0B, {2});
  for (uint8_t b : {0xFF, 0xFE, 0x01, 0x2C}) bytes.push_back(b);  // -2, 300
  absl::StatusOr<IdxArray> shorts = ParseIdx(bytes.data(), bytes.size());
  ASSERT_TRUE(shorts.ok());
  int16_t values[2];
  std::memcpy(values, shorts->data.data(), 4);
  EXPECT_EQ(values[0], -2);
  EXPECT_EQ(values[1], 300);

  std::vector<uint8_t> f64 = Header(0x0E, {1});
  for (uint8_t b : {0x3F, 0xF8, 0, 0, 0, 0, 0, 0}) f64.push_back(b);  // 1.5
  absl::StatusOr<IdxArray> doubles = ParseIdx(f64.data(), f64.size());
  ASSERT_TRUE(doubles.ok());
  double d;
  std::memcpy(&d, doubles->data.data(), 8);
  EXPECT_EQ(d, 1.5);
}

TEST(IdxTest, ReadsGzipFilesByMagic) {
  std::vector<uint8_t> raw = Header(0x08, {3});
  raw.insert(raw.end(), {7, 2, 1});
  const std::string path = TempPath("labels.idx.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(gz);
  absl::StatusOr<IdxArray> array = ReadIdxFile(path);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->data, ElementsAre(7, 2, 1));

  const std::string plain = TempPath("labels.idx");
  WriteFile(plain, raw);
  EXPECT_EQ(ReadIdxFile(plain)->data, array->data);
}

TEST(IdxTest, MalformedInputsGiveClearErrors) {
  std::vector<uint8_t> good = Header(0x08, {2, 2});
  good.insert(good.end(), {1, 2, 3, 4});
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    std::string expected;
  };
  std::vector<uint8_t> truncated(good.begin(), good.end() - 1);
  std::vector<uint8_t> extra = good;
  extra.push_back(9);
  std::vector<uint8_t> bad_magic = good;
  bad_magic[0] = 1;
  std::vector<uint8_t> bad_type = good;
  bad_type[2] = 0x0A;
  std::vector<uint8_t> short_header = {0, 0, 8, 3, 0, 0};
  std::vector<uint8_t> huge = Header(0x0E, {65535, 65535, 65535});
  const std::vector<Case> cases = {
      {"empty", {}, "shorter than the magic"},
      {"truncated", truncated, "truncated"},
      {"extra bytes", extra, "need 4 data bytes, file has 5"},
      {"bad magic", bad_magic, "two zero bytes"},
      {"unknown type", bad_type, "unknown element type 0xa"},
      {"rank 0", {0, 0, 8, 0}, "rank 0"},
      {"short header", short_header, "16-byte header"},
      {"huge dims", huge, "size limit"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<IdxArray> array = ParseIdx(c.bytes.data(), c.bytes.size());
    EXPECT_FALSE(array.ok()) << c.name;
    EXPECT_THAT(array.status().message(), HasSubstr(c.expected)) << c.name << ": " << array.status();
  }
}

TEST(IdxTest, CorruptGzipIsDataLoss) {
  const std::string path = TempPath("corrupt.idx.gz");
  WriteFile(path, {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef});
  absl::StatusOr<IdxArray> array = ReadIdxFile(path);
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(array.status().message(), HasSubstr(path));
  EXPECT_EQ(ReadIdxFile(TempPath("missing.idx")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::tensor
