#include "io/toml_guard.hpp"

#include "io/utf8.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "permrsa/error.hpp"

namespace permrsa::io {

namespace {

// Index just past the string that opens at text[i] (a quote), by TOML's rules: basic strings
// ("...") take backslash escapes, literal strings ('...') do not, tripled quotes span lines.
// Counts the newlines it passes in `line`. An unterminated string runs to the end of its line
// (single) or of the text (multi-line): toml11 reports the syntax error.
std::size_t skip_string(const std::string& text, std::size_t i, std::size_t& line) {
  const char quote = text[i];
  const bool basic = quote == '"';
  const bool multi = text.compare(i, 3, std::string(3, quote)) == 0;
  i += multi ? 3 : 1;
  while (i < text.size()) {
    const char c = text[i];
    if (basic && c == '\\') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++line;
      i += 2;
      continue;
    }
    if (c == '\n') {
      if (!multi) return i;  // the newline is the caller's to count
      ++line;
    }
    if (c == quote && (!multi || text.compare(i, 3, std::string(3, quote)) == 0)) {
      if (!multi) return i + 1;
      // Up to two more quotes may close the string as part of its content ("""a"""").
      std::size_t end = i + 3;
      while (end < text.size() && end < i + 5 && text[end] == quote) ++end;
      return end;
    }
    ++i;
  }
  return i;
}

// The literal a parsed value was read from, or "" when toml11 kept no source for it.
std::string literal_of(const TomlValue& value) {
  const toml::source_location where = value.location();
  const std::string& line = where.line_str();
  if (where.column() < 1 || where.column() - 1 >= line.size()) return "";
  return line.substr(where.column() - 1, where.region());
}

// True when an integer literal ("-9_223_372_036_854_775_809", "0xffff...") lies outside int64.
bool integer_literal_overflows(std::string literal) {
  literal.erase(std::remove(literal.begin(), literal.end(), '_'), literal.end());
  bool negative = false;
  std::size_t begin = 0;
  if (!literal.empty() && (literal[0] == '+' || literal[0] == '-')) {
    negative = literal[0] == '-';
    begin = 1;
  }
  int base = 10;
  if (literal.compare(begin, 2, "0x") == 0) base = 16;
  if (literal.compare(begin, 2, "0o") == 0) base = 8;
  if (literal.compare(begin, 2, "0b") == 0) base = 2;
  if (base != 10) begin += 2;
  std::uint64_t magnitude = 0;
  const char* first = literal.data() + begin;
  const char* last = literal.data() + literal.size();
  const auto [end, error] = std::from_chars(first, last, magnitude, base);
  if (error == std::errc::result_out_of_range) return true;
  if (error != std::errc() || end != last) return false;  // not a literal this can judge
  const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return negative ? magnitude > limit + 1 : magnitude > limit;
}

// True when a float literal ("1e999", "-2_0e400") lies beyond the largest double; "inf" and
// "1.7976931348623157e308" do not.
bool float_literal_overflows(std::string literal) {
  literal.erase(std::remove(literal.begin(), literal.end(), '_'), literal.end());
  std::size_t begin = !literal.empty() && (literal[0] == '+' || literal[0] == '-') ? 1 : 0;
  if (literal.compare(begin, std::string::npos, "inf") == 0) return false;
  // strtod, unlike from_chars, tells overflow (HUGE_VAL) from underflow (ERANGE with 0).
  char* end = nullptr;
  errno = 0;
  const double parsed = std::strtod(literal.c_str() + begin, &end);
  return errno == ERANGE && std::isinf(parsed) && end == literal.c_str() + literal.size();
}

[[noreturn]] void out_of_range(const TomlValue& value, const std::string& origin,
                               const std::string& key, const std::string& what) {
  const toml::source_location where = value.location();
  const std::string file = where.file_name() != "unknown file" ? where.file_name() : origin;
  // A --set value names itself ("--set analysis.seed"); a file's value, its line and key.
  if (file.rfind("--set ", 0) == 0) throw InputError(file + ": " + what);
  throw InputError(file + ": line " + std::to_string(where.line()) + ": " + key + ": " + what);
}

void check_numbers(const TomlValue& value, const std::string& origin, const std::string& key) {
  if (value.is_table()) {
    for (const auto& [name, child] : value.as_table())
      check_numbers(child, origin, key.empty() ? name : key + "." + name);
  } else if (value.is_array()) {
    const auto& items = value.as_array();
    for (std::size_t i = 0; i < items.size(); ++i)
      check_numbers(items[i], origin, key + "[" + std::to_string(i) + "]");
  } else if (value.is_integer()) {
    const std::int64_t v = value.as_integer();
    if (v != std::numeric_limits<std::int64_t>::max() &&
        v != std::numeric_limits<std::int64_t>::min())
      return;  // toml11 clamps out-of-range literals to exactly these two values
    const std::string literal = literal_of(value);
    if (integer_literal_overflows(literal)) {
      out_of_range(value, origin, key,
                   "integer " + literal +
                       " is out of range (expected -9223372036854775808 to 9223372036854775807)");
    }
  } else if (value.is_floating()) {
    // operator>> stores +-DBL_MAX for a literal beyond it (the standard's num_get rule).
    const double v = std::fabs(value.as_floating());
    if (v != std::numeric_limits<double>::max() && !std::isinf(v)) return;
    const std::string literal = literal_of(value);
    if (float_literal_overflows(literal)) {
      out_of_range(value, origin, key,
                   "number " + literal + " is out of range (its magnitude exceeds 1.8e308)");
    }
  }
}

void check_utf8(const std::string& text, const std::string& origin) {
  const std::size_t bad = first_invalid_utf8(text);
  if (bad == text.size()) return;
  std::size_t line_begin = 0;
  if (bad > 0) {
    const std::size_t newline = text.rfind('\n', bad - 1);
    if (newline != std::string::npos) line_begin = newline + 1;
  }
  const auto line =
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
  const std::size_t column = bad - line_begin + 1;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[bad]));
  throw InputError(origin + ": line " + std::to_string(line) + ": not valid UTF-8 (byte " + hex +
                   " at column " + std::to_string(column) + "); TOML files must be UTF-8");
}

}  // namespace

void check_toml_text(const std::string& text, const std::string& origin) {
  check_utf8(text, origin);
  int depth = 0;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = skip_string(text, i, line);
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '\n') ++line;
    if (c == '[' || c == '{') {
      if (++depth > kMaxTomlNesting) {
        throw InputError(origin + ": line " + std::to_string(line) +
                         ": arrays or inline tables nest deeper than " +
                         std::to_string(kMaxTomlNesting) +
                         " levels (permrsa's keys nest at most 2 deep)");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    ++i;
  }
}

void check_toml_numbers(const TomlValue& root, const std::string& origin) {
  check_numbers(root, origin, "");
}

}  // namespace permrsa::io
