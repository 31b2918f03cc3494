// The publicity service's RocksDB layout. Every write goes into a caller's batch (committed by the write path with
// its events and audit record); reads go to the store.
//
//   campaigns            campaign id → Campaign
//   campaigns_by_region  region \0 campaign id \0 → ""
//   events               event id → PublicityEvent
//   reaches              household \0 campaign id \0 → HouseholdReach   (once per household and campaign)
//   cleanings            household \0 cleaning id \0 → HomeCleaning
//   inspections          household \0 inspection id \0 → Inspection
//   households           household id → HouseholdStatus
//   volunteers           volunteer id → StoredVolunteer (her mobile sealed)
//   volunteers_by_region region \0 volunteer id \0 → ""
//   volunteer_days       volunteer id \0 day (u32) → hours given that day
//   venues               venue id → Venue
//   venues_by_region     region \0 venue id \0 → ""
//   venue_quarters       venue id \0 quarter (u32, 20264) → VenueCount
//
// Thread-safety: thread-safe (RocksDB is); callers serialize the decisions that read and write one household,
// campaign, volunteer or venue.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/crypto/field_cipher.h"
#include "common/store/store.h"
#include "jinguo/publicity/v1/store.pb.h"
#include "jinguo/publicity/v1/types.pb.h"
#include "rocksdb/write_batch.h"

namespace jinguo::publicity::store {

namespace v1 = ::jinguo::publicity::v1;

class PublicityStore {
 public:
  static std::vector<std::string> Families();
  static std::vector<std::string> ScannedByFirstPart();
  // `cipher` seals volunteers' mobiles; both must outlive the store object.
  PublicityStore(jinguo::store::Store* db, const crypto::FieldCipher* cipher);

  absl::StatusOr<std::optional<v1::Campaign>> GetCampaign(const std::string& id) const;
  void PutCampaign(rocksdb::WriteBatch* batch, const v1::Campaign& c, bool first_write) const;
  std::unique_ptr<rocksdb::Iterator> ScanCampaigns(const std::string& region_prefix, const std::string& after) const;
  // The second part of a two-part index key (region \0 id \0 → id).
  static std::string IdOf(absl::string_view index_key);

  absl::StatusOr<std::optional<v1::PublicityEvent>> GetEvent(const std::string& id) const;
  void PutEvent(rocksdb::WriteBatch* batch, const v1::PublicityEvent& e) const;

  absl::StatusOr<std::optional<v1::HouseholdReach>> GetReach(const std::string& household_id,
                                                             const std::string& campaign_id) const;
  void PutReach(rocksdb::WriteBatch* batch, const v1::HouseholdReach& r) const;
  absl::StatusOr<std::vector<v1::HouseholdReach>> ReachesOf(const std::string& household_id) const;

  void PutCleaning(rocksdb::WriteBatch* batch, const v1::HomeCleaning& c) const;
  absl::StatusOr<std::vector<v1::HomeCleaning>> CleaningsOf(const std::string& household_id) const;
  void PutInspection(rocksdb::WriteBatch* batch, const v1::Inspection& i) const;
  absl::StatusOr<std::vector<v1::Inspection>> InspectionsOf(const std::string& household_id) const;

  // Its status; an empty one (id and region set by the caller) when nothing was recorded yet.
  absl::StatusOr<v1::HouseholdStatus> Status(const std::string& household_id) const;
  void PutStatus(rocksdb::WriteBatch* batch, const v1::HouseholdStatus& s) const;

  // The volunteer with her mobile in clear (DATA_LOSS naming the record when it does not decrypt).
  absl::StatusOr<std::optional<v1::Volunteer>> GetVolunteer(const std::string& id) const;
  void PutVolunteer(rocksdb::WriteBatch* batch, const v1::Volunteer& v, bool first_write) const;
  std::unique_ptr<rocksdb::Iterator> ScanVolunteers(const std::string& region_prefix, const std::string& after) const;
  absl::StatusOr<int> HoursOnDay(const std::string& volunteer_id, absl::CivilDay day) const;
  void PutHoursOnDay(rocksdb::WriteBatch* batch, const std::string& volunteer_id, absl::CivilDay day, int hours) const;

  absl::StatusOr<std::optional<v1::Venue>> GetVenue(const std::string& id) const;
  void PutVenue(rocksdb::WriteBatch* batch, const v1::Venue& v) const;
  std::unique_ptr<rocksdb::Iterator> ScanVenues(const std::string& region_prefix, const std::string& after) const;
  absl::StatusOr<v1::VenueCount> VenueQuarter(const std::string& venue_id, int quarter) const;
  void PutVenueQuarter(rocksdb::WriteBatch* batch, const std::string& venue_id, int quarter,
                       const v1::VenueCount& count) const;

 private:
  jinguo::store::Store* db_;
  const crypto::FieldCipher* cipher_;
  rocksdb::ColumnFamilyHandle *campaigns_, *campaigns_by_region_, *events_, *reaches_, *cleanings_, *inspections_,
      *households_, *volunteers_, *volunteers_by_region_, *volunteer_days_, *venues_, *venues_by_region_,
      *venue_quarters_;
};

}  // namespace jinguo::publicity::store
