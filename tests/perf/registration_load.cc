// Load for the registration service's benchmarks (scripts/bench.sh):
//
//   registration_load ghz-data HOUSEHOLD_IDS_FILE FIRST COUNT OUT
//       writes COUNT RegisterBeneficiary requests for people FIRST, FIRST+1, … (valid, unique ID numbers, spread
//       over the households listed one per line) as length-delimited binary messages for ghz --binary-file, which
//       decodes them all before its clock starts, as it does Health/Check's one request (a JSON array is parsed
//       element by element during the measured run: 6% of the machine's CPU at 3,800 requests/s)
//   registration_load households ADDRESS TOKEN COUNT OUT
//       registers COUNT households in 丰南区 黄各庄镇 villages and writes their ids, one per line
//   registration_load xlsx HOUSEHOLD_IDS_FILE COUNT OUT
//       writes a clerk's roster (.xlsx, the template's headers) of COUNT people, one row in a hundred spoiled as
//       clerks spoil them (an ID number Excel made a number, a cause that is none, a date that is none), for
//       jinguoctl import
//   registration_load import ADDRESS TOKEN HOUSEHOLD_IDS_FILE COUNT [FIRST]
//       streams COUNT rows (people FIRST, FIRST+1, …; default 0) to ImportBeneficiaries and prints rows, seconds and
//       rows_per_sec
#include <xlsxwriter.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/validate/id_number.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "grpcpp/create_channel.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"

namespace rv1 = jinguo::registration::v1;

namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The i-th synthetic woman: ID numbers are unique for i below 100 × 36500 × 500.
rv1::BeneficiaryInput Row(int64_t i, const std::vector<std::string>& households) {
  rv1::BeneficiaryInput in;
  absl::CivilDay birth = absl::CivilDay(1960, 1, 1) + (i / 500) % 14600;  // born 1960-1999
  int address = 130200 + static_cast<int>((i / (500 * 14600)) % 100);
  in.set_id_number(jinguo::validate::ComposeIdNumber(absl::StrCat(address), birth, static_cast<int>(i % 500) * 2));
  in.set_name(absl::StrCat("女", i));
  in.set_household_id(households[i % households.size()]);
  in.add_poverty_causes(rv1::POVERTY_CAUSE_ILLNESS);
  return in;
}

}  // namespace

