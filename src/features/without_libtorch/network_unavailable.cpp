// The build without LibTorch (-DPERMRSA_WITH_TORCH=OFF): `permrsa features` says so.
#include "features/network.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

bool features_available() {
  return false;
}

void set_feature_threads(int) {}

namespace features {

std::unique_ptr<Network> open_network(const std::string& model_path, const ImagePreprocessing&,
                                      const DecodedImage&) {
  throw InputError(model_path +
                   ": --model: this permrsa was built without LibTorch "
                   "(-DPERMRSA_WITH_TORCH=OFF), so it cannot run models; rebuild with "
                   "-DPERMRSA_WITH_TORCH=ON (Debian package libtorch-dev)");
}

}  // namespace features
}  // namespace permrsa
