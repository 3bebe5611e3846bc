// Checking a MATLAB .mat file's own framing before matio reads it (internal to src/io).
//
// matio trusts the sizes a file declares: a v5 file cut short, or a compressed variable with
// a flipped bit, is read as data (zeros or garbage past the cut, a zlib stream that never
// reaches its end or fails its checksum). SciPy rejects both. So permrsa walks the file first:
// - v5 (MATLAB's "MAT-File Format", R2023a, chapter 1): every top-level data element (miMATRIX
//   or miCOMPRESSED) must lie inside the file; a compressed one must inflate to its end
//   (Z_STREAM_END, Adler-32 checked by zlib) and hold exactly one miMATRIX element; inside a
//   numeric array, each sub-element must fit its parent, and the real (and imaginary) part
//   must hold exactly prod(dims) values of its stored type.
// - v4: each matrix's header, name and data must lie inside the file.
// - v7.3 (HDF5 behind a 512-byte header) is only recognised here: mat73_reader.cpp reads it
//   through permrsa's HDF5 layer, whose open checks the end-of-file address the superblock
//   records (a cut file fails) and whose reads check the stored data.
#pragma once

#include <string>

#include "permrsa/array_io.hpp"

namespace permrsa::io {

enum class MatVersion { v4, v5, v73 };

// Checks the file named by `source` (all of its variables' framing; `source.dataset`, the
// variable to be read, is named in messages). InputError naming the file, the damaged
// variable and the declared vs present sizes. Returns the file's version.
MatVersion check_mat_file(const ArraySource& source, const std::string& what);

}  // namespace permrsa::io