// The roster workbook for `count` people; returns false when it cannot be written.
bool WriteRosterXlsx(const std::vector<std::string>& households, int64_t count, const std::string& out) {
  lxw_workbook_options options = {};
  options.constant_memory = LXW_TRUE;  // rows are written in order: a 100,000-row sheet in little memory
  lxw_workbook* wb = workbook_new_opt(out.c_str(), &options);
  if (wb == nullptr) return false;
  lxw_worksheet* ws = workbook_add_worksheet(wb, "名单");
  const char* headers[] = {"姓名", "身份证号", "户编号", "致贫原因", "出生日期", "是否在校生"};
  for (int c = 0; c < 6; ++c) worksheet_write_string(ws, 0, c, headers[c], nullptr);
  for (int64_t i = 0; i < count; ++i) {
    rv1::BeneficiaryInput in = Row(i, households);
    lxw_row_t r = static_cast<lxw_row_t>(i + 1);
    int spoiled = i % 100 == 37 ? static_cast<int>((i / 100) % 3) + 1 : 0;
    worksheet_write_string(ws, r, 0, in.name().c_str(), nullptr);
    if (spoiled == 1) {
      worksheet_write_number(ws, r, 1, std::stod(in.id_number().substr(0, 17)) * 10, nullptr);
    } else {
      worksheet_write_string(ws, r, 1, in.id_number().c_str(), nullptr);
    }
    worksheet_write_string(ws, r, 2, in.household_id().c_str(), nullptr);
    worksheet_write_string(ws, r, 3, spoiled == 2 ? "因穷" : "因病、缺技术", nullptr);
    std::string birth =
        absl::StrFormat("%s年%d月%d日", in.id_number().substr(6, 4), std::stoi(in.id_number().substr(10, 2)),
                        std::stoi(in.id_number().substr(12, 2)));
    worksheet_write_string(ws, r, 4, spoiled == 3 ? "某年某月" : birth.c_str(), nullptr);
    worksheet_write_string(ws, r, 5, "否", nullptr);
  }
  return workbook_close(wb) == LXW_NO_ERROR;
}

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "xlsx" && argc == 5) {
    return WriteRosterXlsx(ReadLines(argv[2]), std::atoll(argv[3]), argv[4]) ? 0 : 1;
  }
  if (mode == "ghz-data" && argc == 6) {
    auto households = ReadLines(argv[2]);
    int64_t first = std::atoll(argv[3]);
    int64_t count = std::atoll(argv[4]);
    std::ofstream file(argv[5], std::ios::binary);
    google::protobuf::io::OstreamOutputStream out(&file);
    std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    for (int64_t i = first; i < first + count; ++i) {
      rv1::RegisterBeneficiaryRequest r;
      r.set_request_id(absl::StrCat("ghz-", run, "-", i));
      *r.mutable_beneficiary() = Row(i, households);
      if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(r, &out)) {
        std::cerr << "registration_load: writing " << argv[5] << " failed\n";
        return 1;
      }
    }
    return 0;
  }
  if (mode == "households" && argc == 6) {
    auto stub = rv1::RegistrationService::NewStub(grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials()));
    std::ofstream out(argv[5]);
    int64_t count = std::atoll(argv[4]);
    std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    for (int64_t i = 0; i < count; ++i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", absl::StrCat("Bearer ", argv[3]));
      rv1::RegisterHouseholdRequest r;
      r.set_request_id(absl::StrCat("hh-", run, "-", i));
      r.set_region_code(absl::StrFormat("130207104%03d", 200 + i % 100));
      r.set_attribute(rv1::HOUSEHOLD_ATTRIBUTE_GENERAL);
      r.set_head_name(absl::StrCat("户主", i));
      rv1::RegisterHouseholdResponse resp;
      grpc::Status s = stub->RegisterHousehold(&ctx, r, &resp);
      if (!s.ok()) {
        std::fprintf(stderr, "household: %s\n", s.error_message().c_str());
        return 1;
      }
      out << resp.household().id() << "\n";
    }
    return 0;
  }
  if (mode == "import" && (argc == 6 || argc == 7)) {
    int64_t first = argc == 7 ? std::atoll(argv[6]) : 0;
    auto households = ReadLines(argv[4]);
    int64_t count = std::atoll(argv[5]);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    auto stub =
        rv1::RegistrationService::NewStub(grpc::CreateCustomChannel(argv[2], grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", argv[3]));
    rv1::ImportBeneficiariesResponse summary;
    absl::Time start = absl::Now();
    auto writer = stub->ImportBeneficiaries(&ctx, &summary);
    std::string run = absl::StrCat(absl::ToUnixMillis(start));
    for (int64_t i = 0; i < count; ++i) {
      rv1::ImportBeneficiariesRequest row;
      row.set_row_number(i + 1);
      row.set_request_id(absl::StrCat("imp-", run, "-", i));
      *row.mutable_beneficiary() = Row(1000000000 + first + i, households);
      if (!writer->Write(row)) break;
      if ((i + 1) % 100000 == 0) std::fprintf(stderr, "import: %lld rows sent\n", static_cast<long long>(i + 1));
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (!s.ok()) {
      std::fprintf(stderr, "import failed: %s\n", s.error_message().c_str());
      return 1;
    }
    std::printf("rows=%lld\naccepted=%lld\nrejected=%d\nseconds=%.2f\nrows_per_sec=%.0f\n",
                static_cast<long long>(summary.rows()), static_cast<long long>(summary.accepted()),
                summary.rejected_size(), seconds, summary.rows() / seconds);
    return summary.accepted() == count ? 0 : 1;
  }
  std::fprintf(stderr,
               "usage: registration_load ghz-data REGION HOUSEHOLDS COUNT OUT | import ADDR TOKEN HOUSEHOLDS COUNT\n");
  return 2;
}
