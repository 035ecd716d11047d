// plugin_support::ComputeThread: every job runs on one thread whoever submits it, results and
// exceptions come back to the caller, and a job may call run() again without deadlocking.
#include "../../backends/common/compute_thread.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using nnwasm::plugin_support::ComputeThread;

TEST(ComputeThread, JobsFromManyThreadsRunOnOneThreadOneAtATime) {
  ComputeThread compute;
  std::mutex seen_mutex;
  std::set<std::thread::id> seen;
  int running = 0, most_running = 0, total = 0;  // touched only inside jobs
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const int value = compute.run([&] {
          most_running = std::max(most_running, ++running);
          {
            std::lock_guard lock(seen_mutex);
            seen.insert(std::this_thread::get_id());
          }
          --running;
          return ++total;
        });
        EXPECT_GT(value, 0);
      }
    });
  }
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_NE(*seen.begin(), std::this_thread::get_id());
  EXPECT_EQ(most_running, 1);
  EXPECT_EQ(total, 8 * 200);
}

TEST(ComputeThread, ExceptionsReachTheCallerAndTheThreadKeepsServing) {
  ComputeThread compute;
  EXPECT_THROW(compute.run([]() -> int { throw std::runtime_error("decode failed"); }),
               std::runtime_error);
  EXPECT_EQ(compute.run([] { return 7; }), 7);
}

TEST(ComputeThread, AJobThatRunsAnotherRunsItInline) {
  ComputeThread compute;
  const auto outer = compute.run([&] {
    const auto inner = compute.run([] { return std::this_thread::get_id(); });
    return inner == std::this_thread::get_id();
  });
  EXPECT_TRUE(outer);
}

}  // namespace
