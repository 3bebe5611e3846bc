// `permrsa simulate`: the synthetic data sets, written to a folder.
#include "permrsa/simulate.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "permrsa/array_io.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/epochs.hpp"
#include "permrsa/error.hpp"
#include "sim/synthetic.hpp"
#include "sim/synthetic_epochs.hpp"

namespace permrsa {
namespace {

namespace fs = std::filesystem;

// The demo data are built in memory before they are written: refuse sizes that cannot be
// (instead of std::bad_alloc, or the kernel's OOM killer, halfway through).
constexpr double kMaxSimulatedBytes = 4.0 * 1024 * 1024 * 1024;

void check_simulated_size(double values, const std::string& what) {
  const double bytes = 8.0 * values;
  if (bytes <= kMaxSimulatedBytes) return;
  char text[64];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  throw InputError(what + ": expected synthetic data of at most 4 GiB (held in memory), found " +
                   text);
}

struct SimulateOptions {
  std::string out;
  SyntheticSpec spec;
  bool epochs = false;
  SyntheticEpochsSpec epochs_spec;
  std::string config_text;
};

void write_text(const fs::path& path, const std::string& text) {
  AtomicFile out(path.string());
  std::ofstream f(out.temp_path(), std::ios::binary);
  f << text;
  f.close();
  if (!f) throw RuntimeFailure(path.string() + ": cannot be written");
  out.commit();
}

void simulate_epochs(const SimulateOptions& opt) {
  SyntheticEpochsSpec spec = opt.epochs_spec;
  spec.seed = opt.spec.seed;
  spec.stimuli = opt.spec.stimuli;
  spec.times = opt.spec.times;
  if (spec.stimuli < kSyntheticCategories)
    throw InputError("--stimuli: expected at least 6 (one per category) with --epochs, found " +
                     std::to_string(spec.stimuli));
  if (spec.subjects < 1 || spec.channels < 1 || spec.trials_per_stimulus < 2 || spec.times < 1)
    throw InputError(
        "--subjects/--channels/--trials/--times: expected >= 1 subject, channel and time point and "
        ">= 2 trials");
  check_simulated_size(static_cast<double>(spec.stimuli) *
                           static_cast<double>(spec.trials_per_stimulus) *
                           static_cast<double>(spec.channels) * static_cast<double>(spec.times),
                       "--stimuli x --trials x --channels x --times (one subject's epochs)");
  const fs::path dir(opt.out);
  fs::create_directories(dir);
  std::string names;
  for (std::size_t n = 0; n < spec.subjects; ++n) {
    char name[64];
    std::snprintf(name, sizeof name, "sub-%02zu_epochs.h5", n + 1);
    const auto e = make_synthetic_epochs(spec, n);
    write_epochs_file((dir / name).string(), e.data, e.labels, e.times, spec.channels);
    names += std::string(name) + " ";
  }
  const auto model = synthetic_category_rdm(spec.stimuli);
  write_npy((dir / "category_rdm.npy").string(),
            RealArray{{model.size()}, model, "category_rdm.npy"});
  write_text(dir / "README.txt",
             "Synthetic EEG epochs (permrsa simulate --epochs, seed " + std::to_string(spec.seed) +
                 ").\n" + std::to_string(spec.subjects) + " subjects, " +
                 std::to_string(spec.stimuli) + " stimuli (labels 101..." +
                 std::to_string(100 + spec.stimuli) + "), " +
                 std::to_string(spec.trials_per_stimulus) + " trials each, " +
                 std::to_string(spec.channels) + " channels, " + std::to_string(spec.times) +
                 " time points from " + std::to_string(spec.time_start) + " s in steps of " +
                 std::to_string(spec.time_step) +
                 " s.\n"
                 "Planted: six categories (stimulus i is in category floor(6 i / S)); pure noise "
                 "before the onset at " +
                 std::to_string(spec.onset) +
                 " s, category patterns after it.\n"
                 "Files: " +
                 names +
                 "(HDF5: /data trials x channels x times, /labels, /times), category_rdm.npy (the "
                 "planted model RDM, condensed).\n"
                 "Run: permrsa rdm --epochs '" +
                 (dir / "sub-*_epochs.h5").string() + "' --method lda --out rdms.h5\n");
  spdlog::info("wrote {}/{{{}category_rdm.npy, README.txt}}", opt.out, names);
}

void simulate(const SimulateOptions& opt) {
  if (opt.epochs) return simulate_epochs(opt);
  if (opt.spec.stimuli < 3)
    throw InputError("--stimuli: expected at least 3, found " + std::to_string(opt.spec.stimuli));
  if (opt.spec.layers < 1 || opt.spec.times < 2)
    throw InputError("--layers/--times: expected at least 1 layer and 2 time points");
  const double stimuli = static_cast<double>(opt.spec.stimuli), pairs = stimuli * (stimuli - 1) / 2;
  check_simulated_size(
      pairs * (static_cast<double>(opt.spec.times) + static_cast<double>(opt.spec.layers)),
      "--stimuli/--layers/--times (P x T brain and L x P model RDMs)");
  const auto data = make_synthetic(opt.spec);
  const fs::path dir(opt.out);
  fs::create_directories(dir);
  write_npy((dir / "brain.npy").string(),
            RealArray{{data.brain.rows(), data.brain.cols()}, data.brain.values(), "brain.npy"});
  write_npy(
      (dir / "models.npy").string(),
      RealArray{{data.models.rows(), data.models.cols()}, data.models.values(), "models.npy"});
  write_npy((dir / "times.npy").string(), RealArray{{data.times.size()}, data.times, "times.npy"});
  std::string names;
  for (const auto& n : data.layers) names += n + "\n";
  write_text(dir / "layers.txt", names);
  write_text(dir / "config.toml", opt.config_text);
  write_text(dir / "README.txt", data.description +
                                     "\nFiles: brain.npy (P x T), models.npy (L x P), times.npy "
                                     "(T), layers.txt, config.toml.\n"
                                     "Run: permrsa run " +
                                     (dir / "config.toml").string() + "\n");
  spdlog::info("wrote {}/{{brain.npy, models.npy, times.npy, layers.txt, config.toml, README.txt}}",
               opt.out);
  spdlog::info("{}", data.description);
}

}  // namespace

void write_simulation(const SimulationOptions& options, const std::string& folder,
                      const std::string& config_text) {
  SimulateOptions opt;
  opt.out = folder;
  opt.spec.seed = options.seed;
  opt.spec.stimuli = options.stimuli;
  opt.spec.layers = options.layers;
  opt.spec.times = options.times;
  opt.epochs = options.epochs;
  opt.epochs_spec.subjects = options.subjects;
  opt.epochs_spec.channels = options.channels;
  opt.epochs_spec.trials_per_stimulus = options.trials;
  opt.epochs_spec.onset = options.onset;
  opt.config_text = config_text;
  simulate(opt);
}

}  // namespace permrsa
