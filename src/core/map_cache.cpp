#include "core/map_cache.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "numeric/bit_words.hpp"
#include "numeric/tail.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// Sets bit c of `mask` where e[c] > floor[c].
void mark_kept(const double* e, const double* floor, std::size_t cells, std::uint64_t* mask) {
  for (std::size_t w = 0; w * kWordCells < cells; ++w) {
    const std::size_t c0 = w * kWordCells;
    mask[w] = greater_bits(e + c0, floor + c0, std::min(kWordCells, cells - c0));
  }
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

// The bits of `kept` whose cell's null orientation of dense[c] is above floor[c], a word at a
// time.
void still_kept(const double* dense, const double* floor, std::size_t cells, Tail tail,
                const std::uint64_t* kept, std::uint64_t* out) {
  double e[kWordCells];
  for (std::size_t w = 0; w * kWordCells < cells; ++w) {
    const std::size_t c0 = w * kWordCells, n = std::min(kWordCells, cells - c0);
    orient_nulls(dense + c0, n, tail, e);
    out[w] = kept[w] & greater_bits(e, floor + c0, n);
  }
}

// One mask word's values, values[read .. read + popcount(own)), moved to values[write ..) where
// their cell is set in `keep` (a subset of `own`); the new write position. write <= read, and
// nothing past the values read is written, so the moves may run front to back in place.
template <class W>
std::size_t move_kept(W* values, std::size_t write, std::size_t read, std::uint64_t own,
                      std::uint64_t keep) {
#if defined(__AVX512F__) && defined(__BMI2__)
  // keep's bits at own's set bits, packed: which of the word's values stay. Then 16 keys (or 8
  // doubles) at a time, compressed in a register and stored under a mask.
  const std::uint64_t stay = _pext_u64(keep, own);
  const auto n = static_cast<std::size_t>(std::popcount(own));
  constexpr std::size_t lanes = 64 / sizeof(W);
  for (std::size_t i = 0; i < n; i += lanes) {
    const std::uint64_t live = low_bits(std::min(lanes, n - i));
    const std::uint64_t pick = (stay >> i) & live;
    const auto picked = static_cast<std::size_t>(std::popcount(pick));
    if constexpr (sizeof(W) == 4) {
      const __m512i v = _mm512_maskz_loadu_epi32(static_cast<__mmask16>(live), values + read + i);
      _mm512_mask_storeu_epi32(values + write, static_cast<__mmask16>(low_bits(picked)),
                               _mm512_maskz_compress_epi32(static_cast<__mmask16>(pick), v));
    } else {
      const __m512d v = _mm512_maskz_loadu_pd(static_cast<__mmask8>(live), values + read + i);
      _mm512_mask_storeu_pd(values + write, static_cast<__mmask8>(low_bits(picked)),
                            _mm512_maskz_compress_pd(static_cast<__mmask8>(pick), v));
    }
    write += picked;
  }
  return write;
#else
  // Branch-free: every value is copied, and only a kept one advances.
  for (; own != 0; own &= own - 1) {
    values[write] = values[read++];
    write += (keep >> std::countr_zero(own)) & 1u;
  }
  return write;
#endif
}

// One mask word's codes, in[read ..), tested against the bounds of its 64 cells (a[i] < code
// or code < b[i]); the ones that pass copied to out[write ..) (out may be in with write <= read:
// nothing past the codes read is written); read and write advanced. The passing cells' bits.
std::uint64_t pick_codes(const std::uint32_t* in, std::size_t& read, std::uint32_t* out,
                         std::size_t& write, std::uint64_t mask, const std::int32_t* a,
                         const std::int32_t* b) {
  std::uint64_t now = 0;
#if defined(__AVX512F__)
  // 16 cells at a time: the group's codes spread out to their cells (an expand in a register),
  // tested against the cells' bounds, and the passing ones packed again.
  for (unsigned g = 0; g < 4; ++g) {
    const auto cells = static_cast<__mmask16>(mask >> (16 * g));
    if (cells == 0) continue;
    const auto n = static_cast<unsigned>(std::popcount(static_cast<unsigned>(cells)));
    const __m512i code = _mm512_maskz_expand_epi32(
        cells, _mm512_maskz_loadu_epi32(static_cast<__mmask16>(low_bits(n)), in + read));
    const auto pick = static_cast<__mmask16>(
        _mm512_mask_cmpgt_epi32_mask(cells, code, _mm512_loadu_si512(a + 16 * g)) |
        _mm512_mask_cmplt_epi32_mask(cells, code, _mm512_loadu_si512(b + 16 * g)));
    const auto kept = static_cast<unsigned>(std::popcount(static_cast<unsigned>(pick)));
    _mm512_mask_storeu_epi32(out + write, static_cast<__mmask16>(low_bits(kept)),
                             _mm512_maskz_compress_epi32(pick, code));
    now |= std::uint64_t{pick} << (16 * g);
    read += n;
    write += kept;
  }
#else
  for (std::uint64_t bits = mask; bits != 0; bits &= bits - 1) {
    const auto i = static_cast<unsigned>(std::countr_zero(bits));
    const auto code = std::bit_cast<std::int32_t>(in[read++]);
    const bool keep = a[i] < code || code < b[i];
    out[write] = in[read - 1];
    write += keep;
    now |= std::uint64_t{keep} << i;
  }
#endif
  return now;
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
void MapCache::store(std::span<const double> map, const std::uint64_t* mask, std::size_t at) {
  if (codec_)
    codec_->encode_kept(map, mask, values_.as<std::uint32_t>() + at);
  else
    gather_kept(map.data(), mask, words_, values_.as<double>() + at);
}

void MapCache::append(std::span<const double> s, std::span<const double> e,
                      std::span<const double> floor) {
  const std::size_t count = s.size() / cells_;
  if (count * cells_ != s.size() || e.size() != s.size() || floor.size() != cells_ ||
      maps_ + count > capacity_)
    throw InternalError("map cache: not whole maps, or more maps than planned");
  std::uint64_t* masks = masks_.as<std::uint64_t>() + maps_ * words_;
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
    mark_kept(e.data() + b * cells_, floor.data(), cells_, masks + b * words_);
  });
  store_marked(s);
}

