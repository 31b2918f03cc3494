// Copies of strings kept on a protobuf arena, for map keys that live as long as the arena's other contents: no
// allocation of their own, and freed with the arena in one piece. Not thread-safe beyond what the arena is.
#pragma once

#include <cstring>

#include "absl/strings/string_view.h"
#include "google/protobuf/arena.h"

namespace jinguo {

inline absl::string_view CopyOnArena(google::protobuf::Arena* arena, absl::string_view s) {
  char* kept = google::protobuf::Arena::CreateArray<char>(arena, s.size());
  if (!s.empty()) std::memcpy(kept, s.data(), s.size());
  return absl::string_view(kept, s.size());
}

}  // namespace jinguo
