// Writes the binary seeds of tests/fuzz/corpus/ (serialized import rows, events and a page token), so that each
// fuzz target starts from well-formed input and mutates from there:  make_seeds CORPUS_DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "common/rpc/paging.h"
#include "jinguo/common/v1/event.pb.h"
#include "jinguo/registration/v1/events.pb.h"
#include "jinguo/registration/v1/registration.pb.h"

namespace reg = ::jinguo::registration::v1;

namespace {

std::string dir;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  std::ofstream(dir + "/" + target + "/" + name, std::ios::binary) << bytes;
}

void Day(jinguo::common::v1::CivilDate* d, int y, int m, int day) {
  d->set_year(y);
  d->set_month(m);
  d->set_day(day);
}

// An event seed of fuzz_projection_event: the form byte picks the payload type by its index in events.proto.
template <typename Payload>
void EventSeed(const std::string& name, const Payload& payload) {
  const auto* file = reg::BeneficiaryRegistered::descriptor()->file();
  int index = 0;
  while (file->message_type(index) != Payload::descriptor()) ++index;
  Write("fuzz_projection_event", name, std::string(1, static_cast<char>(2 * index + 1)) + payload.SerializeAsString());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  dir = argv[1];

  reg::ImportBeneficiariesRequest row;
  row.set_row_number(2);
  row.set_request_id("0192f3a4-5b6c-7d8e-9f00-112233445566");
  auto* b = row.mutable_beneficiary();
  b->set_id_number("11010519491231002X");
  b->set_name("李秀英");
  b->set_sex(reg::SEX_FEMALE);
  Day(b->mutable_birth_date(), 1949, 12, 31);
  b->set_household_id("h-1");
  b->add_poverty_causes(reg::POVERTY_CAUSE_ILLNESS);
  b->set_mobile("13812345678");
  Write("fuzz_import_row", "valid", row.SerializeAsString());
  b->set_student(true);
  b->set_school_stage(reg::SCHOOL_STAGE_PRIMARY);
  Day(b->mutable_birth_date(), 2016, 2, 29);
  b->set_id_number("110105201602290028");
  Write("fuzz_import_row", "child", row.SerializeAsString());
  b->set_id_number("11010519491231002");
  b->set_mobile("1381234567");
  b->set_name(" ");
  Write("fuzz_import_row", "bad_fields", row.SerializeAsString());

  reg::BeneficiaryFacts f;
  f.set_beneficiary_id("b-1");
  f.set_name("王秀英");
  f.set_id_number_masked("130207********002X");
  f.set_sex(reg::SEX_FEMALE);
  Day(f.mutable_birth_date(), 1980, 3, 12);
  f.set_category(reg::CATEGORY_WOMAN);
  f.set_region_code("130207104201");
  f.set_household_id("h-1");
  f.set_monitoring_status(reg::MONITORING_STATUS_NOT_LIFTED);
  f.add_poverty_causes(reg::POVERTY_CAUSE_ILLNESS);
  reg::BeneficiaryRegistered registered;
  *registered.mutable_beneficiary() = f;
  EventSeed("registered", registered);
  reg::BeneficiaryUpdated updated;
  *updated.mutable_beneficiary() = f;
  updated.mutable_beneficiary()->set_region_code("130207104202");
  updated.set_previous_region_code("130207104201");
  EventSeed("updated_moved", updated);
  reg::MonitoringStatusChanged status;
  status.set_beneficiary_id("b-1");
  status.set_previous_status(reg::MONITORING_STATUS_NOT_LIFTED);
  status.set_status(reg::MONITORING_STATUS_LIFTED);
  Day(status.mutable_effective_on(), 2026, 6, 1);
  EventSeed("status_changed", status);
  reg::CadrePaired paired;
  paired.set_cadre_id("c-1");
  paired.set_beneficiary_id("b-1");
  Day(paired.mutable_paired_on(), 2026, 3, 1);
  EventSeed("paired", paired);
  reg::VisitRecorded visit;
  visit.set_visit_id("v-1");
  visit.set_cadre_id("c-1");
  visit.set_beneficiary_id("b-1");
  Day(visit.mutable_visited_on(), 2026, 4, 1);
  EventSeed("visit", visit);
  reg::BeneficiariesMerged merged;
  EventSeed("merged_empty", merged);

  jinguo::common::v1::EventEnvelope e;
  e.set_event_id("e-1");
  e.set_event_type("BeneficiaryRegistered");
  e.set_aggregate_id("b-2");
  e.set_aggregate_version(1);
  e.set_producer("registration");
  e.set_beneficiary_id("b-2");
  e.set_region_code("130207104201");
  e.mutable_occurred_at()->set_seconds(1795000000);
  registered.mutable_beneficiary()->set_beneficiary_id("b-2");
  e.mutable_payload()->PackFrom(registered);
  Write("fuzz_projection_event", "envelope", std::string(1, '\0') + e.SerializeAsString());

  // As fuzz_page_token's PageTokens issue them.
  jinguo::rpc::PageTokens tokens("registration", std::string(32, 'k'));
  jinguo::rpc::PageQuery query{"ListBeneficiaries", "1302", "130207", {"category=2"}};
  Write("fuzz_page_token", "issued", tokens.Issue(query, "130207104201/b-1"));
  return 0;
}
