#include "dist/mpi/mpi_communicator.hpp"
#include "permrsa/mpi_communicator.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/operations.hpp>

#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

namespace mpi = boost::mpi;

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(mpi::communicator comm) : comm_(std::move(comm)) {}
  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }
  std::unique_ptr<Communicator> split(int color, int key) const override {
    return std::make_unique<MpiCommunicator>(comm_.split(color, key));
  }
  void barrier() const override { comm_.barrier(); }
  void broadcast(std::span<double> v, int root) const override {
    mpi::broadcast(comm_, v.data(), static_cast<int>(v.size()), root);
  }
  void broadcast(std::span<std::int64_t> v, int root) const override {
    mpi::broadcast(comm_, v.data(), static_cast<int>(v.size()), root);
  }
  void broadcast(std::span<std::int32_t> v, int root) const override {
    mpi::broadcast(comm_, v.data(), static_cast<int>(v.size()), root);
  }
  void broadcast(std::string& text, int root) const override { mpi::broadcast(comm_, text, root); }
  void allreduce_max(std::span<double> v) const override {
    std::vector<double> in(v.begin(), v.end());
    mpi::all_reduce(comm_, in.data(), static_cast<int>(in.size()), v.data(), mpi::maximum<double>());
  }
  void allreduce_sum(std::span<std::int64_t> v) const override {
    std::vector<std::int64_t> in(v.begin(), v.end());
    mpi::all_reduce(comm_, in.data(), static_cast<int>(in.size()), v.data(), std::plus<std::int64_t>());
  }
  std::int64_t allreduce_min(std::int64_t value) const override {
    std::int64_t out = 0;
    mpi::all_reduce(comm_, value, out, mpi::minimum<std::int64_t>());
    return out;
  }
  std::vector<double> gatherv(std::span<const double> mine, int root) const override {
    std::vector<int> sizes;
    mpi::gather(comm_, static_cast<int>(mine.size()), sizes, root);
    std::vector<double> out;
    if (comm_.rank() == root) {
      out.resize(static_cast<std::size_t>(std::accumulate(sizes.begin(), sizes.end(), 0)));
      mpi::gatherv(comm_, mine.data(), static_cast<int>(mine.size()), out.data(), sizes, root);
    } else {
      mpi::gatherv(comm_, mine.data(), static_cast<int>(mine.size()), root);
    }
    return out;
  }
  std::vector<double> allgatherv(std::span<const double> mine) const override {
    std::vector<int> sizes;
    mpi::all_gather(comm_, static_cast<int>(mine.size()), sizes);
    std::vector<int> offsets(sizes.size(), 0);
    for (std::size_t i = 1; i < sizes.size(); ++i) offsets[i] = offsets[i - 1] + sizes[i - 1];
    std::vector<double> out(static_cast<std::size_t>(std::accumulate(sizes.begin(), sizes.end(), 0)));
    MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, out.data(), sizes.data(),
                   offsets.data(), MPI_DOUBLE, MPI_Comm(comm_));
    return out;
  }
  void broadcast_bytes(std::span<std::byte> bytes, int root) const override {
    MPI_Bcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, root, MPI_Comm(comm_));
  }
  std::vector<std::byte> gatherv_bytes(std::span<const std::byte> mine, int root) const override {
    std::vector<int> sizes;
    mpi::gather(comm_, static_cast<int>(mine.size()), sizes, root);
    std::vector<int> offsets(sizes.size(), 0);
    for (std::size_t i = 1; i < sizes.size(); ++i) offsets[i] = offsets[i - 1] + sizes[i - 1];
    std::vector<std::byte> out;
    if (comm_.rank() == root) out.resize(static_cast<std::size_t>(std::accumulate(sizes.begin(), sizes.end(), 0)));
    MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, out.data(), sizes.data(),
                offsets.data(), MPI_BYTE, root, MPI_Comm(comm_));
    return out;
  }
  std::vector<std::size_t> exchange_sizes(std::span<const std::size_t> to_each) const override {
    static_assert(sizeof(std::size_t) == sizeof(std::uint64_t));
    std::vector<std::size_t> from_each(static_cast<std::size_t>(size()));
    MPI_Alltoall(to_each.data(), 1, MPI_UINT64_T, from_each.data(), 1, MPI_UINT64_T,
                 MPI_Comm(comm_));
    return from_each;
  }
  void exchange_bytes(std::span<const std::byte> send, std::span<const std::size_t> send_bytes,
                      std::span<std::byte> receive,
                      std::span<const std::size_t> receive_bytes) const override {
    const auto send_counts = mpi_counts(send_bytes), receive_counts = mpi_counts(receive_bytes);
    MPI_Alltoallv(send.data(), send_counts.first.data(), send_counts.second.data(), MPI_BYTE,
                  receive.data(), receive_counts.first.data(), receive_counts.second.data(),
                  MPI_BYTE, MPI_Comm(comm_));
  }
  [[noreturn]] void abort(int exit_code) const override {
    comm_.abort(exit_code);
    std::abort();
  }
  MPI_Comm raw() const { return MPI_Comm(comm_); }

 private:
  // MPI's int counts and offsets of byte segments; a segment past INT_MAX bytes is refused.
  static std::pair<std::vector<int>, std::vector<int>> mpi_counts(
      std::span<const std::size_t> bytes) {
    std::pair<std::vector<int>, std::vector<int>> out;
    std::size_t offset = 0;
    for (std::size_t b : bytes) {
      if (b > std::numeric_limits<int>::max() || offset > std::numeric_limits<int>::max())
        throw InternalError("exchange_bytes: more than 2 GiB for MPI's int counts");
      out.first.push_back(static_cast<int>(b));
      out.second.push_back(static_cast<int>(offset));
      offset += b;
    }
    return out;
  }
  mpi::communicator comm_;
};

}  // namespace

std::unique_ptr<Communicator> make_communicator(MPI_Comm comm) {
  return std::make_unique<MpiCommunicator>(mpi::communicator(comm, mpi::comm_attach));
}

std::unique_ptr<Communicator> make_mpi_world_communicator() {
  return std::make_unique<MpiCommunicator>(mpi::communicator());
}

MPI_Comm raw_mpi_comm(const Communicator& comm) {
  if (const auto* m = dynamic_cast<const MpiCommunicator*>(&comm)) return m->raw();
  return MPI_COMM_SELF;
}

}  // namespace permrsa
