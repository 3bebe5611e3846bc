// The TOML config reader: the text as a config file, and its first line as a --set value.
#include <string>

#include "fuzz_support.hpp"
#include "permrsa/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace permrsa;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean([&] { parse_run_spec(text, "fuzz.toml", "/nonexistent", {}); });
  const std::string first_line = text.substr(0, text.find('\n'));
  fuzz::expect_clean([&] {
    parse_run_spec("[brain]\nfile = \"b.npy\"\n[models]\nfile = \"m.npy\"\n", "fuzz.toml",
                   "/nonexistent", {"analysis.seed=" + first_line, first_line});
  });
  return 0;
}
