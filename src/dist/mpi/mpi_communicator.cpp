#include "dist/mpi/mpi_communicator.hpp"
#include "permrsa/mpi_communicator.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/operations.hpp>

#include <numeric>

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
  [[noreturn]] void abort(int exit_code) const override {
    comm_.abort(exit_code);
    std::abort();
  }
  MPI_Comm raw() const { return MPI_Comm(comm_); }

 private:
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
