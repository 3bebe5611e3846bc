#include "dist/in_process_communicator.hpp"

#include <algorithm>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "permrsa/error.hpp"

namespace permrsa {
namespace {

// What the ranks of one communicator share: a barrier and one slot per rank through which each
// collective passes its buffer's address and size.
struct Team {
  explicit Team(int n)
      : size(n),
        sync(n),
        data(static_cast<std::size_t>(n)),
        bytes(static_cast<std::size_t>(n)),
        ints(static_cast<std::size_t>(n)),
        keys(static_cast<std::size_t>(n)) {}
  int size;
  std::barrier<> sync;
  std::vector<const void*> data;   // each rank's buffer
  std::vector<std::size_t> bytes;  // its size in bytes
  std::vector<std::int64_t> ints;  // small values (reductions, split colors)
  std::vector<std::int64_t> keys;  // split keys
  std::map<std::int64_t, std::shared_ptr<Team>> children;  // split: color -> new team
};

class InProcessCommunicator final : public Communicator {
 public:
  InProcessCommunicator(std::shared_ptr<Team> team, int rank)
      : team_(std::move(team)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return team_->size; }

  std::unique_ptr<Communicator> split(int color, int key) const override {
    Team& t = *team_;
    t.ints[slot()] = color;
    t.keys[slot()] = key;
    t.sync.arrive_and_wait();
    if (rank_ == 0) {
      t.children.clear();
      std::map<std::int64_t, int> members;
      for (int r = 0; r < t.size; ++r) ++members[t.ints[static_cast<std::size_t>(r)]];
      for (const auto& [c, n] : members) t.children[c] = std::make_shared<Team>(n);
    }
    t.sync.arrive_and_wait();
    // My rank in the new team: members of my color ordered by (key, old rank), as MPI_Comm_split.
    int new_rank = 0;
    for (int r = 0; r < t.size; ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (t.ints[i] == color && (t.keys[i] < key || (t.keys[i] == key && r < rank_))) ++new_rank;
    }
    auto child = t.children.at(color);
    t.sync.arrive_and_wait();  // nobody reuses the slots before every rank has read them
    return std::make_unique<InProcessCommunicator>(std::move(child), new_rank);
  }

  void barrier() const override { team_->sync.arrive_and_wait(); }

  void broadcast(std::span<double> v, int root) const override {
    broadcast_raw(v.data(), v.size_bytes(), root);
  }
  void broadcast(std::span<std::int64_t> v, int root) const override {
    broadcast_raw(v.data(), v.size_bytes(), root);
  }
  void broadcast(std::span<std::int32_t> v, int root) const override {
    broadcast_raw(v.data(), v.size_bytes(), root);
  }
  void broadcast(std::string& text, int root) const override {
    Team& t = *team_;
    publish(text.data(), text.size());
    t.sync.arrive_and_wait();
    if (rank_ != root) {
      const auto r = static_cast<std::size_t>(root);
      text.assign(static_cast<const char*>(t.data[r]), t.bytes[r]);
    }
    t.sync.arrive_and_wait();
  }
  void broadcast_bytes(std::span<std::byte> bytes, int root) const override {
    broadcast_raw(bytes.data(), bytes.size(), root);
  }

  void allreduce_max(std::span<double> v) const override {
    reduce(v, [](double a, double b) { return std::max(a, b); });
  }
  void allreduce_sum(std::span<std::int64_t> v) const override {
    reduce(v, [](std::int64_t a, std::int64_t b) { return a + b; });
  }
  std::int64_t allreduce_min(std::int64_t value) const override {
    std::int64_t v[1] = {value};
    reduce(std::span<std::int64_t>(v),
           [](std::int64_t a, std::int64_t b) { return std::min(a, b); });
    return v[0];
  }

  std::vector<double> gatherv(std::span<const double> mine, int root) const override {
    auto bytes = gather_raw(std::as_bytes(mine), rank_ == root);
    return doubles_of(bytes);
  }
  std::vector<double> allgatherv(std::span<const double> mine) const override {
    auto bytes = gather_raw(std::as_bytes(mine), true);
    return doubles_of(bytes);
  }
  std::vector<std::byte> gatherv_bytes(std::span<const std::byte> mine, int root) const override {
    return gather_raw(mine, rank_ == root);
  }

