#include "components/tensor/safetensors_torch.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::tensor {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Bitwise equality (NaN payloads included).
bool SameBits(const at::Tensor& a, const at::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() &&
         std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), a.nbytes()) == 0;
}

TEST(SafetensorsTorchTest, EveryTorchDTypeRoundTripsBitExactly) {
  at::manual_seed(3);
  NamedTensors tensors;
  for (c10::ScalarType type : {at::kBool, at::kByte, at::kChar, at::kShort, at::kInt, at::kLong,
                               at::kHalf, at::kBFloat16, at::kFloat, at::kDouble}) {
    // Random bit patterns reinterpreted as `type` (covers NaNs, infs, denormals).
    const int64_t bytes = 4 * 6 * c10::elementSize(type);
    at::Tensor raw = at::randint(0, 256, {bytes}, at::kByte);
    if (type == at::kBool) raw = raw.remainder(2);
    tensors.emplace_back(c10::toString(type), raw.view(type).view({4, 6}));
  }
  tensors.emplace_back("transposed", at::randn({3, 5}).t());  // non-contiguous input
  const std::string path = TempPath("torch_dtypes.safetensors");
  ASSERT_TRUE(SaveSafetensors(path, tensors, {{"producer", "test"}}).ok());

  std::map<std::string, std::string> metadata;
  absl::StatusOr<NamedTensors> loaded = LoadSafetensors(path, &metadata);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(metadata["producer"], "test");
  ASSERT_EQ(loaded->size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ((*loaded)[i].first, tensors[i].first);
    EXPECT_TRUE(SameBits((*loaded)[i].second, tensors[i].second)) << tensors[i].first;
  }
}

TEST(SafetensorsTorchTest, MapTensorSharesTheFileAndOutlivesIt) {
  const std::string path = TempPath("mapped.safetensors");
  at::Tensor original = at::arange(1000, at::kFloat).view({10, 100});
  ASSERT_TRUE(SaveSafetensors(path, {{"w", original}}).ok());
  at::Tensor mapped;
  {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
    ASSERT_TRUE(file.ok());
    absl::StatusOr<at::Tensor> t = MapTensor(*file, file->entries().front());
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->data_ptr(), file->Bytes(file->entries().front()).data());  // no copy
    mapped = *t;
  }  // the file object is gone; the tensor keeps the mapping alive
  EXPECT_TRUE(at::equal(mapped, original));
  mapped.mul_(2);  // private pages: writable, file untouched
  absl::StatusOr<NamedTensors> again = LoadSafetensors(path);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(at::equal((*again)[0].second, original));
}

TEST(SafetensorsTorchTest, DTypesWithoutTorchEquivalentSayWhich) {
  const uint16_t values[3] = {1, 2, 65535};
  const std::string path = TempPath("u16.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, {{"u", DType::kU16, {3}, values, 6}}).ok());
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok());
  absl::StatusOr<at::Tensor> t = ReadTensor(*file, file->entries().front());
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 3)
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(t.status().message(), HasSubstr("dtype U16"));
  EXPECT_THAT(t.status().message(), HasSubstr("\"u\""));
#else
  ASSERT_TRUE(t.ok());
#endif
  // The raw bytes stay readable either way.
  EXPECT_EQ(file->Bytes(file->entries().front()).size(), 6u);
}

TEST(SafetensorsTorchTest, RejectsUnstorableTensors) {
  at::Tensor complex = at::zeros({2}, at::kComplexFloat);
  absl::Status status = SaveSafetensors(TempPath("c.safetensors"), {{"c", complex}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"c\""));
  EXPECT_FALSE(SaveSafetensors(TempPath("u.safetensors"), {{"u", at::Tensor()}}).ok());
}

}  // namespace
}  // namespace warden::tensor
