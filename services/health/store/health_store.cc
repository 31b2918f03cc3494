#include "services/health/store/health_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/store/keys.h"

namespace jinguo::health::store {

using jinguo::store::GetMessage;
using jinguo::store::KeyBuilder;
using jinguo::store::KeyReader;

namespace {

constexpr char kSweptThrough[] = "swept_through";

std::optional<absl::CivilDay> DayOf(const common::v1::CivilDate& d) {
  auto day = FromProto(d);
  if (!day.ok()) return std::nullopt;
  return *day;
}

// The due-index key of `c`, or "" when its current stage is not waiting to be done on time.
std::string DueKeyOf(const v1::FollowUpCase& c) {
  if (c.state() != v1::CASE_STATE_OPEN || c.stages_size() == 0) return "";
  const v1::StageRecord& s = c.stages(c.stages_size() - 1);
  if (s.status() != v1::STAGE_STATUS_SCHEDULED) return "";
  auto due = DayOf(s.due_on());
  return due ? HealthStore::DueKey(*due, c.id()) : "";
}

std::string RegionKey(const v1::FollowUpCase& c) {
  return absl::StrCat(c.region_code(), std::string(1, '\0'), c.id(), std::string(1, '\0'));
}

}  // namespace

std::vector<std::string> HealthStore::Families() {
  return {"screenings", "screenings_by_woman", "cases",  "cases_by_region", "due_index",       "health_meta",
          "policies",   "enrollments",         "claims", "reliefs",         "reliefs_by_woman"};
}

std::vector<std::string> HealthStore::ScannedByFirstPart() { return {"screenings_by_woman", "reliefs_by_woman"}; }

HealthStore::HealthStore(jinguo::store::Store* db)
    : db_(db),
      screenings_(db->Family("screenings")),
      by_woman_(db->Family("screenings_by_woman")),
      cases_(db->Family("cases")),
      by_region_(db->Family("cases_by_region")),
      due_(db->Family("due_index")),
      meta_(db->Family("health_meta")),
      policies_(db->Family("policies")),
      enrollments_(db->Family("enrollments")),
      claims_(db->Family("claims")),
      reliefs_(db->Family("reliefs")),
      reliefs_by_woman_(db->Family("reliefs_by_woman")) {}

absl::StatusOr<std::optional<v1::Relief>> HealthStore::GetRelief(const std::string& id) const {
  return GetMessage<v1::Relief>(*db_, reliefs_, id, "relief");
}

void HealthStore::PutRelief(rocksdb::WriteBatch* batch, const v1::Relief& r) const {
  batch->Put(reliefs_, r.id(), r.SerializeAsString());
  batch->Put(reliefs_by_woman_, KeyBuilder().Str(r.beneficiary_id()).Str(r.id()).key(), "");
}

absl::StatusOr<std::vector<v1::Relief>> HealthStore::ReliefsOf(const std::string& beneficiary_id) const {
  std::vector<v1::Relief> out;
  std::string prefix = KeyBuilder().Str(beneficiary_id).key();
  auto it = db_->Scan(reliefs_by_woman_, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    std::string who, id;
    if (!r.Str(&who) || !r.Str(&id)) return absl::DataLossError("relief index: unreadable key");
    ASSIGN_OR_RETURN(auto relief, GetRelief(id));
    if (!relief) return absl::DataLossError(absl::StrCat("relief ", id, " is indexed but missing"));
    out.push_back(*std::move(relief));
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "scan reliefs"));
  return out;
}

absl::StatusOr<std::optional<v1::InsurancePolicy>> HealthStore::GetPolicy(const std::string& id) const {
  return GetMessage<v1::InsurancePolicy>(*db_, policies_, id, "insurance policy");
}

void HealthStore::PutPolicy(rocksdb::WriteBatch* batch, const v1::InsurancePolicy& p) const {
  batch->Put(policies_, p.id(), p.SerializeAsString());
}

absl::StatusOr<std::optional<v1::Enrollment>> HealthStore::GetEnrollment(const std::string& beneficiary_id,
                                                                         int policy_year) const {
  return GetMessage<v1::Enrollment>(
      *db_, enrollments_, KeyBuilder().Str(beneficiary_id).U32(static_cast<uint32_t>(policy_year)).key(), "enrolment");
}

void HealthStore::PutEnrollment(rocksdb::WriteBatch* batch, const v1::Enrollment& e) const {
  batch->Put(enrollments_, KeyBuilder().Str(e.beneficiary_id()).U32(static_cast<uint32_t>(e.policy_year())).key(),
             e.SerializeAsString());
}