  [[noreturn]] void abort(int exit_code) const override { std::_Exit(exit_code); }

 private:
  static std::vector<double> doubles_of(const std::vector<std::byte>& bytes) {
    std::vector<double> out(bytes.size() / sizeof(double));
    if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  std::size_t slot() const { return static_cast<std::size_t>(rank_); }
  void publish(const void* p, std::size_t n) const {
    team_->data[slot()] = p;
    team_->bytes[slot()] = n;
  }
  void broadcast_raw(void* p, std::size_t n, int root) const {
    Team& t = *team_;
    publish(p, n);
    t.sync.arrive_and_wait();
    // memcpy of nothing still needs valid pointers (an empty span's may be null).
    if (rank_ != root && n > 0) std::memcpy(p, t.data[static_cast<std::size_t>(root)], n);
    t.sync.arrive_and_wait();
  }
  std::vector<std::size_t> exchange_sizes(std::span<const std::size_t> to_each) const override {
    Team& t = *team_;
    publish(to_each.data(), to_each.size());
    t.sync.arrive_and_wait();
    std::vector<std::size_t> from_each;
    for (int r = 0; r < t.size; ++r)
      from_each.push_back(
          static_cast<const std::size_t*>(t.data[static_cast<std::size_t>(r)])[slot()]);
    t.sync.arrive_and_wait();
    return from_each;
  }
  void exchange_bytes(std::span<const std::byte> send, std::span<const std::size_t> send_bytes,
                      std::span<std::byte> receive,
                      std::span<const std::size_t> receive_bytes) const override {
    struct Segments {
      const std::byte* data;
      const std::size_t* bytes;
    };
    const Segments mine{send.data(), send_bytes.data()};
    Team& t = *team_;
    publish(&mine, sizeof mine);
    t.sync.arrive_and_wait();
    std::size_t at = 0;
    for (int r = 0; r < t.size; ++r) {
      const auto& from = *static_cast<const Segments*>(t.data[static_cast<std::size_t>(r)]);
      std::size_t offset = 0;
      for (std::size_t q = 0; q < slot(); ++q) offset += from.bytes[q];
      const std::size_t n = from.bytes[slot()];
      if (n != receive_bytes[static_cast<std::size_t>(r)] || at + n > receive.size())
        throw InternalError("exchange_bytes: receive sizes that the senders did not send");
      if (n > 0) std::memcpy(receive.data() + at, from.data + offset, n);
      at += n;
    }
    t.sync.arrive_and_wait();
  }

  template <class T, class Op>
  void reduce(std::span<T> v, Op op) const {
    Team& t = *team_;
    publish(v.data(), v.size_bytes());
    t.sync.arrive_and_wait();
    std::vector<T> result(v.size());
    for (int r = 0; r < t.size; ++r) {  // in rank order, as the MPI reduction here
      const T* other = static_cast<const T*>(t.data[static_cast<std::size_t>(r)]);
      for (std::size_t i = 0; i < v.size(); ++i)
        result[i] = r == 0 ? other[i] : op(result[i], other[i]);
    }
    t.sync.arrive_and_wait();
    std::copy(result.begin(), result.end(), v.begin());
  }
  std::vector<std::byte> gather_raw(std::span<const std::byte> mine, bool receive) const {
    Team& t = *team_;
    publish(mine.data(), mine.size());
    t.sync.arrive_and_wait();
    std::vector<std::byte> out;
    if (receive)
      for (int r = 0; r < t.size; ++r) {
        const auto i = static_cast<std::size_t>(r);
        const auto* p = static_cast<const std::byte*>(t.data[i]);
        out.insert(out.end(), p, p + t.bytes[i]);
      }
    t.sync.arrive_and_wait();
    return out;
  }

  std::shared_ptr<Team> team_;
  int rank_;
};

}  // namespace

void run_in_process(int ranks, const std::function<void(const Communicator& world)>& body) {
  auto team = std::make_shared<Team>(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      try {
        const InProcessCommunicator world(team, r);
        body(world);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "run_in_process: rank %d failed: %s\n", r, e.what());
        std::_Exit(1);
      }
    });
  for (auto& t : threads) t.join();
}

}  // namespace permrsa
