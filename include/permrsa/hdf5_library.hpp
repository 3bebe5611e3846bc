// The HDF5 library's lifetime, owned by one object at the top of main(): constructed before the
// Runtime (so before MPI_Init) and closed before the Runtime ends (so before MPI_Finalize).
//
// Why it is needed: in HDF5 1.10, a failed H5Fclose (the final flush of a file on a full disk)
// frees the file's structure but leaves its id registered. The library's own clean-up at exit
// then closes that id again and crashes with SIGSEGV in H5F__close_cb after permrsa has printed
// its message (HDFGroup/hdf5 issue #2257, fixed by pull request #2291 in 1.14). That clean-up
// runs from atexit(), or from MPI_Finalize when HDF5 started after MPI. So the library is
// started here with H5dont_atexit() before MPI, and closed by close() only when every file
// closed cleanly; after a failed close it is left alone (the process is ending with an error).
#pragma once

namespace permrsa {

class Hdf5Library {
 public:
  Hdf5Library();
  ~Hdf5Library();
  Hdf5Library(const Hdf5Library&) = delete;
  Hdf5Library& operator=(const Hdf5Library&) = delete;

  // Closes the library unless a file failed to close. Idempotent.
  void close() noexcept;

 private:
  bool open_ = false;
};

}  // namespace permrsa
