#include "io/generalisation_config.hpp"

#include <spdlog/spdlog.h>

#include "permrsa/error.hpp"

namespace permrsa::io {
namespace {

[[noreturn]] void refuse(const std::string& origin, const std::string& key,
                         const std::string& why) {
  throw InputError(origin + ": " + key + ": analysis.generalise = true " + why);
}

}  // namespace

void apply_generalisation(RunSpec& spec, bool connectivity_given, const std::string& origin) {
  if (!spec.analysis.generalise) return;
  const auto& m = spec.models;
  for (const auto& [key, value] :
       {std::pair{"models.file", m.file}, {"models.names", m.names}, {"models.stimuli", m.stimuli}})
    if (!value.empty())
      refuse(origin, key,
             "compares the brain RDM at t1 with the brain RDM at t2 and uses no models: "
             "expected no [models] (run the model analysis separately, without "
             "analysis.generalise)");
  if (spec.brain.layout == BrainLayout::subjects_layers_time)
    refuse(origin, "brain.layout",
           "needs brain RDMs; \"subjects-layers-time\" gives model-brain maps, which have none: "
           "expected \"pairs-time\", \"time-pairs\" or \"subjects-pairs-time\"");
  if (spec.covariates.enabled)
    refuse(origin, "[covariates]",
           "compares the brain with itself: partialling covariates out of it is not supported; "
           "expected no [covariates]");
  if (spec.bootstrap.enabled)
    refuse(origin, "[bootstrap]",
           "has no layers for the bootstrap's peak and onset latencies: expected no [bootstrap]");
  if (!spec.contrasts.pairs.empty())
    refuse(origin, "contrasts.pairs",
           "has no layers to contrast (its rows are time points): expected no [contrasts]");
  if (spec.analysis.scheme == Scheme::two_group)
    refuse(origin, "analysis.scheme",
           "is tested with \"stimulus\" (group RDMs) or \"sign-flip\" (per-subject RDMs); "
           "\"two-group\" time x time maps are not supported yet");
  if (spec.per_subject() && spec.analysis.scheme == Scheme::stimulus)
    refuse(origin, "analysis.scheme",
           "with per-subject brain RDMs tests each subject's own T x T map: expected "
           "\"sign-flip\" (the stimulus scheme permutes one t1 side, and here every subject has "
           "its own)");
  if (connectivity_given && spec.correction.connectivity == Connectivity::time)
    spdlog::info(
        "{}: correction.connectivity = \"time\" is replaced by \"layer-time\": the clusters of "
        "the T x T map join 4-neighbours (t1 +- 1 and t2 +- 1)",
        origin);
  spec.correction.connectivity = Connectivity::layer_time;
}

}  // namespace permrsa::io
