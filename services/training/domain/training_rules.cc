#include "services/training/domain/training_rules.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/base/status.h"
#include "common/validate/text.h"

namespace jinguo::training::domain {

namespace reg = ::jinguo::registration::v1;
using validate::FieldError;
using validate::FieldViolations;

namespace {

std::optional<absl::CivilDay> DayOf(const common::v1::CivilDate& d) {
  auto day = FromProto(d);
  if (!day.ok()) return std::nullopt;
  return *day;
}

}  // namespace

absl::StatusOr<int> ParseSchoolYear(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not a school year such as 2025-2026"));
  };
  if (text.size() != 9 || text[4] != '-') return bad();
  int first = 0, second = 0;
  if (!absl::SimpleAtoi(text.substr(0, 4), &first) || !absl::SimpleAtoi(text.substr(5), &second)) return bad();
  if (text.substr(0, 4).find_first_not_of("0123456789") != absl::string_view::npos ||
      text.substr(5).find_first_not_of("0123456789") != absl::string_view::npos) {
    return bad();
  }
  if (second != first + 1 || first < 2000 || first > 2100) return bad();
  return first;
}

v1::Programme ProgrammeFrom(const v1::Programme& in, FieldViolations& v) {
  v1::Programme p = in;
  p.clear_completed();
  auto title = validate::CleanText(in.title(), {.max_characters = 100, .required = true});
  if (v.Check("programme.title", title.status())) p.set_title(*title);
  auto provider = validate::CleanText(in.provider(), {.max_characters = 100, .required = true});
  if (v.Check("programme.provider", provider.status())) p.set_provider(*provider);
  if (!v1::ProgrammeKind_IsValid(in.kind()) || in.kind() == v1::PROGRAMME_KIND_UNSPECIFIED) {
    v.Add("programme.kind",
          "is required (手工编织/刺绣, 现代农业科技, 家政服务, 农村电商, 乡村旅游, 美容美发, 计算机操作 or other)");
  }
  if (in.capacity() <= 0) v.Add("programme.capacity", "must be more than 0 places");
  auto starts = DayOf(in.starts_on());
  auto ends = DayOf(in.ends_on());
  if (!in.has_starts_on() || !starts) v.Add("programme.starts_on", "is required: the first day of the programme");
  if (!in.has_ends_on() || !ends) v.Add("programme.ends_on", "is required: the last day of the programme");
  if (starts && ends && in.has_starts_on() && in.has_ends_on() && *ends < *starts) {
    v.Add("programme.ends_on", absl::StrCat("is before starts_on ", FormatCivilDate(*starts)));
  }
  if (in.planned_sessions() <= 0) v.Add("programme.planned_sessions", "must be at least 1");
  if (in.planned_hours() <= 0) v.Add("programme.planned_hours", "must be at least 1");
  if (in.funding_fen() < 0) v.Add("programme.funding_fen", "must not be negative");
  if (in.completion_threshold_bp() == 0) p.set_completion_threshold_bp(kDefaultCompletionThresholdBp);
  if (p.completion_threshold_bp() < 0 || p.completion_threshold_bp() > 10000) {
    v.Add("programme.completion_threshold_bp", "must be 1-10000 basis points of the sessions (0 for 80%)");
  }
  return p;
}

absl::Status CheckSessionDate(const v1::Programme& p, absl::CivilDay held_on, absl::string_view field) {
  auto starts = DayOf(p.starts_on());
  auto ends = DayOf(p.ends_on());
  if (starts && ends && (held_on < *starts || held_on > *ends)) {
    return FieldError(absl::StatusCode::kInvalidArgument, field,
                      absl::StrCat(FormatCivilDate(held_on), " is outside the programme's dates ",
                                   FormatCivilDate(*starts), " to ", FormatCivilDate(*ends)));
  }
  return absl::OkStatus();
}

