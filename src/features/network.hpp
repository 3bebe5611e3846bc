// A model that maps a batch of images to named layer activations. The LibTorch implementation
// (libtorch/torch_network.cpp, built as a module) is the only code that sees torch headers;
// torch_backend_loader.cpp loads it on first use, and says so in a build without LibTorch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "features/decoded_image.hpp"
#include "permrsa/features.hpp"

namespace permrsa::features {

class Network {
 public:
  virtual ~Network() = default;
  // Every layer the model reports, in model order (known after open()).
  virtual const std::vector<std::string>& layer_names() const = 0;
  // Activations per image of each layer (flattened), in layer_names() order.
  virtual const std::vector<std::size_t>& layer_sizes() const = 0;
  // Restricts forward() to these layers (indices into layer_names(), in the order wanted).
  virtual void select(const std::vector<std::size_t>& layers) = 0;
  // Preprocesses and runs `images`; out[i] receives the selected layer i as images x size
  // floats (row-major: one image's flattened activations per row). out is resized as needed.
  virtual void forward(const std::vector<DecodedImage>& images,
                       std::vector<std::vector<float>>& out) = 0;
};

// Loads a TorchScript file and runs `probe` once to learn the layers and their sizes.
// InputError: missing or non-TorchScript file, an output that is not a tensor or a dict of
// tensors, an image the preprocessing cannot handle.
std::unique_ptr<Network> open_network(const std::string& model_path,
                                      const ImagePreprocessing& preprocessing,
                                      const DecodedImage& probe);

}  // namespace permrsa::features
