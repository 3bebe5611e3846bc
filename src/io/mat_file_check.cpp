// Walks a .mat file's data elements before matio reads it (see mat_file_check.hpp). Only tags
// are read; data is skipped (seeked past, or inflated and dropped), so memory stays constant.
#include "io/mat_file_check.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "io/source_readers.hpp"
#include "permrsa/error.hpp"

namespace permrsa::io {

namespace {

// v5 data types (MAT-File Format, table 1-1).
constexpr std::uint32_t kMiInt8 = 1, kMiUint32 = 6, kMiInt32 = 5, kMiMatrix = 14,
                        kMiCompressed = 15;
// v5 array classes (table 1-3): the numeric ones are 6 (double) to 15 (uint64).
constexpr std::uint32_t kMxDouble = 6, kMxUint64 = 15, kMxOpaque = 17;
constexpr std::uint32_t kComplexFlag = 0x0800;

// Bytes per value of a numeric v5 data type; 0 for the others.
std::size_t value_size(std::uint32_t type) {
  switch (type) {
    case 1:  // miINT8
    case 2:  // miUINT8
      return 1;
    case 3:  // miINT16
    case 4:  // miUINT16
      return 2;
    case 5:  // miINT32
    case 6:  // miUINT32
    case 7:  // miSINGLE
      return 4;
    case 9:   // miDOUBLE
    case 12:  // miINT64
    case 13:  // miUINT64
      return 8;
    default:
      return 0;
  }
}

const char* class_text(std::uint32_t mx_class) {
  static const std::array<const char*, 16> names = {
      "?",    "cell",  "struct", "object", "char",  "sparse", "double", "single",
      "int8", "uint8", "int16",  "uint16", "int32", "uint32", "int64",  "uint64"};
  return mx_class < names.size() ? names[mx_class] : "other";
}

// What is wrong with the file; check_mat_file adds the file, the variable and the offset.
class Damage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::uint32_t load32(const unsigned char* bytes, bool big_endian) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const unsigned char b = bytes[big_endian ? i : 3 - i];
    value = (value << 8) | b;
  }
  return value;
}

std::uint16_t load16(const unsigned char* bytes, bool big_endian) {
  return static_cast<std::uint16_t>(big_endian ? (bytes[0] << 8) | bytes[1]
                                               : (bytes[1] << 8) | bytes[0]);
}

// A run of bytes read front to back: a region of the file, or the inflated contents of one.
class Bytes {
 public:
  virtual ~Bytes() = default;
  // Up to `n` bytes into `out`; fewer only at the end.
  virtual std::size_t read(unsigned char* out, std::size_t n) = 0;
  // Skips up to `n` bytes; returns how many were skipped.
  virtual std::uint64_t skip(std::uint64_t n) {
    std::array<unsigned char, 16384> sink{};
    std::uint64_t done = 0;
    while (done < n) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(sink.size(), n - done));
      const std::size_t got = read(sink.data(), want);
      done += got;
      if (got < want) break;
    }
    return done;
  }
  void read_exactly(unsigned char* out, std::size_t n, const std::string& what) {
    if (read(out, n) != n) throw Damage(ends_text() + " inside " + what);
  }
  void skip_exactly(std::uint64_t n, const std::string& what) {
    if (skip(n) != n) throw Damage(ends_text() + " inside " + what);
  }
  // "the file ends" or "the decompressed data ends".
  virtual std::string ends_text() const = 0;
};

class FileBytes : public Bytes {
 public:
  FileBytes(std::ifstream& in, std::uint64_t offset, std::uint64_t length)
      : in_(in), left_(length) {
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
  }
  std::size_t read(unsigned char* out, std::size_t n) override {
    const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(n, left_));
    in_.read(reinterpret_cast<char*>(out), want);
    const auto got = static_cast<std::size_t>(in_.gcount());
    left_ -= got;
    return got;
  }
  std::uint64_t skip(std::uint64_t n) override {
    const std::uint64_t step = std::min(n, left_);
    in_.seekg(static_cast<std::streamoff>(step), std::ios::cur);
    left_ -= step;
    return step;
  }
  std::uint64_t left() const { return left_; }
  std::string ends_text() const override { return "the file ends"; }

 private:
  std::ifstream& in_;
  std::uint64_t left_;
};

// The zlib stream of one miCOMPRESSED element, inflated on demand.
class InflatedBytes : public Bytes {
 public:
  explicit InflatedBytes(FileBytes& compressed) : compressed_(compressed) {
    if (inflateInit(&stream_) != Z_OK) throw RuntimeFailure("zlib: inflateInit failed");
  }
  ~InflatedBytes() override { inflateEnd(&stream_); }
  InflatedBytes(const InflatedBytes&) = delete;
  InflatedBytes& operator=(const InflatedBytes&) = delete;

