// Layout: root attributes format, kind, permrsa_version, config, inputs, seed, permutations,
// cells, two_pass, tfce, top_capacity, top_held; datasets /pass1 and /pass2 (n x 2 int64,
// half-open k ranges), /exceed (cells, int64), /max_statistic, /max_cluster, /max_tfce (one value
// per k of the ranges that hold them, in range order: pass1's, or pass2's for max_cluster in
// two-pass), /top_values (cells x top_held), /thresholds (cells, or empty).
#include "io/null_state_file.hpp"

#include "io/h5_handles.hpp"
#include "permrsa/atomic_file.hpp"
#include "permrsa/config.hpp"
#include "permrsa/error.hpp"
#include "permrsa/input_file.hpp"

namespace permrsa {
namespace {

using h5::hsize_t;
constexpr const char* kFormat = "permrsa-null-state-1";

std::vector<std::int64_t> flat(const KRanges& ranges) {
  std::vector<std::int64_t> out;
  for (const auto& r : ranges) out.insert(out.end(), {r.first, r.last});
  return out;
}

std::vector<double> at_ks(const std::vector<double>& values, const KRanges& ranges) {
  std::vector<double> out;
  for (const auto& r : ranges)
    for (std::int64_t k = r.first; k < r.last; ++k)
      out.push_back(values[static_cast<std::size_t>(k)]);
  return out;
}

// The largest K a state of this config can hold: analysis.permutations (full enumeration
// only lowers it), or, with a permutation file, as many as a 2^40-row file could hold.
std::int64_t permutation_bound(const std::string& config, const std::string& path) {
  const RunSpec spec = parse_run_spec(config, path + " (attribute config)", "", {});
  if (!spec.analysis.permutation_file.empty()) return std::int64_t{1} << 40;
  return spec.analysis.permutations;
}

}  // namespace

std::string origin_mismatch(const NullStateOrigin& a, const NullStateOrigin& b) {
  if (a.seed != b.seed) return "seed " + std::to_string(a.seed) + " vs " + std::to_string(b.seed);
  if (a.version != b.version) return "permrsa version " + a.version + " vs " + b.version;
  if (a.inputs != b.inputs) return "input files (sha256 " + a.inputs + " vs " + b.inputs + ")";
  if (a.config != b.config) return "config (the resolved configs differ)";
  return "";
}

void write_null_state(const std::string& path, const NullStateFile& file) {
  const NullState& s = file.state;
  AtomicFile out(path);  // declared first: `f` closes before a failure removes the temporary
  auto f = h5::File::create(out.temp_path());
  f.set_attribute("/", "format", std::string(kFormat));
  f.set_attribute("/", "kind", file.kind);
  f.set_attribute("/", "permrsa_version", file.origin.version);
  f.set_attribute("/", "config", file.origin.config);
  f.set_attribute("/", "inputs", file.origin.inputs);
  f.set_attribute("/", "seed", file.origin.seed);
  f.set_attribute("/", "permutations", s.permutations);
  f.set_attribute("/", "cells", static_cast<std::int64_t>(s.cells));
  f.set_attribute("/", "two_pass", static_cast<std::int64_t>(s.two_pass));
  f.set_attribute("/", "tfce", static_cast<std::int64_t>(s.tfce));
  f.set_attribute("/", "top_capacity", static_cast<std::int64_t>(s.top_capacity));
  f.set_attribute("/", "top_held", static_cast<std::int64_t>(s.top_held));
  f.write<std::int64_t>("/pass1", flat(s.pass1), {s.pass1.size(), 2});
  f.write<std::int64_t>("/pass2", flat(s.pass2), {s.pass2.size(), 2});
  const bool has_pass1 = !s.pass1.empty();
  f.write<std::int64_t>("/exceed", has_pass1 ? s.exceed : std::vector<std::int64_t>{},
                        {has_pass1 ? s.cells : 0});
  const auto stat = at_ks(s.max_statistic, s.pass1);
  f.write<double>("/max_statistic", stat, {stat.size()});
  const auto clust = at_ks(s.max_cluster, s.two_pass ? s.pass2 : s.pass1);
  f.write<double>("/max_cluster", clust, {clust.size()});
  const auto tfce = s.tfce ? at_ks(s.max_tfce, s.pass1) : std::vector<double>{};
  f.write<double>("/max_tfce", tfce, {tfce.size()});
  f.write<double>("/top_values", s.top_values, {s.top_values.empty() ? 0 : s.cells, s.top_held});
  f.write<double>("/thresholds", s.thresholds, {s.thresholds.size()});
  f.close();
  out.commit();
}

namespace {

[[noreturn]] void bad_attribute(const std::string& path, const char* name,
                                const std::string& expected, std::int64_t found) {
  throw InputError(path + ": attribute " + name + ": expected " + expected + ", found " +
                   std::to_string(found));
}

// The format, kind and origin attributes.
void read_identity(const h5::File& f, const std::string& path, NullStateFile& out) {
  if (!f.has_attribute("/", "format") || f.attribute_string("/", "format") != kFormat)
    throw InputError(path + ": expected a permrsa shard or checkpoint (attribute format = \"" +
                     std::string(kFormat) + "\"), found " +
                     (f.has_attribute("/", "format")
                          ? "\"" + f.attribute_string("/", "format") + "\""
                          : "none"));
  out.kind = f.attribute_string("/", "kind");
  if (out.kind != "shard" && out.kind != "pass1" && out.kind != "checkpoint")
    throw InputError(path + ": attribute kind: expected \"shard\", \"pass1\" or " +
                     "\"checkpoint\", found \"" + out.kind + "\"");
  out.origin = {f.attribute_string("/", "config"), f.attribute_string("/", "inputs"),
                f.attribute_uint64("/", "seed"), f.attribute_string("/", "permrsa_version")};
}

// The sizes size every vector of the state: checked before anything is allocated, so that a
// damaged attribute is an input error, not std::bad_alloc. Returns the empty state.
NullState read_sizes(const h5::File& f, const std::string& path, const std::string& config,
                     std::int64_t& top_held) {
  const std::int64_t permutations = f.attribute_int64("/", "permutations");
  const std::int64_t cells = f.attribute_int64("/", "cells");
  const std::int64_t top_capacity = f.attribute_int64("/", "top_capacity");
  top_held = f.attribute_int64("/", "top_held");
  const std::int64_t config_k = permutation_bound(config, path);
  if (permutations < 1 || permutations > config_k)
    bad_attribute(
        path, "permutations",
        "K from 1 to " + std::to_string(config_k) + " (analysis.permutations of its config)",
        permutations);
  for (const char* flag : {"two_pass", "tfce"}) {
    const std::int64_t value = f.attribute_int64("/", flag);
    if (value != 0 && value != 1) bad_attribute(path, flag, "0 or 1", value);
  }
  if (top_capacity < 0 || top_capacity > permutations + 1)
    bad_attribute(path, "top_capacity", "0 to K + 1 = " + std::to_string(permutations + 1),
                  top_capacity);
  if (top_held < 0 || top_held > top_capacity)
    bad_attribute(path, "top_held", "0 to top_capacity = " + std::to_string(top_capacity),
                  top_held);
  // cells (L x T) is the length of /exceed and /thresholds when they hold values.
  if (cells < 1) bad_attribute(path, "cells", "at least 1 (layers x time points)", cells);
  for (const char* name : {"/exceed", "/thresholds"}) {
    const auto shape = f.dataset_info(name).shape;
    if (shape.size() != 1 || (shape[0] != 0 && shape[0] != static_cast<h5::hsize_t>(cells)))
      throw InputError(path + ": " + name + ": expected 0 or cells = " + std::to_string(cells) +
                       " values (attribute cells), found " +
                       (shape.size() == 1 ? std::to_string(shape[0])
                                          : "a " + std::to_string(shape.size()) + "-D dataset"));
  }
  return NullState::empty(
      permutations, static_cast<std::size_t>(cells), f.attribute_int64("/", "two_pass") != 0,
      f.attribute_int64("/", "tfce") != 0, static_cast<std::size_t>(top_capacity));
}

// An n x 2 dataset of sorted, disjoint [first, last) ranges within 0 .. K + 1.
KRanges read_ranges(const h5::File& f, const std::string& path, const std::string& name,
                    std::int64_t permutations) {
  std::vector<h5::hsize_t> shape;
  const auto v = f.read<std::int64_t>(name, &shape);
  if (shape.size() != 2 || shape[1] != 2)
    throw InputError(path + ": " + name + ": expected an n x 2 array of [first, last) ranges, " +
                     "found " + std::to_string(shape.size()) + "-D data");
  KRanges r;
  for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
    if (v[i] < 0 || v[i + 1] > permutations + 1 || v[i] >= v[i + 1])
      throw InputError(path + ": " + name +
                       ": expected ranges within 0:" + std::to_string(permutations + 1) +
                       ", found " + std::to_string(v[i]) + ":" + std::to_string(v[i + 1]));
    r.push_back({v[i], v[i + 1]});
  }
  if (normalized(r) != r || count(normalized(r)) != count(r))
    throw InputError(path + ": " + name + ": expected sorted, disjoint ranges, found " +
                     describe(r));
  return r;
}

void expect_size(const std::string& path, const std::string& name, std::size_t found,
                 std::size_t expected) {
  if (found != expected)
    throw InputError(path + ": " + name + ": expected " + std::to_string(expected) +
                     " values, found " + std::to_string(found));
}

// One value per permutation k of the ranges `r`, stored in k order.
void read_per_k(const h5::File& f, const std::string& path, const std::string& name,
                const KRanges& r, std::vector<double>& to) {
  const auto v = f.read<double>(name);
  expect_size(path, name, v.size(), static_cast<std::size_t>(count(r)));
  std::size_t at = 0;
  for (const auto& x : r)
    for (std::int64_t k = x.first; k < x.last; ++k) to[static_cast<std::size_t>(k)] = v[at++];
}

// An exceedance count counts permutations k >= 1 of pass 1: it cannot pass their number.
void read_exceedances(const h5::File& f, const std::string& path, NullState& s) {
  s.exceed = f.read<std::int64_t>("/exceed");
  expect_size(path, "/exceed", s.exceed.size(), s.cells);
  const std::int64_t done = count(s.pass1) - (s.pass1.front().first == 0 ? 1 : 0);
  for (std::size_t c = 0; c < s.exceed.size(); ++c)
    if (s.exceed[c] < 0 || s.exceed[c] > done)
      throw InputError(path + ": /exceed: expected counts from 0 to " + std::to_string(done) +
                       " (the permutations k >= 1 in /pass1), found " +
                       std::to_string(s.exceed[c]) + " at cell " + std::to_string(c));
}

}  // namespace

