// compute_layer_rdms: images -> model -> Gram matrices -> layer RDMs, under a memory budget.
//
// Memory approach (README "permrsa features"): a layer's RDM needs the inner products of every
// pair of images, but never all layers' activations of all images at once in memory.
//  1. Forward pass: each rank runs its share of the images, batch by batch, once. The selected
//     layers' activations (float32) go to an ActivationStore: in memory when
//     images x sum(layer sizes) fits the budget next to the model, else to an unlinked scratch
//     file (page cache, not resident memory).
//  2. Gram pass, layer by layer: feature-column panels of every image (a width chosen from the
//     budget) are gathered (allgatherv over ranks, in image order) and added to G = X X^T in
//     fixed 512-column chunks (GramAccumulator). Only one panel, one S x S Gram matrix and the
//     finished RDMs are resident.
// Peak memory is then about: the model and LibTorch, one batch's forward pass, and either the
// stored activations or one panel.
//
// The forward batches are global ([kB, (k+1)B) for --batch B) and each rank runs whole batches,
// so every image sees the same batch composition whatever the number of ranks; the chunked Gram
// sums do not depend on the panel width. So the RDMs are identical bit for bit for any number of
// ranks and any budget.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "features/activation_store.hpp"
#include "features/agreed_step.hpp"
#include "features/gram_rdm.hpp"
#include "features/memory_usage.hpp"
#include "features/network.hpp"
#include "permrsa/error.hpp"
#include "permrsa/features.hpp"

namespace permrsa {
namespace {

using features::ActivationStore;
using features::DecodedImage;
using features::GramAccumulator;

constexpr std::size_t kMaxPanelColumns = 32 * GramAccumulator::kChunk;
constexpr double kMiB = 1024.0 * 1024.0;

std::string mib(double bytes) {
  return std::to_string(static_cast<long long>(std::ceil(bytes / kMiB))) + " MiB";
}

std::vector<std::size_t> select_layers(const std::vector<std::string>& wanted,
                                       const std::vector<std::string>& names,
                                       const std::string& model) {
  std::vector<std::size_t> indices;
  if (wanted.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i) indices.push_back(i);
    return indices;
  }
  for (const auto& name : wanted) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      std::string valid;
      for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
      throw InputError(model + ": --layers: unknown layer '" + name +
                       "'; the model's layers are: " + valid);
    }
    const auto index = static_cast<std::size_t>(it - names.begin());
    if (std::find(indices.begin(), indices.end(), index) != indices.end())
      throw InputError("--layers: layer '" + name + "' is listed twice");
    indices.push_back(index);
  }
  return indices;
}

struct BatchRange {
  std::size_t first_image = 0, end_image = 0;  // this rank's images [first, end)
};

// Whole global batches, split into contiguous runs over the ranks.
BatchRange my_images(std::size_t stimuli, std::size_t batch, const Communicator& world) {
  const std::size_t batches = (stimuli + batch - 1) / batch;
  const auto r = static_cast<std::size_t>(world.rank()), n = static_cast<std::size_t>(world.size());
  const std::size_t b0 = batches * r / n, b1 = batches * (r + 1) / n;
  return {std::min(b0 * batch, stimuli), std::min(b1 * batch, stimuli)};
}

}  // namespace

