#include "tools/jinguoctl/demo_training.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/base/money.h"
#include "grpcpp/create_channel.h"
#include "jinguo/training/v1/training.grpc.pb.h"
#include "tools/jinguoctl/client_context.h"

namespace jinguo::tools {

namespace tv1 = ::jinguo::training::v1;

namespace {

bool Fail(const std::string& what, const grpc::Status& s) {
  std::fprintf(stderr, "demo: training: %s: %s\n", what.c_str(), s.error_message().c_str());
  return false;
}

constexpr int kProgrammes = 59;
constexpr int kPlaces = 9000;
constexpr int kHandicraft = 19;     // federation-run handicraft trainings
constexpr int kFarm = 5;            // federation-run farm-technology trainings
constexpr int kParticipants = 700;  // in the federation's trainings
constexpr int kByName = 100;        // of them, not in the registry
constexpr int kSessions = 5;
constexpr int kPositions = 4420;
constexpr int kPlaced = 40;
constexpr int kAided = 468;
constexpr int kPaid = 400;
constexpr int kPaired = 60;
constexpr int64_t kAidFen = 100000;  // 1,000 元 a student a school year

const char* const kProviders[] = {"唐山市人力资源和社会保障局", "唐山市农业农村局", "唐山市职业技术学院",
                                  "唐山市家政服务协会", "唐山市电子商务协会"};
const tv1::ProgrammeKind kOtherKinds[] = {tv1::PROGRAMME_KIND_HOUSEKEEPING,  tv1::PROGRAMME_KIND_E_COMMERCE,
                                          tv1::PROGRAMME_KIND_RURAL_TOURISM, tv1::PROGRAMME_KIND_BEAUTY,
                                          tv1::PROGRAMME_KIND_COMPUTER,      tv1::PROGRAMME_KIND_AGRICULTURE};
const char* const kOtherTitles[] = {"家政服务员", "农村电商运营", "乡村旅游服务",
                                    "美容美发",   "计算机操作",   "现代农业实用技术"};
const tv1::JobKind kJobKinds[] = {tv1::JOB_KIND_HOME_HANDICRAFT, tv1::JOB_KIND_WORKSHOP,
                                  tv1::JOB_KIND_LOCAL,           tv1::JOB_KIND_IN_PROVINCE,
                                  tv1::JOB_KIND_PUBLIC_WELFARE,  tv1::JOB_KIND_CROSS_PROVINCE};

}  // namespace

bool DemoTraining(const std::string& training_addr, const std::string& token, const std::string& city,
                  const std::vector<std::string>& categories, const std::vector<DemoResident>& women,
                  const std::vector<DemoResident>& students) {
  if (women.size() < static_cast<size_t>(kParticipants - kByName) || categories.size() < 2) {
    std::fprintf(stderr, "demo: training: too few women or job categories\n");
    return false;
  }
  auto training = tv1::TrainingService::NewStub(grpc::CreateChannel(training_addr, grpc::InsecureChannelCredentials()));
  const absl::CivilDay today = ChinaDay(absl::Now());

  // The programmes: the federation's 24 first (ended 20-110 days ago, ten days each, 29 or 30 places, full), then the
  // 35 of other providers sharing the remaining places (running for the next months).
  std::vector<tv1::Programme> programmes;
  int federation = kHandicraft + kFarm;
  const int other_places = kPlaces - kParticipants;
  for (int i = 0; i < kProgrammes; ++i) {
    tv1::CreateProgrammeRequest req;
    req.set_request_id(absl::StrCat("demo-programme-", city, "-", i));
    tv1::Programme* p = req.mutable_programme();
    p->set_region_code(city);
    p->set_planned_sessions(kSessions);
    p->set_planned_hours(kSessions * 4);
    if (i < federation) {
      bool craft = i < kHandicraft;
      p->set_title(craft ? absl::StrCat("巾帼手工编织培训班（第", i + 1, "期）")
                         : absl::StrCat("现代农业科技培训班（第", i - kHandicraft + 1, "期）"));
      p->set_kind(craft ? tv1::PROGRAMME_KIND_HANDICRAFT : tv1::PROGRAMME_KIND_AGRICULTURE);
      p->set_provider("唐山市妇联");
      p->set_federation_run(true);
      p->set_capacity(i < kParticipants % federation ? kParticipants / federation + 1 : kParticipants / federation);
      absl::CivilDay ends = today - 20 - 4 * i;
      *p->mutable_starts_on() = ToProto(ends - 9);
      *p->mutable_ends_on() = ToProto(ends);
      p->set_funding_fen(int64_t{p->capacity()} * 60000);
      p->set_funder("唐山市妇联");
    } else {
      int k = i - federation;
      int others = kProgrammes - federation;
      p->set_title(absl::StrCat(kOtherTitles[k % 6], "培训（第", k / 6 + 1, "期）"));
      p->set_kind(kOtherKinds[k % 6]);
      p->set_provider(kProviders[k % 5]);
      p->set_capacity(other_places / others + (k < other_places % others ? 1 : 0));
      *p->mutable_starts_on() = ToProto(today + 10 + k);
      *p->mutable_ends_on() = ToProto(today + 40 + k);
      p->set_funding_fen(int64_t{p->capacity()} * 50000);
      p->set_funder("职业技能提升行动专账资金");
    }
    tv1::CreateProgrammeResponse resp;
    if (grpc::Status s = training->CreateProgramme(Context(token).get(), req, &resp); !s.ok())
      return Fail("programme", s);
    programmes.push_back(resp.programme());
  }

  // The federation's trainings: participants, five sessions with their sheets, completion.
  int next_woman = 0, by_name = 0, completed = 0;
  std::vector<std::string> craft_graduates;
  for (int i = 0; i < federation; ++i) {
    const tv1::Programme& p = programmes[i];
    std::vector<tv1::Participant> enrolled;
    for (int k = 0; k < p.capacity(); ++k) {
      tv1::EnrolRequest req;
      req.set_programme_id(p.id());
      // Every sixth place (100 in all) goes to a participant the registry does not know.
      if (k % 6 == 5 && by_name < kByName) {
        req.set_request_id(absl::StrCat("demo-enrol-", p.id(), "-", k));
        req.set_name(absl::StrCat("学员", i + 1, "-", k + 1));
        ++by_name;
      } else {
        const DemoResident& w = women[next_woman++ % women.size()];
        req.set_request_id(absl::StrCat("demo-enrol-", p.id(), "-", w.id_number));
        req.set_beneficiary_id(w.beneficiary_id);
      }
      tv1::EnrolResponse resp;
      if (grpc::Status s = training->Enrol(Context(token).get(), req, &resp); !s.ok()) return Fail("enrol", s);
      enrolled.push_back(resp.participant());
    }
    for (int n = 0; n < kSessions; ++n) {
      tv1::ScheduleSessionRequest req;
      req.set_request_id(absl::StrCat("demo-session-", p.id(), "-", n));
      tv1::Session* s = req.mutable_session();
      s->set_programme_id(p.id());
      *s->mutable_held_on() = ToProto(StoredDay(p.starts_on()) + 2 * n);
      s->set_hours(4);
      s->set_place(p.kind() == tv1::PROGRAMME_KIND_HANDICRAFT ? "妇女之家手工坊" : "农业科技示范园");
      s->set_trainer(p.kind() == tv1::PROGRAMME_KIND_HANDICRAFT ? "巾帼手工艺人 王秀英" : "农技推广员 李玉兰");
      tv1::ScheduleSessionResponse session;
      if (grpc::Status st = training->ScheduleSession(Context(token).get(), req, &session); !st.ok()) {
        return Fail("session", st);
      }
      tv1::RecordAttendanceRequest sheet;
      sheet.set_request_id(absl::StrCat("demo-sheet-", p.id(), "-", n));
      sheet.set_programme_id(p.id());
      sheet.set_session_id(session.session().id());
      for (const auto& x : enrolled) {
        tv1::AttendanceMark* m = sheet.add_marks();
        m->set_number(x.number());
        // One in eleven misses two sessions (one excused) and does not complete; the others miss at most one.
        int slot = (x.number() * 7 + i) % 11;
        if (slot == 0 && n >= 3) {
          m->set_attendance(n == 3 ? tv1::ATTENDANCE_EXCUSED : tv1::ATTENDANCE_ABSENT);
          if (n == 3) m->set_reason("农忙");
        } else if (slot == 1 && n == 2) {
          m->set_attendance(tv1::ATTENDANCE_ABSENT);
        } else {
          m->set_attendance(tv1::ATTENDANCE_PRESENT);
        }
      }
      tv1::RecordAttendanceResponse recorded;
      if (grpc::Status st = training->RecordAttendance(Context(token).get(), sheet, &recorded); !st.ok()) {
        return Fail("attendance", st);
      }
    }
    tv1::CompleteProgrammeRequest req;
    req.set_request_id(absl::StrCat("demo-complete-", p.id()));
    req.set_programme_id(p.id());
    tv1::CompleteProgrammeResponse done;
    if (grpc::Status s = training->CompleteProgramme(Context(token).get(), req, &done); !s.ok()) {
      // Completed by an earlier load: the answer of that call is not kept under a new request id.
      if (s.error_code() != grpc::StatusCode::FAILED_PRECONDITION ||
          !absl::StrContains(s.error_message(), "completed")) {
        return Fail("completion", s);
      }
      tv1::GetProgrammeRequest get;
      get.set_programme_id(p.id());
      tv1::GetProgrammeResponse got;
      if (grpc::Status g = training->GetProgramme(Context(token).get(), get, &got); !g.ok())
        return Fail("programme", g);
      for (const auto& x : got.participants()) *done.add_participants() = x;
    }
    for (const auto& x : done.participants()) {
      if (x.state() != tv1::PARTICIPANT_STATE_COMPLETED) continue;
      ++completed;
      if (p.kind() == tv1::PROGRAMME_KIND_HANDICRAFT && !x.beneficiary_id().empty()) {
        craft_graduates.push_back(x.beneficiary_id());
      }
    }
  }

  // Postings: one per job category, 4,420 positions, by women entrepreneurs across the city's counties.
  std::vector<tv1::JobPosting> postings;
  const int n = static_cast<int>(categories.size());
  for (int i = 0; i < n; ++i) {
    tv1::PostJobRequest req;
    req.set_request_id(absl::StrCat("demo-posting-", city, "-", categories[i]));
    tv1::JobPosting* j = req.mutable_posting();
    j->set_employer(absl::StrCat("巾帼创业带头人 ", i + 1, " 号合作社"));
    j->set_category(categories[i]);
    j->set_positions(kPositions / n + (i < kPositions % n ? 1 : 0));
    const DemoResident& w = women[(i * 37) % women.size()];
    j->set_region_code(w.region_code.substr(0, 6));
    j->set_wage_min_fen(180000 + 10000 * (i % 5));
    j->set_wage_max_fen(j->wage_min_fen() + 150000);
    // Handicraft categories (HC) are home-based or workshop work; the rest spread over the kinds.
    j->set_kind(absl::StartsWith(categories[i], "HC") ? kJobKinds[i % 2] : kJobKinds[i % 6]);
    tv1::PostJobResponse resp;
    if (grpc::Status s = training->PostJob(Context(token).get(), req, &resp); !s.ok()) return Fail("posting", s);
    postings.push_back(resp.posting());
  }
  // 40 handicraft graduates placed in handicraft work (the first two postings, 手工编织 and 刺绣).
  int placed = 0;
  for (size_t k = 0; k < craft_graduates.size() && placed < kPlaced; ++k) {
    tv1::RecordPlacementRequest req;
    req.set_request_id(absl::StrCat("demo-placement-", craft_graduates[k]));
    req.set_posting_id(postings[k % 2].id());
    req.set_beneficiary_id(craft_graduates[k]);
    *req.mutable_starts_on() = ToProto(today - 10);
    tv1::RecordPlacementResponse resp;
    grpc::Status s = training->RecordPlacement(Context(token).get(), req, &resp);
    // The same graduate from two trainings is placed once.
    if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) return Fail("placement", s);
    if (s.ok()) ++placed;
  }