NullStateFile read_null_state(const std::string& path) {
  NullStateFile out;
  require_regular_file(path, path + ": shard or checkpoint");
  try {
    const auto f = h5::File::open_read(path);
    read_identity(f, path, out);
    std::int64_t top_held = 0;
    NullState& s = out.state;
    s = read_sizes(f, path, out.origin.config, top_held);
    s.pass1 = read_ranges(f, path, "/pass1", s.permutations);
    s.pass2 = read_ranges(f, path, "/pass2", s.permutations);
    if (!s.pass1.empty()) read_exceedances(f, path, s);
    read_per_k(f, path, "/max_statistic", s.pass1, s.max_statistic);
    read_per_k(f, path, "/max_cluster", s.two_pass ? s.pass2 : s.pass1, s.max_cluster);
    if (s.tfce) read_per_k(f, path, "/max_tfce", s.pass1, s.max_tfce);
    s.top_held = static_cast<std::size_t>(top_held);
    s.top_values = f.read<double>("/top_values");
    expect_size(path, "/top_values", s.top_values.size(),
                s.top_values.empty() ? 0 : s.cells * s.top_held);
    s.thresholds = f.read<double>("/thresholds");
  } catch (const h5::Error& error) {
    throw InputError(path +
                     ": expected a complete permrsa shard or checkpoint, but it cannot be read (" +
                     error.action() + " " + error.object() + ": " + error.detail() +
                     "); a truncated or unfinished file?");
  }
  return out;
}

}  // namespace permrsa
