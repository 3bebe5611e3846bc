// The MPI test driver (Arbor's pattern): one Runtime for the process, the GoogleTest suite on
// every rank, and the job's exit code is the largest over ranks, so a failure on any rank fails
// the test. Rank 0 prints GoogleTest's report; the other ranks print only their failures,
// prefixed with the rank.
#include <gtest/gtest.h>

#include <cstdio>
#include <span>

#include "mpi_test_support.hpp"
#include "permrsa/runtime.hpp"

namespace permrsa::test {
namespace {

const Communicator* the_world = nullptr;

class FailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 result.file_name() != nullptr ? result.file_name() : "?", result.line_number(),
                 result.summary());
  }

 private:
  int rank_;
};

}  // namespace

const Communicator& world() {
  return *the_world;
}

}  // namespace permrsa::test

int main(int argc, char** argv) {
  permrsa::Runtime runtime(argc, argv);
  permrsa::test::the_world = &runtime.world();
  testing::InitGoogleTest(&argc, argv);
  const int rank = runtime.world().rank();
  if (rank != 0) {
    testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new permrsa::test::FailurePrinter(rank));
  }
  const int mine = RUN_ALL_TESTS();
  double worst = mine;
  runtime.world().allreduce_max(std::span<double>(&worst, 1));
  if (rank == 0 && worst != 0 && mine == 0) {
    std::fprintf(stderr, "a test failed on another rank (see its [rank N] lines)\n");
  }
  return static_cast<int>(worst);
}
