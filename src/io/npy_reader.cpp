// Reading NumPy .npy files (format versions 1.0, 2.0, 3.0) into C-order arrays.
// Format: numpy/lib/format.py. Magic "\x93NUMPY", major, minor, header length (2 bytes
// little-endian in 1.0, 4 bytes in 2.0/3.0), the header dict, then the raw data.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "io/array_layout.hpp"
#include "io/npy_header.hpp"
#include "io/source_readers.hpp"
#include "permrsa/error.hpp"

namespace permrsa::io {

static_assert(std::endian::native == std::endian::little, "permrsa assumes a little-endian host");

namespace {

constexpr std::array<unsigned char, 6> kMagic = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct NpyFile {
  std::ifstream stream;  // positioned at the first data byte
  NpyHeader header;
  std::size_t count = 0;           // elements, from the shape
  std::uintmax_t data_bytes = 0;   // bytes after the header
  std::uintmax_t data_offset = 0;  // where the data starts in the file
};

std::uint32_t little_endian(const unsigned char* bytes, std::size_t width) {
  std::uint32_t value = 0;
  for (std::size_t i = width; i-- > 0;) value = (value << 8) | bytes[i];
  return value;
}

NpyFile open_npy(const ArraySource& source, const std::string& what) {
  require_readable_file(source, what);
  const std::string here = where(source, what);
  const std::uintmax_t file_size = std::filesystem::file_size(source.file);
  NpyFile npy;
  npy.stream.open(source.file, std::ios::binary);
  std::array<unsigned char, 12> prefix{};
  const std::size_t prefix_read = static_cast<std::size_t>(std::min<std::uintmax_t>(file_size, 10));
  npy.stream.read(reinterpret_cast<char*>(prefix.data()),
                  static_cast<std::streamsize>(prefix_read));
  if (prefix_read < 10 || !std::equal(kMagic.begin(), kMagic.end(), prefix.begin())) {
    throw InputError(here + ": not a .npy file: it does not start with the .npy magic string " +
                     "\\x93NUMPY (file size " + std::to_string(file_size) + " bytes)");
  }
  const unsigned major = prefix[6];
  const unsigned minor = prefix[7];
  std::size_t header_start = 10;
  std::uintmax_t header_length = 0;
  if (major == 1) {
    header_length = little_endian(&prefix[8], 2);
  } else if (major == 2 || major == 3) {
    header_start = 12;
    npy.stream.read(reinterpret_cast<char*>(&prefix[10]), 2);
    if (!npy.stream) throw InputError(here + ": truncated: the file ends inside the .npy prefix");
    header_length = little_endian(&prefix[8], 4);
  } else {
    throw InputError(here + ": unsupported .npy format version " + std::to_string(major) + "." +
                     std::to_string(minor) + "; expected 1.0, 2.0 or 3.0");
  }
  if (header_start + header_length > file_size) {
    throw InputError(here + ": truncated: the prefix says the .npy header is " +
                     std::to_string(header_length) + " bytes long, only " +
                     std::to_string(file_size - header_start) + " bytes follow");
  }
  std::string text(static_cast<std::size_t>(header_length), '\0');
  npy.stream.read(text.data(), static_cast<std::streamsize>(header_length));
  if (!npy.stream) throw InputError(here + ": cannot read the .npy header");
  try {
    npy.header = parse_npy_header(text);
  } catch (const NpyHeaderError& error) {
    text.erase(text.find_last_not_of(" \n\r\t") + 1);
    throw InputError(here + ": cannot parse the .npy header \"" + text + "\": " + error.what());
  }
  const auto count = checked_element_count(npy.header.shape);
  if (!count) throw InputError(here + ": the shape in the .npy header overflows");
  npy.count = *count;
  npy.data_bytes = file_size - header_start - header_length;
  npy.data_offset = header_start + header_length;
  return npy;
}

// Converts one stored element to Out; big-endian data is byte-swapped first.
template <class Raw>
Raw load(const unsigned char* bytes, bool swap) {
  std::array<unsigned char, sizeof(Raw)> copy;
  std::memcpy(copy.data(), bytes, sizeof(Raw));
  if (swap) std::reverse(copy.begin(), copy.end());
  return std::bit_cast<Raw>(copy);
}

template <class Raw, class Out>
void decode_as(const std::vector<unsigned char>& raw, bool swap, std::vector<Out>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<Out>(load<Raw>(raw.data() + i * sizeof(Raw), swap));
  }
}

// Returns the data's length in bytes; InputError unless the file holds exactly that much.
std::size_t check_data_length(const NpyFile& npy, const ArraySource& source,
                              const std::string& what) {
  const std::size_t item = npy.header.dtype.item_size;
  if (npy.count > std::numeric_limits<std::size_t>::max() / item) {
    throw InputError(where(source, what) + ": the shape in the .npy header overflows");
  }
  const std::size_t expected = npy.count * item;
  if (npy.data_bytes != expected) {
    throw InputError(where(source, what) +
                     (npy.data_bytes < expected ? ": truncated" : ": unexpected trailing data") +
                     ": the header says " + shape_text(npy.header.shape) + " " +
                     npy.header.dtype.name() + " = " + std::to_string(expected) +
                     " bytes of data, the file holds " + std::to_string(npy.data_bytes));
  }
  return expected;
}

std::vector<unsigned char> read_data(NpyFile& npy, const ArraySource& source,
                                     const std::string& what) {
  const std::size_t expected = check_data_length(npy, source, what);
  std::vector<unsigned char> raw(expected);
  npy.stream.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(expected));
  if (!npy.stream) throw InputError(where(source, what) + ": cannot read the data");
  return raw;
}

