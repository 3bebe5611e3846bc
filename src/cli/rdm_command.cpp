// `permrsa rdm`: brain RDMs from EEG epochs (pairwise shrinkage LDA, crossnobis, correlation,
// euclidean), per subject and time point. Under MPI, the work is cut into (subject, time block)
// items, contiguous ranges of which go to the ranks; rank 0 gathers and writes one file. Every
// value is computed the same way whatever the layout, so the file does not depend on it.
#include <glob.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/mne_epochs.hpp"
#include "cli/output_checks.hpp"
#include "cli/progress_line.hpp"
#include "permrsa/agreement.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/brain_rdm_file.hpp"
#include "permrsa/condensed.hpp"
#include "permrsa/eeg_rdm.hpp"
#include "permrsa/epochs.hpp"
#include "permrsa/error.hpp"

namespace permrsa::cli {
namespace {

struct RdmOptions {
  std::vector<std::string> epochs, labels, times;
  std::string method = "lda", score = "accuracy", noise = "shrinkage-diag", out, decisions;
  RdmSpec spec;
  std::string command_line;
};

std::vector<std::string> expand(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const auto& pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string::npos) {
      out.push_back(pattern);
      continue;
    }
    glob_t found{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &found);
    std::vector<std::string> matches;
    if (rc == 0)
      for (std::size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
    ::globfree(&found);
    if (matches.empty())
      throw InputError("--epochs: expected files matching \"" + pattern + "\", found none");
    std::sort(matches.begin(), matches.end());
    out.insert(out.end(), matches.begin(), matches.end());
  }
  return out;
}

// --labels/--times: none, one for every subject, or one per subject.
std::string per_subject(const std::vector<std::string>& given, std::size_t n, std::size_t subjects,
                        const std::string& option) {
  if (given.empty()) return "";
  if (given.size() == 1) return given[0];
  if (given.size() != subjects)
    throw InputError(option + ": expected 1 source or one per subject (" +
                     std::to_string(subjects) + "), found " + std::to_string(given.size()));
  return given[n];
}

// The file of a source "file.h5:/dataset" or "file.npy" (the source itself when it is neither:
// reading it reports that).
std::string file_of(const std::string& source, const std::string& option) {
  try {
    return parse_array_source(source, option).file;
  } catch (const InputError&) {
    return source;
  }
}

// --out and --decision-values: before any work, and never onto an input (issue 15, D6 and D14).
void check_rdm_outputs(const RdmOptions& opt, const std::vector<std::string>& files,
                       const Communicator& world) {
  std::vector<FileRole> outputs{{opt.out, "--out"}};
  if (!opt.decisions.empty()) outputs.push_back({opt.decisions, "--decision-values"});
  std::vector<FileRole> inputs;
  for (const auto& f : files) inputs.push_back({file_of(f, "--epochs"), "--epochs"});
  for (const auto& f : opt.labels) inputs.push_back({file_of(f, "--labels"), "--labels"});
  for (const auto& f : opt.times) inputs.push_back({file_of(f, "--times"), "--times"});
  prepare_outputs(outputs, inputs, world);
}

struct Item {
  std::size_t subject, t_begin, t_end;
};

// Subjects x time blocks, enough blocks for every rank to get work; rank r gets the contiguous
// range [r I / R, (r+1) I / R).
std::vector<Item> work_items(std::size_t subjects, std::size_t times, std::size_t ranks) {
  const std::size_t blocks =
      std::min(times, std::max<std::size_t>(1, (ranks + subjects - 1) / subjects));
  const std::size_t width = (times + blocks - 1) / blocks;
  std::vector<Item> items;
  for (std::size_t n = 0; n < subjects; ++n)
    for (std::size_t t = 0; t < times; t += width)
      items.push_back({n, t, std::min(times, t + width)});
  return items;
}

// The method, score and noise options as the spec's enums.
RdmSpec resolve_spec(const RdmOptions& opt) {
  RdmSpec spec = opt.spec;
  spec.method = parse_rdm_method(opt.method);
  if (opt.score == "accuracy")
    spec.score = DecodingScore::accuracy;
  else if (opt.score == "roc-auc")
    spec.score = DecodingScore::roc_auc;
  else
    throw InputError("--score: expected accuracy or roc-auc, found \"" + opt.score + "\"");
  if (opt.noise == "shrinkage-diag")
    spec.noise = NoiseShrinkage::diagonal;
  else if (opt.noise == "shrinkage-eye")
    spec.noise = NoiseShrinkage::identity;
  else
    throw InputError("--noise: expected shrinkage-diag or shrinkage-eye, found \"" + opt.noise +
                     "\"");
  if (spec.window < 1) throw InputError("--window: expected at least 1 sample, found 0");
  return spec;
}

// Every subject's file header and trial design, checked against each other and the options.
struct RdmInputs {
  RdmSpec spec;
  std::vector<EpochsHeader> headers;
  std::vector<TrialDesign> designs;
};

RdmInputs read_rdm_inputs(const RdmOptions& opt, const std::vector<std::string>& files,
                          std::size_t ranks) {
  RdmInputs in;
  in.spec = resolve_spec(opt);
  for (std::size_t n = 0; n < files.size(); ++n) {
    const auto sources =
        epochs_sources(files[n], per_subject(opt.labels, n, files.size(), "--labels"),
                       per_subject(opt.times, n, files.size(), "--times"));
    in.headers.push_back(read_epochs_header(sources));
  }
  check_same_layout(in.headers);
  if (in.spec.method == RdmMethod::correlation && in.headers[0].channels < 2)
    throw InputError(in.headers[0].sources.data +
                     ": data: --method correlation: expected at least 2 channels "
                     "(a Pearson r between mean patterns over one channel is undefined), found " +
                     std::to_string(in.headers[0].channels));
  for (const auto& h : in.headers)
    in.designs.push_back(make_trial_design(h.labels, in.spec, h.sources.labels));
  if (!opt.decisions.empty() && (in.spec.method != RdmMethod::lda || in.headers.size() != 1 ||
                                 in.spec.pseudo_trials != 1 || ranks != 1))
    throw InputError(
        "--decision-values: only for --method lda on one subject, without "
        "pseudo-trials, in one process");
  return in;
}

// This rank's work items [first, last), each subject's data read once: their dissimilarities
// in item order, each item pairs x its time points.
std::vector<double> compute_items(const RdmInputs& in, const std::vector<Item>& items,
                                  std::size_t first, std::size_t last, bool show_progress,
                                  std::vector<double>* decisions) {
  const std::size_t N = in.headers.size(), T = in.headers[0].times, C = in.headers[0].channels;
  ProgressLine progress("rdm", show_progress);
  std::vector<double> mine;
  std::size_t loaded = N;
  std::vector<double> data;
  std::int64_t done = 0, total = 0;
  for (std::size_t i = first; i < last; ++i)
    total += static_cast<std::int64_t>(items[i].t_end - items[i].t_begin);
  for (std::size_t i = first; i < last; ++i) {
    const Item& item = items[i];
    if (loaded != item.subject) {
      data = read_epochs_data(in.headers[item.subject]);
      loaded = item.subject;
    }
    const auto values = subject_rdms(data, C, T, in.designs[item.subject], in.spec, item.t_begin,
                                     item.t_end, decisions);
    mine.insert(mine.end(), values.begin(), values.end());
    done += static_cast<std::int64_t>(item.t_end - item.t_begin);
    progress.update(done, total);
  }
  progress.finish();
  return mine;
}

// The gathered items (in item order) placed as subjects x pairs x time.
std::vector<double> place_items(const std::vector<double>& gathered, const std::vector<Item>& items,
                                std::size_t N, std::size_t P, std::size_t T) {
  std::vector<double> rdms(N * P * T, 0.0);
  std::size_t offset = 0;
  for (const Item& item : items) {
    const std::size_t nt = item.t_end - item.t_begin;
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t t = 0; t < nt; ++t)
        rdms[(item.subject * P + p) * T + item.t_begin + t] = gathered[offset + p * nt + t];
    offset += P * nt;
  }
  return rdms;
}