  std::size_t read(unsigned char* out, std::size_t n) override {
    stream_.next_out = out;
    stream_.avail_out = static_cast<uInt>(n);
    while (stream_.avail_out > 0 && !ended_) {
      if (stream_.avail_in == 0) {
        const std::size_t got = compressed_.read(input_.data(), input_.size());
        if (got == 0) break;  // the compressed bytes end before the stream does
        stream_.next_in = input_.data();
        stream_.avail_in = static_cast<uInt>(got);
      }
      const int status = inflate(&stream_, Z_NO_FLUSH);
      if (status == Z_STREAM_END) {
        ended_ = true;
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        throw Damage(std::string("its compressed data does not decompress (zlib: ") +
                     (stream_.msg != nullptr ? stream_.msg : "error " + std::to_string(status)) +
                     ")");
      }
    }
    return n - stream_.avail_out;
  }
  bool ended() const { return ended_; }
  // Compressed bytes after the end of the zlib stream.
  std::uint64_t unused_input() const { return stream_.avail_in + compressed_.left(); }
  std::string ends_text() const override {
    return ended_ ? "the decompressed data ends"
                  : "the compressed data ends before its zlib stream does (truncated)";
  }

 private:
  FileBytes& compressed_;
  z_stream stream_{};
  std::array<unsigned char, 65536> input_{};
  bool ended_ = false;
};

// A data element's tag (8 bytes; the small-element form packs up to 4 bytes of data in it).
struct Tag {
  std::uint32_t type = 0;
  std::uint32_t bytes = 0;
  bool small = false;
  std::array<unsigned char, 4> small_data{};
};

Tag decode_tag(const std::array<unsigned char, 8>& raw, bool big_endian) {
  Tag tag;
  const std::uint32_t first = load32(raw.data(), big_endian);
  if ((first >> 16) != 0) {
    tag.small = true;
    tag.type = first & 0xffff;
    tag.bytes = first >> 16;
    std::copy(raw.begin() + 4, raw.end(), tag.small_data.begin());
    if (tag.bytes > 4) {
      throw Damage("a small data element declares " + std::to_string(tag.bytes) +
                   " bytes (at most 4)");
    }
  } else {
    tag.type = first;
    tag.bytes = load32(raw.data() + 4, big_endian);
  }
  return tag;
}

// The sub-elements of one miMATRIX element, read from `in` within its `left` body bytes.
class ArrayReader {
 public:
  ArrayReader(Bytes& in, std::uint64_t body, bool big_endian)
      : in_(in), left_(body), big_endian_(big_endian) {}

  Tag tag(const std::string& what) {
    if (left_ < 8) {
      throw Damage("the array ends (" + std::to_string(left_) + " bytes left) before its " + what);
    }
    std::array<unsigned char, 8> raw{};
    in_.read_exactly(raw.data(), raw.size(), "the tag of its " + what);
    left_ -= 8;
    Tag tag;
    try {
      tag = decode_tag(raw, big_endian_);
    } catch (const Damage& damage) {
      throw Damage(std::string(damage.what()) + " in its " + what);
    }
    if (!tag.small && tag.bytes > left_) {
      throw Damage("its " + what + " declares " + std::to_string(tag.bytes) + " bytes, only " +
                   std::to_string(left_) + " are left in the array");
    }
    return tag;
  }

  // The payload of `tag` (at most `limit` bytes are kept), then its padding to 8 bytes.
  std::vector<unsigned char> payload(const Tag& tag, const std::string& what) {
    if (tag.small) {  // decode_tag keeps a small element's size at most 4; said here for GCC
      const auto size = std::min<std::size_t>(tag.bytes, tag.small_data.size());
      return {tag.small_data.begin(), tag.small_data.begin() + static_cast<std::ptrdiff_t>(size)};
    }
    std::vector<unsigned char> out(tag.bytes);
    in_.read_exactly(out.data(), out.size(), "its " + what);
    left_ -= tag.bytes;
    skip_padding(tag);
    return out;
  }
  void skip_payload(const Tag& tag, const std::string& what) {
    if (tag.small) return;
    in_.skip_exactly(tag.bytes, "its " + what);
    left_ -= tag.bytes;
    skip_padding(tag);
  }
  void skip_rest() {
    in_.skip_exactly(left_, "the array");
    left_ = 0;
  }
  std::uint64_t left() const { return left_; }

