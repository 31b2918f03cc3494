// A slower disk for benchmarks, without a slower disk: preloaded (LD_PRELOAD) into a service, it makes every
// fsync and fdatasync take JINGUO_SYNC_DELAY_US microseconds longer (default 300), as a disk whose synced 4 KiB
// write takes that much more would. The call still syncs. Used by scripts/bench_registration.sh when
// JINGUO_BENCH_SYNC_DELAY_US is set, to measure the write path as it runs on a slow disk.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

namespace {

useconds_t Delay() {
  static const useconds_t delay = [] {
    const char* v = std::getenv("JINGUO_SYNC_DELAY_US");
    return static_cast<useconds_t>(v != nullptr ? std::atoi(v) : 300);
  }();
  return delay;
}

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Next<int (*)(int)>("fsync");
  usleep(Delay());
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static auto real = Next<int (*)(int)>("fdatasync");
  usleep(Delay());
  return real(fd);
}