  // 春蕾: one fund for the city, 468 students aided this school year.
  tv1::CreateAidFundRequest fund_req;
  fund_req.set_request_id(absl::StrCat("demo-fund-", city));
  fund_req.mutable_fund()->set_name("唐山市春蕾助学基金");
  fund_req.mutable_fund()->set_donor("唐山市慈善总会及爱心企业");
  fund_req.mutable_fund()->set_raised_fen(int64_t{kAided} * kAidFen + 3000000);
  fund_req.mutable_fund()->set_region_code(city);
  tv1::CreateAidFundResponse fund;
  if (grpc::Status s = training->CreateAidFund(Context(token).get(), fund_req, &fund); !s.ok()) return Fail("fund", s);
  const std::string year_text = FormatSchoolYear(SchoolYearOf(today));
  int aided = 0, paid = 0;
  for (size_t k = 0; k < students.size() && aided < kAided; ++k) {
    const DemoResident& child = students[k];
    tv1::GrantStudentAidRequest req;
    req.set_request_id(absl::StrCat("demo-aid-", year_text, "-", child.id_number));
    req.set_fund_id(fund.fund().id());
    req.set_beneficiary_id(child.beneficiary_id);
    req.set_school_year(year_text);
    req.set_amount_fen(kAidFen);
    tv1::GrantStudentAidResponse granted;
    if (grpc::Status s = training->GrantStudentAid(Context(token).get(), req, &granted); !s.ok()) return Fail("aid", s);
    ++aided;
    if (aided <= kPaid) {
      tv1::RecordAidPaidRequest pay;
      pay.set_request_id(absl::StrCat("demo-aid-paid-", year_text, "-", child.id_number));
      pay.set_grant_id(granted.grant().id());
      tv1::RecordAidPaidResponse paid_resp;
      if (grpc::Status s = training->RecordAidPaid(Context(token).get(), pay, &paid_resp); !s.ok()) {
        return Fail("aid paid", s);
      }
      ++paid;
    }
    if (aided <= kPaired) {
      tv1::PairDonorRequest pair;
      pair.set_request_id(absl::StrCat("demo-aid-pair-", child.id_number));
      pair.set_fund_id(fund.fund().id());
      pair.set_beneficiary_id(child.beneficiary_id);
      tv1::PairDonorResponse paired;
      if (grpc::Status s = training->PairDonor(Context(token).get(), pair, &paired); !s.ok()) return Fail("pairing", s);
    }
  }
  std::printf(
      "demo: training: %d programmes, %d places; %d federation trainings with %d participants, %d completed; %d "
      "positions in %d postings, %d women placed in handicraft; 春蕾 %d of %zu students aided (%s 元), %d paid\n",
      kProgrammes, kPlaces, federation, kParticipants, completed, kPositions, n, placed, aided, students.size(),
      FormatYuan(Fen{int64_t{aided} * kAidFen}).c_str(), paid);
  return true;
}

}  // namespace jinguo::tools