 private:
  // Sub-elements are padded to 8 bytes; a writer that leaves out the last padding is accepted.
  void skip_padding(const Tag& tag) {
    const std::uint64_t padding = std::min<std::uint64_t>((8 - tag.bytes % 8) % 8, left_);
    in_.skip_exactly(padding, "the array's padding");
    left_ -= padding;
  }

  Bytes& in_;
  std::uint64_t left_;
  bool big_endian_;
};

struct ArrayHeader {
  std::string name;
  std::uint32_t mx_class = 0;
  bool complex = false;
  std::vector<std::uint64_t> dims;
};

// The dimensions element: 2 to 1024 non-negative extents.
std::vector<std::uint64_t> read_dimensions(ArrayReader& array, bool big_endian) {
  const Tag dims_tag = array.tag("dimensions");
  if (dims_tag.type != kMiInt32 || dims_tag.bytes % 4 != 0 || dims_tag.bytes < 8 ||
      dims_tag.bytes > 4 * 1024) {
    throw Damage("expected dimensions (miINT32, 2 to 1024 of them), found data type " +
                 std::to_string(dims_tag.type) + " of " + std::to_string(dims_tag.bytes) +
                 " bytes");
  }
  const auto dims = array.payload(dims_tag, "dimensions");
  std::vector<std::uint64_t> extents;
  for (std::size_t i = 0; i < dims.size(); i += 4) {
    const auto extent = static_cast<std::int32_t>(load32(dims.data() + i, big_endian));
    if (extent < 0) throw Damage("a dimension is negative (" + std::to_string(extent) + ")");
    extents.push_back(static_cast<std::uint64_t>(extent));
  }
  return extents;
}

// A numeric array's real and imaginary parts hold prod(dims) values each.
void check_numeric_parts(ArrayReader& array, const ArrayHeader& header) {
  std::uint64_t count = 1;
  std::string shape;
  for (const std::uint64_t extent : header.dims) {
    if (extent != 0 && count > UINT64_MAX / extent) throw Damage("its dimensions overflow");
    count *= extent;
    shape += (shape.empty() ? "" : " x ") + std::to_string(extent);
  }
  const std::string described = shape + " " + class_text(header.mx_class) + " array";
  for (const char* part : {"real part", "imaginary part"}) {
    if (std::strcmp(part, "imaginary part") == 0 && !header.complex) break;
    if (count == 0 && array.left() == 0) break;  // empty arrays may leave out their data
    const Tag data = array.tag(part);
    const std::size_t size = value_size(data.type);
    if (size == 0) {
      throw Damage("its " + std::string(part) + " has data type " + std::to_string(data.type) +
                   ", not a numeric one");
    }
    if (count > UINT64_MAX / size || data.bytes != count * size) {
      throw Damage("it is a " + described + ", so its " + part + " should hold " +
                   std::to_string(count) + " values of " + std::to_string(size) + " bytes = " +
                   std::to_string(count * size) + " bytes, it holds " + std::to_string(data.bytes));
    }
    array.skip_payload(data, part);
  }
}

// Reads the array's flags, dimensions and name; with `whole`, also checks that the real and
// imaginary parts of a numeric array hold prod(dims) values each, and skips to its end.
// `header` is filled as far as it got (a Damage leaves the name known when it was read).
void walk_array(Bytes& in, std::uint64_t body, bool big_endian, bool whole, ArrayHeader& header) {
  ArrayReader array(in, body, big_endian);
  const Tag flags_tag = array.tag("array flags");
  if (flags_tag.type != kMiUint32 || flags_tag.bytes != 8) {
    throw Damage("expected array flags (miUINT32, 8 bytes), found data type " +
                 std::to_string(flags_tag.type) + " of " + std::to_string(flags_tag.bytes) +
                 " bytes");
  }
  const auto flags = array.payload(flags_tag, "array flags");
  const std::uint32_t flag_word = load32(flags.data(), big_endian);
  header.mx_class = flag_word & 0xff;
  header.complex = (flag_word & kComplexFlag) != 0;
  if (header.mx_class != kMxOpaque) header.dims = read_dimensions(array, big_endian);
  const Tag name_tag = array.tag("name");
  if (name_tag.type != kMiInt8 || name_tag.bytes > 4096) {
    throw Damage("expected an array name (miINT8, at most 4096 bytes), found data type " +
                 std::to_string(name_tag.type) + " of " + std::to_string(name_tag.bytes) +
                 " bytes");
  }
  const auto name = array.payload(name_tag, "name");
  header.name.assign(name.begin(), name.end());
  if (!whole) return;
  if (header.mx_class >= kMxDouble && header.mx_class <= kMxUint64)
    check_numeric_parts(array, header);
  array.skip_rest();  // other classes: their contents are matio's to read (or refuse)
}

