#include "services/training/store/training_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/store/keys.h"

namespace jinguo::training::store {

using jinguo::store::GetMessage;
using jinguo::store::KeyBuilder;
using jinguo::store::KeyReader;
using jinguo::store::ScanMessages;

namespace {

// The messages named by the second part of every `index` key under `first` (first \0 id \0), read from `values`.
template <typename M>
absl::StatusOr<std::vector<M>> Indexed(const jinguo::store::Store& db, rocksdb::ColumnFamilyHandle* index,
                                       rocksdb::ColumnFamilyHandle* values, const std::string& first,
                                       absl::string_view what) {
  std::vector<M> out;
  std::string prefix = KeyBuilder().Str(first).key();
  auto it = db.Scan(index, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string id = TrainingStore::IdOf(absl::string_view(it->key().data(), it->key().size()));
    ASSIGN_OR_RETURN(std::optional<M> m, GetMessage<M>(db, values, id, what));
    if (!m) return absl::DataLossError(absl::StrCat(what, " ", id, " is indexed but missing"));
    out.push_back(*std::move(m));
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), absl::StrCat("scan ", what)));
  return out;
}

}  // namespace

std::vector<std::string> TrainingStore::Families() {
  return {"programmes", "programmes_by_region", "sessions",   "participants",        "participants_by_woman",
          "postings",   "postings_by_region",   "placements", "placements_by_woman", "funds",
          "grants",     "grants_by_student",    "donor_pairs"};
}

std::vector<std::string> TrainingStore::ScannedByFirstPart() {
  return {"sessions", "participants", "placements_by_woman", "grants_by_student"};
}

TrainingStore::TrainingStore(jinguo::store::Store* db)
    : db_(db),
      programmes_(db->Family("programmes")),
      programmes_by_region_(db->Family("programmes_by_region")),
      sessions_(db->Family("sessions")),
      participants_(db->Family("participants")),
      participants_by_woman_(db->Family("participants_by_woman")),
      postings_(db->Family("postings")),
      postings_by_region_(db->Family("postings_by_region")),
      placements_(db->Family("placements")),
      placements_by_woman_(db->Family("placements_by_woman")),
      funds_(db->Family("funds")),
      grants_(db->Family("grants")),
      grants_by_student_(db->Family("grants_by_student")),
      donor_pairs_(db->Family("donor_pairs")) {}

std::string TrainingStore::IdOf(absl::string_view index_key) { return jinguo::store::SecondPart(index_key); }

absl::StatusOr<std::optional<v1::Programme>> TrainingStore::GetProgramme(const std::string& id) const {
  return GetMessage<v1::Programme>(*db_, programmes_, id, "programme");
}

void TrainingStore::PutProgramme(rocksdb::WriteBatch* batch, const v1::Programme& p, bool first_write) const {
  batch->Put(programmes_, p.id(), p.SerializeAsString());
  if (first_write) batch->Put(programmes_by_region_, jinguo::store::PairKey(p.region_code(), p.id()), "");
}

std::unique_ptr<rocksdb::Iterator> TrainingStore::ScanProgrammes(const std::string& region_prefix,
                                                                 const std::string& after) const {
  return db_->ScanAfter(programmes_by_region_, region_prefix, after);
}

absl::StatusOr<std::vector<v1::Session>> TrainingStore::Sessions(const std::string& programme_id) const {
  return ScanMessages<v1::Session>(*db_, sessions_, KeyBuilder().Str(programme_id).key(), "sessions");
}

void TrainingStore::PutSession(rocksdb::WriteBatch* batch, const v1::Session& s) const {
  batch->Put(sessions_, jinguo::store::PairKey(s.programme_id(), s.id()), s.SerializeAsString());
}

absl::StatusOr<std::vector<v1::Participant>> TrainingStore::Participants(const std::string& programme_id) const {
  return ScanMessages<v1::Participant>(*db_, participants_, KeyBuilder().Str(programme_id).key(), "participants");
}