absl::Status CheckTrainee(const replica::v1::RegistryFacts& person, absl::CivilDay on, absl::string_view field) {
  auto refuse = [&](absl::string_view why) { return FieldError(absl::StatusCode::kFailedPrecondition, field, why); };
  if (!person.merged_into().empty()) return refuse(absl::StrCat("was merged into ", person.merged_into()));
  if (person.sex() != reg::SEX_FEMALE) return refuse("is not a woman; these trainings count registered women");
  if (person.category() != reg::CATEGORY_WOMAN) return refuse("is a child; trainings take women aged 16 and over");
  auto born = FromProto(person.birth_date());
  if (born.ok()) {
    int age = AgeInYears(*born, on);
    if (age < kMinTraineeAge) {
      return refuse(absl::StrCat("is ", age, " on ", FormatCivilDate(on), "; trainings take women aged 16 and over"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckWorker(const replica::v1::RegistryFacts& person, absl::CivilDay on, absl::string_view field) {
  auto refuse = [&](absl::string_view why) { return FieldError(absl::StatusCode::kFailedPrecondition, field, why); };
  if (!person.merged_into().empty()) return refuse(absl::StrCat("was merged into ", person.merged_into()));
  if (person.sex() != reg::SEX_FEMALE || person.category() != reg::CATEGORY_WOMAN) {
    return refuse("is not a registered woman; placements count registered women in work");
  }
  auto born = FromProto(person.birth_date());
  if (born.ok() && AgeInYears(*born, on) < kMinTraineeAge) {
    return refuse(absl::StrCat("is ", AgeInYears(*born, on), " on ", FormatCivilDate(on),
                               "; she may not be placed in work under 16"));
  }
  return absl::OkStatus();
}

v1::ParticipantState PlaceOf(int enrolled, int capacity) {
  return enrolled < capacity ? v1::PARTICIPANT_STATE_ENROLLED : v1::PARTICIPANT_STATE_WAITLISTED;
}

std::optional<size_t> NextOnWaitlist(const std::vector<v1::Participant>& participants) {
  std::optional<size_t> next;
  for (size_t i = 0; i < participants.size(); ++i) {
    if (participants[i].state() != v1::PARTICIPANT_STATE_WAITLISTED) continue;
    if (!next || participants[i].number() < participants[*next].number()) next = i;
  }
  return next;
}

int32_t AttendanceRateBp(const v1::Participant& p, int sessions_held) {
  if (sessions_held <= 0) return 0;
  int present = 0;
  for (const auto& [session, mark] : p.attendance()) {
    if (mark == v1::ATTENDANCE_PRESENT) ++present;
  }
  return static_cast<int32_t>(int64_t{present} * 10000 / sessions_held);
}

absl::Status CheckEnded(const v1::Programme& programme, absl::CivilDay on) {
  auto ends = DayOf(programme.ends_on());
  if (ends && on < *ends) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "programme_id",
                      absl::StrCat("programme ", programme.id(), " ends on ", FormatCivilDate(*ends),
                                   "; completion is decided after that"));
  }
  return absl::OkStatus();
}

absl::Status Complete(const v1::Programme& programme, int sessions_held, absl::CivilDay on,
                      const std::string& certificate_prefix, v1::Participant& p) {
  RETURN_IF_ERROR(CheckEnded(programme, on));
  if (p.state() != v1::PARTICIPANT_STATE_ENROLLED) return absl::OkStatus();
  int32_t rate = AttendanceRateBp(p, sessions_held);
  p.set_attendance_rate_bp(rate);
  int32_t threshold =
      programme.completion_threshold_bp() > 0 ? programme.completion_threshold_bp() : kDefaultCompletionThresholdBp;
  if (sessions_held > 0 && rate >= threshold) {
    p.set_state(v1::PARTICIPANT_STATE_COMPLETED);
    p.set_certificate_number(absl::StrFormat("%s-%04d", certificate_prefix, p.number()));
  } else {
    p.set_state(v1::PARTICIPANT_STATE_NOT_COMPLETED);
  }
  return absl::OkStatus();
}

v1::JobPosting PostingFrom(const v1::JobPosting& in, const std::vector<std::string>& categories, FieldViolations& v) {
  v1::JobPosting p = in;
  p.clear_closed();
  p.clear_placed();
  auto employer = validate::CleanText(in.employer(), {.max_characters = 100, .required = true});
  if (v.Check("posting.employer", employer.status())) p.set_employer(*employer);
  if (std::find(categories.begin(), categories.end(), in.category()) == categories.end()) {
    v.Add("posting.category", absl::StrCat("\"", in.category(), "\" is not a job category code (data/job_categories)"));
  }
  if (in.positions() <= 0) v.Add("posting.positions", "must be more than 0");
  if (in.wage_min_fen() < 0 || in.wage_max_fen() < 0) {
    v.Add("posting.wage_min_fen", "a monthly wage must not be negative");
  } else if (in.wage_min_fen() > in.wage_max_fen()) {
    v.Add("posting.wage_min_fen", absl::StrCat(YuanText(Fen{in.wage_min_fen()}), " is more than wage_max_fen ",
                                               YuanText(Fen{in.wage_max_fen()})));
  }
  if (!v1::JobKind_IsValid(in.kind()) || in.kind() == v1::JOB_KIND_UNSPECIFIED) {
    v.Add("posting.kind",
          "is required (local, in-province, cross-province, public-welfare post, workshop, "
          "home-based handicraft)");
  }
  return p;
}

absl::Status CheckPlacement(const v1::JobPosting& posting, bool already_placed) {
  if (posting.closed()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "posting_id",
                      absl::StrCat("posting ", posting.id(), " is closed"));
  }
  if (posting.placed() >= posting.positions()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "posting_id",
                      absl::StrCat("posting ", posting.id(), " is full: ", posting.placed(), " of ",
                                   posting.positions(), " positions taken"));
  }
  if (already_placed) {
    return FieldError(absl::StatusCode::kAlreadyExists, "beneficiary_id",
                      absl::StrCat("already holds a placement in posting ", posting.id()));
  }
  return absl::OkStatus();
}

absl::Status CheckAidGrant(const replica::v1::RegistryFacts& child, const v1::AidFund& fund, int school_year,
                           int64_t amount_fen, const std::vector<v1::AidGrant>& earlier) {
  if (amount_fen <= 0) return FieldError(absl::StatusCode::kInvalidArgument, "amount_fen", "must be more than 0 fen");
  auto refuse = [](absl::string_view why) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "beneficiary_id", why);
  };
  if (!child.merged_into().empty()) return refuse(absl::StrCat("was merged into ", child.merged_into()));
  if (child.category() != reg::CATEGORY_CHILD) return refuse("is not a registered child; 春蕾 aid goes to children");
  if (!child.student()) return refuse("is not a student in the registry");
  for (const auto& g : earlier) {
    if (g.fund_id() == fund.id() && g.school_year() == school_year) {
      return FieldError(
          absl::StatusCode::kAlreadyExists, "beneficiary_id",
          absl::StrCat("was granted aid ", g.id(), " from this fund for ", FormatSchoolYear(school_year), " already"));
    }
  }
  int64_t left = fund.raised_fen() - fund.granted_fen();
  if (amount_fen > left) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "amount_fen",
                      absl::StrCat(YuanText(Fen{amount_fen}), " is more than fund ", fund.name(), " has left, ",
                                   YuanText(Fen{left})));
  }
  return absl::OkStatus();
}

}  // namespace jinguo::training::domain
