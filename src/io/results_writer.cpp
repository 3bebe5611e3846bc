// The results file (README "Output"), written by every rank of the job into one HDF5 file.
//
// One code path for both modes: every dataset is created by all ranks (collective metadata in a
// parallel file), then filled by hyperslab writes. The (L, T) maps: each rank that writes maps
// puts in its block; the other datasets (clusters, null, axes): world rank 0, the others taking
// part with empty selections. Attributes: all ranks, identical values. A serial run (or a build
// without MPI) goes through the same calls on a plain file, so both give the same content,
// types and attributes (h5diff-identical).
//
// /axes/layer holds fixed-length UTF-8 strings (NUL-padded, NumPy's 'S'): parallel HDF5 1.10
// cannot write variable-length data with the MPI-IO driver, not even independently, and the
// serial file must match the parallel one. String attributes stay variable-length (attributes
// are metadata; parallel HDF5 writes them).
#include <spdlog/spdlog.h>

#include <limits>
#include <optional>

#include "io/h5_handles.hpp"
#include "io/results_file.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/bootstrap_latency.hpp"
#include "permrsa/clusters.hpp"
#include "permrsa/error.hpp"
#include "permrsa/statistic_label.hpp"
#ifdef PERMRSA_WITH_MPI
#include "dist/mpi/mpi_communicator.hpp"
#include "io/h5_parallel.hpp"
#endif

namespace permrsa {
namespace {

using h5::hsize_t;

#ifdef PERMRSA_WITH_MPI
bool mpi_running() {
  int initialised = 0;
  int finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised != 0 && finalised == 0;
}
#endif

// A parallel file whenever the communicator is an MPI one (also with one rank), so mpirun -n 1
// takes the same path as -n 4; a plain file for the serial communicator.
h5::File create_file(const std::string& path, const Communicator& world) {
#ifdef PERMRSA_WITH_MPI
  if (mpi_running()) {
    const MPI_Comm comm = raw_mpi_comm(world);
    if (comm != MPI_COMM_SELF)
      return h5::File::create_parallel(path, h5::mpio_file_access(comm, path));
  }
#endif
  (void)world;
  return h5::File::create(path);
}

// Runs one collective step of the write on every rank and agrees on its outcome: a failure on
// any rank (a full disk, seen by the rank whose write hit it) is thrown on every rank, with the
// message of the lowest failing rank. Otherwise that rank would leave for the error path (whose
// H5Fclose is collective) while the others went on to the next collective call, and the job
// would wait forever.
template <class Step>
void agreed(const Communicator& world, Step&& step) {
  std::string failure;
  try {
    step();
  } catch (const std::exception& e) {
    failure = *e.what() != '\0' ? e.what() : "unknown failure";
  }
  constexpr std::int64_t none = std::numeric_limits<std::int64_t>::max();
  const std::int64_t first = world.allreduce_min(failure.empty() ? none : world.rank());
  if (first == none) return;
  world.broadcast(failure, static_cast<int>(first));
  throw RuntimeFailure(failure);
}

// Writes one dataset (one agreed step) and warns when a parallel transfer fell back to
// independent I/O (the content is still right, only slower).
class ResultsWriter {
 public:
  ResultsWriter(h5::File& file, const Communicator& world) : file_(file), world_(world) {}

  bool is_root() const { return world_.rank() == 0; }

  // An (L, T) map: this rank's block of it, or nothing.
  template <class T>
  void grid_map(const std::string& name, const Matrix<T>& block_values, const BlockRange& block,
                bool writes, const std::vector<hsize_t>& grid) {
    agreed(world_, [&] {
      file_.create_dataset<T>(name, grid);
      const bool mine = writes && !block.empty();
      std::vector<hsize_t> offset, count;
      if (mine) {
        offset = {block.layer_begin, block.time_begin};
        count = {block.layers(), block.times()};
      }
      const std::span<const T> values =
          mine ? std::span<const T>(block_values.values()) : std::span<const T>();
      check(name, file_.write_hyperslab<T>(name, values, offset, count, true));
    });
  }

  // A 1-D dataset whose values every rank holds; rank 0 writes it.
  template <class T>
  void rank0_vector(const std::string& name, const std::vector<T>& values) {
    rank0_dataset<T>(name, values, {values.size()});
  }

