// What the registration adapter's files share: lock keys, aggregate ids of pairings, page limits, and the rows an
// import has accepted but not yet committed. Not for use outside services/registration/api/.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/rpc/paging.h"
#include "common/rpc/write_path.h"
#include "common/validate/text.h"
#include "services/registration/api/registration_service.h"

namespace jinguo::registration::api {

inline constexpr rpc::PageLimits kPageLimits{50, 500};

// A call whose decision reads no key another call could change at the same time (it creates a new entity).
inline rpc::LockScope NoKeys() { return rpc::LockScope::Keys({}); }

// Keys of a registration: her ID number, and her name (a duplicate candidate shares it).
inline std::vector<std::string> RegistrationKeys(const v1::BeneficiaryInput& in) {
  std::string id_number = in.id_number();
  if (!id_number.empty() && id_number.back() == 'x') id_number.back() = 'X';
  return {absl::StrCat("idn:", id_number), absl::StrCat("name:", validate::TrimSpaces(in.name()))};
}

// The aggregate id of a cadre's pairing with a beneficiary: its events' ordering key.
inline std::string PairingAggregate(const std::string& cadre_id, const std::string& beneficiary_id) {
  return absl::StrCat(cadre_id, "/", beneficiary_id);
}

// What the rows of an import accepted so far hold, while their chunk is not yet in the store.
struct RegistrationService::PendingRows {
  std::set<std::string> id_numbers;
  std::map<std::string, std::string> duplicate_keys;  // key → beneficiary id
  std::map<std::string, v1::Household> households;
  std::map<std::string, v1::RegisterBeneficiaryRequest> requests;  // request id → the accepted row's request
  // The chunk before, while it is being committed: not in the store yet, so its rows are looked up here.
  const PendingRows* earlier = nullptr;

  const v1::RegisterBeneficiaryRequest* Request(const std::string& request_id) const {
    auto it = requests.find(request_id);
    if (it != requests.end()) return &it->second;
    return earlier != nullptr ? earlier->Request(request_id) : nullptr;
  }

  bool HasIdNumber(const std::string& id_number) const {
    return id_numbers.count(id_number) > 0 || (earlier != nullptr && earlier->HasIdNumber(id_number));
  }
  const std::string* DuplicateOf(const std::string& key) const {
    auto it = duplicate_keys.find(key);
    if (it != duplicate_keys.end()) return &it->second;
    return earlier != nullptr ? earlier->DuplicateOf(key) : nullptr;
  }
};

}  // namespace jinguo::registration::api
