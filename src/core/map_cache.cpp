#include "core/map_cache.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// About 256 KB of doubles per task.
std::size_t maps_per_task(std::size_t cells) {
  return std::max<std::size_t>(1, (std::size_t{1} << 15) / std::max<std::size_t>(cells, 1));
}

}  // namespace

MapCache::MapCache(std::size_t maps, std::size_t cells, std::unique_ptr<MapCodec> codec)
    : pages_(maps * cells * bytes_per_value(codec.get())),
      codec_(std::move(codec)),
      cells_(cells),
      capacity_(maps) {
  if (cells == 0) throw InternalError("map cache: maps without cells");
  if (codec_ && codec_->cells() != cells) throw InternalError("map cache: codec of other maps");
}

void MapCache::append(std::span<const double> values) {
  const std::size_t count = values.size() / cells_;
  if (count * cells_ != values.size() || maps_ + count > capacity_)
    throw InternalError("map cache: more maps than planned");
  const std::size_t at = maps_ * cells_;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, count, maps_per_task(cells_)),
      [&](const tbb::blocked_range<std::size_t>& r) {
        const std::size_t first = r.begin() * cells_, n = r.size() * cells_;
        if (codec_)
          codec_->encode(values.subspan(first, n), {pages_.as<std::uint32_t>() + at + first, n});
        else
          std::memcpy(pages_.as<double>() + at + first, values.data() + first, n * sizeof(double));
      });
  maps_ += count;
}

void MapCache::read(std::size_t first, std::size_t count, std::vector<double>& out) const {
  if (first + count > maps_) throw InternalError("map cache: reading maps never kept");
  out.resize(count * cells_);
  const std::size_t at = first * cells_;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, count, maps_per_task(cells_)),
      [&](const tbb::blocked_range<std::size_t>& r) {
        const std::size_t begin = r.begin() * cells_, n = r.size() * cells_;
        if (codec_)
          codec_->decode({pages_.as<std::uint32_t>() + at + begin, n}, {out.data() + begin, n});
        else
          std::memcpy(out.data() + begin, pages_.as<double>() + at + begin, n * sizeof(double));
      });
}

}  // namespace permrsa