template <class T>
NdArray<T> finish(NpyFile& npy, std::vector<T> values, const ArraySource& source) {
  NdArray<T> array;
  array.shape = npy.header.shape;
  array.values = npy.header.fortran_order ? fortran_to_c(values, array.shape) : std::move(values);
  array.source = source.text();
  return array;
}

void require_float(const NpyDtype& dtype, const ArraySource& source, const std::string& what) {
  if (!dtype.is_float()) {
    throw InputError(where(source, what) + ": expected dtype float32 or float64, found '" +
                     dtype.descr + "' (" + dtype.name() + ")");
  }
}

// Reads `runs` (ascending, not overlapping) and decodes them, one after the other, into `out`.
// Runs separated by less than kMaxGap bytes are read together in one read of at most
// kChunkBytes (or one run, if longer), so the buffer stays bounded and small gaps cost no seek.
template <class Raw>
void read_runs(NpyFile& npy, const std::vector<StorageRun>& runs, std::vector<double>& out,
               const ArraySource& source, const std::string& what) {
  constexpr std::size_t kMaxGap = 64 * 1024;
  constexpr std::size_t kChunkBytes = 8 * 1024 * 1024;
  const bool swap = npy.header.dtype.is_big_endian();
  std::vector<unsigned char> buffer;
  std::size_t written = 0;
  for (std::size_t r = 0; r < runs.size();) {
    const std::size_t span_begin = runs[r].first * sizeof(Raw);
    std::size_t span_end = (runs[r].first + runs[r].length) * sizeof(Raw);
    std::size_t last = r + 1;
    while (last < runs.size()) {
      const std::size_t next_begin = runs[last].first * sizeof(Raw);
      const std::size_t next_end = (runs[last].first + runs[last].length) * sizeof(Raw);
      if (next_begin - span_end > kMaxGap || next_end - span_begin > kChunkBytes) break;
      span_end = next_end;
      ++last;
    }
    buffer.resize(span_end - span_begin);
    npy.stream.seekg(static_cast<std::streamoff>(npy.data_offset + span_begin));
    npy.stream.read(reinterpret_cast<char*>(buffer.data()),
                    static_cast<std::streamsize>(buffer.size()));
    if (!npy.stream) throw InputError(where(source, what) + ": cannot read the data");
    for (; r < last; ++r) {
      const unsigned char* bytes = buffer.data() + runs[r].first * sizeof(Raw) - span_begin;
      for (std::size_t i = 0; i < runs[r].length; ++i) {
        out[written++] = static_cast<double>(load<Raw>(bytes + i * sizeof(Raw), swap));
      }
    }
  }
}

}  // namespace

