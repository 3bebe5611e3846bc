// Opens the LibTorch module (see torch_backend.hpp) on first use, so that only `permrsa
// features` pays LibTorch's start-up. Where it looks, in order:
//   $PERMRSA_TORCH_MODULE              an explicit path (tests, unusual installs);
//   <folder of the executable>/        the build tree, where CMake puts both side by side;
//   <folder of the executable>/<rel>/  an installed tree (rel = PERMRSA_TORCH_MODULE_RELDIR,
//                                      lib/permrsa from bin/ by default).
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "features/torch_backend.hpp"
#include "permrsa/error.hpp"
#include "permrsa/features.hpp"

namespace fs = std::filesystem;

namespace permrsa {
namespace features {
namespace {

#ifdef PERMRSA_TORCH_MODULE_NAME

// RAII over a dlopen handle. RTLD_NODELETE keeps the code mapped after dlclose: LibTorch's
// thread pool and exit handlers may still run when static objects are destroyed.
class SharedModule {
 public:
  explicit SharedModule(const fs::path& path)
      : handle_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) {}
  ~SharedModule() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  SharedModule(const SharedModule&) = delete;
  SharedModule& operator=(const SharedModule&) = delete;

  bool is_open() const { return handle_ != nullptr; }
  void* symbol(const char* name) const { return dlsym(handle_, name); }

 private:
  void* handle_;
};

std::vector<fs::path> module_candidates() {
  if (const char* path = std::getenv("PERMRSA_TORCH_MODULE"); path != nullptr && *path != '\0')
    return {fs::path(path)};
  std::error_code error;
  const fs::path exe = fs::canonical("/proc/self/exe", error);
  if (error) return {fs::path(PERMRSA_TORCH_MODULE_NAME)};
  const fs::path dir = exe.parent_path();
  return {dir / PERMRSA_TORCH_MODULE_NAME,
          dir / PERMRSA_TORCH_MODULE_RELDIR / PERMRSA_TORCH_MODULE_NAME};
}

struct LoadedBackend {
  std::unique_ptr<SharedModule> module;
  const TorchBackend* backend = nullptr;
  std::string failure;  // why backend is null
};

LoadedBackend load_backend() {
  LoadedBackend loaded;
  std::string tried;
  for (const fs::path& path : module_candidates()) {
    std::error_code error;
    if (!fs::exists(path, error)) {
      tried += (tried.empty() ? " " : "; ") + path.string() + ": no such file";
      continue;
    }
    auto module = std::make_unique<SharedModule>(path);
    if (!module->is_open()) {
      const char* why = dlerror();
      loaded.failure = path.string() + ": cannot load the LibTorch module: " +
                       (why != nullptr ? why : "unknown dlopen error");
      return loaded;
    }
    using Entry = const TorchBackend* (*)();
    auto entry = reinterpret_cast<Entry>(module->symbol("permrsa_torch_backend"));
    const TorchBackend* backend = entry != nullptr ? entry() : nullptr;
    if (backend == nullptr || backend->abi != kTorchBackendAbi) {
      loaded.failure = path.string() + ": expected a permrsa LibTorch module of ABI " +
                       std::to_string(kTorchBackendAbi) +
                       " (from this build of permrsa); rebuild and reinstall permrsa";
      return loaded;
    }
    loaded.module = std::move(module);
    loaded.backend = backend;
    return loaded;
  }
  loaded.failure = "cannot find the LibTorch module " + std::string(PERMRSA_TORCH_MODULE_NAME) +
                   " of this permrsa (install it beside the executable or set "
                   "PERMRSA_TORCH_MODULE); looked for:" +
                   tried;
  return loaded;
}

const LoadedBackend& backend() {
  static const LoadedBackend loaded = load_backend();
  return loaded;
}

const TorchBackend& require() {
  const LoadedBackend& loaded = backend();
  if (loaded.backend == nullptr) throw RuntimeFailure("permrsa features: " + loaded.failure);
  return *loaded.backend;
}

#else  // built with -DPERMRSA_WITH_TORCH=OFF

[[noreturn]] const TorchBackend& require() {
  throw InputError(
      "permrsa features: this build has no LibTorch (configured with "
      "-DPERMRSA_WITH_TORCH=OFF); rebuild with -DPERMRSA_WITH_TORCH=ON "
      "(Debian package libtorch-dev)");
}

#endif

}  // namespace

std::unique_ptr<Network> open_network(const std::string& model_path,
                                      const ImagePreprocessing& preprocessing,
                                      const DecodedImage& probe) {
  return require().open_network(model_path, preprocessing, probe);
}

}  // namespace features

void require_features_backend() {
  features::require();
}

void set_feature_threads(int threads) {
  features::require().set_threads(threads);
}

}  // namespace permrsa
