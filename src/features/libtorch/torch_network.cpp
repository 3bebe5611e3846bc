// The LibTorch side of `permrsa features`: the only translation unit that includes torch
// headers (they are slow to compile), built as the module libpermrsa_torch.so that
// features/torch_backend_loader.cpp opens on demand. Loads a TorchScript model, preprocesses
// images on the CPU and returns the selected layers' activations as plain float arrays.
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "features/torch_backend.hpp"
#include "permrsa/error.hpp"

namespace permrsa::features {
namespace {

// The BLAS under LibTorch gets the same count. When Debian's libblas.so.3 is OpenBLAS it would
// otherwise start one thread per CPU it may use, and its sums then depend on how many CPUs the
// process was given: under mpirun, which binds ranks to cores, the activations (so the RDMs)
// differed from one process's by 3e-9 (tests/python/mpi_test_features.py). The reference BLAS
// has no threads and no such symbol.
void set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  if (void* symbol = dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))
    reinterpret_cast<SetThreads>(symbol)(n);
}

void set_torch_threads(int threads) {
  const auto n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(std::max(n, 1));
  set_blas_threads(std::max(n, 1));
}

std::string shape_text(const at::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

// See ImagePreprocessing: float32 throughout, the same op sequence as the Python reference in
// tests/python/features_reference.py.
at::Tensor preprocess(const DecodedImage& image, const ImagePreprocessing& p) {
  at::Tensor x = torch::from_blob(const_cast<std::uint8_t*>(image.rgb.data()),
                                  {image.height, image.width, 3}, torch::kUInt8)
                     .permute({2, 0, 1})
                     .to(torch::kFloat32)
                     .unsqueeze(0);
  if (p.resize > 0) {
    // torchvision's _compute_resized_output_size: the shorter side becomes `resize`, the longer
    // int(resize * long / short) (Python's true division, then truncation).
    const bool wide = image.width >= image.height;
    const std::int64_t shorter = wide ? image.height : image.width;
    const std::int64_t longer = wide ? image.width : image.height;
    const auto new_long = static_cast<std::int64_t>(static_cast<double>(p.resize * longer) /
                                                    static_cast<double>(shorter));
    const std::int64_t h = wide ? p.resize : new_long;
    const std::int64_t w = wide ? new_long : p.resize;
    x = at::_upsample_bilinear2d_aa(x, {h, w}, /*align_corners=*/false, c10::nullopt, c10::nullopt);
  }
  if (p.crop > 0) {
    const std::int64_t h = x.size(2), w = x.size(3);
    if (h < p.crop || w < p.crop)
      throw InputError("--crop " + std::to_string(p.crop) +
                       ": expected at most the resized image (" + std::to_string(h) + " x " +
                       std::to_string(w) + ")");
    // torchvision's center_crop: int(round((size - crop) / 2.0)), Python's round-half-even.
    const auto top =
        static_cast<std::int64_t>(std::nearbyint(static_cast<double>(h - p.crop) / 2.0));
    const auto left =
        static_cast<std::int64_t>(std::nearbyint(static_cast<double>(w - p.crop) / 2.0));
    x = x.slice(2, top, top + p.crop).slice(3, left, left + p.crop);
  }
  x = x.div(p.scale_divisor);
  const auto mean = torch::tensor({static_cast<float>(p.mean[0]), static_cast<float>(p.mean[1]),
                                   static_cast<float>(p.mean[2])})
                        .view({1, 3, 1, 1});
  const auto stdev = torch::tensor({static_cast<float>(p.std[0]), static_cast<float>(p.std[1]),
                                    static_cast<float>(p.std[2])})
                         .view({1, 3, 1, 1});
  return x.sub(mean).div(stdev).contiguous();
}

bool is_sequential(const torch::jit::Module& module) {
  const auto type = module.type()->name();
  return type && type->qualifiedName().ends_with(".Sequential");
}

class TorchNetwork final : public Network {
 public:
  TorchNetwork(std::string path, torch::jit::Module module, const ImagePreprocessing& p)
      : path_(std::move(path)), module_(std::move(module)), preprocessing_(p) {
    module_.eval();
    sequential_ = is_sequential(module_);
  }

  void probe(const DecodedImage& image) {
    c10::InferenceMode guard;
    names_.clear();
    sizes_.clear();
    run(batch_of({image}), [&](const std::string& name, const at::Tensor& t) {
      names_.push_back(name);
      sizes_.push_back(static_cast<std::size_t>(t.numel()));
    });
    if (names_.empty())
      throw InputError(path_ + ": --model: the model has no layers (an empty dict or container)");
    selected_.resize(names_.size());
    for (std::size_t i = 0; i < names_.size(); ++i) selected_[i] = i;
  }

  const std::vector<std::string>& layer_names() const override { return names_; }
  const std::vector<std::size_t>& layer_sizes() const override { return sizes_; }
  void select(const std::vector<std::size_t>& layers) override { selected_ = layers; }

  void forward(const std::vector<DecodedImage>& images,
               std::vector<std::vector<float>>& out) override {
    c10::InferenceMode guard;
    std::vector<std::size_t> slot(names_.size(), names_.size());
    for (std::size_t i = 0; i < selected_.size(); ++i) slot[selected_[i]] = i;
    out.resize(selected_.size());
    std::size_t layer = 0;
    run(batch_of(images), [&](const std::string& name, const at::Tensor& t) {
      if (layer >= names_.size() || names_[layer] != name)
        throw InputError(path_ + ": --model: the model's layers changed between batches (found '" +
                         name + "')");
      const std::size_t index = layer++;
      const std::size_t target = slot[index];
      if (target == names_.size()) return;
      const auto flat = t.to(torch::kFloat32).contiguous();
      if (static_cast<std::size_t>(flat.numel()) != images.size() * sizes_[index])
        throw InputError(path_ + ": --model: layer '" + name + "' has output shape " +
                         shape_text(t) + " for a batch of " + std::to_string(images.size()) +
                         ", expected the batch first");
      out[target].assign(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
    });
  }

 private:
  at::Tensor batch_of(const std::vector<DecodedImage>& images) const {
    std::vector<at::Tensor> tensors;
    tensors.reserve(images.size());
    for (const auto& image : images) tensors.push_back(preprocess(image, preprocessing_));
    for (const auto& t : tensors)
      if (!t.sizes().equals(tensors.front().sizes()))
        throw InputError("--images: images of different sizes after preprocessing (" +
                         shape_text(tensors.front()) + " vs " + shape_text(t) +
                         "); set --crop to make them equal");
    return torch::cat(tensors, 0);
  }

  void check_batch_first(const std::string& name, const at::Tensor& t, std::int64_t batch) const {
    if (t.dim() == 0 || t.size(0) != batch)
      throw InputError(path_ + ": --model: layer '" + name + "' has output shape " + shape_text(t) +
                       " for a batch of " + std::to_string(batch) +
                       " images; expected the batch dimension first");
  }

  template <class Visit>
  void run(const at::Tensor& input, Visit&& visit) {
    const auto batch = input.size(0);
    auto wrong_output = [&](const std::string& what, const c10::IValue& v) {
      return InputError(path_ + ": --model: " + what + " is a " + v.tagKind() +
                        "; expected a tensor or a dict of named tensors (tools/export_model.py)");
    };
    try {
      if (sequential_) {
        // A scripted nn.Sequential: its children in order, each output recorded.
        at::Tensor x = input;
        for (const auto& child : module_.named_children()) {
          auto child_module = child.value;
          const c10::IValue y = child_module.forward({x});
          if (!y.isTensor()) throw wrong_output("the output of child '" + child.name + "'", y);
          x = y.toTensor();
          check_batch_first(child.name, x, batch);
          visit(child.name, x);
        }
        return;
      }
      const c10::IValue y = module_.forward({input});
      if (y.isTensor()) {
        check_batch_first("output", y.toTensor(), batch);
        visit("output", y.toTensor());
        return;
      }
      if (!y.isGenericDict()) throw wrong_output("the model's output", y);
      for (const auto& entry : y.toGenericDict()) {
        if (!entry.key().isString())
          throw wrong_output("a key of the model's output dict", entry.key());
        const std::string name = entry.key().toStringRef();
        if (!entry.value().isTensor())
          throw wrong_output("the value '" + name + "' of the model's output dict", entry.value());
        check_batch_first(name, entry.value().toTensor(), batch);
        visit(name, entry.value().toTensor());
      }
    } catch (const c10::Error& e) {
      throw InputError(path_ + ": --model: running the model on a batch of shape " +
                       shape_text(input) + " failed: " + e.what_without_backtrace());
    }
  }

  std::string path_;
  torch::jit::Module module_;
  ImagePreprocessing preprocessing_;
  bool sequential_ = false;
  std::vector<std::string> names_;
  std::vector<std::size_t> sizes_;
  std::vector<std::size_t> selected_;
};

std::unique_ptr<Network> open_torch_network(const std::string& model_path,
                                            const ImagePreprocessing& preprocessing,
                                            const DecodedImage& probe) {
  std::error_code error;
  // A FIFO or device would block the load (and a directory is no model): say what it is.
  // (This module links LibTorch only, so permrsa::require_regular_file is out of reach.)
  if (std::filesystem::exists(model_path, error) &&
      !std::filesystem::is_regular_file(model_path, error))
    throw InputError(model_path + ": --model: expected a TorchScript file, found " +
                     (std::filesystem::is_directory(model_path, error)
                          ? "a directory"
                          : "something that is not a regular file (a FIFO, device or socket)"));
  if (!std::filesystem::is_regular_file(model_path, error))
    throw InputError(model_path +
                     ": --model: no such file (expected a TorchScript model, e.g. "
                     "from tools/export_model.py)");
  torch::jit::Module module;
  try {
    module = torch::jit::load(model_path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw InputError(model_path +
                     ": --model: expected a TorchScript file (torch.jit.save), "
                     "but LibTorch cannot load it: " +
                     e.what_without_backtrace());
  }
  auto network = std::make_unique<TorchNetwork>(model_path, std::move(module), preprocessing);
  network->probe(probe);
  return network;
}

}  // namespace
}  // namespace permrsa::features

extern "C" __attribute__((visibility("default"))) const permrsa::features::TorchBackend*
permrsa_torch_backend() {
  static const permrsa::features::TorchBackend backend{permrsa::features::kTorchBackendAbi,
                                                       &permrsa::features::open_torch_network,
                                                       &permrsa::features::set_torch_threads};
  return &backend;
}
