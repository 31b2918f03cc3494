// Load for the training service's benchmarks (scripts/bench_training.sh). Women come from registration
// (ListBeneficiaries under a region prefix); programmes are made through the training service with fixed request
// ids, so a second call finds the same ones.
//
//   training_load enrol-data REGISTRATION TRAINING TOKEN PREFIX PROGRAMMES COUNT OFFSET OUT
//       makes PROGRAMMES open programmes and writes COUNT Enrol requests (request i + OFFSET enrols woman
//       (i + OFFSET) / PROGRAMMES into programme (i + OFFSET) % PROGRAMMES: every pair once) for ghz --binary-file
//   training_load sheet-data REGISTRATION TRAINING TOKEN PREFIX PARTICIPANTS COUNT OUT
//       makes a programme with PARTICIPANTS women enrolled and 10 sessions held, and writes COUNT RecordAttendance
//       requests, each a whole sheet for one of the sessions in turn (every later sheet replaces an earlier one)
//   training_load complete REGISTRATION TRAINING TOKEN PREFIX PARTICIPANTS
//       makes a programme that ended yesterday with PARTICIPANTS women enrolled and five sheets recorded, then
//       times CompleteProgramme: prints completion_ms=, completed= and not_completed=
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "grpcpp/create_channel.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "jinguo/training/v1/training.grpc.pb.h"

namespace rv1 = jinguo::registration::v1;
namespace tv1 = jinguo::training::v1;

namespace {

std::string g_token;

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", g_token));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(600));
  return ctx;
}

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)); }

void SetDay(jinguo::common::v1::CivilDate* d, absl::CivilDay day) {
  d->set_year(static_cast<int>(day.year()));
  d->set_month(day.month());
  d->set_day(day.day());
}

[[noreturn]] void Die(const std::string& what, const grpc::Status& s) {
  std::cerr << "training_load: " << what << ": " << s.error_message() << "\n";
  std::exit(1);
}

std::vector<std::string> Women(const std::string& registration, const std::string& prefix, size_t at_least) {
  auto registry =
      rv1::RegistrationService::NewStub(grpc::CreateChannel(registration, grpc::InsecureChannelCredentials()));
  std::vector<std::string> women;
  std::string token;
  do {
    rv1::ListBeneficiariesRequest req;
    req.set_region_prefix(prefix);
    req.set_category(rv1::CATEGORY_WOMAN);
    req.mutable_page()->set_page_size(500);
    req.mutable_page()->set_page_token(token);
    rv1::ListBeneficiariesResponse resp;
    if (grpc::Status s = registry->ListBeneficiaries(Ctx().get(), req, &resp); !s.ok()) Die("listing women", s);
    for (const auto& b : resp.beneficiaries()) women.push_back(b.id());
    token = resp.next_page_token();
  } while (!token.empty());
  if (women.size() < at_least) {
    std::cerr << "training_load: " << women.size() << " women under " << prefix << ", " << at_least << " needed\n";
    std::exit(1);
  }
  return women;
}

tv1::Programme MakeProgramme(tv1::TrainingService::Stub& training, const std::string& key, const std::string& region,
                             int capacity, absl::CivilDay starts, absl::CivilDay ends) {
  tv1::CreateProgrammeRequest req;
  req.set_request_id(absl::StrCat("bench-programme-", key));
  tv1::Programme* p = req.mutable_programme();
  p->set_title(absl::StrCat("bench ", key));
  p->set_kind(tv1::PROGRAMME_KIND_HANDICRAFT);
  p->set_provider("bench");
  p->set_region_code(region);
  p->set_capacity(capacity);
  SetDay(p->mutable_starts_on(), starts);
  SetDay(p->mutable_ends_on(), ends);
  p->set_planned_sessions(10);
  p->set_planned_hours(40);
  tv1::CreateProgrammeResponse resp;
  if (grpc::Status s = training.CreateProgramme(Ctx().get(), req, &resp); !s.ok()) Die("programme", s);
  return resp.programme();
}

// Enrols women[0..n) into `p` from 8 threads; their participant numbers, in the order of `women`.
void EnrolAll(tv1::TrainingService::Stub& training, const tv1::Programme& p, const std::vector<std::string>& women,
              int n) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += 8) {
        tv1::EnrolRequest req;
        req.set_request_id(absl::StrCat("bench-enrol-", p.id(), "-", i));
        req.set_programme_id(p.id());
        req.set_beneficiary_id(women[static_cast<size_t>(i)]);
        tv1::EnrolResponse resp;
        if (grpc::Status s = training.Enrol(Ctx().get(), req, &resp); !s.ok()) Die("enrol", s);
      }
    });
  }
  for (auto& t : threads) t.join();
}

std::vector<tv1::Session> Sessions(tv1::TrainingService::Stub& training, const tv1::Programme& p, int count) {
  std::vector<tv1::Session> out;
  for (int k = 0; k < count; ++k) {
    tv1::ScheduleSessionRequest req;
    req.set_request_id(absl::StrCat("bench-session-", p.id(), "-", k));
    req.mutable_session()->set_programme_id(p.id());
    absl::CivilDay starts(p.starts_on().year(), p.starts_on().month(), p.starts_on().day());
    SetDay(req.mutable_session()->mutable_held_on(), starts + k);
    req.mutable_session()->set_hours(4);
    req.mutable_session()->set_place("bench hall");
    req.mutable_session()->set_trainer("bench trainer");
    tv1::ScheduleSessionResponse resp;
    if (grpc::Status s = training.ScheduleSession(Ctx().get(), req, &resp); !s.ok()) Die("session", s);
    out.push_back(resp.session());
  }
  return out;
}

