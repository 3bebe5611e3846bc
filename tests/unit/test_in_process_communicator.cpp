// The in-process communicator (dist/in_process_communicator.hpp) keeps the Communicator
// contract that the MPI one keeps (tests/mpi/test_communicator_mpi.cpp checks the same values
// under mpirun). Expected values are worked out by hand from each rank's contribution.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "dist/in_process_communicator.hpp"
#include "exchange_pattern.hpp"

namespace permrsa {
namespace {

class InProcessCommunicator : public ::testing::TestWithParam<int> {};

// Failures are collected and checked on the test's own thread.
struct Findings {
  std::mutex mutex;
  std::vector<std::string> failures;
  void check(bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard lock(mutex);
    failures.push_back(what);
  }
};

TEST_P(InProcessCommunicator, BroadcastsReducesAndGathersInRankOrder) {
  const int n = GetParam();
  Findings f;
  run_in_process(n, [&](const Communicator& world) {
    const int r = world.rank(), root = n - 1;
    f.check(world.size() == n, "size");
    std::vector<double> d = {r == root ? 1.5 : 0.0, r == root ? -2.25 : 0.0};
    world.broadcast(std::span<double>(d), root);
    f.check(d == std::vector<double>{1.5, -2.25}, "broadcast double");
    std::string text = r == root ? "results.h5.tmp-42" : "x";
    world.broadcast(text, root);
    f.check(text == "results.h5.tmp-42", "broadcast string");
    // sum over r of {r, 2^35} is {n(n-1)/2, n 2^35}; max of r is n - 1; min of 10 - r is 11 - n.
    std::vector<std::int64_t> sums = {r, std::int64_t{1} << 35};
    world.allreduce_sum(std::span<std::int64_t>(sums));
    f.check(sums == std::vector<std::int64_t>{std::int64_t(n) * (n - 1) / 2, std::int64_t(n) << 35},
            "sum");
    std::vector<double> maxima = {double(r), -double(r)};
    world.allreduce_max(std::span<double>(maxima));
    f.check(maxima == std::vector<double>{double(n - 1), 0.0}, "max");
    f.check(world.allreduce_min(10 - r) == 11 - n, "min");
    // Rank r gives r + 1 copies of r: the root receives 0, 1, 1, 2, 2, 2, ...
    const std::vector<double> mine(static_cast<std::size_t>(r + 1), double(r));
    std::vector<double> expected;
    for (int q = 0; q < n; ++q)
      expected.insert(expected.end(), static_cast<std::size_t>(q + 1), double(q));
    const auto gathered = world.gatherv(mine, 0);
    f.check(r == 0 ? gathered == expected : gathered.empty(), "gatherv");
    f.check(world.allgatherv(mine) == expected, "allgatherv");
  });
  EXPECT_TRUE(f.failures.empty()) << ::testing::PrintToString(f.failures);
}

struct Cell {  // a trivially copyable struct, as the cluster table
  double statistic;
  std::int64_t size;
  std::int8_t sign;
};

TEST_P(InProcessCommunicator, MovesTriviallyCopyableStructsAsValues) {
  const int n = GetParam();
  Findings f;
  run_in_process(n, [&](const Communicator& world) {
    const int r = world.rank();
    std::vector<Cell> cells;
    if (r == 0) cells = {{2.5, 3, -1}, {0.125, 7, 1}};
    world.broadcast_values(cells, 0);
    f.check(cells.size() == 2 && cells[1].statistic == 0.125 && cells[0].sign == -1,
            "broadcast_values");
    const Cell mine{double(r), r, static_cast<std::int8_t>(r % 2 ? -1 : 1)};
    const auto all = world.gather_values(std::span<const Cell>(&mine, 1), n - 1);
    if (r == n - 1) {
      f.check(all.size() == static_cast<std::size_t>(n), "gather_values size");
      for (int q = 0; q < n && q < static_cast<int>(all.size()); ++q)
        f.check(all[static_cast<std::size_t>(q)].size == q, "gather_values order");
    }
  });
  EXPECT_TRUE(f.failures.empty()) << ::testing::PrintToString(f.failures);
}

// exchange_pattern.hpp: each rank's segments for every rank, and what it must receive.
TEST_P(InProcessCommunicator, ExchangesSegmentsAllToAllInRankOrder) {
  const int n = GetParam();
  Findings f;
  run_in_process(n, [&](const Communicator& world) {
    const auto p = test::exchange_pattern(world.rank(), n);
    const auto got = world.exchange_values(std::span<const std::int32_t>(p.send), p.counts);
    f.check(got == p.expected, "exchange_values of rank " + std::to_string(world.rank()));
  });
  EXPECT_TRUE(f.failures.empty()) << ::testing::PrintToString(f.failures);
}

// The serial communicator keeps the same contract with one rank: its one segment comes back.
TEST(SerialCommunicator, ExchangesItsOneSegmentWithItself) {
  const auto serial = make_serial_communicator();
  const std::vector<std::int32_t> send = {4, -2, 7};
  const std::vector<std::size_t> counts = {3};
  EXPECT_EQ(serial->exchange_values(std::span<const std::int32_t>(send), counts), send);
}

TEST_P(InProcessCommunicator, SplitsByColorOrderedByKeyThenRank) {
  const int n = GetParam();
  Findings f;
  run_in_process(n, [&](const Communicator& world) {
    const int r = world.rank();
    // Colors r % 2; keys reverse the order: within a color the highest old rank comes first.
    const auto part = world.split(r % 2, -r);
    const int members = (n - r % 2 + 1) / 2;
    f.check(part->size() == members, "split size");
    int expected_rank = 0;
    for (int q = r % 2; q < n; q += 2) expected_rank += q > r;
    f.check(part->rank() == expected_rank, "split rank");
    std::vector<std::int64_t> sum = {r};
    part->allreduce_sum(std::span<std::int64_t>(sum));
    std::int64_t expected = 0;
    for (int q = r % 2; q < n; q += 2) expected += q;
    f.check(sum[0] == expected, "sum within the color");
    // A second split of the world right after must not mix up the first one's teams.
    const auto all = world.split(0, r);
    f.check(all->size() == n && all->rank() == r, "second split");
  });
  EXPECT_TRUE(f.failures.empty()) << ::testing::PrintToString(f.failures);
}

INSTANTIATE_TEST_SUITE_P(Ranks, InProcessCommunicator, ::testing::Values(1, 2, 3, 4),
                         ::testing::PrintToStringParamName());

}  // namespace
}  // namespace permrsa
