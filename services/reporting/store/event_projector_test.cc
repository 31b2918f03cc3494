// The reporting projector on its own, without Kafka: events applied in batches to a real RocksDB store, as the
// projection runtime applies them.
#include "services/reporting/store/event_projector.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/timestamp.h"
#include "gtest/gtest.h"
#include "jinguo/health/v1/events.pb.h"
#include "jinguo/registration/v1/events.pb.h"

namespace jinguo::reporting::store {
namespace {

namespace reg = ::jinguo::registration::v1;

constexpr char kVillage[] = "130207104201";
constexpr char kOtherVillage[] = "130207104202";

reg::BeneficiaryFacts Facts(const std::string& id, reg::Category category, int birth_year) {
  reg::BeneficiaryFacts f;
  f.set_beneficiary_id(id);
  f.set_name("王秀英");
  f.set_id_number_masked("130207********002X");
  f.set_sex(reg::SEX_FEMALE);
  f.mutable_birth_date()->set_year(birth_year);
  f.mutable_birth_date()->set_month(3);
  f.mutable_birth_date()->set_day(12);
  f.set_category(category);
  f.set_region_code(kVillage);
  f.set_monitoring_status(reg::MONITORING_STATUS_NOT_LIFTED);
  return f;
}

// An event of her own aggregate, as the registration service publishes it.
template <typename Payload>
common::v1::EventEnvelope Event(const Payload& payload, const reg::BeneficiaryFacts& f, int64_t version) {
  common::v1::EventEnvelope e;
  e.set_event_id(absl::StrCat(f.beneficiary_id(), "-", version));
  e.set_event_type(Payload::descriptor()->name());
  e.set_aggregate_id(f.beneficiary_id());
  e.set_aggregate_version(version);
  *e.mutable_occurred_at() = ToTimestamp(absl::FromUnixSeconds(1795000000));
  e.set_producer("registration");
  e.set_beneficiary_id(f.beneficiary_id());
  e.set_region_code(f.region_code());
  e.mutable_payload()->PackFrom(payload);
  return e;
}

common::v1::EventEnvelope Registered(const reg::BeneficiaryFacts& f) {
  reg::BeneficiaryRegistered payload;
  *payload.mutable_beneficiary() = f;
  return Event(payload, f, 1);
}

common::v1::EventEnvelope Updated(const reg::BeneficiaryFacts& f, int64_t version) {
  reg::BeneficiaryUpdated payload;
  *payload.mutable_beneficiary() = f;
  return Event(payload, f, version);
}

class EventProjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jinguo-projector-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto db = jinguo::store::Store::Open(ReadModel::StoreOptions(dir_, 8 << 20));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    model_ = std::make_unique<ReadModel>(db_.get());
    projector_ = std::make_unique<EventProjector>(model_.get(), domain::Settings{}, &feed_);
  }
  void TearDown() override {
    projector_.reset();
    model_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Applies `events` as one batch and writes it; returns each event's outcome.
  // Each event's outcome: "applied", "already processed", or the error.
  std::vector<std::string> ApplyBatch(const std::vector<common::v1::EventEnvelope>& events) {
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    projection::ProjectionTx tx(db_.get(), &batch);
    std::vector<std::string> outcomes;
    for (const auto& e : events) {
      auto applied = projector_->Apply(e, tx);
      outcomes.push_back(!applied.ok()                               ? applied.status().ToString()
                         : *applied == projection::Applied::kApplied ? "applied"
                                                                     : "already processed");
    }
    EXPECT_TRUE(projector_->BeforeCommit(tx).ok());
    EXPECT_TRUE(db_->WriteUnlogged(batch.GetWriteBatch()).ok());
    projector_->Committed();
    return outcomes;
  }

  int64_t Count(const std::string& node, const std::string& indicator) {
    auto counters = model_->Counters(node, {indicator});
    EXPECT_TRUE(counters.ok()) << counters.status();
    return counters.ok() && counters->count(indicator) > 0 ? counters->at(indicator) : 0;
  }

  v1::ProfileState Profile(const std::string& id) {
    auto p = model_->Profile(id);
    EXPECT_TRUE(p.ok() && p->has_value()) << "no profile for " << id;
    return p.ok() && p->has_value() ? **p : v1::ProfileState();
  }

  std::string dir_;
  std::unique_ptr<jinguo::store::Store> db_;
  std::unique_ptr<ReadModel> model_;
  ChangeFeed feed_;
  std::unique_ptr<EventProjector> projector_;
};

// Registrations are decoded into the same message one after another: a field the next one leaves out (proto3 sends
// no false, no empty string) must read empty, not as the one before had it.
TEST_F(EventProjectorTest, ARegistrationCarriesNothingOverFromTheOneDecodedBefore) {
  reg::BeneficiaryFacts child = Facts("b-child", reg::CATEGORY_CHILD, 2016);
  child.set_student(true);
  child.set_school_stage(reg::SCHOOL_STAGE_PRIMARY);
  child.set_household_id("h-1");
  child.add_poverty_causes(reg::POVERTY_CAUSE_ILLNESS);
  reg::BeneficiaryFacts girl = Facts("b-girl", reg::CATEGORY_CHILD, 2015);  // no household, not a student
  for (const auto& s : ApplyBatch({Registered(child), Registered(girl)})) ASSERT_EQ(s, "applied");

  EXPECT_EQ(Count(kVillage, "children_registered"), 2);
  EXPECT_EQ(Count(kVillage, "school_age_students"), 1);
  v1::ProfileState p = Profile("b-girl");
  EXPECT_FALSE(p.student());
  EXPECT_EQ(p.household_id(), "");
  EXPECT_EQ(Profile("b-child").household_id(), "h-1");
}

// Her profile keeps her aggregate's last version: a repeat, in the same batch or a later one, is reported as
// already processed and moves nothing, even one that would move her back.
TEST_F(EventProjectorTest, RepeatsOfHerOwnEventsAreSkippedByTheVersionHerProfileKeeps) {
  reg::BeneficiaryFacts woman = Facts("b-woman", reg::CATEGORY_WOMAN, 1980);
  reg::BeneficiaryFacts moved = woman;
  moved.set_region_code(kOtherVillage);
  auto first = ApplyBatch({Registered(woman), Registered(woman), Updated(moved, 2)});
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0], "applied");
  EXPECT_EQ(first[1], "already processed");
  EXPECT_EQ(first[2], "applied");

  auto again = ApplyBatch({Updated(moved, 2), Registered(woman)});
  for (const auto& s : again) EXPECT_EQ(s, "already processed");
  EXPECT_EQ(Count(kOtherVillage, "women_registered"), 1);
  EXPECT_EQ(Count(kVillage, "women_registered"), 0);
  EXPECT_EQ(Count("130207104", "women_registered"), 1);
  v1::ProfileState p = Profile("b-woman");
  EXPECT_EQ(p.version(), 2);
  EXPECT_EQ(p.region_code(), kOtherVillage);
  EXPECT_EQ(p.timeline_size(), 2);
}

}  // namespace
}  // namespace jinguo::reporting::store