void MapCache::append_masked(std::span<const double> s, std::span<const std::uint64_t> masks) {
  const std::size_t count = s.size() / cells_;
  if (count * cells_ != s.size() || masks.size() != count * words_ || maps_ + count > capacity_)
    throw InternalError("map cache: not whole maps, or more maps than planned");
  std::uint64_t* into = masks_.as<std::uint64_t>() + maps_ * words_;
  for (std::size_t i = 0; i < masks.size(); ++i)  // bits past the last cell stay clear
    into[i] = masks[i] & cells_of_word(i % words_, cells_);
  store_marked(s);
}

// The maps s, whose masks are in place after the maps_ kept so far, stored.
void MapCache::store_marked(std::span<const double> s) {
  const std::size_t count = s.size() / cells_;
  const std::uint64_t* masks = masks_.as<const std::uint64_t>() + maps_ * words_;
  std::size_t kept_now = 0;
  for (std::size_t b = 0; b < count; ++b) {
    std::size_t n = 0;
    for (std::size_t w = 0; w < words_; ++w)
      n += static_cast<std::size_t>(std::popcount(masks[b * words_ + w]));
    start_.push_back(start_.back() + n);
    kept_now += n;
  }
  if (count > 0) last_share_ = static_cast<double>(kept_now) / static_cast<double>(count * cells_);
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t b) {
    store(s.subspan(b * cells_, cells_), masks + b * words_, start_[maps_ + b]);
  });
  maps_ += count;
}

bool MapCache::stale() const {
  const double would_keep = last_share_ * static_cast<double>(maps_) * static_cast<double>(cells_);
  return static_cast<double>(kept_values()) > 1.5 * would_keep &&
         2 * kept_values() > 3 * refiltered_kept_;
}

void MapCache::refilter(std::span<const double> floor, Tail tail) {
  if (floor.size() != cells_) throw InternalError("map cache: floors for other maps");
  if (maps_ == 0) return;
  if (codec_) {
    // Room for whole 16-cell groups of the last word.
    std::vector<std::int32_t> above(words_ * kWordCells), below(words_ * kWordCells);
    if (codec_->passing_codes(floor, tail, above, below)) {
      refilter_codes(above, below);
      refiltered_kept_ = kept_values();
      return;
    }
  }
  // First the new masks, in parallel (each map decoded on its own); then the values moved up,
  // in order (a map's values only ever move towards the front).
  std::vector<std::uint64_t> masks(maps_ * words_);
  const std::uint64_t* old = masks_.as<const std::uint64_t>();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, maps_),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      std::vector<double> dense(cells_);
                      for (std::size_t m = r.begin(); m != r.end(); ++m) {
                        decode(m, dense.data());  // the cells not kept are masked off below
                        still_kept(dense.data(), floor.data(), cells_, tail, old + m * words_,
                                   masks.data() + m * words_);
                      }
                    });
  if (codec_)
    compact<std::uint32_t>(masks);
  else
    compact<double>(masks);
  refiltered_kept_ = kept_values();
}

