#include "services/reporting/domain/indicators.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "jinguo/registration/v1/types.pb.h"

namespace jinguo::reporting::domain {

namespace reg = ::jinguo::registration::v1;

// jinguo.loans.v1.LOAN_STATUS_ACTIVE (reporting reads loan figures as plain numbers).
constexpr int kLoanActive = 5;
// jinguo.training.v1.ParticipantState values that hold a place.
constexpr int kEnrolled = 1;
constexpr int kCompleted = 4;
constexpr int kNotCompleted = 5;

const std::vector<IndicatorDef>& Indicators() {
  static const auto* defs = new std::vector<IndicatorDef>{
      {"women_registered", "登记妇女"},                          // kWomenRegistered
      {"children_registered", "登记儿童"},                       // kChildrenRegistered
      {"beneficiaries_registered", "登记妇女儿童"},              // kBeneficiariesRegistered
      {"households", "登记户数"},                                // kHouseholds
      {"households_general", "一般贫困户"},                      // kHouseholdsGeneral
      {"households_low_income", "低保贫困户"},                   // kHouseholdsLowIncome
      {"households_destitute", "特困供养户"},                    // kHouseholdsDestitute
      {"status_not_lifted", "未脱贫"},                           // kStatusNotLifted
      {"status_lifted", "已脱贫"},                               // kStatusLifted
      {"status_unstable", "脱贫不稳定户"},                       // kStatusUnstable
      {"status_marginal", "边缘易致贫户"},                       // kStatusMarginal
      {"status_sudden_hardship", "突发严重困难户"},              // kStatusSuddenHardship
      {"status_risk_eliminated", "风险已消除"},                  // kStatusRiskEliminated
      {"paired", "已结对帮扶"},                                  // kPaired
      {kVisitsIndicator, "近90天走访"},                          // kVisitsLast90Days
      {kWomenVisitedIndicator, "近90天已走访妇女"},              // kWomenVisitedLast90Days
      {kWomenNotVisitedIndicator, "90天未走访妇女"},             // kWomenNotVisited90Days
      {"duplicates_open", "待核疑似重复"},                       // kDuplicatesOpen
      {"households_publicity_reached", "宣传入户"},              // kHouseholdsPublicityReached
      {"households_home_cleaned", "家居清洁完成户"},             // kHouseholdsHomeCleaned
      {"eligible_women", "两癌保险适龄妇女"},                    // kEligibleWomen
      {"two_cancer_insured", "两癌保险已参保"},                  // kTwoCancerInsured
      {"school_age_students", "在校学生"},                       // kSchoolAgeStudents
      {"students_aided", "已资助学生"},                          // kStudentsAided
      {"women_screened_cervical", "本年宫颈癌筛查"},             // kWomenScreenedCervical
      {"women_screened_breast", "本年乳腺癌筛查"},               // kWomenScreenedBreast
      {"abnormal_results", "筛查异常"},                          // kAbnormalResults
      {"follow_ups_open", "随访中"},                             // kFollowUpsOpen
      {"follow_ups_diagnosed", "随访已诊断"},                    // kFollowUpsDiagnosed
      {"precancers_found", "癌前病变(CIN2+)"},                   // kPrecancersFound
      {"cancers_found", "确诊两癌"},                             // kCancersFound
      {"relief_granted", "救助已批准"},                          // kReliefGranted
      {"relief_granted_fen", "救助批准金额(分)"},                // kReliefGrantedFen
      {"relief_paid", "救助已发放"},                             // kReliefPaid
      {"relief_paid_fen", "救助发放金额(分)"},                   // kReliefPaidFen
      {"claims_paid_fen", "保险理赔金额(分)"},                   // kClaimsPaidFen
      {"women_cervical_in_interval", "宫颈癌筛查周期内"},        // kWomenCervicalInInterval
      {"women_breast_in_interval", "乳腺癌筛查周期内"},          // kWomenBreastInInterval
      {"women_with_active_loan", "在贷妇女"},                    // kWomenWithActiveLoan
      {"loans_disbursed", "累计放贷(笔)"},                       // kLoansDisbursed
      {"loans_disbursed_fen", "累计放贷金额(分)"},               // kLoansDisbursedFen
      {"loans_outstanding_fen", "贷款余额(分)"},                 // kLoansOutstandingFen
      {"loans_overdue", "逾期贷款(笔)"},                         // kLoansOverdue
      {"loans_overdue_1_30_fen", "逾期1-30天余额(分)"},          // kLoansOverdue1To30Fen
      {"loans_overdue_31_60_fen", "逾期31-60天余额(分)"},        // kLoansOverdue31To60Fen
      {"loans_overdue_61_90_fen", "逾期61-90天余额(分)"},        // kLoansOverdue61To90Fen
      {"loans_overdue_91_180_fen", "逾期91-180天余额(分)"},      // kLoansOverdue91To180Fen
      {"loans_overdue_over_180_fen", "逾期180天以上余额(分)"},   // kLoansOverdueOver180Fen
      {"loans_maturity_warned", "到期预警(笔)"},                 // kLoansMaturityWarned
      {"subsidy_accrued_fen", "贴息计提(分)"},                   // kSubsidyAccruedFen
      {"subsidy_paid_fen", "贴息拨付(分)"},                      // kSubsidyPaidFen
      {"training_programmes", "培训项目"},                       // kTrainingProgrammes
      {"training_places", "培训名额"},                           // kTrainingPlaces
      {"training_participants", "参训人数"},                     // kTrainingParticipants
      {"training_participants_registered", "参训建档立卡妇女"},  // kTrainingParticipantsRegistered
      {"training_finished", "结业判定人数"},                     // kTrainingFinished
      {"training_completed", "培训合格人数"},                    // kTrainingCompleted
      {"women_trained", "参训妇女"},                             // kWomenTrained
      {"women_training_completed", "培训合格妇女"},              // kWomenTrainingCompleted
      {"job_postings", "发布岗位信息"},                          // kJobPostings
      {"job_positions", "提供岗位数"},                           // kJobPositions
      {"job_positions_open", "空缺岗位数"},                      // kJobPositionsOpen
      {"women_placed", "在岗妇女"},                              // kWomenPlaced
      {"placed_local", "本地就业"},                              // kPlacedLocal
      {"placed_in_province", "省内转移就业"},                    // kPlacedInProvince
      {"placed_cross_province", "跨省转移就业"},                 // kPlacedCrossProvince
      {"placed_public_welfare", "公益性岗位"},                   // kPlacedPublicWelfare
      {"placed_workshop", "帮扶车间"},                           // kPlacedWorkshop
      {"placed_home_handicraft", "居家手工"},                    // kPlacedHomeHandicraft
      {"aid_grants", "本学年春蕾资助(人次)"},                    // kAidGrants
      {"aid_granted_fen", "本学年春蕾资助金额(分)"},             // kAidGrantedFen
      {"aid_paid_fen", "本学年春蕾发放金额(分)"},                // kAidPaidFen
      {"publicity_events_lecture", "讲习所集中培训(场)"},        // kPublicityEventsLecture
      {"publicity_events_broadcast", "大喇叭广播(次)"},          // kPublicityEventsBroadcast
      {"publicity_events_door_to_door", "入户宣讲(次)"},         // kPublicityEventsDoorToDoor
      {"publicity_events_leaflets", "发放宣传单(次)"},           // kPublicityEventsLeaflets
      {"publicity_events_meeting", "宣讲会(场)"},                // kPublicityEventsMeeting
      {"publicity_events_online", "新媒体宣传(次)"},             // kPublicityEventsOnline
      {"leaflets_distributed", "发放宣传资料(份)"},              // kLeafletsDistributed
      {"publicity_attendees", "宣传受众(人次)"},                 // kPublicityAttendees
      {"lecture_attendees", "讲习所培训(人次)"},                 // kLectureAttendees
      {"volunteers", "巾帼志愿者"},                              // kVolunteers
      {"volunteer_hours", "志愿服务时长(小时)"},                 // kVolunteerHours
      {"donated_goods_fen", "捐赠物品价值(分)"},                 // kDonatedGoodsFen
      {"households_needing_help", "复查需再帮扶户"},             // kHouseholdsNeedingHelp
      {"venues", "妇女之家/儿童之家"},                           // kVenues
      {"venue_activities", "阵地活动(累计)"},                    // kVenueActivities
      {"venue_activities_this_quarter", "本季度阵地活动"},       // kVenueActivitiesThisQuarter
  };
  return *defs;
}

const std::vector<RatioDef>& Ratios() {
  static const auto* defs = new std::vector<RatioDef>{
      {"cervical_screening_coverage_bp", "宫颈癌筛查覆盖率(基点)", {"women_cervical_in_interval"}, "eligible_women"},
      {"breast_screening_coverage_bp", "乳腺癌筛查覆盖率(基点)", {"women_breast_in_interval"}, "eligible_women"},
      {"follow_up_completion_bp", "随访完成率(基点)", {"follow_ups_diagnosed"}, "abnormal_results"},
      {"loans_overdue_rate_bp",
       "贷款逾期率(基点)",
       {"loans_overdue_1_30_fen", "loans_overdue_31_60_fen", "loans_overdue_61_90_fen", "loans_overdue_91_180_fen",
        "loans_overdue_over_180_fen"},
       "loans_outstanding_fen"},
      {"training_completion_bp", "培训合格率(基点)", {"training_completed"}, "training_finished"},
      {"poor_women_share_bp",
       "建档立卡妇女参训占比(基点)",
       {"training_participants_registered"},
       "training_participants"},
  };
  return *defs;
}

const std::vector<CoverageDef>& Coverage() {
  static const auto* defs = new std::vector<CoverageDef>{
      {"publicity_reached", "宣传到户", "households_publicity_reached", "households"},
      {"paired", "结对帮扶", "paired", "beneficiaries_registered"},
      {"home_cleaning", "家居清洁", "households_home_cleaned", "households"},
      {"two_cancer_insured", "两癌保险", "two_cancer_insured", "eligible_women"},
      {"students_aided", "春蕾助学", "students_aided", "school_age_students"},
  };
  return *defs;
}

namespace {

std::optional<Indicator> StatusIndicator(int status) {
  switch (status) {
    case reg::MONITORING_STATUS_NOT_LIFTED:
      return kStatusNotLifted;
    case reg::MONITORING_STATUS_LIFTED:
      return kStatusLifted;
    case reg::MONITORING_STATUS_UNSTABLE:
      return kStatusUnstable;
    case reg::MONITORING_STATUS_MARGINAL:
      return kStatusMarginal;
    case reg::MONITORING_STATUS_SUDDEN_HARDSHIP:
      return kStatusSuddenHardship;
    case reg::MONITORING_STATUS_RISK_ELIMINATED:
      return kStatusRiskEliminated;
    default:
      return std::nullopt;
  }
}

}  // namespace

Contributions Contributions::Of(const google::protobuf::RepeatedField<int64_t>& stored) {
  Contributions c;
  int n = std::min(stored.size(), static_cast<int>(kIndicatorCount));
  for (int i = 0; i < n; ++i) c.values_[i] = stored.Get(i);
  return c;
}

void Contributions::StoreIn(google::protobuf::RepeatedField<int64_t>* stored) const {
  int n = kIndicatorCount;
  while (n > 0 && values_[n - 1] == 0) --n;
  stored->Resize(n, 0);
  for (int i = 0; i < n; ++i) stored->Set(i, values_[i]);
}

bool Contributions::empty() const {
  for (int64_t v : values_) {
    if (v != 0) return false;
  }
  return true;
}

bool CountsAsWoman(const v1::ProfileState& p) {
  return p.registered() && p.merged_into().empty() && p.category() == reg::CATEGORY_WOMAN;
}

Contributions BeneficiaryContributions(const v1::ProfileState& p, absl::CivilDay day, const Settings& settings) {
  const int current_year = static_cast<int>(day.year());
  Contributions c;
  if (!p.registered() || !p.merged_into().empty()) return c;
  c.Set(kBeneficiariesRegistered, 1);
  bool woman = p.category() == reg::CATEGORY_WOMAN;
  c.Set(woman ? kWomenRegistered : kChildrenRegistered, 1);
  if (auto status = StatusIndicator(p.monitoring_status())) c.Set(*status, 1);
  if (p.cadre_ids_size() > 0) c.Set(kPaired, 1);
  int age = current_year - p.birth_year();
  if (woman && age >= settings.insured_min_age && age <= settings.insured_max_age) {
    c.Set(kEligibleWomen, 1);
    if (p.insured_policy_year() == current_year) c.Set(kTwoCancerInsured, 1);
    if (p.cervical_next_due_year() > current_year) c.Set(kWomenCervicalInInterval, 1);
    if (p.breast_next_due_year() > current_year) c.Set(kWomenBreastInInterval, 1);
  }
  if (woman && p.cervical_screening_year() == current_year) c.Set(kWomenScreenedCervical, 1);
  if (woman && p.breast_screening_year() == current_year) c.Set(kWomenScreenedBreast, 1);
  bool active_loan = false;
  for (const auto& [id, loan] : p.loans()) {
    if (loan.disbursed_fen() > 0) {
      c.Set(kLoansDisbursed, c.Get(kLoansDisbursed) + 1);
      c.Set(kLoansDisbursedFen, c.Get(kLoansDisbursedFen) + loan.disbursed_fen());
    }
    c.Set(kSubsidyAccruedFen, c.Get(kSubsidyAccruedFen) + loan.subsidy_accrued_fen());
    if (loan.status() != kLoanActive) continue;
    active_loan = true;
    c.Set(kLoansOutstandingFen, c.Get(kLoansOutstandingFen) + loan.outstanding_principal_fen());
    if (loan.maturity_warned()) c.Set(kLoansMaturityWarned, c.Get(kLoansMaturityWarned) + 1);
    if (loan.bucket() >= 1 && loan.bucket() <= 5) {
      c.Set(kLoansOverdue, c.Get(kLoansOverdue) + 1);
      auto bucket = static_cast<Indicator>(kLoansOverdue1To30Fen + loan.bucket() - 1);
      c.Set(bucket, c.Get(bucket) + loan.outstanding_principal_fen());
    }
  }
  if (active_loan) c.Set(kWomenWithActiveLoan, 1);
  if (woman) {
    bool trained = false, completed = false;
    for (const auto& [programme, state] : p.trainings()) {
      trained |= state == kEnrolled || state == kCompleted || state == kNotCompleted;
      completed |= state == kCompleted;
    }
    if (trained) c.Set(kWomenTrained, 1);
    if (completed) c.Set(kWomenTrainingCompleted, 1);
    if (!p.placements().empty()) c.Set(kWomenPlaced, 1);
    for (const auto& [placement, kind] : p.placements()) {
      if (kind >= 1 && kind <= 6) {
        auto by_kind = static_cast<Indicator>(kPlacedLocal + kind - 1);
        c.Set(by_kind, c.Get(by_kind) + 1);
      }
    }
  }
  auto aid = p.aid().find(SchoolYearOf(day));
  bool aided = aid != p.aid().end() && aid->second.grants() > 0;
  if (aided) {
    c.Set(kAidGrants, aid->second.grants());
    c.Set(kAidGrantedFen, aid->second.granted_fen());
    c.Set(kAidPaidFen, aid->second.paid_fen());
  }
  if (!woman && p.student()) {
    c.Set(kSchoolAgeStudents, 1);
    if (aided) c.Set(kStudentsAided, 1);
  }
  return c;
}

const std::vector<QuarterWindowDef>& QuarterWindows() {
  static const auto* defs = new std::vector<QuarterWindowDef>{
      {"venue_activities_this_quarter", "venue_activities"},
  };
  return *defs;
}

Contributions HouseholdContributions(const v1::HouseholdState& h, absl::CivilDay day) {
  Contributions c;
  if (h.region_code().empty()) return c;
  c.Set(kHouseholds, 1);
  switch (h.attribute()) {
    case reg::HOUSEHOLD_ATTRIBUTE_GENERAL:
      c.Set(kHouseholdsGeneral, 1);
      break;
    case reg::HOUSEHOLD_ATTRIBUTE_LOW_INCOME:
      c.Set(kHouseholdsLowIncome, 1);
      break;
    case reg::HOUSEHOLD_ATTRIBUTE_DESTITUTE:
      c.Set(kHouseholdsDestitute, 1);
      break;
    default:
      break;
  }
  const int year = static_cast<int>(day.year());
  for (const auto& [campaign, span] : h.campaigns_reached()) {
    if (span.from_year() <= year && year <= span.to_year()) {
      c.Set(kHouseholdsPublicityReached, 1);
      break;
    }
  }
  if (h.home_cleaning_done()) c.Set(kHouseholdsHomeCleaned, 1);
  if (h.needs_help()) c.Set(kHouseholdsNeedingHelp, 1);
  return c;
}

std::vector<std::string> NodesOf(const std::string& region_code) {
  std::vector<std::string> nodes{""};
  for (size_t len : {2u, 4u, 6u, 9u, 12u}) {
    if (region_code.size() >= len) nodes.push_back(region_code.substr(0, len));
  }
  return nodes;
}

void Diff(const std::string& old_region, const Contributions& before, const std::string& new_region,
          const Contributions& after, absl::FunctionRef<void(const std::string&, Indicator, int64_t)> apply) {
  if (old_region == new_region) {
    for (int i = 0; i < kIndicatorCount; ++i) {
      auto indicator = static_cast<Indicator>(i);
      int64_t delta = after.Get(indicator) - before.Get(indicator);
      if (delta != 0) apply(new_region, indicator, delta);
    }
    return;
  }
  // Moving: everything out of the old region, the new values into the new one.
  before.ForEach([&](Indicator indicator, int64_t v) { apply(old_region, indicator, -v); });
  after.ForEach([&](Indicator indicator, int64_t v) { apply(new_region, indicator, v); });
}

int64_t BasisPoints(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return 0;
  return numerator * 10000 / denominator;
}

}  // namespace jinguo::reporting::domain
