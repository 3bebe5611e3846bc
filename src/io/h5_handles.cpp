// Handle closing, error translation and silencing for the HDF5 wrapper.
#include "io/h5_handles.hpp"

#include <hdf5.h>

#include <atomic>

#include "io/h5_detail.hpp"

namespace permrsa::h5 {

namespace {

std::atomic<bool> file_close_failed{false};

std::string compose(const std::string& file, const std::string& object, const std::string& action,
                    const std::string& detail) {
  std::string where = file;
  if (!object.empty()) where += ":" + object;
  return where + ": cannot " + action + ": " + detail;
}

// HDF5's error stack, walked from the innermost record (where the error was detected) out.
struct StackText {
  std::string innermost;
};

// HDF5's file drivers describe a failed system call over several lines ("file write failed:
// time = ..., filename = ..., errno = 28, error message = 'No space left on device', buf = ...");
// keep what failed and the system's reason.
std::string tidy(const std::string& detail) {
  const std::string marker = "error message = '";
  const std::size_t at = detail.find(marker);
  if (at == std::string::npos) return detail;
  const std::size_t begin = at + marker.size();
  const std::size_t end = detail.find('\'', begin);
  std::string what = detail.substr(0, detail.find(':'));
  return what + ": " + detail.substr(begin, end == std::string::npos ? end : end - begin);
}

herr_t collect_innermost(unsigned n, const H5E_error2_t* record, void* data) {
  auto* text = static_cast<StackText*>(data);
  if (n == 0 && record->desc != nullptr) text->innermost = record->desc;
  return 0;
}

}  // namespace

Error::Error(std::string file, std::string object, std::string action, std::string detail)
    : RuntimeFailure(compose(file, object, action, detail)),
      file_(std::move(file)),
      object_(std::move(object)),
      action_(std::move(action)),
      detail_(std::move(detail)) {}

void close_id(Kind kind, hid id) noexcept {
  // A failed close cannot be reported from a destructor; File::close() reports it instead.
  switch (kind) {
    case Kind::file:
      if (H5Fclose(id) < 0) detail::note_failed_file_close();
      break;
    case Kind::group:
      H5Gclose(id);
      break;
    case Kind::dataset:
      H5Dclose(id);
      break;
    case Kind::dataspace:
      H5Sclose(id);
      break;
    case Kind::datatype:
      H5Tclose(id);
      break;
    case Kind::attribute:
      H5Aclose(id);
      break;
    case Kind::property_list:
      H5Pclose(id);
      break;
    case Kind::object:
      H5Oclose(id);
      break;
  }
  H5Eclear2(H5E_DEFAULT);
}

void silence_errors() noexcept {
  // The Debian build is not thread-safe, so the automatic printer is per process.
  static const bool silenced = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)silenced;
}

bool a_file_failed_to_close() noexcept {
  return file_close_failed.load();
}

std::string DatasetInfo::type_name() const {
  switch (type_class) {
    case Class::integer:
      return (is_signed ? "int" : "uint") + std::to_string(8 * type_size);
    case Class::floating:
      return "float" + std::to_string(8 * type_size);
    case Class::string:
      return "string";
    case Class::other:
      return other_name.empty() ? "unknown" : other_name;
  }
  return "unknown";
}

namespace detail {

void note_failed_file_close() noexcept {
  file_close_failed.store(true);
}

void throw_last_error(const std::string& file, const std::string& object,
                      const std::string& action) {
  StackText text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_innermost, &text);
  H5Eclear2(H5E_DEFAULT);
  if (text.innermost.empty()) text.innermost = "HDF5 reported no reason";
  throw Error(file, object, action, tidy(text.innermost));
}

}  // namespace detail

}  // namespace permrsa::h5
