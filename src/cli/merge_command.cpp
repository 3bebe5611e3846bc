// `permrsa merge SHARDS... --out FILE`: the shards of Slurm array tasks (`permrsa run
// --permutations A:B --shard-out`) into the results file one run writes, bit for bit.
//
// The shards must cover 0..K exactly once (each pass of the permutation-p threshold), and carry
// the same config, input files, seed and permrsa version. The merge then reads the inputs again
// (their sha256 must still match) for what needs no permutation: the observed maps and clusters,
// the noise ceiling and the bootstrap. With the permutation-p threshold and only pass-1 shards,
// the merge writes the pass-1 file that the second array reads (`--pass1-from`).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "cli/agreement.hpp"
#include "cli/analysis_setup.hpp"
#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_checks.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"
#include "permrsa/null_state_file.hpp"

namespace permrsa::cli {
namespace {

struct MergeOptionsCli {
  std::vector<std::string> shards;
  std::string out;
  GridOptions grid;
};

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

// Reads, checks and adds up the shards; InputError naming the shards and ranges at fault.
NullStateFile merge_shards(const std::vector<std::string>& paths) {
  std::vector<LoadedShard> shards;
  for (const auto& path : paths) {
    require_regular_file(path, path + ": shard file");
    shards.push_back({path, read_null_state(path)});
  }
  const auto& first = shards.front();
  for (const auto& s : shards) {
    if (const auto why = origin_mismatch(first.file.origin, s.file.origin); !why.empty())
      throw InputError(first.path + " and " + s.path +
                       ": expected shards of one analysis, found different " + why);
  }
  // In k order, so that a message names neighbours.
  std::sort(shards.begin(), shards.end(), [](const LoadedShard& a, const LoadedShard& b) {
    auto key = [](const LoadedShard& s) {
      const auto& r = s.file.state.pass1.empty() ? s.file.state.pass2 : s.file.state.pass1;
      return std::make_pair(s.file.state.pass1.empty() ? 1 : 0,
                            r.empty() ? std::int64_t{0} : r.front().first);
    };
    return key(a) < key(b);
  });
  NullStateFile merged{"pass1", first.file.origin, NullState{}};
  const NullState& f = first.file.state;
  merged.state = NullState::empty(f.permutations, f.cells, f.two_pass, f.tfce, f.top_capacity);
  std::vector<const LoadedShard*> added;
  for (const auto& s : shards) {
    for (const auto* other : added) {
      const auto why = merge_conflict(other->file.state, s.file.state);
      if (!why.empty())
        throw InputError(other->path + " and " + s.path + ": cannot be merged: " + why);
    }
    merged.state.absorb(s.file.state);
    added.push_back(&s);
  }
  const NullState& m = merged.state;
  const KRanges all{m.all()};
  auto require = [&](const KRanges& have, bool pass2) {
    const auto missing = subtract(all, have);
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

// The config the shards were computed with, as the merge runs it (output.file = --out).
RunSpec merged_spec(const NullStateFile& merged, const MergeOptionsCli& opt) {
  RunSpec spec = parse_run_spec(merged.origin.config, opt.shards.front() + " (config)", "", {});
  spec.output.file = opt.out;
  spec.resolved_toml = to_toml(spec);
  return spec;
}

int merge(const MergeOptionsCli& opt, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  NullStateFile merged;
  agree(world, [&] {
    // --out may be neither a shard (checked before reading them) nor an input of the analysis.
    std::vector<FileRole> inputs;
    for (const auto& shard : opt.shards) inputs.push_back({shard, "a shard"});
    prepare_outputs({{opt.out, "--out"}}, inputs, world);
    merged = merge_shards(opt.shards);
    if (merged.origin.inputs != "embedded-demo")
      for (auto& file : run_input_files(merged_spec(merged, opt))) inputs.push_back(file);
    check_output_locations({{opt.out, "--out"}}, inputs);
  });
  const NullState& m = merged.state;
  if (!m.complete()) {  // pass 1 of the permutation-p threshold: the second array's input
    agree(world, [&] {
      if (world.rank() == 0) write_null_state(opt.out, merged);
    });
    spdlog::info(
        "wrote {}: pass 1 of K = {} from {} shards; next: the second array with --pass1-from {}",
        opt.out, m.permutations, opt.shards.size(), opt.out);
    return 0;
  }
  const auto a = prepare_analysis([&] { return merged_spec(merged, opt); },
                                  merged.origin.inputs == "embedded-demo", opt.grid, world,
                                  [](const RunSpec&) {});  // checked above
  agree(world, [&] {
    if (const auto why = origin_mismatch(merged.origin, origin_of(a)); !why.empty())
      throw InputError(opt.shards.front() +
                       ": the inputs changed since the shards were computed: " + why);
  });
  RunOptions run_options = run_options_for(a, opt.grid);
  run_options.resume = &m;  // everything is done: only the observed data is computed
  auto result = run_analysis(a.problem, a.spec.analysis, a.spec.correction, a.design, a.grid, world,
                             run_options);
  finish_and_write(a, result, opt.out, world);
  return 0;
}

}  // namespace

std::function<int()> add_merge_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<MergeOptionsCli>();
  auto* cmd = app.add_subcommand("merge",
                                 "Merge the shards of `permrsa run --permutations A:B --shard-out` "
                                 "(Slurm array tasks) into the results file one run writes");
  cmd->add_option("shards", opt->shards, "Shard files covering permutations 0..K exactly once")
      ->required();
  cmd->add_option("--out", opt->out,
                  "The results file (or, with pass-1 shards of the permutation-p "
                  "threshold, the pass-1 file for --pass1-from)")
      ->required();
  cmd->add_option(
         "--memory-per-rank", opt->grid.memory_per_rank_gib,
         "Memory budget per rank in GiB: steers the automatic grid; permutations or bootstrap "
         "samples estimated to need more are refused up front (exit 2)")
      ->check(positive_number())
      ->capture_default_str();
  return [opt, &global] { return merge(*opt, global); };
}

}  // namespace permrsa::cli