  // A rows x cols dataset written whole by rank 0 (identical on every rank).
  template <class T>
  void rank0_matrix(const std::string& name, const std::vector<T>& values, std::size_t rows,
                    std::size_t cols) {
    rank0_dataset<T>(name, values, {rows, cols});
  }

  // An N x rows x cols dataset written whole by rank 0.
  void rank0_cube(const std::string& name, const std::vector<double>& values, std::size_t n,
                  std::size_t rows, std::size_t cols) {
    rank0_dataset<double>(name, values, {n, rows, cols});
  }

  void rank0_strings(const std::string& name, const std::vector<std::string>& values) {
    agreed(world_, [&] {
      file_.create_strings_dataset(name, values.size(), h5::File::fixed_string_width(values));
      const std::vector<std::string> none;
      check(name, file_.write_strings_hyperslab(name, is_root() ? values : none, 0, true));
    });
  }

  // A root attribute (identical on every rank; parallel HDF5 needs all ranks to set it).
  template <class V>
  void attribute(const std::string& name, const V& value) {
    agreed(world_, [&] { file_.set_attribute("/", name, value); });
  }

  // A soft link (metadata: all ranks make the same call, as for attributes).
  void soft_link(const std::string& target, const std::string& link) {
    agreed(world_, [&] { file_.create_soft_link(target, link); });
  }

 private:
  // A dataset of `shape` written whole by rank 0, the others taking part with empty selections.
  template <class T>
  void rank0_dataset(const std::string& name, const std::vector<T>& values,
                     const std::vector<hsize_t>& shape) {
    agreed(world_, [&] {
      file_.create_dataset<T>(name, shape);
      const bool mine = is_root() && !values.empty();
      const std::vector<hsize_t> origin(shape.size(), 0);
      check(name,
            file_.write_hyperslab<T>(name, mine ? std::span<const T>(values) : std::span<const T>(),
                                     mine ? origin : std::vector<hsize_t>{},
                                     mine ? shape : std::vector<hsize_t>{}, true));
    });
  }

  void check(const std::string& name, bool collective) const {
    if (file_.is_parallel() && !collective && is_root()) {
      spdlog::warn("{}: the write of {} was not collective (HDF5 fell back to independent I/O)",
                   file_.path(), name);
    }
  }

