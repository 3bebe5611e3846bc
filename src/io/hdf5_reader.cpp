// Reading numeric arrays from HDF5 datasets ("file.h5:/group/dataset"). HDF5 stores C order,
// so the dataset's shape and values are used as they are.
#include <cstdint>
#include <limits>

#include "io/h5_handles.hpp"
#include "io/source_readers.hpp"
#include "permrsa/error.hpp"

namespace permrsa::io {

namespace {

// Opens the dataset's file and describes the dataset; h5::Error becomes an InputError.
struct OpenDataset {
  h5::File file;
  h5::DatasetInfo info;
};

OpenDataset open_dataset(const ArraySource& source, const std::string& what) {
  require_readable_file(source, what);
  try {
    h5::File file = h5::File::open_read(source.file);
    if (!file.exists(source.dataset)) {
      throw InputError(where(source, what) + ": the file has no dataset '" + source.dataset + "'");
    }
    h5::DatasetInfo info = file.dataset_info(source.dataset);
    // What a read would find (storage written, filters available) is checked with the shape,
    // so that probing the shape fails as reading would.
    file.require_stored_data(source.dataset);
    return OpenDataset{std::move(file), std::move(info)};
  } catch (const h5::Error& error) {
    throw InputError(where(source, what) + ": cannot " + error.action() + ": " + error.detail());
  }
}

template <class T, class Read>
NdArray<T> read_as(const ArraySource& source, const std::string& what, Read read) {
  NdArray<T> array;
  try {
    std::vector<h5::hsize_t> shape;
    array.values = read(&shape);
    array.shape.assign(shape.begin(), shape.end());
  } catch (const h5::Error& error) {
    throw InputError(where(source, what) + ": cannot " + error.action() + ": " + error.detail());
  }
  array.source = source.text();
  return array;
}

void require_float(const OpenDataset& dataset, const ArraySource& source, const std::string& what) {
  if (dataset.info.type_class != h5::DatasetInfo::Class::floating) {
    throw InputError(where(source, what) + ": expected a float32 or float64 dataset, found " +
                     dataset.info.type_name());
  }
}

}  // namespace

std::vector<std::size_t> read_hdf5_real_shape(const ArraySource& source, const std::string& what) {
  const OpenDataset dataset = open_dataset(source, what);
  require_float(dataset, source, what);
  return std::vector<std::size_t>(dataset.info.shape.begin(), dataset.info.shape.end());
}

RealArray read_hdf5_real_block(const ArraySource& source, const std::string& what,
                               const BlockRequest& block) {
  const OpenDataset dataset = open_dataset(source, what);
  require_float(dataset, source, what);
  const std::vector<std::size_t> shape(dataset.info.shape.begin(), dataset.info.shape.end());
  require_block(shape, block, source, what);
  const std::vector<std::size_t> out_shape = block_shape(shape, block);
  std::vector<h5::hsize_t> offset(shape.size(), 0);
  offset[block.axis] = block.begin;
  const std::vector<h5::hsize_t> count(out_shape.begin(), out_shape.end());
  return read_as<double>(source, what, [&](std::vector<h5::hsize_t>* read_shape) {
    *read_shape = count;
    return dataset.file.read_hyperslab<double>(source.dataset, offset, count);
  });
}

RealArray read_hdf5_real(const ArraySource& source, const std::string& what) {
  const OpenDataset dataset = open_dataset(source, what);
  require_float(dataset, source, what);
  return read_as<double>(source, what, [&](std::vector<h5::hsize_t>* shape) {
    return dataset.file.read<double>(source.dataset, shape);
  });
}

IntArray read_hdf5_int(const ArraySource& source, const std::string& what) {
  const OpenDataset dataset = open_dataset(source, what);
  const h5::DatasetInfo& info = dataset.info;
  if (info.type_class != h5::DatasetInfo::Class::integer) {
    throw InputError(where(source, what) + ": expected an integer dataset (int8 to int64 or " +
                     "uint8 to uint64), found " + info.type_name());
  }
  if (info.is_signed || info.type_size < 8) {
    return read_as<std::int64_t>(source, what, [&](std::vector<h5::hsize_t>* shape) {
      return dataset.file.read<std::int64_t>(source.dataset, shape);
    });
  }
  // uint64: HDF5 would clamp values above INT64_MAX silently; check them instead.
  const NdArray<std::uint64_t> wide =
      read_as<std::uint64_t>(source, what, [&](std::vector<h5::hsize_t>* shape) {
        return dataset.file.read<std::uint64_t>(source.dataset, shape);
      });
  IntArray array{wide.shape, std::vector<std::int64_t>(wide.values.size()), wide.source};
  for (std::size_t i = 0; i < wide.values.size(); ++i) {
    if (wide.values[i] > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw InputError(where(source, what) + ": value " + std::to_string(wide.values[i]) +
                       " at element " + std::to_string(i) + " does not fit in int64");
    }
    array.values[i] = static_cast<std::int64_t>(wide.values[i]);
  }
  return array;
}

}  // namespace permrsa::io
