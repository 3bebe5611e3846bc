// write_layer_rdms: the output of `permrsa features`, a valid `models.file` for `permrsa run`.
#include "permrsa/atomic_file.hpp"
#include "io/h5_handles.hpp"
#include "permrsa/error.hpp"
#include "permrsa/features.hpp"
#include "io/file_hash.hpp"

namespace permrsa {

void write_layer_rdms(const std::string& path, const FeaturesSpec& spec, const LayerRdms& rdms,
                      const std::vector<std::string>& stimulus_names) {
  const std::size_t P = rdms.stimuli * (rdms.stimuli - 1) / 2;
  if (rdms.rdms.size() != rdms.layers.size() * P || stimulus_names.size() != rdms.stimuli)
    throw InternalError("write_layer_rdms: RDMs, layers and stimuli do not match");
  AtomicFile out(path);  // declared first: `f` closes before a failure removes the temporary
  {
    h5::File f = h5::File::create(out.temp_path());
    f.write<double>("/rdms", rdms.rdms, {rdms.layers.size(), P});
    f.write_strings("/layers", rdms.layers);
    f.write_strings("/stimuli", stimulus_names);
    f.set_attribute("/", "permrsa_version", std::string(PERMRSA_VERSION));
    f.set_attribute("/", "model", spec.model);
    f.set_attribute("/", "sha256_model", sha256_file(spec.model));
    f.set_attribute("/", "distance", std::string(to_string(spec.distance)));
    f.set_attribute("/", "preprocessing", spec.preprocessing.describe());
    f.set_attribute("/", "stimuli", static_cast<std::int64_t>(rdms.stimuli));
    f.set_attribute("/", "layout",
                    std::string("rdms: layers x pairs, condensed upper triangle "
                                "(0,1),(0,2),...,(S-2,S-1) as scipy squareform"));
    f.set_attribute("/rdms", "kind", std::string("dissimilarity"));
    f.close();
  }
  out.commit();
}

}  // namespace permrsa
