#include "permrsa/shards.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "io/null_state_file.hpp"
#include "permrsa/agreement.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {
namespace {

NullStateOrigin origin_of(const MergedShards& m) {
  return {m.config, m.inputs, m.seed, m.version};
}

// What a shard or checkpoint of this analysis must carry to be merged or resumed.
NullStateOrigin origin_of(const PreparedAnalysis& a) {
  NullStateOrigin o;
  RunSpec spec = a.spec;
  spec.output.file = "results.h5";  // where the results go is not part of what they are
  o.config = to_toml(spec);
  for (const auto& [key, sha] : a.problem.input_hashes) o.inputs += key + "=" + sha + ";";
  if (o.inputs.empty()) o.inputs = a.demo() ? "embedded-demo" : "none";
  o.seed = static_cast<std::uint64_t>(a.spec.analysis.seed);
  o.version = PERMRSA_VERSION;
  return o;
}

NullStateFile read_checked(const PreparedAnalysis& a, const std::string& path,
                           const std::string& option) {
  auto f = read_null_state(path);
  if (const auto why = origin_mismatch(f.origin, origin_of(a)); !why.empty())
    throw InputError(path + " (" + option + "): refusing a file written for another analysis: " +
                     why + (option == "--checkpoint" ? "; delete it to start over" : ""));
  const std::int64_t K = a.design.count();
  const std::size_t cells = a.shape.layers * a.shape.times;
  const bool two_pass = a.spec.correction.cluster_threshold == ClusterThreshold::permutation_p;
  if (f.state.permutations != K || f.state.cells != cells || f.state.two_pass != two_pass)
    throw InputError(path + " (" + option + "): expected K = " + std::to_string(K) + " over " +
                     std::to_string(cells) +
                     " cells, found K = " + std::to_string(f.state.permutations) + " over " +
                     std::to_string(f.state.cells));
  return f;
}

NullState pass1_for_stage2(const PreparedAnalysis& a, const std::string& path) {
  auto f = read_checked(a, path, "--pass1-from");
  const std::int64_t K = a.design.count();
  if (!f.state.pass1_complete())
    throw InputError(path +
                     " (--pass1-from): expected pass 1 over all of 0:" + std::to_string(K + 1) +
                     " (the output of `permrsa merge` over the first array's shards), found " +
                     describe(f.state.pass1));
  f.state.pass2.clear();
  return std::move(f.state);
}

NullState checkpoint_in_range(const PreparedAnalysis& a, const std::string& path,
                              const PlannedRun& p, const KRanges& target1, const KRanges& target2) {
  auto f = read_checked(a, path, "--checkpoint");
  const bool fits =
      (p.stage2 ? f.state.pass1_complete() : subtract(f.state.pass1, target1).empty()) &&
      subtract(f.state.pass2, target2).empty();
  if (!fits)
    throw InputError(path + " (--checkpoint): holds permutations " + describe(f.state.pass1) +
                     (p.two_pass ? " (pass 1) and " + describe(f.state.pass2) + " (pass 2)" : "") +
                     ", outside this run's " + describe(p.stage2 ? target2 : target1) +
                     "; delete it to start over");
  return std::move(f.state);
}

void check_request(const PreparedAnalysis& a, const RunRequest& r, bool two_pass) {
  if (!r.permutations.empty() && r.shard_out.empty())
    throw InputError("--permutations " + r.permutations +
                     ": a range of permutations is a shard; "
                     "expected --shard-out FILE with it");
  if (!r.pass1_from.empty() && !two_pass)
    throw InputError("--pass1-from " + r.pass1_from +
                     ": only the permutation-p cluster threshold "
                     "(correction.cluster_threshold = \"permutation-p\") has a second pass; this "
                     "config uses \"" +
                     std::string(to_string(a.spec.correction.cluster_threshold)) + "\"");
}

}  // namespace

PlannedRun plan_run(const PreparedAnalysis& a, const EngineOptions& engine,
                    const RunRequest& request, const Communicator& world) {
  PlannedRun p;
  p.options = run_options_for(a, engine);
  p.two_pass = a.spec.correction.cluster_threshold == ClusterThreshold::permutation_p;
  p.stage2 = !request.pass1_from.empty();
  const std::int64_t K = a.design.count();
  const KRange all{0, K + 1}, none{0, 0};
  agree(world, [&] {
    check_request(a, request, p.two_pass);
    const KRange range = request.permutations.empty()
                             ? all
                             : parse_k_range(request.permutations, K, "--permutations");
    KRanges target1{all}, target2{p.two_pass ? all : none};
    if (!request.shard_out.empty()) {  // one stage's range
      target1 = p.stage2 ? KRanges{} : KRanges{range};
      target2 = p.stage2 ? KRanges{range} : KRanges{};
      p.options.pass1 = p.stage2 ? none : range;
      p.options.pass2 = p.stage2 ? range : none;
    }
    if (p.stage2) p.resume = pass1_for_stage2(a, request.pass1_from);
    if (!request.checkpoint.empty() && std::filesystem::exists(request.checkpoint)) {
      p.resume = checkpoint_in_range(a, request.checkpoint, p, target1, target2);
      p.resumes_checkpoint = true;
    }
  });
  p.options.export_state = !request.shard_out.empty();
  p.options.checkpoint.seconds = request.checkpoint_seconds;
  p.options.checkpoint.permutations = request.checkpoint_every;
  return p;
}

