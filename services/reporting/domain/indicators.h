// The reporting service's indicators, as pure functions: which counters exist, what one beneficiary or household
// contributes to each, how contributions move between region nodes, and the "five 100%" built from them.
// No I/O; thread-safe.
//
// Adding an indicator: give it a place in Indicator and name it at that place in Indicators() (and in Coverage() if
// it is half of a coverage pair), and compute it in BeneficiaryContributions or HouseholdContributions from the
// state the events keep (state.proto). The counters, the history, the API and the dashboard pick it up from these
// lists; the store records the list, so the first start with a changed list rebuilds the read models from the
// topics, counting everyone for the new indicator.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/repeated_field.h"
#include "jinguo/reporting/v1/state.pb.h"

namespace jinguo::reporting::domain {

namespace v1 = ::jinguo::reporting::v1;

struct IndicatorDef {
  const char* name;
  const char* label;
};

// Every counter kept per region node, by its place in Indicators(). Contributions are kept by place, in memory and
// in stored state.
enum Indicator : uint8_t {
  kWomenRegistered,
  kChildrenRegistered,
  kBeneficiariesRegistered,
  kHouseholds,
  kHouseholdsGeneral,
  kHouseholdsLowIncome,
  kHouseholdsDestitute,
  kStatusNotLifted,
  kStatusLifted,
  kStatusUnstable,
  kStatusMarginal,
  kStatusSuddenHardship,
  kStatusRiskEliminated,
  kPaired,
  kVisitsLast90Days,
  kWomenVisitedLast90Days,  // computed when read: counted women whose latest visit falls in the window
  kWomenNotVisited90Days,   // computed when read: kWomenRegistered less kWomenVisitedLast90Days
  kDuplicatesOpen,
  kHouseholdsPublicityReached,
  kHouseholdsHomeCleaned,
  kEligibleWomen,
  kTwoCancerInsured,
  kSchoolAgeStudents,
  kStudentsAided,
  // Health (jinguo.health.events.v1). Screened: women whose latest screening of the kind is in the counted year.
  kWomenScreenedCervical,
  kWomenScreenedBreast,
  kAbnormalResults,     // follow-up cases opened by an abnormal screening result
  kFollowUpsOpen,       // cases not yet closed
  kFollowUpsDiagnosed,  // cases closed with a diagnosis
  kPrecancersFound,     // CIN2 or CIN3
  kCancersFound,
  kReliefGranted,  // relief approved (count), and its amount in fen
  kReliefGrantedFen,
  kReliefPaid,
  kReliefPaidFen,
  kClaimsPaidFen,  // two-cancer insurance claims paid, fen
  // Eligible women whose latest screening of the kind falls due again after this year: the numerators of screening
  // coverage (over kEligibleWomen).
  kWomenCervicalInInterval,
  kWomenBreastInInterval,
  // Loans (jinguo.loans.events.v1), counted at the borrower's region from her loans' latest figures.
  kWomenWithActiveLoan,
  kLoansDisbursed,  // count, and amount in fen (every loan ever disbursed)
  kLoansDisbursedFen,
  kLoansOutstandingFen,   // principal outstanding of active loans
  kLoansOverdue,          // active loans in arrears
  kLoansOverdue1To30Fen,  // their outstanding principal by arrears bucket
  kLoansOverdue31To60Fen,
  kLoansOverdue61To90Fen,
  kLoansOverdue91To180Fen,
  kLoansOverdueOver180Fen,
  kLoansMaturityWarned,  // active loans warned of their final maturity (within the warning window)
  kSubsidyAccruedFen,    // interest subsidy accrued on periods paid on time
  kSubsidyPaidFen,       // subsidy claims paid by the treasury
  // Training (jinguo.training.events.v1). Programmes, places and participants count at the programme's region;
  // participants hold a place (enrolled, then completed or not), registered ones are women the registry knows.
  kTrainingProgrammes,
  kTrainingPlaces,
  kTrainingParticipants,
  kTrainingParticipantsRegistered,
  kTrainingFinished,   // participants whose completion was decided
  kTrainingCompleted,  // of those, completed
  // Registered women, at their region: in at least one training (holding a place), and with at least one completed.
  kWomenTrained,
  kWomenTrainingCompleted,
  // Jobs, at the posting's region: postings, positions, positions neither filled nor closed.
  kJobPostings,
  kJobPositions,
  kJobPositionsOpen,
  // Registered women in work (an active placement), at their region, and their active placements by job kind.
  kWomenPlaced,
  kPlacedLocal,
  kPlacedInProvince,
  kPlacedCrossProvince,
  kPlacedPublicWelfare,
  kPlacedWorkshop,
  kPlacedHomeHandicraft,
  // 春蕾 aid granted this school year (count, fen) and paid, at the student's region.
  kAidGrants,
  kAidGrantedFen,
  kAidPaidFen,
  // Publicity (jinguo.publicity.events.v1), at the event's region: events by kind, materials handed out, attendees.
  kPublicityEventsLecture,
  kPublicityEventsBroadcast,
  kPublicityEventsDoorToDoor,
  kPublicityEventsLeaflets,
  kPublicityEventsMeeting,
  kPublicityEventsOnline,
  kLeafletsDistributed,
  kPublicityAttendees,
  kLectureAttendees,  // of them, trained at 讲习所 (lecture-hall training, e.g. the cadres' training)
  // Volunteers at their region; their hours and the goods donated at the cleaned household's region.
  kVolunteers,
  kVolunteerHours,
  kDonatedGoodsFen,
  kHouseholdsNeedingHelp,       // an inspection asked for a follow-up round, not done yet
  kVenues,                      // 妇女之家 and 儿童之家, at their village
  kVenueActivities,             // events held at venues, ever
  kVenueActivitiesThisQuarter,  // computed when read: kVenueActivities since the quarter began (QuarterWindows)
  kIndicatorCount
};

// Every counter kept per region node, in display order: Indicators()[i] names Indicator i.
const std::vector<IndicatorDef>& Indicators();
inline const char* NameOf(Indicator i) { return Indicators()[i].name; }

// Visits are counted per region node and day (the read model's daily_visits family); this many days make
// "visits in the last 90 days".
inline constexpr int kVisitWindowDays = 90;
inline constexpr char kVisitsIndicator[] = "visits_last_90_days";
inline constexpr char kWomenVisitedIndicator[] = "women_visited_last_90_days";
inline constexpr char kWomenNotVisitedIndicator[] = "women_not_visited_90_days";

struct CoverageDef {
  const char* name;
  const char* label;
  const char* numerator;
  const char* denominator;
};

// Ratios of counters, in basis points, shown after the counters in a summary and an export: a numerator that may
// add several counters, over a denominator (0 when the denominator is 0).
struct RatioDef {
  const char* name;
  const char* label;
  std::vector<const char*> numerator;
  const char* denominator;
};
const std::vector<RatioDef>& Ratios();

// The five 100%: publicity reached the household, every woman and child paired, home cleaning done, eligible
// women insured against the two cancers, school-age students aided.
const std::vector<CoverageDef>& Coverage();

struct Settings {
  // Women eligible for two-cancer insurance: aged min..max (inclusive) in the current year.
  int insured_min_age = 35;
  int insured_max_age = 64;
};

// What one beneficiary or household counts for: a contribution (0 when none) to each indicator.
class Contributions {
 public:
  using Entry = std::pair<Indicator, int64_t>;
  Contributions() = default;
  Contributions(std::initializer_list<Entry> entries) {
    for (const auto& [indicator, value] : entries) Set(indicator, value);
  }
  // From stored state: values by place; places past the end are 0, and values past kIndicatorCount (a longer
  // list's, which a rebuild replaces) are ignored.
  static Contributions Of(const google::protobuf::RepeatedField<int64_t>& stored);
  // Into stored state, up to the last non-zero value.
  void StoreIn(google::protobuf::RepeatedField<int64_t>* stored) const;
  void Set(Indicator indicator, int64_t value) { values_[indicator] = value; }
  // 0 when she does not count for `indicator`.
  int64_t Get(Indicator indicator) const { return values_[indicator]; }
  bool Contains(Indicator indicator) const { return values_[indicator] != 0; }
  bool empty() const;
  // Calls `f(indicator, value)` for each indicator she counts for, in place order.
  void ForEach(absl::FunctionRef<void(Indicator, int64_t)> f) const {
    for (int i = 0; i < kIndicatorCount; ++i) {
      if (values_[i] != 0) f(static_cast<Indicator>(i), values_[i]);
    }
  }
  friend bool operator==(const Contributions& a, const Contributions& b) { return a.values_ == b.values_; }
  friend bool operator!=(const Contributions& a, const Contributions& b) { return !(a == b); }

