#include <cstdlib>
#include <cstring>

#include "permrsa/communicator.hpp"
#include "permrsa/error.hpp"

namespace permrsa {
namespace {

class SerialCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::unique_ptr<Communicator> split(int, int) const override {
    return std::make_unique<SerialCommunicator>();
  }
  void barrier() const override {}
  void broadcast(std::span<double>, int) const override {}
  void broadcast(std::span<std::int64_t>, int) const override {}
  void broadcast(std::span<std::int32_t>, int) const override {}
  void broadcast(std::string&, int) const override {}
  void allreduce_max(std::span<double>) const override {}
  void allreduce_sum(std::span<std::int64_t>) const override {}
  std::int64_t allreduce_min(std::int64_t value) const override { return value; }
  std::vector<double> gatherv(std::span<const double> mine, int) const override {
    return {mine.begin(), mine.end()};
  }
  std::vector<double> allgatherv(std::span<const double> mine) const override {
    return {mine.begin(), mine.end()};
  }
  void broadcast_bytes(std::span<std::byte>, int) const override {}
  std::vector<std::byte> gatherv_bytes(std::span<const std::byte> mine, int) const override {
    return {mine.begin(), mine.end()};
  }
  std::vector<std::size_t> exchange_sizes(std::span<const std::size_t> to_each) const override {
    return {to_each.begin(), to_each.end()};
  }
  void exchange_bytes(std::span<const std::byte> send, std::span<const std::size_t>,
                      std::span<std::byte> receive, std::span<const std::size_t>) const override {
    if (receive.size() != send.size())
      throw InternalError("exchange_bytes: a receive buffer of the wrong size");
    if (!send.empty()) std::memcpy(receive.data(), send.data(), send.size());
  }
  [[noreturn]] void abort(int exit_code) const override { std::_Exit(exit_code); }
};

}  // namespace

std::unique_ptr<Communicator> make_serial_communicator() {
  return std::make_unique<SerialCommunicator>();
}

}  // namespace permrsa