void save_checkpoint(const PreparedAnalysis& a, const std::string& path, const NullState& state) {
  write_null_state(path, {"checkpoint", origin_of(a), state});
}

void write_shard(const PreparedAnalysis& a, const AnalysisResult& result, const PlannedRun& plan,
                 const RunRequest& request, const Communicator& world) {
  NullState state = world.rank() == 0 ? *result.state : NullState{};
  if (plan.stage2) state = state.only_pass2();
  const NullStateFile file{"shard", origin_of(a), std::move(state)};
  agree(world, [&] {  // rank 0 writes; every rank learns whether that worked
    if (world.rank() == 0) write_null_state(request.shard_out, file);
  });
}

namespace {

struct LoadedShard {
  std::string path;
  NullStateFile file;
};

// What each shard holds, for messages: "a.h5 (0:100), b.h5 (100:201)".
std::string holdings(const std::vector<LoadedShard>& shards, bool pass2) {
  std::string text;
  for (const auto& s : shards) {
    const auto& r = pass2 ? s.file.state.pass2 : s.file.state.pass1;
    if (r.empty()) continue;
    text += (text.empty() ? "" : ", ") + s.path + " (" + describe(r) + ")";
  }
  return text.empty() ? "none" : text;
}

// The shards read and checked for being of one analysis, in k order (so that a message names
// neighbours).
std::vector<LoadedShard> load_shards(const std::vector<std::string>& paths) {
  std::vector<LoadedShard> shards;
  for (const auto& path : paths) {
    require_regular_file(path, path + ": shard file");
    shards.push_back({path, read_null_state(path)});
  }
  const auto& first = shards.front();
  for (const auto& s : shards)
    if (const auto why = origin_mismatch(first.file.origin, s.file.origin); !why.empty())
      throw InputError(first.path + " and " + s.path +
                       ": expected shards of one analysis, found different " + why);
  std::sort(shards.begin(), shards.end(), [](const LoadedShard& a, const LoadedShard& b) {
    auto key = [](const LoadedShard& s) {
      const auto& r = s.file.state.pass1.empty() ? s.file.state.pass2 : s.file.state.pass1;
      return std::make_pair(s.file.state.pass1.empty() ? 1 : 0,
                            r.empty() ? std::int64_t{0} : r.front().first);
    };
    return key(a) < key(b);
  });
  return shards;
}

}  // namespace

MergedShards merge_shard_files(const std::vector<std::string>& paths) {
  const auto shards = load_shards(paths);
  const NullStateFile& first = shards.front().file;
  const NullState& f = first.state;
  MergedShards merged;
  merged.config = first.origin.config;
  merged.inputs = first.origin.inputs;
  merged.seed = first.origin.seed;
  merged.version = first.origin.version;
  merged.first = paths.front();
  merged.state = NullState::empty(f.permutations, f.cells, f.two_pass, f.tfce, f.top_capacity);
  std::vector<const LoadedShard*> added;
  for (const auto& s : shards) {
    for (const auto* other : added)
      if (const auto why = merge_conflict(other->file.state, s.file.state); !why.empty())
        throw InputError(other->path + " and " + s.path + ": cannot be merged: " + why);
    merged.state.absorb(s.file.state);
    added.push_back(&s);
  }
  const NullState& m = merged.state;
  auto require = [&](const KRanges& have, bool pass2) {
    const auto missing = subtract(KRanges{m.all()}, have);
    if (missing.empty()) return;
    throw InputError("the shards do not cover 0:" + std::to_string(m.permutations + 1) +
                     (m.two_pass ? (pass2 ? " in pass 2" : " in pass 1") : "") +
                     ": missing permutations " + describe(missing) + "; the shards hold " +
                     holdings(shards, pass2));
  };
  require(m.pass1, false);
  merged.state.settle_thresholds();
  if (m.two_pass && !m.pass2.empty()) require(m.pass2, true);
  return merged;
}

void write_pass1_file(const MergedShards& merged, const std::string& path,
                      const Communicator& world) {
  // The origin all shards agreed on.
  const NullStateFile file{"pass1", origin_of(merged), merged.state};
  agree(world, [&] {
    if (world.rank() == 0) write_null_state(path, file);
  });
}

RunSpec merged_spec(const MergedShards& merged, const std::string& out) {
  RunSpec spec = parse_run_spec(merged.config, merged.first + " (config)", "", {});
  spec.output.file = out;
  spec.resolved_toml = to_toml(spec);
  return spec;
}

void check_merged_inputs(const MergedShards& merged, const PreparedAnalysis& a) {
  if (const auto why = origin_mismatch(origin_of(merged), origin_of(a)); !why.empty())
    throw InputError(merged.first + ": the inputs changed since the shards were computed: " + why);
}

}  // namespace permrsa
