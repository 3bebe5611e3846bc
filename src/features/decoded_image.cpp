#include "features/decoded_image.hpp"

#include <stb/stb_image.h>

#include <memory>

#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa::features {

DecodedImage decode_image(const std::string& path) {
  require_regular_file(path, path + ": --images");
  int width = 0, height = 0, channels = 0;
  // Asking for 3 channels makes stb replicate grey into R, G and B (and drop alpha).
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> pixels(
      stbi_load(path.c_str(), &width, &height, &channels, 3), &stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw InputError(path + ": --images: expected a readable PNG or JPEG image, found: " +
                     (reason ? reason : "unknown error"));
  }
  DecodedImage image;
  image.width = width;
  image.height = height;
  const auto bytes = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3;
  image.rgb.assign(pixels.get(), pixels.get() + bytes);
  return image;
}

}  // namespace permrsa::features
