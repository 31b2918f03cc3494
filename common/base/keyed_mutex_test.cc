#include "common/base/keyed_mutex.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace jinguo {
namespace {

TEST(KeyedMutexTest, AHoldReleasedOnAnotherThreadLetsTheNextCallerIn) {
  KeyedMutex locks;
  KeyedMutex::Held held = locks.LockAll({"ben:1", "req:a"});
  std::atomic<bool> entered{false};
  std::thread waiter([&] {
    KeyedMutex::Held mine = locks.Lock("ben:1");
    entered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(entered) << "a second caller got a key that is held";
  // Handed to another thread, as the commit thread does, and released there.
  std::thread releaser([h = std::move(held)]() mutable { h.Release(); });
  releaser.join();
  waiter.join();
  EXPECT_TRUE(entered);
}

TEST(KeyedMutexTest, EverythingExcludesEveryKeyAndRepeatedKeysDoNotDeadlock) {
  KeyedMutex locks;
  {
    KeyedMutex::Held same = locks.LockAll({"a", "a", "b"});  // one stripe taken once
  }
  KeyedMutex::Held all = locks.LockEverything();
  std::atomic<bool> entered{false};
  std::thread waiter([&] {
    KeyedMutex::Held mine = locks.Lock("anything");
    entered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(entered);
  all = KeyedMutex::Held();  // move-assigning releases what was held
  waiter.join();
  EXPECT_TRUE(entered);
}

}  // namespace
}  // namespace jinguo
