// PNG encoding of 8-bit RGB images (zlib from Debian; no other dependency):
// pictures of data, masks and maps that a browser or any viewer opens.
#ifndef WARDEN_COMPONENTS_PLOT_PNG_H_
#define WARDEN_COMPONENTS_PLOT_PNG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace warden::plot {

// An RGB image, row-major, 3 bytes per pixel.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3

  RgbImage() = default;
  RgbImage(int w, int h, uint8_t fill = 255) : width(w), height(h), pixels(3 * w * h, fill) {}
  void Set(int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    uint8_t* p = &pixels[3 * (static_cast<size_t>(y) * width + x)];
    p[0] = r, p[1] = g, p[2] = b;
  }
};

// The PNG file's bytes (8-bit RGB, no interlace, filter 0 on every row).
// Empty for an image whose pixel count does not match its size.
std::string EncodePng(const RgbImage& image);

}  // namespace warden::plot

#endif  // WARDEN_COMPONENTS_PLOT_PNG_H_