namespace jinguo::reporting::store {
namespace {

namespace hv1 = ::jinguo::health::v1;

// A health event about her (its aggregate is not her id), on `seconds` since the epoch.
template <typename Payload>
common::v1::EventEnvelope HealthEvent(const Payload& payload, const std::string& aggregate, const std::string& woman,
                                      int64_t seconds = 1795000000) {
  common::v1::EventEnvelope e;
  e.set_event_id(absl::StrCat(aggregate, "-1"));
  e.set_event_type(Payload::descriptor()->name());
  e.set_aggregate_id(aggregate);
  e.set_aggregate_version(1);
  *e.mutable_occurred_at() = ToTimestamp(absl::FromUnixSeconds(seconds));
  e.set_producer("health");
  e.set_beneficiary_id(woman);
  e.set_region_code(kVillage);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

// Two-cancer insurance counts for the year it was bought for: enrolled for 2026, she is insured among 2026's
// eligible women; an enrolment for 2025 does not make her insured in 2026. Health results never reach her timeline.
TEST_F(EventProjectorTest, InsuranceCountsForItsPolicyYearAndResultsStayOffTheTimeline) {
  reg::BeneficiaryFacts her = Facts("b-ins", reg::CATEGORY_WOMAN, 1980);
  reg::BeneficiaryFacts other = Facts("b-old", reg::CATEGORY_WOMAN, 1975);
  for (const auto& s : ApplyBatch({Registered(her), Registered(other)})) ASSERT_EQ(s, "applied");
  EXPECT_EQ(Count(kVillage, "eligible_women"), 2);
  EXPECT_EQ(Count(kVillage, "two_cancer_insured"), 0);

  hv1::InsuranceEnrolled this_year;
  this_year.set_policy_id("p-2026");
  this_year.set_beneficiary_id("b-ins");
  this_year.set_policy_year(2026);
  this_year.set_sum_insured_fen(1000000);
  hv1::InsuranceEnrolled last_year = this_year;
  last_year.set_policy_id("p-2025");
  last_year.set_beneficiary_id("b-old");
  last_year.set_policy_year(2025);
  hv1::CancerConfirmed cancer;
  cancer.set_case_id("c-1");
  cancer.set_beneficiary_id("b-ins");
  for (const auto& s :
       ApplyBatch({HealthEvent(this_year, "insurance/b-ins/2026", "b-ins"),
                   HealthEvent(last_year, "insurance/b-old/2025", "b-old"), HealthEvent(cancer, "c-1", "b-ins")})) {
    ASSERT_EQ(s, "applied");
  }
  EXPECT_EQ(Count(kVillage, "two_cancer_insured"), 1);
  EXPECT_EQ(Count("1302", "two_cancer_insured"), 1);
  v1::ProfileState p = Profile("b-ins");
  EXPECT_EQ(p.insured_policy_year(), 2026);
  for (const auto& t : p.timeline()) EXPECT_NE(t.event_type(), "CancerConfirmed");
  EXPECT_NE(p.timeline(p.timeline_size() - 1).summary().find("两癌保险 2026"), std::string::npos);
}

// The health figures at every level: a screening this year, a case opened by an abnormal result and closed with a
// cancer, relief approved and paid, a claim paid. (Repeats of these events, of aggregates other than hers, are
// skipped by the projection runtime's versions: pipeline_test.)
TEST_F(EventProjectorTest, HealthEventsCountScreeningsCasesFindingsReliefAndClaims) {
  reg::BeneficiaryFacts her = Facts("b-h", reg::CATEGORY_WOMAN, 1972);
  for (const auto& s : ApplyBatch({Registered(her)})) ASSERT_EQ(s, "applied");
  hv1::ScreeningRecorded screened;
  screened.set_screening_id("s-1");
  screened.set_beneficiary_id("b-h");
  screened.set_kind(hv1::SCREENING_KIND_BREAST);
  *screened.mutable_screened_on() = ToProto(absl::CivilDay(2026, 10, 9));
  *screened.mutable_next_due_on() = ToProto(absl::CivilDay(2028, 10, 9));
  // A cervical screening three years ago falls due this year: she is no longer within its interval.
  hv1::ScreeningRecorded cervical_before;
  cervical_before.set_screening_id("s-0");
  cervical_before.set_beneficiary_id("b-h");
  cervical_before.set_kind(hv1::SCREENING_KIND_CERVICAL);
  *cervical_before.mutable_screened_on() = ToProto(absl::CivilDay(2023, 5, 2));
  *cervical_before.mutable_next_due_on() = ToProto(absl::CivilDay(2026, 5, 2));
  hv1::FollowUpScheduled opened;
  opened.set_case_id("c-1");
  opened.set_case_opened(true);
  hv1::FollowUpScheduled next_stage = opened;
  next_stage.set_case_opened(false);
  hv1::FollowUpRecorded closed;
  closed.set_case_id("c-1");
  closed.set_case_closed(true);
  closed.set_finding(hv1::FINDING_CANCER);
  hv1::ReliefApproved approved;
  approved.set_relief_id("r-1");
  approved.set_amount_fen(1000000);
  hv1::ReliefPaid paid;
  paid.set_relief_id("r-1");
  paid.set_amount_fen(1000000);
  hv1::ClaimRecorded claim;
  claim.set_claim_id("cl-1");
  claim.set_amount_fen(250000);
  auto versioned = [](common::v1::EventEnvelope e, int64_t version) {
    e.set_aggregate_version(version);
    e.set_event_id(absl::StrCat(e.aggregate_id(), "-", version));
    return e;
  };
  for (const auto& s : ApplyBatch({HealthEvent(cervical_before, "s-0", "b-h"), HealthEvent(screened, "s-1", "b-h"),
                                   versioned(HealthEvent(opened, "c-1", "b-h"), 1),
                                   versioned(HealthEvent(next_stage, "c-1", "b-h"), 2)})) {
    ASSERT_EQ(s, "applied");
  }
  EXPECT_EQ(Count(kVillage, "women_screened_breast"), 1);
  EXPECT_EQ(Count(kVillage, "women_screened_cervical"), 0);
  EXPECT_EQ(Count("1302", "women_breast_in_interval"), 1);
  EXPECT_EQ(Count("1302", "women_cervical_in_interval"), 0);
  EXPECT_EQ(Count("13", "abnormal_results"), 1);
  EXPECT_EQ(Count("13", "follow_ups_open"), 1);
  for (const auto& s : ApplyBatch({versioned(HealthEvent(closed, "c-1", "b-h"), 3), HealthEvent(approved, "r-1", "b-h"),
                                   versioned(HealthEvent(paid, "r-1", "b-h"), 2), HealthEvent(claim, "cl-1", "b-h")})) {
    ASSERT_EQ(s, "applied");
  }
  EXPECT_EQ(Count("1302", "follow_ups_open"), 0);
  EXPECT_EQ(Count("1302", "follow_ups_diagnosed"), 1);
  EXPECT_EQ(Count("1302", "cancers_found"), 1);
  EXPECT_EQ(Count("1302", "precancers_found"), 0);
  EXPECT_EQ(Count(kVillage, "relief_granted_fen"), 1000000);
  EXPECT_EQ(Count(kVillage, "relief_paid"), 1);
  EXPECT_EQ(Count("", "claims_paid_fen"), 250000);
}

}  // namespace
}  // namespace jinguo::reporting::store
