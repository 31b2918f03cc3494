#include "services/publicity/store/publicity_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/store/keys.h"

namespace jinguo::publicity::store {

using jinguo::store::GetMessage;
using jinguo::store::KeyBuilder;
using jinguo::store::KeyReader;
using jinguo::store::ScanMessages;

namespace {

std::string MobileContext(const std::string& volunteer_id) {
  return absl::StrCat("volunteer/", volunteer_id, "/mobile");
}

}  // namespace

std::vector<std::string> PublicityStore::Families() {
  return {"campaigns",
          "campaigns_by_region",
          "events",
          "reaches",
          "cleanings",
          "inspections",
          "households",
          "volunteers",
          "volunteers_by_region",
          "volunteer_days",
          "venues",
          "venues_by_region",
          "venue_quarters"};
}

std::vector<std::string> PublicityStore::ScannedByFirstPart() { return {"reaches", "cleanings", "inspections"}; }

PublicityStore::PublicityStore(jinguo::store::Store* db, const crypto::FieldCipher* cipher)
    : db_(db),
      cipher_(cipher),
      campaigns_(db->Family("campaigns")),
      campaigns_by_region_(db->Family("campaigns_by_region")),
      events_(db->Family("events")),
      reaches_(db->Family("reaches")),
      cleanings_(db->Family("cleanings")),
      inspections_(db->Family("inspections")),
      households_(db->Family("households")),
      volunteers_(db->Family("volunteers")),
      volunteers_by_region_(db->Family("volunteers_by_region")),
      volunteer_days_(db->Family("volunteer_days")),
      venues_(db->Family("venues")),
      venues_by_region_(db->Family("venues_by_region")),
      venue_quarters_(db->Family("venue_quarters")) {}

std::string PublicityStore::IdOf(absl::string_view index_key) { return jinguo::store::SecondPart(index_key); }

absl::StatusOr<std::optional<v1::Campaign>> PublicityStore::GetCampaign(const std::string& id) const {
  return GetMessage<v1::Campaign>(*db_, campaigns_, id, "campaign");
}

void PublicityStore::PutCampaign(rocksdb::WriteBatch* batch, const v1::Campaign& c, bool first_write) const {
  batch->Put(campaigns_, c.id(), c.SerializeAsString());
  if (first_write) batch->Put(campaigns_by_region_, jinguo::store::PairKey(c.region_code(), c.id()), "");
}

std::unique_ptr<rocksdb::Iterator> PublicityStore::ScanCampaigns(const std::string& region_prefix,
                                                                 const std::string& after) const {
  return db_->ScanAfter(campaigns_by_region_, region_prefix, after);
}

absl::StatusOr<std::optional<v1::PublicityEvent>> PublicityStore::GetEvent(const std::string& id) const {
  return GetMessage<v1::PublicityEvent>(*db_, events_, id, "publicity event");
}

void PublicityStore::PutEvent(rocksdb::WriteBatch* batch, const v1::PublicityEvent& e) const {
  batch->Put(events_, e.id(), e.SerializeAsString());
}

absl::StatusOr<std::optional<v1::HouseholdReach>> PublicityStore::GetReach(const std::string& household_id,
                                                                           const std::string& campaign_id) const {
  return GetMessage<v1::HouseholdReach>(*db_, reaches_, jinguo::store::PairKey(household_id, campaign_id),
                                        "household reach");
}

void PublicityStore::PutReach(rocksdb::WriteBatch* batch, const v1::HouseholdReach& r) const {
  batch->Put(reaches_, jinguo::store::PairKey(r.household_id(), r.campaign_id()), r.SerializeAsString());
}

absl::StatusOr<std::vector<v1::HouseholdReach>> PublicityStore::ReachesOf(const std::string& household_id) const {
  return ScanMessages<v1::HouseholdReach>(*db_, reaches_, KeyBuilder().Str(household_id).key(), "reaches");
}

void PublicityStore::PutCleaning(rocksdb::WriteBatch* batch, const v1::HomeCleaning& c) const {
  batch->Put(cleanings_, jinguo::store::PairKey(c.household_id(), c.id()), c.SerializeAsString());
}

absl::StatusOr<std::vector<v1::HomeCleaning>> PublicityStore::CleaningsOf(const std::string& household_id) const {
  return ScanMessages<v1::HomeCleaning>(*db_, cleanings_, KeyBuilder().Str(household_id).key(), "cleanings");
}

void PublicityStore::PutInspection(rocksdb::WriteBatch* batch, const v1::Inspection& i) const {
  batch->Put(inspections_, jinguo::store::PairKey(i.household_id(), i.id()), i.SerializeAsString());
}

absl::StatusOr<std::vector<v1::Inspection>> PublicityStore::InspectionsOf(const std::string& household_id) const {
  return ScanMessages<v1::Inspection>(*db_, inspections_, KeyBuilder().Str(household_id).key(), "inspections");
}

absl::StatusOr<v1::HouseholdStatus> PublicityStore::Status(const std::string& household_id) const {
  ASSIGN_OR_RETURN(auto s, GetMessage<v1::HouseholdStatus>(*db_, households_, household_id, "household status"));
  return s ? *std::move(s) : v1::HouseholdStatus();
}

void PublicityStore::PutStatus(rocksdb::WriteBatch* batch, const v1::HouseholdStatus& s) const {
  batch->Put(households_, s.household_id(), s.SerializeAsString());
}

absl::StatusOr<std::optional<v1::Volunteer>> PublicityStore::GetVolunteer(const std::string& id) const {
  ASSIGN_OR_RETURN(auto stored, GetMessage<v1::StoredVolunteer>(*db_, volunteers_, id, "volunteer"));
  if (!stored) return std::optional<v1::Volunteer>();
  v1::Volunteer v = stored->volunteer();
  if (!stored->mobile_sealed().empty()) {
    ASSIGN_OR_RETURN(*v.mutable_mobile(), cipher_->Decrypt(stored->mobile_sealed(), MobileContext(id),
                                                           absl::StrCat("volunteer ", id, "'s mobile")));
  }
  return std::optional<v1::Volunteer>(std::move(v));
}

void PublicityStore::PutVolunteer(rocksdb::WriteBatch* batch, const v1::Volunteer& v, bool first_write) const {
  v1::StoredVolunteer stored;
  *stored.mutable_volunteer() = v;
  stored.mutable_volunteer()->clear_mobile();
  if (!v.mobile().empty()) stored.set_mobile_sealed(cipher_->Encrypt(v.mobile(), MobileContext(v.id())));
  batch->Put(volunteers_, v.id(), stored.SerializeAsString());
  if (first_write) batch->Put(volunteers_by_region_, jinguo::store::PairKey(v.region_code(), v.id()), "");
}

std::unique_ptr<rocksdb::Iterator> PublicityStore::ScanVolunteers(const std::string& region_prefix,
                                                                  const std::string& after) const {
  return db_->ScanAfter(volunteers_by_region_, region_prefix, after);
}

absl::StatusOr<int> PublicityStore::HoursOnDay(const std::string& volunteer_id, absl::CivilDay day) const {
  ASSIGN_OR_RETURN(auto value, db_->Get(volunteer_days_, KeyBuilder().Str(volunteer_id).Day(day).key()));
  if (!value) return 0;
  uint32_t hours = 0;
  if (!KeyReader(*value).U32(&hours)) return absl::DataLossError("volunteer_days: unreadable hours");
  return static_cast<int>(hours);
}

void PublicityStore::PutHoursOnDay(rocksdb::WriteBatch* batch, const std::string& volunteer_id, absl::CivilDay day,
                                   int hours) const {
  batch->Put(volunteer_days_, KeyBuilder().Str(volunteer_id).Day(day).key(),
             KeyBuilder().U32(static_cast<uint32_t>(hours)).key());
}

absl::StatusOr<std::optional<v1::Venue>> PublicityStore::GetVenue(const std::string& id) const {
  return GetMessage<v1::Venue>(*db_, venues_, id, "venue");
}

void PublicityStore::PutVenue(rocksdb::WriteBatch* batch, const v1::Venue& v) const {
  batch->Put(venues_, v.id(), v.SerializeAsString());
  batch->Put(venues_by_region_, jinguo::store::PairKey(v.region_code(), v.id()), "");
}

std::unique_ptr<rocksdb::Iterator> PublicityStore::ScanVenues(const std::string& region_prefix,
                                                              const std::string& after) const {
  return db_->ScanAfter(venues_by_region_, region_prefix, after);
}

absl::StatusOr<v1::VenueCount> PublicityStore::VenueQuarter(const std::string& venue_id, int quarter) const {
  ASSIGN_OR_RETURN(auto count,
                   GetMessage<v1::VenueCount>(*db_, venue_quarters_,
                                              KeyBuilder().Str(venue_id).U32(static_cast<uint32_t>(quarter)).key(),
                                              "venue quarter"));
  return count ? *std::move(count) : v1::VenueCount();
}

void PublicityStore::PutVenueQuarter(rocksdb::WriteBatch* batch, const std::string& venue_id, int quarter,
                                     const v1::VenueCount& count) const {
  batch->Put(venue_quarters_, KeyBuilder().Str(venue_id).U32(static_cast<uint32_t>(quarter)).key(),
             count.SerializeAsString());
}

}  // namespace jinguo::publicity::store
