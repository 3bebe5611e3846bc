// Guards around toml11 3.7 for config text that may be hostile (internal to src/io).
//
// - toml11 parses arrays and inline tables recursively: 20000 nested '[' overflowed the stack
//   (a segfault). check_toml_text refuses deep nesting before toml11 sees the text.
// - toml11 3.7 mishandles invalid UTF-8 inside a literal string: its error path resets a
//   location to an iterator of another buffer and reads past the end of the heap block (found
//   by tests/fuzz/fuzz_toml). TOML must be UTF-8 anyway: check_toml_text checks it first.
// - toml11 reads numbers with operator>>, which clamps an out-of-range integer literal to
//   INT64_MAX / INT64_MIN and turns a float literal beyond DBL_MAX into infinity, without a
//   word. check_toml_numbers finds such values in the parsed tree and refuses them.
#pragma once

#include <map>
#include <string>
#include <toml.hpp>
#include <vector>

namespace permrsa::io {

using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

// No permrsa key nests deeper than 2 ([brain] baseline = [a, b]); far more is allowed, and far
// less than what exhausts a thread's stack.
inline constexpr int kMaxTomlNesting = 64;

// InputError "<origin>: line N: ..." when the text is not valid UTF-8 (as TOML requires), or
// when arrays or inline tables nest deeper than kMaxTomlNesting (strings and comments are
// skipped as TOML defines them).
void check_toml_text(const std::string& text, const std::string& origin);

// InputError "<file>: line N: <key>: ..." for the first integer whose literal lies outside
// int64, or float whose literal overflows to infinity (an "inf" literal is kept).
void check_toml_numbers(const TomlValue& root, const std::string& origin);

}  // namespace permrsa::io