std::string variable_label(const std::optional<std::string>& name, std::size_t index) {
  if (name && !name->empty()) return "variable '" + *name + "'";
  return "variable #" + std::to_string(index + 1);
}

// An miCOMPRESSED element: one zlib stream holding exactly one miMATRIX element (walk_array).
void walk_compressed(FileBytes& body, bool big_endian, bool whole, ArrayHeader& header) {
  InflatedBytes inflated(body);
  std::array<unsigned char, 8> inner_raw{};
  inflated.read_exactly(inner_raw.data(), inner_raw.size(), "the tag of its array");
  const Tag inner = decode_tag(inner_raw, big_endian);
  if (inner.small || inner.type != kMiMatrix) {
    throw Damage("its compressed data holds data type " + std::to_string(inner.type) +
                 ", not an miMATRIX element");
  }
  walk_array(inflated, inner.bytes, big_endian, whole, header);
  if (whole) {
    unsigned char extra = 0;
    if (inflated.read(&extra, 1) != 0) {
      throw Damage("its compressed data holds more than the one array it declares");
    }
    if (!inflated.ended()) {
      throw Damage("its compressed data ends before its zlib stream does (truncated)");
    }
    if (inflated.unused_input() >= 8) {
      throw Damage("its zlib stream ends " + std::to_string(inflated.unused_input()) +
                   " bytes before the element does");
    }
  }
}

// The v5 data elements from byte 128 on: each miMATRIX or miCOMPRESSED element must lie inside
// the file and be sound (walk_array).
void check_v5(std::ifstream& in, std::uint64_t size, bool big_endian, const std::string& here) {
  std::uint64_t pos = 128;
  for (std::size_t index = 0; pos < size; ++index) {
    const std::uint64_t left = size - pos;
    if (left < 8) {
      FileBytes rest(in, pos, left);
      std::array<unsigned char, 8> tail{};
      rest.read(tail.data(), static_cast<std::size_t>(left));
      if (std::all_of(tail.begin(), tail.end(), [](unsigned char b) { return b == 0; })) break;
      throw InputError(here + ": truncated or damaged MATLAB v5 file: the last " +
                       std::to_string(left) + " bytes (from byte " + std::to_string(pos) +
                       ") are not a whole data element");
    }
    std::array<unsigned char, 8> raw{};
    FileBytes tag_bytes(in, pos, 8);
    tag_bytes.read(raw.data(), raw.size());
    const std::uint32_t type = load32(raw.data(), big_endian);
    const std::uint64_t declared = load32(raw.data() + 4, big_endian);
    const std::string at = " (data element at byte " + std::to_string(pos) + ")";
    if (type != kMiMatrix && type != kMiCompressed) {
      throw InputError(
          here + ": damaged MATLAB v5 file: expected variable #" + std::to_string(index + 1) + at +
          " to be an miMATRIX or miCOMPRESSED element, found data type " + std::to_string(type));
    }
    const std::uint64_t present = std::min(declared, left - 8);
    const bool truncated = declared > left - 8;
    FileBytes body(in, pos + 8, present);
    ArrayHeader header;
    std::optional<std::string> name;
    try {
      if (type == kMiMatrix) {
        walk_array(body, present, big_endian, !truncated, header);
      } else {
        walk_compressed(body, big_endian, !truncated, header);
      }
    } catch (const Damage& damage) {
      if (!header.name.empty() || header.mx_class != 0) name = header.name;
      if (!truncated) {
        throw InputError(here + ": damaged MATLAB v5 file: " + variable_label(name, index) + at +
                         ": " + damage.what());
      }
    }
    if (truncated) {
      if (!header.name.empty()) name = header.name;
      throw InputError(here + ": truncated MATLAB v5 file: " + variable_label(name, index) + at +
                       " declares " + std::to_string(declared) + " bytes, only " +
                       std::to_string(left - 8) + " are left in the file");
    }
    pos += 8 + declared;
  }
}

