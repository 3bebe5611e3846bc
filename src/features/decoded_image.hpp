// Images decoded to 8-bit RGB with stb (PNG, JPEG; greyscale is replicated to RGB).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace permrsa::features {

struct DecodedImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // height x width x 3, row-major
};

// InputError naming the file when it cannot be read or decoded.
DecodedImage decode_image(const std::string& path);

}  // namespace permrsa::features
