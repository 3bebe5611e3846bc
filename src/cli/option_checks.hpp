// Validators for numeric options that say, in words, what they expect.
//
// CLI11 2.1's PositiveNumber and NonNegativeNumber are ranges up to DBL_MAX and report
// "--batch: Value 0 not in range 0.000000 to 179769313486231570814527...": 309 digits, and a
// range that does not even exclude the 0 it refuses.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

namespace permrsa::cli {

namespace detail {

// The whole of `text` as a finite number, or false.
inline bool parse_number(const std::string& text, double& value) {
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size() && std::isfinite(value);
}

}  // namespace detail

// A number > 0 (a count, a size, a memory budget).
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (!detail::parse_number(text, value)) return "expected a number, found '" + text + "'";
        return value > 0 ? std::string() : "expected a number greater than 0, found " + text;
      },
      "> 0", "positive number");
}

// A number >= 0 (0 meaning "none" or "all", as each option's help says).
inline CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (!detail::parse_number(text, value)) return "expected a number, found '" + text + "'";
        return value >= 0 ? std::string() : "expected a number of 0 or more, found " + text;
      },
      ">= 0", "non-negative number");
}

}  // namespace permrsa::cli
