// read_real_array / read_int_array / read_array_shape / read_real_array_block: dispatch on the
// file's extension.
#include "io/array_layout.hpp"
#include "io/source_readers.hpp"
#include "permrsa/array_io.hpp"
#include "permrsa/error.hpp"

namespace permrsa {

namespace {

[[noreturn]] void throw_unsupported_extension(const ArraySource& source, const std::string& what) {
  throw InputError(io::where(source, what) + ": unsupported file type; expected a .npy file, " +
                   "a MATLAB .mat file ('file.mat:variable') or an HDF5 .h5/.hdf5/.he5 file " +
                   "('file.h5:/group/dataset')");
}

}  // namespace

RealArray read_real_array(const std::string& spec, const std::string& what) {
  const ArraySource source = parse_array_source(spec, what);
  switch (io::container_of(source.file)) {
    case io::Container::npy:
      return io::read_npy_real(source, what);
    case io::Container::mat:
      return io::read_mat_real(source, what);
    case io::Container::hdf5:
      return io::read_hdf5_real(source, what);
    case io::Container::unknown:
      break;
  }
  throw_unsupported_extension(source, what);
}

std::vector<std::size_t> read_array_shape(const std::string& spec, const std::string& what) {
  const ArraySource source = parse_array_source(spec, what);
  switch (io::container_of(source.file)) {
    case io::Container::npy:
      return io::read_npy_real_shape(source, what);
    case io::Container::mat:
      return io::read_mat_real_shape(source, what);
    case io::Container::hdf5:
      return io::read_hdf5_real_shape(source, what);
    case io::Container::unknown:
      break;
  }
  throw_unsupported_extension(source, what);
}

RealArray read_real_array_block(const std::string& spec, const std::string& what, std::size_t axis,
                                std::size_t begin, std::size_t end, std::size_t rank) {
  const ArraySource source = parse_array_source(spec, what);
  const io::BlockRequest block{axis, begin, end, rank};
  switch (io::container_of(source.file)) {
    case io::Container::npy:
      return io::read_npy_real_block(source, what, block);
    case io::Container::mat: {
      // matio reads whole variables only: read it, then keep the block.
      RealArray whole = io::read_mat_real(source, what);
      io::require_block(whole.shape, block, source, what);
      RealArray cut{io::block_shape(whole.shape, block), {}, whole.source};
      cut.values.reserve(io::checked_element_count(cut.shape).value_or(0));
      for (const io::StorageRun& run : io::block_runs(whole.shape, axis, begin, end, false)) {
        const auto from = whole.values.begin() + static_cast<std::ptrdiff_t>(run.first);
        cut.values.insert(cut.values.end(), from, from + static_cast<std::ptrdiff_t>(run.length));
      }
      return cut;
    }
    case io::Container::hdf5:
      return io::read_hdf5_real_block(source, what, block);
    case io::Container::unknown:
      break;
  }
  throw_unsupported_extension(source, what);
}

namespace io {

void require_block(const std::vector<std::size_t>& shape, const BlockRequest& block,
                   const ArraySource& source, const std::string& what) {
  if (shape.size() != block.rank) {
    throw InputError(where(source, what) + ": expected a " + std::to_string(block.rank) +
                     "-D array, found shape " + shape_text(shape));
  }
  if (block.axis >= block.rank || block.begin > block.end || block.end > shape[block.axis]) {
    throw InternalError(where(source, what) + ": block [" + std::to_string(block.begin) + ", " +
                        std::to_string(block.end) + ") along axis " + std::to_string(block.axis) +
                        " does not fit the shape " + shape_text(shape));
  }
}

std::vector<std::size_t> block_shape(const std::vector<std::size_t>& shape,
                                     const BlockRequest& block) {
  std::vector<std::size_t> out = shape;
  out[block.axis] = block.length();
  return out;
}

}  // namespace io

IntArray read_int_array(const std::string& spec, const std::string& what) {
  const ArraySource source = parse_array_source(spec, what);
  switch (io::container_of(source.file)) {
    case io::Container::npy:
      return io::read_npy_int(source, what);
    case io::Container::mat:
      return io::read_mat_int(source, what);
    case io::Container::hdf5:
      return io::read_hdf5_int(source, what);
    case io::Container::unknown:
      break;
  }
  throw_unsupported_extension(source, what);
}

}  // namespace permrsa