std::vector<std::size_t> read_npy_real_shape(const ArraySource& source, const std::string& what) {
  const NpyFile npy = open_npy(source, what);
  require_float(npy.header.dtype, source, what);
  check_data_length(npy, source, what);
  return npy.header.shape;
}

RealArray read_npy_real_block(const ArraySource& source, const std::string& what,
                              const BlockRequest& block) {
  NpyFile npy = open_npy(source, what);
  require_float(npy.header.dtype, source, what);
  check_data_length(npy, source, what);
  const std::vector<std::size_t>& shape = npy.header.shape;
  require_block(shape, block, source, what);
  const std::vector<std::size_t> out_shape = block_shape(shape, block);
  const bool fortran = npy.header.fortran_order;
  const std::vector<StorageRun> runs =
      block_runs(shape, block.axis, block.begin, block.end, fortran);
  std::vector<double> values(checked_element_count(out_shape).value_or(0));
  if (npy.header.dtype.item_size == 4) {
    read_runs<float>(npy, runs, values, source, what);
  } else {
    read_runs<double>(npy, runs, values, source, what);
  }
  // The runs came in storage order, so the block is in the file's order.
  RealArray array;
  array.shape = out_shape;
  array.values = fortran ? fortran_to_c(values, out_shape) : std::move(values);
  array.source = source.text();
  return array;
}

RealArray read_npy_real(const ArraySource& source, const std::string& what) {
  NpyFile npy = open_npy(source, what);
  const NpyDtype& dtype = npy.header.dtype;
  require_float(dtype, source, what);
  const std::vector<unsigned char> raw = read_data(npy, source, what);
  std::vector<double> values(npy.count);
  if (dtype.item_size == 4) {
    decode_as<float>(raw, dtype.is_big_endian(), values);
  } else {
    decode_as<double>(raw, dtype.is_big_endian(), values);
  }
  return finish(npy, std::move(values), source);
}

IntArray read_npy_int(const ArraySource& source, const std::string& what) {
  NpyFile npy = open_npy(source, what);
  const NpyDtype& dtype = npy.header.dtype;
  if (!dtype.is_integer()) {
    throw InputError(where(source, what) + ": expected an integer dtype (int8 to int64 or " +
                     "uint8 to uint64), found '" + dtype.descr + "' (" + dtype.name() + ")");
  }
  const std::vector<unsigned char> raw = read_data(npy, source, what);
  const bool swap = dtype.is_big_endian();
  std::vector<std::int64_t> values(npy.count);
  const bool is_signed = dtype.kind == 'i';
  switch (dtype.item_size) {
    case 1:
      is_signed ? decode_as<std::int8_t>(raw, swap, values)
                : decode_as<std::uint8_t>(raw, swap, values);
      break;
    case 2:
      is_signed ? decode_as<std::int16_t>(raw, swap, values)
                : decode_as<std::uint16_t>(raw, swap, values);
      break;
    case 4:
      is_signed ? decode_as<std::int32_t>(raw, swap, values)
                : decode_as<std::uint32_t>(raw, swap, values);
      break;
    default:
      if (is_signed) {
        decode_as<std::int64_t>(raw, swap, values);
        break;
      }
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto value = load<std::uint64_t>(raw.data() + 8 * i, swap);
        if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          throw InputError(where(source, what) + ": value " + std::to_string(value) +
                           " at element " + std::to_string(i) + " does not fit in int64");
        }
        values[i] = static_cast<std::int64_t>(value);
      }
  }
  return finish(npy, std::move(values), source);
}

}  // namespace permrsa::io