// A whole sheet for `session`: everyone present but one in ten absent.
tv1::RecordAttendanceRequest Sheet(const tv1::Programme& p, const tv1::Session& session, int participants,
                                   const std::string& request_id) {
  tv1::RecordAttendanceRequest r;
  r.set_request_id(request_id);
  r.set_programme_id(p.id());
  r.set_session_id(session.id());
  for (int n = 1; n <= participants; ++n) {
    tv1::AttendanceMark* m = r.add_marks();
    m->set_number(n);
    m->set_attendance(n % 10 == 0 ? tv1::ATTENDANCE_ABSENT : tv1::ATTENDANCE_PRESENT);
  }
  return r;
}

int WriteAll(const std::string& path, const std::vector<std::unique_ptr<google::protobuf::Message>>& requests) {
  std::ofstream file(path, std::ios::binary);
  google::protobuf::io::OstreamOutputStream out(&file);
  for (const auto& r : requests) {
    if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(*r, &out)) {
      std::cerr << "training_load: writing " << path << " failed\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  bool ok =
      (mode == "enrol-data" && argc == 10) || (mode == "sheet-data" && argc == 9) || (mode == "complete" && argc == 7);
  if (!ok) {
    std::fprintf(stderr,
                 "usage: training_load enrol-data REGISTRATION TRAINING TOKEN PREFIX PROGRAMMES COUNT OFFSET OUT\n"
                 "       training_load sheet-data REGISTRATION TRAINING TOKEN PREFIX PARTICIPANTS COUNT OUT\n"
                 "       training_load complete REGISTRATION TRAINING TOKEN PREFIX PARTICIPANTS\n");
    return 2;
  }
  g_token = argv[4];
  const std::string prefix = argv[5];
  const std::string region = prefix.substr(0, 6);
  auto training = tv1::TrainingService::NewStub(grpc::CreateChannel(argv[3], grpc::InsecureChannelCredentials()));
  const absl::CivilDay today = Today();
  std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));

  if (mode == "enrol-data") {
    int programmes = std::atoi(argv[6]);
    int64_t count = std::atoll(argv[7]), offset = std::atoll(argv[8]);
    auto women = Women(argv[2], prefix, static_cast<size_t>((count + offset) / programmes + 1));
    std::vector<std::string> ids;
    for (int k = 0; k < programmes; ++k) {
      ids.push_back(MakeProgramme(*training, absl::StrCat("enrol-", k), region, 20000, today, today + 30).id());
    }
    std::vector<std::unique_ptr<google::protobuf::Message>> requests;
    for (int64_t i = offset; i < offset + count; ++i) {
      auto r = std::make_unique<tv1::EnrolRequest>();
      r->set_request_id(absl::StrCat("ghz-enrol-", run, "-", i));
      r->set_programme_id(ids[static_cast<size_t>(i % programmes)]);
      r->set_beneficiary_id(women[static_cast<size_t>(i / programmes)]);
      requests.push_back(std::move(r));
    }
    std::printf("training_load: %lld Enrol requests over %d programmes\n", static_cast<long long>(count), programmes);
    return WriteAll(argv[9], requests);
  }

  const int participants = std::atoi(argv[6]);
  auto women = Women(argv[2], prefix, static_cast<size_t>(participants));
  if (mode == "sheet-data") {
    int64_t count = std::atoll(argv[7]);
    tv1::Programme p = MakeProgramme(*training, absl::StrCat("sheet-", participants, "-", run), region, participants,
                                     today - 20, today + 10);
    EnrolAll(*training, p, women, participants);
    auto sessions = Sessions(*training, p, 10);
    std::vector<std::unique_ptr<google::protobuf::Message>> requests;
    for (int64_t i = 0; i < count; ++i) {
      requests.push_back(std::make_unique<tv1::RecordAttendanceRequest>(
          Sheet(p, sessions[static_cast<size_t>(i % 10)], participants, absl::StrCat("ghz-sheet-", run, "-", i))));
    }
    std::printf("training_load: %lld sheets of %d participants\n", static_cast<long long>(count), participants);
    return WriteAll(argv[8], requests);
  }

  tv1::Programme p = MakeProgramme(*training, absl::StrCat("complete-", participants, "-", run), region, participants,
                                   today - 10, today - 1);
  EnrolAll(*training, p, women, participants);
  auto sessions = Sessions(*training, p, 5);
  for (size_t k = 0; k < sessions.size(); ++k) {
    tv1::RecordAttendanceResponse resp;
    auto sheet = Sheet(p, sessions[k], participants, absl::StrCat("bench-sheet-", p.id(), "-", k));
    // Numbers ending in 0 miss every session and those ending in 5 the last two: below 80%, they do not complete.
    if (k >= 3) {
      for (auto& m : *sheet.mutable_marks()) {
        if (m.number() % 10 == 5) m.set_attendance(tv1::ATTENDANCE_ABSENT);
      }
    }
    if (grpc::Status s = training->RecordAttendance(Ctx().get(), sheet, &resp); !s.ok()) Die("sheet", s);
  }
  tv1::CompleteProgrammeRequest req;
  req.set_request_id(absl::StrCat("bench-complete-", p.id()));
  req.set_programme_id(p.id());
  tv1::CompleteProgrammeResponse resp;
  auto start = std::chrono::steady_clock::now();
  grpc::Status s = training->CompleteProgramme(Ctx().get(), req, &resp);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) Die("completion", s);
  std::printf("completion_ms=%.0f\ncompleted=%d\nnot_completed=%d\n", ms, resp.completed(), resp.not_completed());
  return 0;
}
