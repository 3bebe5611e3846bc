// Parser for the .npy header's dict literal (only what numpy.lib.format writes).
#include "io/npy_header.hpp"

#include <cctype>

namespace permrsa::io {

namespace {

class Cursor {
 public:
  explicit Cursor(const std::string& text) : text_(text) {}

  char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const std::string& context) {
    if (!consume(c)) fail(std::string("expected '") + c + "' " + context);
  }

  std::string quoted() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }

  bool boolean(const std::string& key) {
    skip_space();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const std::string literal = word;
      if (text_.compare(pos_, literal.size(), literal) == 0) {
        pos_ += literal.size();
        return value;
      }
    }
    fail("expected True or False for '" + key + "'");
  }

  std::vector<std::size_t> size_tuple(const std::string& key) {
    expect('(', "to open '" + key + "'");
    std::vector<std::size_t> values;
    while (!consume(')')) {
      skip_space();
      const std::size_t begin = pos_;
      std::size_t value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        const auto digit = static_cast<std::size_t>(text_[pos_] - '0');
        if (value > (static_cast<std::size_t>(-1) - digit) / 10) fail("'" + key + "' overflows");
        value = value * 10 + digit;
        ++pos_;
      }
      if (pos_ == begin) fail("expected a non-negative integer in '" + key + "'");
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long literal
      values.push_back(value);
      if (!consume(',')) {
        expect(')', "to close '" + key + "'");
        break;
      }
    }
    return values;
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw NpyHeaderError(message + " at character " + std::to_string(pos_));
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  const std::string& text_;
  std::size_t pos_ = 0;
};

NpyDtype parse_dtype(const std::string& descr) {
  NpyDtype dtype;
  dtype.descr = descr;
  std::size_t pos = 0;
  if (pos < descr.size() && std::string("<>|=").find(descr[pos]) != std::string::npos) {
    dtype.byte_order = descr[pos++];
  }
  if (pos < descr.size()) dtype.kind = descr[pos++];
  std::size_t size = 0;
  const std::size_t digits_begin = pos;
  while (pos < descr.size() && std::isdigit(static_cast<unsigned char>(descr[pos])) &&
         pos - digits_begin < 6) {
    size = size * 10 + static_cast<std::size_t>(descr[pos++] - '0');
  }
  // Anything left over (e.g. "<M8[ns]") is a type permrsa does not read: item_size stays 0.
  if (pos == descr.size() && pos > digits_begin) dtype.item_size = size;
  return dtype;
}

}  // namespace

std::string NpyDtype::name() const {
  if (kind == 'b' && item_size == 1) return "bool";
  if (is_float() || (kind == 'f' && item_size == 2)) return "float" + std::to_string(8 * item_size);
  if (is_integer()) return (kind == 'u' ? "uint" : "int") + std::to_string(8 * item_size);
  return descr;
}

NpyHeader parse_npy_header(const std::string& text) {
  Cursor cursor(text);
  NpyHeader header;
  bool has_descr = false;
  bool has_fortran_order = false;
  bool has_shape = false;
  cursor.expect('{', "at the start of the header");
  while (!cursor.consume('}')) {
    const std::string key = cursor.quoted();
    cursor.expect(':', "after '" + key + "'");
    if (key == "descr") {
      if (cursor.peek() == '[') cursor.fail("structured dtypes (a list in 'descr') are not read");
      header.dtype = parse_dtype(cursor.quoted());
      has_descr = true;
    } else if (key == "fortran_order") {
      header.fortran_order = cursor.boolean(key);
      has_fortran_order = true;
    } else if (key == "shape") {
      header.shape = cursor.size_tuple(key);
      has_shape = true;
    } else {
      cursor.fail("unexpected key '" + key + "' (expected 'descr', 'fortran_order', 'shape')");
    }
    if (!cursor.consume(',')) {
      cursor.expect('}', "to close the header");
      break;
    }
  }
  if (!has_descr) throw NpyHeaderError("the header has no 'descr'");
  if (!has_fortran_order) throw NpyHeaderError("the header has no 'fortran_order'");
  if (!has_shape) throw NpyHeaderError("the header has no 'shape'");
  return header;
}

}  // namespace permrsa::io