LayerRdms compute_layer_rdms(const FeaturesSpec& spec, const Communicator& world,
                             const FeaturesProgress& progress) {
  const std::size_t S = spec.images.size();
  if (S < 3)
    throw InputError("--images: expected at least 3 images (an RDM needs 3 stimuli), found " +
                     std::to_string(S));
  if (spec.batch == 0) throw InputError("--batch: expected at least 1, found 0");
  const BatchRange mine = my_images(S, spec.batch, world);
  const std::size_t rows = mine.end_image - mine.first_image;

  // Every input problem is found (and agreed by all ranks) before the heavy work.
  features::agreed_step(world, [&] {
    for (std::size_t i = mine.first_image; i < mine.end_image; ++i)
      features::decode_image(spec.images[i]);
  });
  std::unique_ptr<features::Network> network;
  std::vector<std::size_t> selected;
  features::agreed_step(world, [&] {
    network = features::open_network(spec.model, spec.preprocessing,
                                     features::decode_image(spec.images[0]));
    selected = select_layers(spec.layers, network->layer_names(), spec.model);
    for (const auto i : selected)  // an RDM of no features is undefined (and divides by 0)
      if (network->layer_sizes()[i] == 0)
        throw InputError(spec.model + ": --layers: layer '" + network->layer_names()[i] +
                         "' has no activations (its output has 0 elements); leave it out with "
                         "--layers");
  });
  network->select(selected);
  std::vector<std::size_t> sizes;
  std::vector<std::string> names;
  for (const auto i : selected) {
    sizes.push_back(network->layer_sizes()[i]);
    names.push_back(network->layer_names()[i]);
  }

  // ---- memory plan (per rank; bytes) ----
  ::malloc_trim(0);
  const auto loaded = features::memory_usage();  // model + LibTorch, after one probe image
  const double transient =
      static_cast<double>(loaded.peak > loaded.resident ? loaded.peak - loaded.resident : 0);
  double per_image = 0;  // selected activations of one image, float32
  for (const auto s : sizes) per_image += 4.0 * static_cast<double>(s);
  const double forward = static_cast<double>(spec.batch) * (transient + per_image);
  const double grams =
      8.0 * (static_cast<double>(S * S) + static_cast<double>(S) * GramAccumulator::kChunk +
             static_cast<double>(sizes.size() * S * (S - 1) / 2));
  const double budget = static_cast<double>(spec.memory_budget);
  const double base = static_cast<double>(loaded.resident) + forward + grams;
  const double store_bytes = per_image * static_cast<double>(rows);
  // The smallest panel: one chunk of every image, gathered (8 bytes) plus this rank's rows (4 + 8).
  const double min_panel =
      GramAccumulator::kChunk * (8.0 * static_cast<double>(S) + 12.0 * static_cast<double>(rows));
  const bool spill = spec.always_spill || base + store_bytes + min_panel > budget;
  const bool too_small = base + min_panel > budget;
  if (too_small)
    spdlog::error(
        "--memory-budget {}: this rank needs at least {} (model and LibTorch {}, a forward "
        "batch of {} images {}, Gram matrices and RDMs {})",
        mib(budget), mib(base + min_panel), mib(static_cast<double>(loaded.resident)), spec.batch,
        mib(forward), mib(grams));
  features::agreed_step(world, [&] {
    if (too_small)
      throw InputError("--memory-budget " + mib(budget) +
                       ": too small for this model and --batch " + std::to_string(spec.batch) +
                       "; at least " + mib(base + min_panel) +
                       " is needed (try a smaller --batch or a larger budget)");
  });
  std::unique_ptr<ActivationStore> store;
  features::agreed_step(world, [&] {
    store = std::make_unique<ActivationStore>(rows, sizes, spill, spec.scratch_dir);
  });
  if (world.rank() == 0)
    spdlog::info(
        "{} images, {} layers, batch {}; model and LibTorch {} resident; activations {} ({})", S,
        sizes.size(), spec.batch, mib(static_cast<double>(loaded.resident)), mib(store_bytes),
        spill ? "over the budget: spilled to a scratch file" : "in memory");

  // ---- forward pass ----
  using Clock = std::chrono::steady_clock;
  const auto forward_start = Clock::now();
  std::vector<std::vector<float>> out;
  std::vector<DecodedImage> batch;
  for (std::size_t first = mine.first_image; first < mine.end_image; first += spec.batch) {
    const std::size_t end = std::min(first + spec.batch, mine.end_image);
    batch.clear();
    for (std::size_t i = first; i < end; ++i)
      batch.push_back(features::decode_image(spec.images[i]));
    network->forward(batch, out);
    for (std::size_t l = 0; l < sizes.size(); ++l) store->put(l, first - mine.first_image, out[l]);
    if (progress && world.rank() == 0)
      progress(std::min(S, (end - mine.first_image) * static_cast<std::size_t>(world.size())), S);
  }
  const double forward_seconds =
      std::chrono::duration<double>(Clock::now() - forward_start).count();
  if (world.rank() == 0)
    spdlog::info("forward pass: {} images on rank 0 in {:.2f} s ({:.2f} images/s)", rows,
                 forward_seconds, static_cast<double>(rows) / std::max(forward_seconds, 1e-9));
  out.clear();
  out.shrink_to_fit();
  batch.clear();
  network.reset();
  ::malloc_trim(0);

  // ---- Gram pass: panel width from what is left of the budget (the same on every rank) ----
  const double resident = static_cast<double>(features::memory_usage().resident);
  const double left = budget - resident - grams;
  const double per_column = 8.0 * static_cast<double>(S) + 12.0 * static_cast<double>(rows);
  auto width = static_cast<std::int64_t>(std::max(0.0, left / per_column));
  width = std::clamp<std::int64_t>(width / GramAccumulator::kChunk * GramAccumulator::kChunk,
                                   GramAccumulator::kChunk, kMaxPanelColumns);
  const auto panel_width = static_cast<std::size_t>(world.allreduce_min(width));

  LayerRdms result;
  result.layers = names;
  result.stimuli = S;
  result.spilled = spill;
  const std::size_t P = S * (S - 1) / 2;
  result.rdms.reserve(sizes.size() * P);
  std::vector<float> own_f;
  std::vector<double> own_d;
  const auto gram_start = Clock::now();
  for (std::size_t l = 0; l < sizes.size(); ++l) {
    GramAccumulator gram(S, sizes[l]);
    for (std::size_t begin = 0; begin < sizes[l]; begin += panel_width) {
      const std::size_t w = std::min(panel_width, sizes[l] - begin);
      own_f.resize(rows * w);
      store->columns(l, begin, begin + w, own_f.data());
      own_d.assign(own_f.begin(), own_f.end());
      const std::vector<double> panel = world.allgatherv(own_d);
      if (panel.size() != S * w) throw InternalError("features: gathered panel has the wrong size");
      gram.add_panel(panel.data(), begin, w);
    }
    const auto rdm = gram.rdm(spec.distance);
    const auto undefined =
        std::count_if(rdm.begin(), rdm.end(), [](double d) { return std::isnan(d); });
    if (undefined > 0 && world.rank() == 0)
      spdlog::warn(
          "layer '{}': {} of {} pairs have no {} distance (an image with constant "
          "activations); stored as NaN",
          names[l], undefined, P, to_string(spec.distance));
    result.rdms.insert(result.rdms.end(), rdm.begin(), rdm.end());
  }
  const double gram_seconds = std::chrono::duration<double>(Clock::now() - gram_start).count();
  if (world.rank() == 0)
    spdlog::info("RDMs: {} layers in {:.3f} s ({:.4f} s per layer; panels of {} columns)",
                 sizes.size(), gram_seconds, gram_seconds / static_cast<double>(sizes.size()),
                 panel_width);
  return result;
}

}  // namespace permrsa
