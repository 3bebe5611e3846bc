// Config parsing: key names fixed by issue 2; messages must name the key and the choices.
#include <gtest/gtest.h>

#include "permrsa/config.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

const char* kMinimal = R"(
[brain]
file = "b.npy"
[models]
file = "m.npy"
)";

std::string message_of(const std::string& toml, const std::vector<std::string>& sets = {}) {
  try {
    parse_run_spec(toml, "cfg.toml", "/data", sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigReader, FillsTheDocumentedDefaults) {
  const auto spec = parse_run_spec(kMinimal, "cfg.toml", "/data", {});
  EXPECT_EQ(spec.brain.file, "/data/b.npy");
  EXPECT_EQ(spec.analysis.metric, Metric::spearman);
  EXPECT_EQ(spec.analysis.permutations, 10000);
  EXPECT_EQ(spec.analysis.tail, Tail::greater);
  EXPECT_EQ(spec.analysis.precision, Precision::float32);
  EXPECT_EQ(spec.correction.cluster_threshold, ClusterThreshold::permutation_p);
  EXPECT_DOUBLE_EQ(spec.correction.cluster_alpha, 0.05);
  EXPECT_EQ(spec.output.file, "results.h5");
}

TEST(ConfigReader, SetOverridesAnyKeyWithTomlOrBareWords) {
  const auto spec = parse_run_spec(kMinimal, "cfg.toml", "/data",
                                   {"analysis.permutations=5000", "analysis.metric=kendall-b",
                                    "analysis.tail=\"two-sided\"", "brain.baseline=[-0.2, 0.0]",
                                    "models.file=other.h5:/rdms"});
  EXPECT_EQ(spec.analysis.permutations, 5000);
  EXPECT_EQ(spec.analysis.metric, Metric::kendall_b);
  EXPECT_EQ(spec.analysis.tail, Tail::two_sided);
  ASSERT_TRUE(spec.brain.baseline.has_value());
  EXPECT_DOUBLE_EQ(spec.brain.baseline->first, -0.2);
  EXPECT_EQ(spec.models.file, "other.h5:/rdms");  // --set paths stay relative to the cwd
}

TEST(ConfigReader, UnknownKeyListsTheValidOnes) {
  const auto msg = message_of(std::string(kMinimal) + "[analysis]\npermutatons = 5\n");
  EXPECT_NE(msg.find("analysis.permutatons"), std::string::npos) << msg;
  EXPECT_NE(msg.find("permutations"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cfg.toml"), std::string::npos) << msg;
}

TEST(ConfigReader, UnknownSectionAndBadChoicesAreNamed) {
  EXPECT_NE(message_of(std::string(kMinimal) + "[stats]\nx = 1\n").find("valid sections"), std::string::npos);
  const auto metric = message_of(kMinimal, {"analysis.metric=kendall"});
  EXPECT_NE(metric.find("analysis.metric"), std::string::npos) << metric;
  EXPECT_NE(metric.find("kendall-b"), std::string::npos) << metric;
  EXPECT_NE(message_of(kMinimal, {"analysis.permutations=0"}).find("K >= 1"), std::string::npos);
  EXPECT_NE(message_of(kMinimal, {"analysis.permutations=\"many\""}).find("expected an integer"), std::string::npos);
  EXPECT_NE(message_of(kMinimal, {"nodot=3"}).find("section.key=value"), std::string::npos);
}

TEST(ConfigReader, ResolvedTomlRoundTrips) {
  const auto spec = parse_run_spec(kMinimal, "cfg.toml", "/data", {"analysis.seed=9"});
  const auto again = parse_run_spec(spec.resolved_toml, "resolved", "", {});
  EXPECT_EQ(again.resolved_toml, spec.resolved_toml);
  EXPECT_EQ(again.analysis.seed, 9u);
}

}  // namespace
}  // namespace permrsa

namespace permrsa {
namespace {

TEST(ConfigReader, PathsExpandEnvironmentVariablesWithDefaults) {
  ::setenv("PERMRSA_TEST_DIR", "/scratch/me", 1);
  ::unsetenv("PERMRSA_TEST_UNSET");
  const auto spec = parse_run_spec(
      "[brain]\nfile = \"${PERMRSA_TEST_DIR}/b.npy\"\n[models]\nfile = \"${PERMRSA_TEST_UNSET:-m}/m.npy\"\n",
      "cfg.toml", "/data", {});
  EXPECT_EQ(spec.brain.file, "/scratch/me/b.npy");
  EXPECT_EQ(spec.models.file, "/data/m/m.npy");
  EXPECT_NE(message_of("[brain]\nfile = \"${PERMRSA_TEST_UNSET}/b.npy\"\n[models]\nfile = \"m\"\n")
                .find("PERMRSA_TEST_UNSET is not set"),
            std::string::npos);
}

}  // namespace
}  // namespace permrsa