void HealthStore::PutClaim(rocksdb::WriteBatch* batch, const v1::Claim& c) const {
  batch->Put(claims_, c.id(), c.SerializeAsString());
}

std::string HealthStore::DueKey(absl::CivilDay due, const std::string& case_id) {
  return KeyBuilder().Day(due).Str(case_id).key();
}

absl::StatusOr<std::optional<v1::Screening>> HealthStore::GetScreening(const std::string& id) const {
  return GetMessage<v1::Screening>(*db_, screenings_, id, "screening");
}

void HealthStore::PutScreening(rocksdb::WriteBatch* batch, const v1::Screening& s) const {
  batch->Put(screenings_, s.id(), s.SerializeAsString());
  auto day = DayOf(s.screened_on());
  KeyBuilder key;
  key.Str(s.beneficiary_id());
  if (day) {
    key.Day(*day);
  } else {
    key.U32(0);
  }
  batch->Put(by_woman_, key.Str(s.id()).key(), "");
}

absl::StatusOr<std::vector<v1::Screening>> HealthStore::ScreeningsOf(const std::string& beneficiary_id) const {
  std::vector<v1::Screening> out;
  std::string prefix = KeyBuilder().Str(beneficiary_id).key();
  auto it = db_->Scan(by_woman_, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    std::string who, id;
    uint32_t day = 0;
    if (!r.Str(&who) || !r.U32(&day) || !r.Str(&id)) {
      return absl::DataLossError(absl::StrCat("screening index of ", beneficiary_id, ": unreadable key"));
    }
    ASSIGN_OR_RETURN(auto s, GetScreening(id));
    if (!s) return absl::DataLossError(absl::StrCat("screening ", id, " is indexed but missing"));
    out.push_back(*std::move(s));
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "scan screenings"));
  std::reverse(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::optional<v1::FollowUpCase>> HealthStore::GetCase(const std::string& id) const {
  return GetMessage<v1::FollowUpCase>(*db_, cases_, id, "follow-up case");
}

void HealthStore::PutCase(rocksdb::WriteBatch* batch, const v1::FollowUpCase& c, const v1::FollowUpCase* before) const {
  batch->Put(cases_, c.id(), c.SerializeAsString());
  if (before == nullptr) batch->Put(by_region_, RegionKey(c), "");
  std::string old_due = before ? DueKeyOf(*before) : "";
  std::string new_due = DueKeyOf(c);
  if (old_due != new_due) {
    if (!old_due.empty()) batch->Delete(due_, old_due);
    if (!new_due.empty()) batch->Put(due_, new_due, "");
  }
}

std::unique_ptr<rocksdb::Iterator> HealthStore::ScanCases(const std::string& region_prefix,
                                                          const std::string& after) const {
  return db_->ScanAfter(by_region_, region_prefix, after);
}

std::string HealthStore::CaseIdOf(absl::string_view region_key) { return jinguo::store::SecondPart(region_key); }

absl::StatusOr<std::vector<HealthStore::Due>> HealthStore::DueBefore(absl::CivilDay day, size_t limit,
                                                                     const std::string& after) const {
  std::vector<Due> ids;
  std::string end = KeyBuilder().Day(day).key();
  auto it = db_->Scan(due_, "");
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(after);
    if (it->Valid() && it->key() == rocksdb::Slice(after)) it->Next();
  }
  for (; it->Valid() && ids.size() < limit; it->Next()) {
    if (it->key().compare(rocksdb::Slice(end)) >= 0) break;
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    uint32_t due = 0;
    std::string id;
    if (!r.U32(&due) || !r.Str(&id)) return absl::DataLossError("due index: unreadable key");
    ids.push_back({it->key().ToString(), std::move(id)});
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "scan due index"));
  return ids;
}

void HealthStore::DropDue(rocksdb::WriteBatch* batch, const std::string& key) const { batch->Delete(due_, key); }

absl::StatusOr<std::optional<absl::CivilDay>> HealthStore::SweptThrough() const {
  ASSIGN_OR_RETURN(auto value, db_->Get(meta_, kSweptThrough));
  if (!value) return std::optional<absl::CivilDay>();
  auto day = ParseCivilDate(*value);
  if (!day.ok()) return absl::DataLossError(absl::StrCat("health_meta swept_through: ", day.status().message()));
  return std::optional<absl::CivilDay>(*day);
}

void HealthStore::PutSweptThrough(rocksdb::WriteBatch* batch, absl::CivilDay day) const {
  batch->Put(meta_, kSweptThrough, FormatCivilDate(day));
}

}  // namespace jinguo::health::store
