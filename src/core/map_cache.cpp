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

// fn(offset, n) over the values of `count` maps from value offset 0, in parallel runs of whole
// maps.
template <class Fn>
void MapCache::for_map_runs(std::size_t count, Fn&& fn) const {
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, count, maps_per_task(cells_)),
      [&](const tbb::blocked_range<std::size_t>& r) { fn(r.begin() * cells_, r.size() * cells_); });
}

void MapCache::append(std::span<const double> values) {
  const std::size_t count = values.size() / cells_;
  if (count * cells_ != values.size() || maps_ + count > capacity_)
    throw InternalError("map cache: more maps than planned");
  const std::size_t at = maps_ * cells_;
  for_map_runs(count, [&](std::size_t offset, std::size_t n) {
    if (codec_)
      codec_->encode(values.subspan(offset, n), {pages_.as<std::uint32_t>() + at + offset, n});
    else
      std::memcpy(pages_.as<double>() + at + offset, values.data() + offset, n * sizeof(double));
  });
  maps_ += count;
}

std::span<const double> MapCache::read(std::size_t first, std::size_t count,
                                       std::vector<double>& scratch) const {
  if (first + count > maps_) throw InternalError("map cache: reading maps never kept");
  const std::size_t at = first * cells_;
  if (!codec_) return {pages_.as<const double>() + at, count * cells_};  // doubles: no copy
  scratch.resize(count * cells_);
  for_map_runs(count, [&](std::size_t offset, std::size_t n) {
    codec_->decode({pages_.as<std::uint32_t>() + at + offset, n}, {scratch.data() + offset, n});
  });
  return scratch;
}

}  // namespace permrsa
