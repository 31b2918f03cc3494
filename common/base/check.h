// Two levels of "this cannot happen":
//   JG_CHECK(cond)   always on; logs and aborts. For broken invariants of our own code, never for input.
//   JG_DCHECK(cond)  debug builds only.
// Never check what comes from outside (requests, Kafka, disk) with these: return a status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define JG_CHECK(cond)                                                              \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

#ifdef NDEBUG
#define JG_DCHECK(cond) \
  do {                  \
  } while (false && (cond))
#else
#define JG_DCHECK(cond) JG_CHECK(cond)
#endif
