// The boundary between `permrsa` and its LibTorch module (libpermrsa_torch.so, built from
// libtorch/torch_network.cpp). The executable does not link LibTorch: its static start-up
// costs about half a second, which every subcommand would pay. torch_backend_loader.cpp opens
// the module with dlopen the first time `permrsa features` needs a model, and asks it for this
// table. Both sides are built together from one source tree, so C++ types may cross it.
#pragma once

#include <memory>
#include <string>

#include "features/network.hpp"

namespace permrsa::features {

// Bumped whenever TorchBackend or Network changes shape; a module of another version is
// refused with a message instead of being called.
inline constexpr int kTorchBackendAbi = 1;

struct TorchBackend {
  int abi = kTorchBackendAbi;
  std::unique_ptr<Network> (*open_network)(const std::string& model_path,
                                           const ImagePreprocessing& preprocessing,
                                           const DecodedImage& probe) = nullptr;
  void (*set_threads)(int threads) = nullptr;
};

}  // namespace permrsa::features

// The module's one exported symbol (C linkage, so dlsym finds it by this name).
extern "C" const permrsa::features::TorchBackend* permrsa_torch_backend();
