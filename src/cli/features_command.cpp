// `permrsa features --model m.pt --images DIR|list.txt [--layers a,b] [--distance correlation]`:
// layer RDMs of a TorchScript model, written as a models.file for `permrsa run`.
#include <spdlog/spdlog.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>

#include "permrsa/agreement.hpp"
#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_checks.hpp"
#include "cli/progress_line.hpp"
#include "permrsa/error.hpp"
#include "permrsa/features.hpp"

namespace permrsa::cli {
namespace {

namespace fs = std::filesystem;

struct FeaturesOptions {
  std::string images;
  std::string out = "layer_rdms.h5";
  std::string budget = "4GiB";
  std::string scratch_dir;  // default: the folder of --out
  std::vector<double> mean, std;
  FeaturesSpec spec;
};

// "4GiB", "512MiB", "1.5G", "1000000" (bytes). K/M/G/T are powers of 1024 with or without "iB".
std::uint64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::map<std::string, double> units{{"", 1.0},
                                                   {"B", 1.0},
                                                   {"K", 1024.0},
                                                   {"KIB", 1024.0},
                                                   {"M", 1048576.0},
                                                   {"MIB", 1048576.0},
                                                   {"G", 1073741824.0},
                                                   {"GIB", 1073741824.0},
                                                   {"T", 1099511627776.0},
                                                   {"TIB", 1099511627776.0}};
  const auto it = units.find(unit);
  if (used == 0 || it == units.end() || !(value > 0) || !std::isfinite(value))
    throw InputError("--memory-budget: expected a size such as 4GiB, 512MiB or 1.5G, found '" +
                     text + "'");
  return static_cast<std::uint64_t>(value * it->second);
}

int features(FeaturesOptions& opt, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  FeaturesSpec& spec = opt.spec;
  StimulusList stimuli;
  agree(world, [&] {
    require_features_backend();
    spec.memory_budget = parse_bytes(opt.budget);
    if (!opt.mean.empty()) {
      if (opt.mean.size() != 3) throw InputError("--mean: expected 3 values (R,G,B)");
      std::copy(opt.mean.begin(), opt.mean.end(), spec.preprocessing.mean.begin());
    }
    if (!opt.std.empty()) {
      if (opt.std.size() != 3) throw InputError("--std: expected 3 values (R,G,B)");
      for (double s : opt.std)
        if (!(s > 0)) throw InputError("--std: expected positive values");
      std::copy(opt.std.begin(), opt.std.end(), spec.preprocessing.std.begin());
    }
    if (!(spec.preprocessing.scale_divisor > 0))
      throw InputError("--scale-divisor: expected a positive number");
    // --out: before any work, and never onto an input (issue 15, D6 and D14).
    std::vector<FileRole> inputs{{spec.model, "--model"}};
    if (fs::is_regular_file(opt.images)) inputs.push_back({opt.images, "--images"});
    check_output_locations({{opt.out, "--out"}}, inputs);
    stimuli = list_stimuli(opt.images);
    for (const auto& image : stimuli.paths) inputs.push_back({image, "--images"});
    prepare_outputs({{opt.out, "--out"}}, inputs, world);
    const fs::path out_dir = fs::absolute(opt.out).parent_path();
    spec.scratch_dir = opt.scratch_dir.empty() ? out_dir.string() : opt.scratch_dir;
    spec.images = stimuli.paths;
  });
  set_feature_threads(global.threads);

  ProgressLine line("images", global.progress && world.rank() == 0);
  LayerRdms rdms;
  agree(world, [&] {
    rdms = compute_layer_rdms(spec, world, [&](std::size_t done, std::size_t total) {
      line.update(static_cast<std::int64_t>(done), static_cast<std::int64_t>(total));
    });
  });
  line.finish();
  agree(world, [&] {
    if (world.rank() == 0) write_layer_rdms(opt.out, spec, rdms, stimuli.names);
  });
  spdlog::info("wrote {}: /rdms {} layers x {} pairs ({} distance), /layers, /stimuli", opt.out,
               rdms.layers.size(), rdms.stimuli * (rdms.stimuli - 1) / 2, to_string(spec.distance));
  return 0;
}

}  // namespace

std::function<int()> add_features_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<FeaturesOptions>();
  auto* cmd = app.add_subcommand(
      "features",
      "Layer RDMs of a TorchScript model (LibTorch) on a set of images, written as "
      "an HDF5 file that `permrsa run` takes as models.file");
  cmd->add_option("--model", opt->spec.model,
                  "TorchScript file: a dict-of-tensors model (tools/export_model.py) or a "
                  "scripted nn.Sequential")
      ->required();
  cmd->add_option("--images", opt->images,
                  "Folder of PNG/JPEG images (sorted by file name) or a text file listing them")
      ->required();
  cmd->add_option("--out", opt->out, "Output HDF5 file (/rdms, /layers, /stimuli)")
      ->capture_default_str();
  cmd->add_option("--layers", opt->spec.layers, "Layers to keep, comma-separated (default: all)")
      ->delimiter(',');
  const std::map<std::string, Distance> distances{{"correlation", Distance::correlation},
                                                  {"euclidean", Distance::euclidean},
                                                  {"cosine", Distance::cosine}};
  cmd->add_option("--distance", opt->spec.distance,
                  "RDM distance: correlation (1 - Pearson), euclidean or cosine")
      ->transform(CLI::CheckedTransformer(distances, CLI::ignore_case))
      ->default_str("correlation");
  cmd->add_option("--resize", opt->spec.preprocessing.resize,
                  "Shorter side after resizing (bilinear, antialias); 0 = none")
      ->capture_default_str()
      ->check(non_negative_number());
  cmd->add_option("--crop", opt->spec.preprocessing.crop, "Centre crop size; 0 = none")
      ->capture_default_str()
      ->check(non_negative_number());
  cmd->add_option("--scale-divisor", opt->spec.preprocessing.scale_divisor,
                  "Pixel values are divided by this (torchvision ToTensor: 255)")
      ->capture_default_str();
  cmd->add_option("--mean", opt->mean, "Per-channel mean, R,G,B (default ImageNet)")
      ->delimiter(',');
  cmd->add_option("--std", opt->std, "Per-channel std, R,G,B (default ImageNet)")->delimiter(',');
  cmd->add_option("--batch", opt->spec.batch, "Images per forward pass")
      ->capture_default_str()
      ->check(positive_number());
  cmd->add_option("--memory-budget", opt->budget,
                  "Peak resident memory per rank (e.g. 4GiB, 512MiB); activations beyond it "
                  "spill to a scratch file")
      ->capture_default_str();
  cmd->add_flag("--spill", opt->spec.always_spill,
                "Keep activations in the scratch file even when they fit the budget");
  cmd->add_option("--scratch-dir", opt->scratch_dir,
                  "Folder for the activations scratch file (default: the folder of --out)");
  return [opt, &global] { return features(*opt, global); };
}

}  // namespace permrsa::cli
