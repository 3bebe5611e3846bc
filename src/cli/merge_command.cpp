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

#include "cli/commands.hpp"
#include "cli/finish_results.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_checks.hpp"
#include "permrsa/agreement.hpp"
#include "permrsa/config.hpp"
#include "permrsa/engine.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"
#include "permrsa/output_location.hpp"
#include "permrsa/shards.hpp"

namespace permrsa::cli {
namespace {

struct MergeOptionsCli {
  std::vector<std::string> shards;
  std::string out;
  EngineOptions engine;
};

int merge(const MergeOptionsCli& opt, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  MergedShards merged;
  agree(world, [&] {
    // --out may be neither a shard (checked before reading them) nor an input of the analysis.
    std::vector<FileRole> inputs;
    for (const auto& shard : opt.shards) inputs.push_back({shard, "a shard"});
    prepare_outputs({{opt.out, "--out"}}, inputs, world);
    merged = merge_shard_files(opt.shards);
    if (!merged.demo())
      for (auto& file : run_input_files(merged_spec(merged, opt.out))) inputs.push_back(file);
    check_output_locations({{opt.out, "--out"}}, inputs);
  });
  const NullState& m = merged.state;
  if (!m.complete()) {  // pass 1 of the permutation-p threshold: the second array's input
    write_pass1_file(merged, opt.out, world);
    spdlog::info(
        "wrote {}: pass 1 of K = {} from {} shards; next: the second array with --pass1-from {}",
        opt.out, m.permutations, opt.shards.size(), opt.out);
    return 0;
  }
  const auto a =
      prepare_analysis([&] { return merged_spec(merged, opt.out); },
                       merged.demo() ? AnalysisInput{EmbeddedDemo{}} : AnalysisInput{FilesInput{}},
                       opt.engine, world);
  agree(world, [&] { check_merged_inputs(merged, a); });
  RunOptions run_options = run_options_for(a, opt.engine);
  run_options.resume = &m;  // everything is done: only the observed data is computed
  auto result = run_prepared(a, run_options, world);
  finish_results(a, result, opt.out, world);
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
         "--memory-per-rank", opt->engine.memory_per_rank_gib,
         "Memory budget per rank in GiB: steers the automatic grid; permutations or bootstrap "
         "samples estimated to need more are refused up front (exit 2)")
      ->check(positive_number())
      ->capture_default_str();
  return [opt, &global] { return merge(*opt, global); };
}

}  // namespace permrsa::cli
