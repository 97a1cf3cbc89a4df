#include "components/tensor/device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace warden::tensor {
namespace {

using ::testing::HasSubstr;

TEST(DeviceTest, ParsesCpuAndAuto) {
  absl::StatusOr<c10::Device> cpu = ParseDevice("cpu");
  ASSERT_TRUE(cpu.ok());
  EXPECT_TRUE(cpu->is_cpu());
  absl::StatusOr<c10::Device> automatic = ParseDevice("auto");
  ASSERT_TRUE(automatic.ok());
  EXPECT_EQ(automatic->is_cuda(), CudaAvailable());
}

TEST(DeviceTest, CudaIsCheckedAgainstTheMachine) {
  absl::StatusOr<c10::Device> cuda = ParseDevice("cuda");
  if (CudaAvailable()) {
    ASSERT_TRUE(cuda.ok());
    EXPECT_EQ(cuda->index(), 0);
  } else {
    EXPECT_EQ(cuda.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(cuda.status().message(), HasSubstr("--device=cpu"));
  }
  EXPECT_EQ(ParseDevice("cuda:4096").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DeviceTest, RejectsGarbage) {
  for (const char* bad : {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "CPU"}) {
    absl::StatusOr<c10::Device> d = ParseDevice(bad);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace warden::tensor