void TrainingStore::PutParticipant(rocksdb::WriteBatch* batch, const v1::Participant& p) const {
  batch->Put(participants_, KeyBuilder().Str(p.programme_id()).U32(static_cast<uint32_t>(p.number())).key(),
             p.SerializeAsString());
  if (!p.beneficiary_id().empty()) {
    batch->Put(participants_by_woman_, jinguo::store::PairKey(p.beneficiary_id(), p.programme_id()),
               KeyBuilder().U32(static_cast<uint32_t>(p.number())).key());
  }
}

absl::StatusOr<std::optional<int>> TrainingStore::NumberOf(const std::string& beneficiary_id,
                                                           const std::string& programme_id) const {
  ASSIGN_OR_RETURN(auto value, db_->Get(participants_by_woman_, jinguo::store::PairKey(beneficiary_id, programme_id)));
  if (!value) return std::optional<int>();
  uint32_t n = 0;
  if (!KeyReader(*value).U32(&n)) return absl::DataLossError("participants_by_woman: unreadable number");
  return std::optional<int>(static_cast<int>(n));
}

absl::StatusOr<std::optional<v1::JobPosting>> TrainingStore::GetPosting(const std::string& id) const {
  return GetMessage<v1::JobPosting>(*db_, postings_, id, "job posting");
}

void TrainingStore::PutPosting(rocksdb::WriteBatch* batch, const v1::JobPosting& p, bool first_write) const {
  batch->Put(postings_, p.id(), p.SerializeAsString());
  if (first_write) batch->Put(postings_by_region_, jinguo::store::PairKey(p.region_code(), p.id()), "");
}

std::unique_ptr<rocksdb::Iterator> TrainingStore::ScanPostings(const std::string& region_prefix,
                                                               const std::string& after) const {
  return db_->ScanAfter(postings_by_region_, region_prefix, after);
}

absl::StatusOr<std::optional<v1::Placement>> TrainingStore::GetPlacement(const std::string& id) const {
  return GetMessage<v1::Placement>(*db_, placements_, id, "placement");
}

void TrainingStore::PutPlacement(rocksdb::WriteBatch* batch, const v1::Placement& p) const {
  batch->Put(placements_, p.id(), p.SerializeAsString());
  batch->Put(placements_by_woman_, jinguo::store::PairKey(p.beneficiary_id(), p.id()), "");
}

absl::StatusOr<std::vector<v1::Placement>> TrainingStore::PlacementsOf(const std::string& beneficiary_id) const {
  return Indexed<v1::Placement>(*db_, placements_by_woman_, placements_, beneficiary_id, "placement");
}

absl::StatusOr<std::optional<v1::AidFund>> TrainingStore::GetFund(const std::string& id) const {
  return GetMessage<v1::AidFund>(*db_, funds_, id, "aid fund");
}

void TrainingStore::PutFund(rocksdb::WriteBatch* batch, const v1::AidFund& f) const {
  batch->Put(funds_, f.id(), f.SerializeAsString());
}

absl::StatusOr<std::optional<v1::AidGrant>> TrainingStore::GetGrant(const std::string& id) const {
  return GetMessage<v1::AidGrant>(*db_, grants_, id, "aid grant");
}

void TrainingStore::PutGrant(rocksdb::WriteBatch* batch, const v1::AidGrant& g) const {
  batch->Put(grants_, g.id(), g.SerializeAsString());
  batch->Put(grants_by_student_, jinguo::store::PairKey(g.beneficiary_id(), g.id()), "");
}

absl::StatusOr<std::vector<v1::AidGrant>> TrainingStore::GrantsOf(const std::string& beneficiary_id) const {
  return Indexed<v1::AidGrant>(*db_, grants_by_student_, grants_, beneficiary_id, "aid grant");
}

void TrainingStore::PutDonorPair(rocksdb::WriteBatch* batch, const std::string& fund_id,
                                 const std::string& beneficiary_id) const {
  batch->Put(donor_pairs_, jinguo::store::PairKey(fund_id, beneficiary_id), "");
}

absl::StatusOr<bool> TrainingStore::DonorPaired(const std::string& fund_id, const std::string& beneficiary_id) const {
  ASSIGN_OR_RETURN(auto value, db_->Get(donor_pairs_, jinguo::store::PairKey(fund_id, beneficiary_id)));
  return value.has_value();
}

}  // namespace jinguo::training::store
