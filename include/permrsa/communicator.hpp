// The one interface that hides distribution (as Arbor's distributed_context): a serial
// implementation where size() == 1 and every collective is the identity, and an MPI one
// (src/dist/mpi_communicator.cpp, Boost.MPI underneath). Every distributed algorithm takes a
// Communicator, so it is unit-testable in one process. No MPI header appears here.
//
// Collectives must be called by every rank of the communicator in the same order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace permrsa {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks with the same color form a new communicator, ordered by key.
  virtual std::unique_ptr<Communicator> split(int color, int key) const = 0;
  virtual void barrier() const = 0;

  virtual void broadcast(std::span<double> values, int root) const = 0;
  virtual void broadcast(std::span<std::int64_t> values, int root) const = 0;
  virtual void broadcast(std::span<std::int32_t> values, int root) const = 0;
  virtual void broadcast(std::string& text, int root) const = 0;
  virtual void allreduce_max(std::span<double> values) const = 0;
  virtual void allreduce_sum(std::span<std::int64_t> values) const = 0;
  // The smallest value over ranks.
  virtual std::int64_t allreduce_min(std::int64_t value) const = 0;
  // Concatenation of every rank's values in rank order; only `root` receives it.
  virtual std::vector<double> gatherv(std::span<const double> mine, int root) const = 0;
  // The same, received by every rank.
  virtual std::vector<double> allgatherv(std::span<const double> mine) const = 0;
  // Raw bytes: the root's bytes into every rank's buffer of the same size; every rank's bytes
  // concatenated in rank order on `root`.
  virtual void broadcast_bytes(std::span<std::byte> bytes, int root) const = 0;
  virtual std::vector<std::byte> gatherv_bytes(std::span<const std::byte> mine, int root) const = 0;
  // All to all: `to_each[r]` from this rank to rank r; returns what each rank sent this one.
  virtual std::vector<std::size_t> exchange_sizes(std::span<const std::size_t> to_each) const = 0;
  // All to all in bytes: `send` is size() segments in rank order, send_bytes[r] of them for rank
  // r; `receive` gets every rank's segment for this one, in rank order, receive_bytes[r] from r
  // (as exchange_sizes gave them).
  virtual void exchange_bytes(std::span<const std::byte> send,
                              std::span<const std::size_t> send_bytes, std::span<std::byte> receive,
                              std::span<const std::size_t> receive_bytes) const = 0;
  // Ends every process of the job (a runtime failure that cannot be agreed on).
  [[noreturn]] virtual void abort(int exit_code) const = 0;

  // Typed collectives for trivially copyable structs (all ranks run the same build, so the
  // layout is the same): the root's values, resized on every rank; every rank's values in rank
  // order on `root`.
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void broadcast_values(std::vector<T>& values, int root) const {
    std::int64_t n[1] = {static_cast<std::int64_t>(values.size())};
    broadcast(std::span<std::int64_t>(n), root);
    values.resize(static_cast<std::size_t>(n[0]));
    broadcast_bytes(std::as_writable_bytes(std::span<T>(values)), root);
  }
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> gather_values(std::span<const T> mine,
                                                                        int root)
  const {
    const auto bytes = gatherv_bytes(std::as_bytes(mine), root);
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  // All to all for trivially copyable values: `send` is size() segments in rank order, counts[r]
  // values for rank r; returns the segments every rank sent this one, concatenated in rank order.
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> exchange_values(
      std::span<const T> send, std::span<const std::size_t> counts)
  const {
    std::vector<std::size_t> send_bytes(counts.begin(), counts.end());
    for (auto& b : send_bytes) b *= sizeof(T);
    const auto receive_bytes = exchange_sizes(send_bytes);
    std::size_t total = 0;
    for (std::size_t b : receive_bytes) total += b;
    std::vector<T> out(total / sizeof(T));
    exchange_bytes(std::as_bytes(send), send_bytes, std::as_writable_bytes(std::span<T>(out)),
                   receive_bytes);
    return out;
  }
};

std::unique_ptr<Communicator> make_serial_communicator();

}  // namespace permrsa
