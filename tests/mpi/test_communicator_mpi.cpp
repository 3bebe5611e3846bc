// The communicator's collectives on the job's world (MPI under mpirun, any rank count).
// Expected values are worked out by hand from each rank's contribution, for any size n.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include "../unit/exchange_pattern.hpp"
#include "dist/mpi/mpi_communicator.hpp"
#include "mpi_test_support.hpp"
#include "permrsa/runtime.hpp"

namespace permrsa {
namespace {

using test::world;

TEST(MpiCommunicator, IsTheMpiWorldWhenLaunchedByMpirun) {
  ASSERT_TRUE(launched_by_mpi());
  int mpi_size = 0, mpi_rank = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
  MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
  EXPECT_EQ(world().size(), mpi_size);
  EXPECT_EQ(world().rank(), mpi_rank);
  int same = MPI_UNEQUAL;
  MPI_Comm_compare(raw_mpi_comm(world()), MPI_COMM_WORLD, &same);
  EXPECT_TRUE(same == MPI_IDENT || same == MPI_CONGRUENT);
}

TEST(MpiCommunicator, BroadcastsEveryTypeFromTheLastRank) {
  const int n = world().size(), r = world().rank(), root = n - 1;
  std::vector<double> d = {r == root ? 1.5 : 0.0, r == root ? -2.25 : 0.0};
  std::vector<std::int64_t> i64 = {r == root ? (std::int64_t{1} << 40) : 0};
  std::vector<std::int32_t> i32 = {r == root ? -7 : 0, r == root ? 9 : 0, 0};
  std::string text = r == root ? std::string("results.h5.tmp-42") : std::string("x");
  world().broadcast(std::span<double>(d), root);
  world().broadcast(std::span<std::int64_t>(i64), root);
  world().broadcast(std::span<std::int32_t>(i32), root);
  world().broadcast(text, root);
  EXPECT_EQ(d, (std::vector<double>{1.5, -2.25}));
  EXPECT_EQ(i64, (std::vector<std::int64_t>{std::int64_t{1} << 40}));
  EXPECT_EQ(i32, (std::vector<std::int32_t>{-7, 9, 0}));
  EXPECT_EQ(text, "results.h5.tmp-42");
}

TEST(MpiCommunicator, ReducesElementwiseOverRanks) {
  const int n = world().size(), r = world().rank();
  // max over r of {r, -r, r / 2} is {n - 1, 0, (n - 1) / 2}.
  std::vector<double> maxima = {double(r), -double(r), 0.5 * r};
  world().allreduce_max(std::span<double>(maxima));
  EXPECT_EQ(maxima, (std::vector<double>{double(n - 1), 0.0, 0.5 * (n - 1)}));
  // sum over r of {r, 1, 2^35} is {n(n-1)/2, n, n 2^35} (beyond int32).
  std::vector<std::int64_t> sums = {r, 1, std::int64_t{1} << 35};
  world().allreduce_sum(std::span<std::int64_t>(sums));
  EXPECT_EQ(sums,
            (std::vector<std::int64_t>{std::int64_t(n) * (n - 1) / 2, n, std::int64_t(n) << 35}));
  // min over r of 10 - r is 11 - n.
  EXPECT_EQ(world().allreduce_min(10 - r), 11 - n);
}

// Rank r contributes r values 100 r + i (rank 0 nothing): uneven, with an empty part.
std::vector<double> uneven_part(int r) {
  std::vector<double> part;
  for (int i = 0; i < r; ++i) part.push_back(100.0 * r + i);
  return part;
}

std::vector<double> concatenation(int n) {
  std::vector<double> all;
  for (int r = 0; r < n; ++r) {
    const auto part = uneven_part(r);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

TEST(MpiCommunicator, GathersUnevenPartsInRankOrderAtTheRootOnly) {
  const int n = world().size(), r = world().rank(), root = n / 2;
  const std::vector<double> mine = uneven_part(r);
  const std::vector<double> gathered = world().gatherv(mine, root);
  if (r == root) {
    EXPECT_EQ(gathered, concatenation(n));
  } else {
    EXPECT_TRUE(gathered.empty());
  }
}

TEST(MpiCommunicator, AllGathersUnevenPartsInRankOrderEverywhere) {
  const int n = world().size();
  const std::vector<double> mine = uneven_part(world().rank());
  EXPECT_EQ(world().allgatherv(mine), concatenation(n));
  // n(n-1)/2 values in all.
  EXPECT_EQ(world().allgatherv(mine).size(), static_cast<std::size_t>(n * (n - 1) / 2));
}

TEST(MpiCommunicator, SplitsByColorAndOrdersByKey) {
  // color = parity, key = -rank: each half is ordered from its highest world rank down.
  const int n = world().size(), r = world().rank();
  const auto half = world().split(r % 2, -r);
  const int members = (n - r % 2 + 1) / 2;  // ranks of my parity in 0..n-1
  EXPECT_EQ(half->size(), members);
  // My new rank: how many ranks of my parity are above me.
  int above = 0;
  for (int other = r + 2; other < n; other += 2) ++above;
  EXPECT_EQ(half->rank(), above);
  // The sub-communicator reduces over its members only: the sum of their world ranks.
  std::int64_t sum = r;
  half->allreduce_sum(std::span<std::int64_t>(&sum, 1));
  std::int64_t expected = 0;
  for (int other = r % 2; other < n; other += 2) expected += other;
  EXPECT_EQ(sum, expected);
  // Its root (the highest world rank of the parity) broadcasts.
  std::string name = half->rank() == 0 ? "top " + std::to_string(r) : "";
  half->broadcast(name, 0);
  int top = r % 2;
  while (top + 2 < n) top += 2;
  EXPECT_EQ(name, "top " + std::to_string(top));
  world().barrier();
}

// tests/unit/exchange_pattern.hpp: each rank's segments for every rank, and what it must receive.
TEST(MpiCommunicator, ExchangesSegmentsAllToAllInRankOrder) {
  const auto p = test::exchange_pattern(world().rank(), world().size());
  EXPECT_EQ(world().exchange_values(std::span<const std::int32_t>(p.send), p.counts), p.expected);
}

struct ClusterLike {  // trivially copyable, as the cluster table moved between ranks
  double statistic;
  std::int64_t size;
  std::int8_t sign;
};

TEST(MpiCommunicator, MovesTriviallyCopyableStructsAsValues) {
  const int n = world().size(), r = world().rank();
  std::vector<ClusterLike> table;
  if (r == 0) table = {{2.5, 3, -1}, {0.125, 7, 1}};
  world().broadcast_values(table, 0);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[1].statistic, 0.125);
  EXPECT_EQ(table[0].sign, -1);
  const ClusterLike mine{double(r), r, static_cast<std::int8_t>(r % 2 ? -1 : 1)};
  const auto all = world().gather_values(std::span<const ClusterLike>(&mine, 1), n - 1);
  if (r == n - 1) {
    ASSERT_EQ(all.size(), static_cast<std::size_t>(n));
    for (int q = 0; q < n; ++q) EXPECT_EQ(all[static_cast<std::size_t>(q)].size, q);
  } else {
    EXPECT_TRUE(all.empty());
  }
}

}  // namespace
}  // namespace permrsa