  h5::File& file_;
  const Communicator& world_;
};

void write_bootstrap(ResultsWriter& out, const BootstrapLatency& b, std::size_t layers) {
  auto columns = [&](const std::vector<LatencyInterval>& v, std::vector<double>& estimate,
                     std::vector<double>& ci, std::vector<std::int64_t>& missing) {
    for (const auto& x : v) {
      estimate.push_back(x.estimate);
      ci.insert(ci.end(), {x.low, x.high});
      missing.push_back(x.missing);
    }
  };
  std::vector<double> peak, peak_ci, onset, onset_ci, threshold, threshold_ci;
  std::vector<std::int64_t> peak_missing, onset_missing, threshold_missing;
  columns(b.peak, peak, peak_ci, peak_missing);
  columns(b.cluster_onset, onset, onset_ci, onset_missing);
  columns(b.threshold_onset, threshold, threshold_ci, threshold_missing);
  out.rank0_vector<double>("/bootstrap/peak_time", peak);
  out.rank0_matrix<double>("/bootstrap/peak_ci", peak_ci, layers, 2);
  out.rank0_vector<double>("/bootstrap/cluster_onset_time", onset);
  out.rank0_matrix<double>("/bootstrap/cluster_onset_ci", onset_ci, layers, 2);
  out.rank0_vector<std::int64_t>("/bootstrap/onset_missing", onset_missing);
  out.rank0_vector<double>("/bootstrap/threshold_onset_time", threshold);
  out.rank0_matrix<double>("/bootstrap/threshold_onset_ci", threshold_ci, layers, 2);
  out.rank0_vector<std::int64_t>("/bootstrap/threshold_onset_missing", threshold_missing);
  out.rank0_matrix<double>("/bootstrap/peak_samples", b.peak_samples,
                           static_cast<std::size_t>(b.samples), layers);
  for (const auto& d : b.differences) {
    out.rank0_strings("/bootstrap/difference/layers", {d.layer_a, d.layer_b});
    out.rank0_vector<double>("/bootstrap/difference/estimate", {d.interval.estimate});
    out.rank0_vector<double>("/bootstrap/difference/ci", {d.interval.low, d.interval.high});
    out.rank0_vector<double>("/bootstrap/difference/p", {d.p});
  }
}

// /contrasts/<A>-<B>/...: each pair's 1 x T test as vectors, and its cluster table.
void write_contrasts(ResultsWriter& out, const std::vector<ContrastResult>& contrasts) {
  if (contrasts.empty()) return;
  std::vector<std::string> names;
  for (const auto& c : contrasts) {
    names.push_back(c.name());
    const std::string g = "/contrasts/" + c.name() + "/";
    const auto& r = c.test;
    out.rank0_strings(g + "layers", {c.layer_a, c.layer_b});
    out.rank0_vector<double>(g + "observed", r.observed.values());
    out.rank0_vector<double>(g + "mean", c.mean);
    out.rank0_vector<double>(g + "sem", c.sem);
    out.rank0_vector<double>(g + "p_uncorrected", r.p_uncorrected.values());
    out.rank0_vector<double>(g + "p_maxstat", r.p_maxstat.values());
    out.rank0_vector<double>(g + "p_cluster", r.p_cluster.values());
    out.rank0_vector<std::int32_t>(g + "cluster_id", r.cluster_id.values());
    if (!r.p_tfce.values().empty()) {
      out.rank0_vector<double>(g + "tfce", r.tfce.values());
      out.rank0_vector<double>(g + "p_tfce", r.p_tfce.values());
    }
    const ClusterColumns cl = cluster_columns(r.clusters);
    out.rank0_vector<double>(g + "clusters/statistic", cl.statistic);
    out.rank0_vector<double>(g + "clusters/p", r.cluster_p);
    out.rank0_vector<std::int64_t>(g + "clusters/size", cl.size);
    out.rank0_vector<std::int64_t>(g + "clusters/time_first", cl.time_first);
    out.rank0_vector<std::int64_t>(g + "clusters/time_last", cl.time_last);
    out.rank0_vector<std::int8_t>(g + "clusters/sign", cl.sign);
    out.rank0_vector<double>(g + "null/max_statistic", r.null_max_statistic);
    out.rank0_vector<double>(g + "null/max_cluster", r.null_max_cluster);
  }
  out.rank0_strings("/contrasts/names", names);
}

void write_contents(h5::File& f, const RunSpec& spec, const RsaProblem& problem,
                    const AnalysisResult& r, const Communicator& world) {
  const hsize_t L = problem.layers.size(), T = problem.times.size();
  const std::vector<hsize_t> grid{L, T};
  ResultsWriter out(f, world);
  out.grid_map<double>("/observed", r.observed, r.block, r.writes_maps, grid);
  out.grid_map<double>("/p_uncorrected", r.p_uncorrected, r.block, r.writes_maps, grid);
  out.grid_map<double>("/p_maxstat", r.p_maxstat, r.block, r.writes_maps, grid);
  out.grid_map<double>("/p_cluster", r.p_cluster, r.block, r.writes_maps, grid);
  out.grid_map<std::int32_t>("/cluster_id", r.cluster_id, r.block, r.writes_maps, grid);
  // Adjustments of /p_uncorrected over the whole map (whole on every rank), by rank 0.
  out.rank0_matrix<double>("/p_fdr", r.p_fdr, L, T);
  out.rank0_matrix<double>("/p_bonferroni", r.p_bonferroni, L, T);
  out.rank0_matrix<double>("/p_holm", r.p_holm, L, T);

  const ClusterColumns c = cluster_columns(r.clusters);
  out.rank0_vector<double>("/clusters/statistic", c.statistic);
  out.rank0_vector<double>("/clusters/p", r.cluster_p);
  out.rank0_vector<std::int64_t>("/clusters/size", c.size);
  out.rank0_vector<std::int64_t>("/clusters/layer_first", c.layer_first);
  out.rank0_vector<std::int64_t>("/clusters/layer_last", c.layer_last);
  out.rank0_vector<std::int64_t>("/clusters/time_first", c.time_first);
  out.rank0_vector<std::int64_t>("/clusters/time_last", c.time_last);
  out.rank0_vector<std::int8_t>("/clusters/sign", c.sign);

  out.rank0_vector<double>("/null/max_statistic", r.null_max_statistic);
  out.rank0_vector<double>("/null/max_cluster", r.null_max_cluster);
  // Present when any rank has thresholds: a rank with an empty block has none to hold, but it
  // must still take part in creating the dataset.
  std::int64_t has_thresholds = r.cell_thresholds.size() > 0 ? 1 : 0;
  world.allreduce_sum(std::span<std::int64_t>(&has_thresholds, 1));
  if (has_thresholds > 0) {
    out.grid_map<double>("/null/cell_threshold", r.cell_thresholds, r.block,
                         r.writes_maps && r.cell_thresholds.size() > 0, grid);
  }

  if (spec.correction.tfce) {
    out.grid_map<double>("/tfce", r.tfce, r.block, r.writes_maps, grid);
    out.grid_map<double>("/p_tfce", r.p_tfce, r.block, r.writes_maps, grid);
    out.rank0_vector<double>("/null/max_tfce", r.null_max_tfce);
    out.attribute("tfce_step", r.tfce_step);
  }

  std::vector<double> onset(L, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t l = 0; l < r.cluster_onset.size(); ++l)
    if (r.cluster_onset[l] >= 0)
      onset[l] = problem.times[static_cast<std::size_t>(r.cluster_onset[l])];
  out.rank0_vector<double>("/onset/cluster_time", onset);
  out.attribute("alpha", spec.correction.alpha);

  if (r.subject_values) {
    const auto& v = *r.subject_values;
    out.rank0_cube("/subject_maps", v.maps, v.subjects, L, T);
    out.rank0_matrix<double>("/group/mean", v.mean, L, T);
    out.rank0_matrix<double>("/group/sem", v.sem, L, T);
  }

  if (r.noise_ceiling) {
    out.rank0_vector<double>("/noise_ceiling/lower", r.noise_ceiling->lower);
    out.rank0_vector<double>("/noise_ceiling/upper", r.noise_ceiling->upper);
  }
  if (r.bootstrap) write_bootstrap(out, *r.bootstrap, problem.layers.size());

  write_contrasts(out, r.contrasts);
  out.rank0_vector<double>("/axes/time", problem.times);
  out.rank0_strings("/axes/layer", problem.layers);
  if (!problem.stimulus_names.empty()) out.rank0_strings("/axes/stimulus", problem.stimulus_names);
  if (problem.covariates.any()) out.rank0_strings("/axes/covariate", problem.covariates.names);

  out.attribute("permrsa_version", std::string(PERMRSA_VERSION));
  out.attribute("config", spec.resolved_toml);
  out.attribute("seed", static_cast<std::uint64_t>(spec.analysis.seed));
  out.attribute("permutations", static_cast<std::int64_t>(r.permutations));
  out.attribute("metric", std::string(to_string(spec.analysis.metric)));
  out.attribute("scheme", std::string(to_string(spec.analysis.scheme)));
  if (spec.analysis.scheme != Scheme::stimulus) {
    out.attribute("group_statistic", std::string(to_string(spec.analysis.group_statistic)));
    out.attribute("subjects", static_cast<std::int64_t>(problem.subject_count()));
  }
  if (spec.analysis.scheme == Scheme::two_group)
    out.rank0_vector<std::int64_t>("/groups", spec.brain.groups);
  out.attribute("statistic_label",
                statistic_label(spec.analysis, problem.subject_count(), problem.covariates.any()));
  out.attribute("tail", std::string(to_string(spec.analysis.tail)));
  out.attribute("precision", std::string(to_string(spec.analysis.precision)));
  out.attribute("cluster_threshold", std::string(to_string(spec.correction.cluster_threshold)));
  out.attribute("cluster_statistic", std::string(to_string(spec.correction.cluster_statistic)));
  out.attribute("connectivity", std::string(to_string(spec.correction.connectivity)));
  out.attribute("stimuli", static_cast<std::int64_t>(problem.stimuli));
  if (problem.covariates.any()) {
    std::string names;
    for (const auto& n : problem.covariates.names) names += (names.empty() ? "" : ",") + n;
    out.attribute("covariates", names);
    out.attribute("covariate_method", std::string(to_string(spec.covariates.method)));
    out.attribute("covariate_permute", std::string(to_string(spec.covariates.permute)));
  }
  if (spec.analysis.generalise) {
    // The T x T maps are the root maps (so every reader of results files reads them); issue 19
    // names them /generalisation/<map>: links, not copies.
    out.attribute("generalise", std::int64_t{1});
    for (const std::string name :
         {"observed", "p_uncorrected", "p_maxstat", "p_cluster", "cluster_id", "p_tfce"})
      if (name != "p_tfce" || spec.correction.tfce)
        out.soft_link("/" + name, "/generalisation/" + name);
  }
  for (const auto& [key, sha] : problem.input_hashes) {
    std::string name = "sha256_" + key;
    for (auto& ch : name) ch = ch == '.' ? '_' : ch;
    out.attribute(name, sha);
  }
}

// Open MPI 4.1's OMPIO can lose a collective write on a full disk without an error (the file
// then lacks attributes, or ends early): rank 0 reads the closed file back whole before it may
// take the results' name.
void check_complete(const AtomicFile& out, const Communicator& world) {
  if (world.rank() != 0) return;
  try {
    h5::File::open_read(out.temp_path()).read_everything();
  } catch (const h5::Error& e) {
    throw RuntimeFailure(out.path() + ": the results file written through MPI-IO is incomplete (" +
                         e.what() + "); is the disk full?");
  }
}

// Rank 0 (the owner) renames the finished file; every rank learns whether that worked (the
// broadcast also orders the rename after every rank's close).
void publish(AtomicFile& out, const Communicator& world) {
  std::string failure;
  try {
    out.commit();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  world.broadcast(failure, 0);
  if (!failure.empty()) throw RuntimeFailure(failure);
}

// Checks, before any collective HDF5 call, that this rank's maps match its block; all ranks
// agree on the outcome, so a bad rank cannot leave the others waiting inside HDF5.
void check_blocks_agree(const AnalysisResult& r, const RsaProblem& problem,
                        const Communicator& world) {
  std::string problem_text;
  const BlockRange& b = r.block;
  if (b.layer_end > problem.layers.size() || b.time_end > problem.times.size()) {
    problem_text = "the block does not fit the " + std::to_string(problem.layers.size()) + " x " +
                   std::to_string(problem.times.size()) + " grid";
  } else if (r.writes_maps) {
    const std::size_t cells = b.cells();
    const bool thresholds_ok = r.cell_thresholds.size() == 0 || r.cell_thresholds.size() == cells;
    if (r.observed.size() != cells || r.p_uncorrected.size() != cells ||
        r.p_maxstat.size() != cells || r.p_cluster.size() != cells ||
        r.cluster_id.size() != cells || !thresholds_ok) {
      problem_text = "the maps do not hold the block's " + std::to_string(cells) + " cells";
    }
  }
  const std::int64_t ok = world.allreduce_min(problem_text.empty() ? 1 : 0);
  if (!problem_text.empty()) {
    throw InternalError("write_results: rank " + std::to_string(world.rank()) + ": " +
                        problem_text);
  }
  if (ok == 0) throw InternalError("write_results: another rank's result does not match its block");
}

}  // namespace

// Every failure throws on every rank with one message: the blocks are checked (and agreed on)
// first, and each collective step after them is agreed on (a full disk that only the writing
// rank sees included), so no rank is left waiting inside HDF5.
void write_results(const std::string& path, const RunSpec& spec, const RsaProblem& problem,
                   const AnalysisResult& result, const Communicator& world) {
  check_blocks_agree(result, problem, world);
  // Rank 0 creates the temporary (AtomicFile), then tells the others its name: one file for all
  // ranks, and no rank opens the name before it is rank 0's own regular file.
  std::optional<AtomicFile> out;
  std::string temp;
  agreed(world, [&] {
    if (world.rank() != 0) return;
    out.emplace(path);
    temp = out->temp_path();
  });
  world.broadcast(temp, 0);
  if (world.rank() != 0) out.emplace(path, temp, false);
  std::optional<h5::File> f;  // closed before `out` removes a failed file
  agreed(world, [&] { f.emplace(create_file(out->temp_path(), world)); });
  write_contents(*f, spec, problem, result, world);
  const bool parallel = f->is_parallel();
  agreed(world, [&] { f->close(); });  // collective in a parallel file
  if (parallel) agreed(world, [&] { check_complete(*out, world); });
  world.barrier();
  publish(*out, world);
}

}  // namespace permrsa
