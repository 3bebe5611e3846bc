// Hostile config text (issue 15): D8 (20000 nested '[' overflowed toml11's recursive parser),
// D9 (an integer literal beyond int64 was clamped to 2^63 - 1 by toml11's operator>>), D16 (a
// --set value with a line break carried a second key that was dropped). Each must be an
// InputError naming the file (or the --set) and the key or line. The limits come from int64
// (-9223372036854775808 to 9223372036854775807) and IEEE double (DBL_MAX ~ 1.8e308).
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "permrsa/config.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

const std::string kMinimal = "[brain]\nfile = \"b.npy\"\n[models]\nfile = \"m.npy\"\n";

std::string message_of(const std::string& toml, const std::vector<std::string>& sets = {}) {
  try {
    parse_run_spec(toml, "cfg.toml", "/data", sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string nested(char open, char close, std::size_t depth, const std::string& inner) {
  return std::string(depth, open) + inner + std::string(depth, close);
}

TEST(ConfigGuard, RefusesArraysNested20000DeepBeforeParsing) {
  // Line 6: the five lines of kMinimal and [analysis] come first.
  const std::string toml = kMinimal + "[analysis]\nx = " + nested('[', ']', 20000, "") + "\n";
  const std::string message = message_of(toml);
  EXPECT_NE(message.find("cfg.toml: line 6: arrays or inline tables nest deeper than 64 levels"),
            std::string::npos)
      << message;
}

TEST(ConfigGuard, RefusesInlineTablesNestedDeep) {
  std::string inner = "1";
  for (int i = 0; i < 20000; ++i) inner = "{a=" + inner + "}";
  const std::string message = message_of(kMinimal + "[analysis]\nx = " + inner + "\n");
  EXPECT_NE(message.find("nest deeper than 64 levels"), std::string::npos) << message;
}

TEST(ConfigGuard, RefusesDeepNestingInASetValue) {
  const std::string message =
      message_of(kMinimal, {"analysis.permutations=" + nested('[', ']', 20000, "")});
  EXPECT_NE(message.find("--set analysis.permutations"), std::string::npos) << message;
  EXPECT_NE(message.find("nest deeper than 64 levels"), std::string::npos) << message;
}

// Brackets inside strings and comments are no nesting: the 64-level limit must not refuse them
// (the config then fails, or not, on its own merits).
TEST(ConfigGuard, IgnoresBracketsInStringsAndComments) {
  const std::string many(200, '[');
  const auto spec = parse_run_spec(
      kMinimal + "[output]\nfile = \"" + many + "\" # " + many + "\n# ''' " + many + "\n",
      "cfg.toml", "/data", {});
  EXPECT_EQ(spec.output.file, many);
  const auto literal =
      parse_run_spec(kMinimal + "[output]\nfile = '''\n" + many + "'''\n", "cfg.toml", "/data", {});
  EXPECT_EQ(literal.output.file, many);
}

TEST(ConfigGuard, RefusesAnIntegerBeyondInt64InsteadOfClampingIt) {
  const std::string toml = kMinimal + "[analysis]\npermutations = 99999999999999999999999\n";
  const std::string message = message_of(toml);
  EXPECT_NE(message.find("cfg.toml: line 6: analysis.permutations: integer "
                         "99999999999999999999999 is out of range"),
            std::string::npos)
      << message;
  for (const char* literal : {"-9223372036854775809", "9_223_372_036_854_775_808",
                              "0xFFFFFFFFFFFFFFFF", "0o1777777777777777777777"}) {
    const std::string m = message_of(kMinimal + "[analysis]\nseed = " + literal + "\n");
    EXPECT_NE(m.find("analysis.seed: integer " + std::string(literal) + " is out of range"),
              std::string::npos)
        << m;
  }
  const std::string set = message_of(kMinimal, {"analysis.permutations=99999999999999999999999"});
  EXPECT_NE(set.find("--set analysis.permutations: integer 99999999999999999999999 is out of "
                     "range"),
            std::string::npos)
      << set;
}

TEST(ConfigGuard, KeepsTheLargestInt64Itself) {
  const auto spec = parse_run_spec(kMinimal + "[analysis]\nseed = 9223372036854775807\n",
                                   "cfg.toml", "/data", {});
  EXPECT_EQ(spec.analysis.seed,
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
}

TEST(ConfigGuard, RefusesAFloatBeyondTheLargestDouble) {
  const std::string message = message_of(kMinimal + "[correction]\ntfce_step = 1e999\n");
  EXPECT_NE(message.find("cfg.toml: line 6: correction.tfce_step: number 1e999 is out of range"),
            std::string::npos)
      << message;
  // 1e-999 underflows to 0: no overflow, and tfce_step's own check refuses 0.
  EXPECT_NE(message_of(kMinimal + "[correction]\ntfce_step = 1e-999\n")
                .find("expected \"auto\" or a positive height step"),
            std::string::npos);
}

TEST(ConfigGuard, RefusesInfAndNanForNumberKeys) {
  for (const char* value : {"inf", "-inf", "nan"}) {
    const std::string message = message_of(kMinimal, {std::string("brain.time_step=") + value});
    EXPECT_NE(message.find("brain.time_step: expected a finite number, found"), std::string::npos)
        << value << ": " << message;
  }
}

// D16: --set $'analysis.permutations=200\nseed=5' set permutations and silently dropped seed.
TEST(ConfigGuard, RefusesASetValueWithALineBreak) {
  const std::string message = message_of(kMinimal, {"analysis.permutations=200\nseed=5"});
  EXPECT_NE(message.find("--set analysis.permutations: the value holds a line break; one --set "
                         "sets one key"),
            std::string::npos)
      << message;
  EXPECT_NE(message_of(kMinimal, {"analysis.metric=pearson\r\nseed=5"}).find("line break"),
            std::string::npos);
}

// Found by tests/fuzz/fuzz_toml: toml11 3.7 read past a heap buffer on invalid UTF-8 inside a
// literal string ('...'). TOML text must be UTF-8 (TOML 1.0, "Spec"): refused first, naming
// the line, the column and the byte.
TEST(ConfigGuard, RefusesTextThatIsNotUtf8BeforeToml11SeesIt) {
  const std::string toml = kMinimal + "[output]\nfile = 'out\xff\xff.h5'\n";
  const std::string message = message_of(toml);
  EXPECT_NE(message.find("cfg.toml: line 6: not valid UTF-8 (byte 0xff at column 12)"),
            std::string::npos)
      << message;
  // An overlong "/" (0xc0 0xaf) and a UTF-16 surrogate (0xed 0xa0 0x80) are not UTF-8 either.
  EXPECT_NE(message_of(kMinimal + "# \xc0\xaf\n").find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(message_of(kMinimal + "# \xed\xa0\x80\n").find("not valid UTF-8"), std::string::npos);
  // Well-formed UTF-8 is kept: "β" (0xce 0xb2) and "😀" (4 bytes).
  const auto spec =
      parse_run_spec(kMinimal + "[output]\nfile = 'β😀.h5'\n", "cfg.toml", "/data", {});
  EXPECT_EQ(spec.output.file, "β😀.h5");
}

}  // namespace
}  // namespace permrsa