// As `permrsa features` does: an undefined dissimilarity (a stimulus whose mean pattern is
// constant over the channels has no correlation distance) is stored as NaN, said here, and
// refused by `permrsa run` with its position.
void warn_undefined(const BrainRdmFile& out, const RdmInputs& in, const std::string& method) {
  const std::size_t block = out.pairs * out.times;
  for (std::size_t n = 0; n < out.subjects; ++n) {
    const auto own = out.rdms.begin() + static_cast<std::ptrdiff_t>(n * block);
    const auto undefined = std::count_if(own, own + static_cast<std::ptrdiff_t>(block),
                                         [](double v) { return !std::isfinite(v); });
    if (undefined > 0)
      spdlog::warn(
          "{}: {} of {} dissimilarities (pairs x time points) are undefined ({} of a constant "
          "mean pattern); stored as NaN",
          in.headers[n].sources.data, undefined, block, method);
  }
}

std::string dissimilarity_description(const RdmSpec& spec) {
  switch (spec.method) {
    case RdmMethod::lda:
      return spec.score == DecodingScore::accuracy
                 ? "cross-validated pairwise decoding accuracy (chance 0.5)"
                 : "cross-validated pairwise ROC AUC (chance 0.5)";
    case RdmMethod::crossnobis:
      return "crossnobis distance / channels (rsatoolbox)";
    case RdmMethod::correlation:
      return "1 - Pearson r between mean patterns";
    default:
      return "Euclidean distance between mean patterns";
  }
}

