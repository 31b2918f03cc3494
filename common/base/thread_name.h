// Names the calling thread (as `top -H`, `perf` and /proc/PID/task/*/comm show it), so an operator can tell the
// commit thread from the outbox relay or a projection. Linux keeps the first 15 bytes.
#pragma once

#include <pthread.h>

#include <string>

namespace jinguo {

inline void NameThisThread(const std::string& name) { pthread_setname_np(pthread_self(), name.substr(0, 15).c_str()); }

}  // namespace jinguo
