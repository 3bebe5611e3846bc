// Walking an HDF5 file's global heap collections before HDF5 does (internal to src/io).
//
// Variable-length strings live in global heap collections ("GCOL"). HDF5 1.10.8 decodes a
// collection in a loop that advances by each object's declared size; in a damaged file a size
// of 0, or one whose alignment wraps around, never moves it on: H5Dread or H5Aread of any
// variable-length string then hangs forever (found by tests/fuzz/fuzz_hdf5, seed
// corpus/hdf5/hang-global-heap-object-size.h5). These functions walk every collection with
// HDF5's own rules (H5HGcache.c, H5HG__cache_heap_deserialize) and say what is wrong.
#pragma once

#include <cstddef>
#include <string>

namespace permrsa::h5::detail {

// "" when every global heap collection in `path` walks to its end; otherwise what is wrong
// and where ("collection at byte 8112: object 65282 declares 26 bytes, ..."). `length_size`
// is the file's "size of lengths" (H5Pget_sizes; 8 unless the file says otherwise).
std::string global_heap_damage(const std::string& path, std::size_t length_size);

// True when HDF5 reads every variable-length value of `path` (File::read_everything) within
// `seconds`, in a child process (fork) that is killed otherwise: HDF5's own verdict on a
// collection the walk found, which may be a freed copy HDF5 never visits.
bool hdf5_reads_in_time(const std::string& path, double seconds);
// True inside that child (whose reads skip the walk).
bool in_heap_check_child();

}  // namespace permrsa::h5::detail