void MapCache::refilter_codes(std::span<const std::int32_t> above,
                              std::span<const std::int32_t> below) {
  std::uint32_t* values = values_.as<std::uint32_t>();
  std::uint64_t* masks = masks_.as<std::uint64_t>();
  // The maps in one contiguous part per thread, each part moved up within its own values; then
  // the parts' kept values moved together, in order (a memmove of what is left).
  const auto parts = std::clamp<std::size_t>(
      static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()), 1, maps_);
  std::vector<std::size_t> first(parts + 1), end(parts);
  for (std::size_t p = 0; p <= parts; ++p) first[p] = maps_ * p / parts;
  tbb::parallel_for(std::size_t{0}, parts, [&](std::size_t p) {
    std::size_t read = start_[first[p]], write = read;
    for (std::size_t m = first[p]; m < first[p + 1]; ++m) {
      start_[m] = write;
      for (std::size_t w = 0; w < words_; ++w) {
        std::uint64_t& mask = masks[m * words_ + w];
        mask = pick_codes(values, read, values, write, mask, above.data() + w * kWordCells,
                          below.data() + w * kWordCells);
      }
    }
    end[p] = write;
  });
  std::size_t to = end[0];
  for (std::size_t p = 1; p < parts; ++p) {
    const std::size_t from = start_[first[p]], n = end[p] - from;
    std::memmove(values + to, values + from, n * sizeof(std::uint32_t));
    for (std::size_t m = first[p]; m < first[p + 1]; ++m) start_[m] = start_[m] - from + to;
    to += n;
  }
  start_[maps_] = to;
}

template <class W>
void MapCache::compact(const std::vector<std::uint64_t>& masks) {
  W* values = values_.as<W>();
  std::uint64_t* own = masks_.as<std::uint64_t>();
  std::size_t write = 0;
  for (std::size_t m = 0; m < maps_; ++m) {
    std::size_t read = start_[m];
    start_[m] = write;
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t& word = own[m * words_ + w];
      const std::uint64_t keep = masks[m * words_ + w];
      write = move_kept(values, write, read, word, keep);
      read += static_cast<std::size_t>(std::popcount(word));
      word = keep;
    }
  }
  start_[maps_] = write;
}

// Map `map` into out[0 .. cells).
void MapCache::load(std::size_t map, double* out) const {
  std::fill_n(out, cells_, stand_in_);
  decode(map, out);
}

// The kept cells of map `map` into out; the others are left as they are.
void MapCache::decode(std::size_t map, double* out) const {
  const std::uint64_t* mask = masks_.as<const std::uint64_t>() + map * words_;
  const std::size_t at = start_[map];
  // Only the kept cells are decoded: a quotient codec divides once per value it decodes.
  if (codec_)
    codec_->decode_kept(values_.as<const std::uint32_t>() + at, mask, {out, cells_});
  else
    scatter_kept(values_.as<const double>() + at, mask, words_, out);
}

MapCache::PassTest MapCache::pass_test(std::span<const double> threshold, Tail tail) const {
  if (threshold.size() != cells_) throw InternalError("map cache: thresholds of other maps");
  PassTest test{{threshold.begin(), threshold.end()}, tail, {}, {}};
  if (codec_) {
    // Room for whole 16-cell groups of the last word.
    test.above.resize(words_ * kWordCells);
    test.below.resize(words_ * kWordCells);
    if (!codec_->passing_codes(threshold, tail, test.above, test.below)) {
      test.above.clear();
      test.below.clear();
    }
  }
  return test;
}

void MapCache::passing(std::size_t map, const PassTest& test, std::span<std::uint64_t> pass,
                       std::span<std::uint64_t> negative, std::span<double> e,
                       std::span<double> scratch) const {
  if (map >= maps_ || pass.size() < words_ || negative.size() < words_ || e.size() != cells_ ||
      scratch.size() != cells_ || test.threshold.size() != cells_)
    throw InternalError("map cache: passing cells of a map never kept, or of other maps");
  const std::uint64_t* mask = masks_.as<const std::uint64_t>() + map * words_;
  double* s = scratch.data();
  if (!test.above.empty()) {
    // The codes tested as codes; only the passing ones decoded (into s at their cells).
    thread_local std::vector<std::uint32_t> picked;
    picked.resize(cells_);
    std::size_t read = start_[map], write = 0;
    for (std::size_t w = 0; w < words_; ++w)
      pass[w] = pick_codes(values_.as<const std::uint32_t>(), read, picked.data(), write, mask[w],
                           test.above.data() + w * kWordCells, test.below.data() + w * kWordCells);
    codec_->decode_kept(picked.data(), pass.data(), scratch);
  } else {
    decode(map, s);  // the kept cells; the others hold what they held, masked off below
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t passes = 0;
      for (std::uint64_t bits = mask[w]; bits != 0; bits &= bits - 1) {
        const std::size_t c = w * kWordCells + static_cast<std::size_t>(std::countr_zero(bits));
        passes |= std::uint64_t{null_oriented(s[c], test.tail) > test.threshold[c]} << (c % 64);
      }
      pass[w] = passes;
    }
  }
  for (std::size_t w = 0; w < words_; ++w) {
    std::uint64_t below_zero = 0;
    for (std::uint64_t bits = pass[w]; bits != 0; bits &= bits - 1) {
      const std::size_t c = w * kWordCells + static_cast<std::size_t>(std::countr_zero(bits));
      e[c] = null_oriented(s[c], test.tail);
      below_zero |= std::uint64_t{s[c] < 0} << (c % 64);
    }
    negative[w] = below_zero;
  }
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
