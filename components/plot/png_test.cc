// EncodePng against the PNG format itself: signature, chunk CRCs, header, and
// the pixels back through zlib's inflate.
#include "components/plot/png.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>

namespace warden::plot {
namespace {

uint32_t U32(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) | (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | uint32_t{static_cast<uint8_t>(s[at + 3])};
}

TEST(PngTest, DecodesToTheSamePixels) {
  RgbImage image(5, 3, 0);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x) image.Set(x, y, 40 * x, 80 * y, 255 - 10 * (x + y));
  const std::string png = EncodePng(image);
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n"));
  // Walk the chunks, checking every CRC; keep IHDR and IDAT.
  std::string ihdr, idat, types;
  for (size_t at = 8; at < png.size();) {
    const uint32_t length = U32(png, at);
    const std::string type = png.substr(at + 4, 4), data = png.substr(at + 8, length);
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4);
    EXPECT_EQ(U32(png, at + 8 + length), static_cast<uint32_t>(crc)) << type;
    types += type + " ";
    if (type == "IHDR") ihdr = data;
    if (type == "IDAT") idat += data;
    at += 12 + length;
  }
  EXPECT_EQ(types, "IHDR IDAT IEND ");
  ASSERT_EQ(ihdr.size(), 13u);
  EXPECT_EQ(U32(ihdr, 0), 5u);
  EXPECT_EQ(U32(ihdr, 4), 3u);
  EXPECT_EQ(ihdr[8], 8);  // bit depth
  EXPECT_EQ(ihdr[9], 2);  // RGB
  std::string raw(3 * (1 + 15), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
            Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  for (int y = 0; y < 3; ++y) {
    EXPECT_EQ(raw[y * 16], 0);  // filter: none
    for (int i = 0; i < 15; ++i)
      EXPECT_EQ(static_cast<uint8_t>(raw[y * 16 + 1 + i]), image.pixels[y * 15 + i]);
  }
}

TEST(PngTest, RejectsAMismatchedImage) {
  RgbImage bad(4, 4);
  bad.pixels.pop_back();
  EXPECT_EQ(EncodePng(bad), "");
  EXPECT_EQ(EncodePng(RgbImage()), "");
}

}  // namespace
}  // namespace warden::plot