// The root attributes that say how the dissimilarities were made.
void describe_rdms(BrainRdmFile& out, const RdmOptions& opt, const RdmSpec& spec) {
  const bool lda = spec.method == RdmMethod::lda;
  out.text_attributes = {
      {"created_by", std::string("permrsa ") + PERMRSA_VERSION + " rdm"},
      {"command_line", opt.command_line},
      {"method", opt.method},
      {"dissimilarity", dissimilarity_description(spec)},
      {"classifier",
       lda ? "scikit-learn 1.2 LinearDiscriminantAnalysis(solver=\"lsqr\", shrinkage=\"auto\")"
           : "none"},
      {"score", lda ? opt.score : "none"},
      {"noise", spec.method == RdmMethod::crossnobis ? opt.noise : "none"},
      {"fold_rule", "within each stimulus, the k-th trial in file order is in fold k mod folds"},
      {"pseudo_trial_rule",
       "within each stimulus and fold, trials in file order averaged in groups of "
       "pseudo_trials; a remainder joins the last group"},
      {"window_rule",
       "mean over samples t - floor((w-1)/2) ... t + ceil((w-1)/2) inside the epoch"},
      {"layout", out.subjects == 1 ? "pairs-time" : "subjects-pairs-time"}};
  out.integer_attributes = {{"folds", static_cast<std::int64_t>(spec.folds)},
                            {"cross_validated", cross_validated(spec.method) ? 1 : 0},
                            {"window", static_cast<std::int64_t>(spec.window)},
                            {"pseudo_trials", static_cast<std::int64_t>(spec.pseudo_trials)},
                            {"subjects", static_cast<std::int64_t>(out.subjects)}};
}

// `files`: the --epochs files, globs expanded and MNE files converted (`mne`).
int rdm_of_files(const RdmOptions& opt, const std::vector<std::string>& files,
                 const ConvertedMneEpochs& mne, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  const auto R = static_cast<std::size_t>(world.size()), r = static_cast<std::size_t>(world.rank());
  RdmInputs in;
  agree(world, [&] { in = read_rdm_inputs(opt, files, R); });
  const std::size_t N = in.headers.size(), T = in.headers[0].times, C = in.headers[0].channels;
  const std::size_t P = pair_count(in.designs[0].stimuli.size());
  const auto items = work_items(N, T, R);
  const std::size_t first = r * items.size() / R, last = (r + 1) * items.size() / R;
  spdlog::info(
      "{} subject(s), {} stimuli ({} pairs), {} channels, {} time points; method {}, {} folds; "
      "{} work items over {} rank(s)",
      N, in.designs[0].stimuli.size(), P, C, T, opt.method, in.spec.folds, items.size(), R);

  std::vector<double> mine;
  std::vector<double> decisions;
  agree(world, [&] {
    mine = compute_items(in, items, first, last, global.progress && world.rank() == 0,
                         opt.decisions.empty() ? nullptr : &decisions);
  });

  const auto gathered = world.gatherv(mine, 0);
  agree(world, [&] {
    if (world.rank() != 0) return;
    BrainRdmFile out;
    out.subjects = N;
    out.pairs = P;
    out.times = T;
    out.rdms = place_items(gathered, items, N, P, T);
    warn_undefined(out, in, opt.method);
    out.time = in.headers[0].time;
    out.stimuli = in.designs[0].stimuli;
    out.stimulus_names = stimulus_names(in.headers, out.stimuli);
    for (std::size_t n = 0; n < N; ++n) {
      out.folds.push_back(in.designs[n].trial_fold);
      out.subject_sources.push_back(mne.original_source(in.headers[n].sources.data));
    }
    describe_rdms(out, opt, in.spec);
    write_brain_rdm_file(opt.out, out);
    if (!opt.decisions.empty())
      write_decision_values(opt.decisions, decisions, P, T, in.designs[0].trial_fold,
                            in.headers[0].labels);
    spdlog::info("wrote {}: /rdms {}, /mean ({}, {})", opt.out,
                 N == 1 ? "(" + std::to_string(P) + ", " + std::to_string(T) + ")"
                        : "(" + std::to_string(N) + ", " + std::to_string(P) + ", " +
                              std::to_string(T) + ")",
                 P, T);
  });
  return 0;
}

