#include "core/map_cache.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <utility>

#include "numeric/bit_words.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// Sets bit c of `mask` where e[c] > floor[c]; returns how many are set.
std::size_t mark_kept(const double* e, const double* floor, std::size_t cells,
                      std::uint64_t* mask) {
  std::size_t kept = 0;
  for (std::size_t w = 0; w * kWordCells < cells; ++w) {
    const std::size_t c0 = w * kWordCells;
    mask[w] = greater_bits(e + c0, floor + c0, std::min(kWordCells, cells - c0));
    kept += static_cast<std::size_t>(std::popcount(mask[w]));
  }
  return kept;
}

// The values of the masked cells of `dense`, in cell order, to `out`.
template <class W>
void gather_kept(const W* dense, const std::uint64_t* mask, std::size_t words, W* out) {
  for_each_set_cell(mask, words, [&](std::size_t c) { *out++ = dense[c]; });
}

// The inverse: `kept` back to the masked cells of `dense`.
template <class W>
void scatter_kept(const W* kept, const std::uint64_t* mask, std::size_t words, W* dense) {
  for_each_set_cell(mask, words, [&](std::size_t c) { dense[c] = *kept++; });
}

std::size_t bytes_per_value(const MapCodec* codec) {
  return codec ? sizeof(std::uint32_t) : sizeof(double);
}

}  // namespace

MapCache::MapCache(std::size_t maps, std::size_t cells, std::unique_ptr<MapCodec> codec,
                   double stand_in)
    : masks_(maps * words_for(cells) * sizeof(std::uint64_t)),
      values_(maps * cells * bytes_per_value(codec.get())),
      codec_(std::move(codec)),
      stand_in_(stand_in),
      cells_(cells),
      words_(words_for(cells)),
      capacity_(maps) {
  if (cells == 0) throw InternalError("map cache: maps without cells");
  if (codec_ && codec_->cells() != cells) throw InternalError("map cache: codec of other maps");
  start_.reserve(maps + 1);
  start_.push_back(0);
}

double MapCache::worst_case_bytes(std::size_t maps, std::size_t cells, const MapCodec* codec) {
  const double per_map = static_cast<double>(cells * bytes_per_value(codec)) +
                         static_cast<double>(words_for(cells) * sizeof(std::uint64_t));
  return static_cast<double>(maps) * per_map;
}

// One map's kept values to the value offset `at`.
void MapCache::store(std::span<const double> map, const std::uint64_t* mask, std::size_t at,
                     std::vector<std::uint32_t>& coded) {
  if (!codec_) {
    gather_kept(map.data(), mask, words_, values_.as<double>() + at);
    return;
  }
  coded.resize(cells_);
  codec_->encode(map, coded);
  gather_kept(coded.data(), mask, words_, values_.as<std::uint32_t>() + at);
}

void MapCache::append(std::span<const double> s, std::span<const double> e,
                      std::span<const double> floor) {
  const std::size_t count = s.size() / cells_;
  if (count * cells_ != s.size() || e.size() != s.size() || floor.size() != cells_ ||
      maps_ + count > capacity_)
    throw InternalError("map cache: not whole maps, or more maps than planned");
  std::uint64_t* masks = masks_.as<std::uint64_t>() + maps_ * words_;
  std::vector<std::size_t> kept(count);
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
    kept[b] = mark_kept(e.data() + b * cells_, floor.data(), cells_, masks + b * words_);
  });
  for (const std::size_t n : kept) start_.push_back(start_.back() + n);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, count), [&](const tbb::blocked_range<std::size_t>& r) {
        std::vector<std::uint32_t> coded;
        for (std::size_t b = r.begin(); b != r.end(); ++b)
          store(s.subspan(b * cells_, cells_), masks + b * words_, start_[maps_ + b], coded);
      });
  maps_ += count;
}

// Map `map` into out[0 .. cells).
void MapCache::load(std::size_t map, double* out) const {
  const std::uint64_t* mask = masks_.as<const std::uint64_t>() + map * words_;
  const std::size_t at = start_[map];
  std::fill_n(out, cells_, stand_in_);
  // Only the kept cells are decoded: a quotient codec divides once per value it decodes.
  if (codec_)
    codec_->decode_kept(values_.as<const std::uint32_t>() + at, mask, {out, cells_});
  else
    scatter_kept(values_.as<const double>() + at, mask, words_, out);
}

std::span<const double> MapCache::read(std::size_t first, std::size_t count,
                                       std::vector<double>& scratch) const {
  if (first + count > maps_) throw InternalError("map cache: reading maps never kept");
  scratch.resize(count * cells_);
  tbb::parallel_for(std::size_t{0}, count,
                    [&](std::size_t b) { load(first + b, scratch.data() + b * cells_); });
  return {scratch.data(), count * cells_};
}

}  // namespace permrsa
