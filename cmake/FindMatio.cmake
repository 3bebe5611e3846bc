# matio (Debian libmatio-dev) ships a pkg-config file, not a CMake package.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PC_MATIO QUIET matio)
find_path(Matio_INCLUDE_DIR NAMES matio.h HINTS ${PC_MATIO_INCLUDE_DIRS})
find_library(Matio_LIBRARY NAMES matio HINTS ${PC_MATIO_LIBRARY_DIRS})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Matio REQUIRED_VARS Matio_LIBRARY Matio_INCLUDE_DIR)
if(Matio_FOUND AND NOT TARGET Matio::Matio)
  add_library(Matio::Matio UNKNOWN IMPORTED)
  set_target_properties(Matio::Matio PROPERTIES IMPORTED_LOCATION "${Matio_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Matio_INCLUDE_DIR}")
endif()