int rdm(const RdmOptions& opt, const GlobalOptions& global) {
  const Communicator& world = global.runtime->world();
  // Every rank converts its own copy of the MNE files into its own temporary folder: nothing
  // assumes a file system shared between the ranks.
  ConvertedMneEpochs mne;
  std::vector<std::string> files;
  agree(world, [&] {
    const auto given = expand(opt.epochs);
    check_rdm_outputs(opt, given, world);  // before any work, and never onto an input
    files = mne.convert(given, opt.epochs);
  });
  try {
    return rdm_of_files(opt, files, mne, global);
  } catch (const AgreedFailure& e) {
    throw AgreedFailure(e.exit_code(), mne.with_original_names(e.what()));
  }
}

}  // namespace

std::function<int()> add_rdm_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<RdmOptions>();
  auto* cmd = app.add_subcommand("rdm",
                                 "Brain RDMs from EEG/MEG epochs: pairwise shrinkage-LDA decoding "
                                 "or cross-validated distances, per subject and time point");
  cmd->add_option("--epochs", opt->epochs,
                  "Epochs (trials x channels x times): file.h5 (/data, /labels, /times), file.mat "
                  "(data, labels, times), file.npy (with --labels, --times), file.h5:/dataset, "
                  "or MNE-Python's x-epo.fif (converted by python3 -m permrsa.from_mne); "
                  "several files or quoted globs give several subjects")
      ->required();
  cmd->add_option("--labels", opt->labels,
                  "Stimulus label per trial (one source, or one per subject)");
  cmd->add_option("--times", opt->times, "Time axis in seconds (one source, or one per subject)");
  cmd->add_option("--method", opt->method, "lda | correlation | euclidean | crossnobis")
      ->capture_default_str();
  cmd->add_option("--folds", opt->spec.folds,
                  "Cross-validation folds (stratified: k-th trial of a stimulus in fold k mod F)")
      ->capture_default_str();
  cmd->add_option("--score", opt->score, "lda score: accuracy | roc-auc")->capture_default_str();
  cmd->add_option("--window", opt->spec.window, "Average w samples around each time point")
      ->capture_default_str();
  cmd->add_option("--pseudo-trials", opt->spec.pseudo_trials,
                  "Average g trials of the same stimulus within each fold into one pseudo-trial")
      ->capture_default_str();
  cmd->add_option("--noise", opt->noise,
                  "crossnobis noise covariance (rsatoolbox): shrinkage-diag | shrinkage-eye")
      ->capture_default_str();
  cmd->add_option("--out", opt->out, "Output HDF5 file")->required();
  cmd->add_option("--decision-values", opt->decisions,
                  "Also write every test trial's LDA decision value to this HDF5 file (/decision: "
                  "pairs x times x trials, NaN outside the pair); one subject, one process");
  return [opt, &global, cmd] {
    // The options that decide the values (not --out, --threads, --progress, ...), so that the
    // file is the same whatever the output name, thread count or rank count.
    opt->command_line = "permrsa rdm";
    const std::vector<std::string> recorded{"epochs", "labels", "times",         "method", "folds",
                                            "score",  "window", "pseudo-trials", "noise"};
    for (const auto& o : cmd->get_options())
      if (o->count() > 0 && !o->get_lnames().empty() &&
          std::find(recorded.begin(), recorded.end(), o->get_lnames()[0]) != recorded.end())
        for (const auto& v : o->results())
          opt->command_line += " --" + o->get_lnames()[0] + " " + v;
    return rdm(*opt, global);
  };
}

}  // namespace permrsa::cli
