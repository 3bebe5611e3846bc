// `permrsa features`: images -> a TorchScript model -> one RDM per layer (L x P, condensed).
//
// LibTorch stays behind this header (src/features/libtorch is the only code that includes it);
// a build with -DPERMRSA_WITH_TORCH=OFF has the same API, and compute_layer_rdms then throws an
// InputError that says so.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "permrsa/communicator.hpp"

namespace permrsa {

enum class Distance { correlation, euclidean, cosine };
const char* to_string(Distance d);

// Pinned arithmetic (float32, as torchvision's ImageNet transform but on a float tensor):
//   decoded uint8 RGB -> float -> bilinear resize with antialias (align_corners = false) so the
//   shorter side is `resize` and the longer int(resize * long / short) -> centre crop `crop`
//   (offset round-half-even((size - crop) / 2)) -> divide by `scale_divisor` -> (x - mean) / std.
struct ImagePreprocessing {
  int resize = 256;              // shorter side after resizing; 0 = no resize
  int crop = 224;                // centre crop (square); 0 = no crop
  double scale_divisor = 255.0;  // torchvision ToTensor
  std::array<double, 3> mean{0.485, 0.456, 0.406};
  std::array<double, 3> std{0.229, 0.224, 0.225};
  std::string describe() const;  // stored in the output's provenance
};

struct FeaturesSpec {
  std::string model;                // TorchScript file
  std::vector<std::string> images;  // image paths, in stimulus order
  std::vector<std::string> layers;  // empty = every layer the model has
  Distance distance = Distance::correlation;
  ImagePreprocessing preprocessing;
  std::size_t batch = 8;                     // images per forward pass
  std::uint64_t memory_budget = 4ull << 30;  // bytes of peak resident memory per rank
  std::string scratch_dir = ".";             // where activations spill when over budget
  bool always_spill = false;                 // use the scratch file even within budget
};

struct LayerRdms {
  std::vector<std::string> layers;
  std::size_t stimuli = 0;
  std::vector<double> rdms;  // layers x pairs, condensed (SciPy squareform order)
  bool spilled = false;      // activations went through the scratch file (budget too small)
};

// Called on rank 0 after every batch: images done so far (all ranks), total.
using FeaturesProgress = std::function<void(std::size_t done, std::size_t total)>;

// Loads LibTorch for `permrsa features` (nothing else pays its start-up). InputError for a
// build without LibTorch, RuntimeFailure when its module is missing or cannot be loaded; the
// message says where it looked.
void require_features_backend();

// The images of `images_arg`: a folder (its .png/.jpg/.jpeg files, sorted by file name) or a
// text file with one path per line, in that order (relative paths are relative to the list's
// folder). Names are the file stems, without folder and extension ("stim_001" for
// stim_001.png), which `permrsa run` matches against the brain's stimulus names.
struct StimulusList {
  std::vector<std::string> paths;
  std::vector<std::string> names;
};
StimulusList list_stimuli(const std::string& images_arg);

// Intra-op threads of LibTorch (0 = all cores); set together with TBB's by the caller.
// Loads LibTorch, as require_features_backend() does.
void set_feature_threads(int threads);

// Collective over `world`: ranks share the images; every rank returns the same RDMs, equal to
// one rank's bit for bit. InputError for a bad model, image or layer name.
LayerRdms compute_layer_rdms(const FeaturesSpec& spec, const Communicator& world,
                             const FeaturesProgress& progress = {});

// Writes /rdms (L x P float64), /layers, /stimuli and provenance attributes to `path`
// atomically (a temporary name, renamed when complete). Called by one rank.
void write_layer_rdms(const std::string& path, const FeaturesSpec& spec, const LayerRdms& rdms,
                      const std::vector<std::string>& stimulus_names);

}  // namespace permrsa
