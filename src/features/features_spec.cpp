// Names and descriptions of the features settings (stored as provenance).
#include <sstream>

#include "permrsa/features.hpp"

namespace permrsa {

const char* to_string(Distance d) {
  switch (d) {
    case Distance::correlation:
      return "correlation";
    case Distance::euclidean:
      return "euclidean";
    case Distance::cosine:
      return "cosine";
  }
  return "";
}

std::string ImagePreprocessing::describe() const {
  std::ostringstream s;
  s.precision(17);
  s << "RGB uint8 -> float32; resize shorter side to " << resize
    << " (bilinear, antialias, align_corners=False; longer side int(resize*long/short); 0 = none)"
    << "; centre crop " << crop << " (0 = none); divide by " << scale_divisor << "; mean ["
    << mean[0] << ", " << mean[1] << ", " << mean[2] << "]; std [" << std[0] << ", " << std[1]
    << ", " << std[2] << "]";
  return s.str();
}

}  // namespace permrsa