// The v4 matrices from byte 0 on: a 20-byte header (type, rows, columns, imaginary flag, name
// length), the name, the real and the imaginary data, each lying inside the file.
void check_v4(std::ifstream& in, std::uint64_t size, const std::string& here) {
  std::uint64_t pos = 0;
  for (std::size_t index = 0; pos < size; ++index) {
    const std::uint64_t left = size - pos;
    const std::string at = " (at byte " + std::to_string(pos) + ")";
    const auto not_mat = [&](const std::string& why) {
      if (index == 0) {
        throw InputError(here + ": not a MATLAB .mat file (v4, v5 or v7.3): " + why);
      }
      throw InputError(here + ": damaged MATLAB v4 file: matrix #" + std::to_string(index + 1) +
                       at + ": " + why);
    };
    if (left < 20) not_mat("the file ends inside a matrix header");
    std::array<unsigned char, 20> raw{};
    FileBytes header(in, pos, 20);
    header.read(raw.data(), raw.size());
    // The type MOPT is < 5000 in the file's byte order: M = 0 little-endian, 1 big-endian.
    bool big_endian = false;
    auto type = static_cast<std::int32_t>(load32(raw.data(), false));
    if (type < 0 || type >= 1000) {
      big_endian = true;
      type = static_cast<std::int32_t>(load32(raw.data(), true));
    }
    const int m = type / 1000, o = type / 100 % 10, p = type / 10 % 10, t = type % 10;
    if (type < 0 || m != (big_endian ? 1 : 0) || o != 0 || p > 5 || t > 2) {
      not_mat("no v5/v7.3 header, and the first 4 bytes are no v4 matrix type");
    }
    const auto field = [&](int i) {
      return static_cast<std::int32_t>(load32(raw.data() + 4 * i, big_endian));
    };
    const std::int32_t rows = field(1), cols = field(2), imaginary = field(3),
                       name_length = field(4);
    if (rows < 0 || cols < 0 || (imaginary != 0 && imaginary != 1) || name_length < 1) {
      not_mat("implausible matrix header (rows " + std::to_string(rows) + ", columns " +
              std::to_string(cols) + ", imaginary flag " + std::to_string(imaginary) +
              ", name length " + std::to_string(name_length) + ")");
    }
    static constexpr std::array<std::uint64_t, 6> kSizes = {8, 4, 4, 2, 2, 1};
    // rows * cols < 2^62; times at most 16 bytes a value it may pass 2^64: then it cannot fit.
    const std::uint64_t values =
        static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols);
    const std::uint64_t per_value = kSizes[static_cast<std::size_t>(p)] * (imaginary != 0 ? 2 : 1);
    const std::uint64_t declared =
        values > (UINT64_MAX >> 5)
            ? UINT64_MAX
            : 20 + static_cast<std::uint64_t>(name_length) + values * per_value;
    if (declared > left) {
      std::string name;
      if (left >= 20 + static_cast<std::uint64_t>(name_length)) {
        std::vector<unsigned char> bytes(static_cast<std::size_t>(name_length));
        FileBytes name_bytes(in, pos + 20, bytes.size());
        name_bytes.read(bytes.data(), bytes.size());
        name.assign(bytes.begin(), std::find(bytes.begin(), bytes.end(), '\0'));
      }
      if (index == 0 && name.empty()) not_mat("the first matrix does not fit in the file");
      throw InputError(here + ": truncated MATLAB v4 file: " +
                       variable_label(name.empty() ? std::nullopt : std::optional(name), index) +
                       at + " declares " + std::to_string(declared) + " bytes, only " +
                       std::to_string(left) + " are left in the file");
    }
    pos += declared;
  }
}

}  // namespace

MatVersion check_mat_file(const ArraySource& source, const std::string& what) {
  const std::string here = where(source, what);
  std::error_code error;
  const std::uint64_t size = std::filesystem::file_size(source.file, error);
  if (error) throw InputError(here + ": cannot read '" + source.file + "': " + error.message());
  std::ifstream in(source.file, std::ios::binary);
  if (!in) throw InputError(here + ": cannot open '" + source.file + "'");
  // A v5/v7.3 header: 116 bytes of text, 8 of subsystem offset, the version (0x0100 for v5,
  // 0x0200 for v7.3) and "IM" (little-endian) or "MI" (big-endian). Anything else is tried as
  // v4, as matio does.
  std::array<unsigned char, 128> header{};
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  if (size >= 128 && in) {
    const bool little = header[126] == 'I' && header[127] == 'M';
    const bool big = header[126] == 'M' && header[127] == 'I';
    if (little || big) {
      const std::uint16_t version = load16(header.data() + 124, big);
      if (version == 0x0100) {
        check_v5(in, size, big, here);
        return MatVersion::v5;
      }
      if (version == 0x0200) return MatVersion::v73;  // HDF5: mat73_reader.cpp checks it
    }
  }
  check_v4(in, size, here);
  return MatVersion::v4;
}

}  // namespace permrsa::io