 private:
  std::array<int64_t, kIndicatorCount> values_{};
};

// What a beneficiary counts for on `day`. Nothing until she is registered, and nothing once merged into another.
// Ages are whole years in the day's year (year minus birth year), so eligibility moves only at the new year;
// student aid counts for the school year `day` falls in.
Contributions BeneficiaryContributions(const v1::ProfileState& p, absl::CivilDay day, const Settings& settings);
// Whether she counts among registered women (kWomenRegistered): registered, a woman, not merged into another.
bool CountsAsWoman(const v1::ProfileState& p);
// What a household counts for on `day`: reached by publicity when a campaign that touched the day's year reached it.
Contributions HouseholdContributions(const v1::HouseholdState& h, absl::CivilDay day);

// Indicators read as "since the quarter began": each windowed indicator is its cumulative one's value now less its
// value at the end of the day before the quarter of the day asked for.
struct QuarterWindowDef {
  const char* windowed;
  const char* cumulative;
};
const std::vector<QuarterWindowDef>& QuarterWindows();

// The nodes a region code counts in, from the country ("") down: "", "13", "1302", "130207", "130207104",
// "130207104201". Shorter codes give fewer nodes.
std::vector<std::string> NodesOf(const std::string& region_code);

// Calls `apply(region, indicator, delta)` for every change needed to move from `before` counted at `old_region` to
// `after` counted at `new_region` (either region may be "" meaning "not counted anywhere"). The changes are given
// at the two regions; each applies equally to every node of NodesOf(region), where a node both regions share
// receives both and they net out. Callers sum the changes per region and spread them over the nodes once.
void Diff(const std::string& old_region, const Contributions& before, const std::string& new_region,
          const Contributions& after,
          absl::FunctionRef<void(const std::string& region, Indicator indicator, int64_t delta)> apply);

// numerator / denominator in basis points, rounded down; 0 when the denominator is 0.
int64_t BasisPoints(int64_t numerator, int64_t denominator);

}  // namespace jinguo::reporting::domain
