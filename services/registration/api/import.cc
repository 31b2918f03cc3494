// ImportBeneficiaries: a client stream of rows, checked and committed in pipelined chunks.
#include <future>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/registration/api/internal.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/domain/registry_rules.h"

namespace jinguo::registration::api {

using rpc::Role;
using validate::FieldViolations;

namespace {

constexpr size_t kImportChunkRows = 2000;
// An import holds every stripe while it checks a chunk and while the chunk before is committed; it lets go (once
// that chunk has landed) after this many chunks, so other calls wait at most about a second behind a long import.
constexpr int kImportChunksPerLock = 10;

}  // namespace

grpc::Status RegistrationService::ImportBeneficiaries(grpc::ServerContext* ctx,
                                                      grpc::ServerReader<v1::ImportBeneficiariesRequest>* reader,
                                                      v1::ImportBeneficiariesResponse* resp) {
  auto who = d_.writes->Admit(*ctx, Role::kOperator);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto& accepted_rows = import_rows_->Add({{"outcome", "accepted"}});
  auto& rejected_rows = import_rows_->Add({{"outcome", "rejected"}});
  auto& repeated_rows = import_rows_->Add({{"outcome", "repeated"}});

  auto reject = [&](int64_t row, absl::string_view field, absl::string_view reason) {
    auto* r = resp->add_rejected();
    r->set_row_number(row);
    r->set_field(std::string(field));
    r->set_reason(std::string(reason));
    rejected_rows.Increment();
  };
  // A failed status becomes one rejection per field violation it names; every refusal of a row names its field
  // (one that names none is a failure of the service, not of the row, and ends the import).
  auto reject_status = [&](int64_t row, const absl::Status& s) {
    google::rpc::BadRequest br = validate::BadRequestOf(s);
    for (const auto& fv : br.field_violations()) reject(row, fv.field(), fv.description());
    return br.field_violations_size() > 0 ? absl::OkStatus() : s;
  };

  // Chunks are pipelined: one is checked and built while the one before is committed. That one is not in the
  // store yet, so its rows stay in `in_flight_rows` for the checks, and every stripe stays locked until it has
  // landed: no other call reads a state that lacks it.
  std::vector<v1::ImportBeneficiariesRequest> chunk;
  int64_t arrival = 0;
  KeyedMutex::Held everything;
  int chunks_locked = 0;
  std::unique_ptr<PendingRows> in_flight_rows;
  std::future<absl::Status> in_flight;
  auto land = [&]() -> absl::Status {
    if (!in_flight.valid()) return absl::OkStatus();
    absl::Status s = in_flight.get();
    in_flight_rows.reset();
    return s;
  };
  auto flush = [&](bool last) -> absl::Status {
    if (chunk.empty()) {  // the stream ended on a chunk boundary
      RETURN_IF_ERROR(land());
      everything.Release();
      return absl::OkStatus();
    }
    if (chunks_locked == 0) everything = d_.writes->locks().LockEverything();
    rpc::Tx tx;
    auto rows = std::make_unique<PendingRows>();
    PendingRows& pending = *rows;
    pending.earlier = in_flight_rows.get();
    for (auto& row : chunk) {
      int64_t row_number = row.row_number();
      v1::RegisterBeneficiaryRequest as_request;
      as_request.set_request_id(row.request_id());
      *as_request.mutable_beneficiary() = row.beneficiary();
      if (absl::Status s = rpc::CheckRequestId(row.request_id()); !s.ok()) {
        reject(row_number, "request_id", s.message());
        continue;
      }
      // A request id accepted earlier in this import, maybe not yet in the request log: as the log would answer.
      if (const v1::RegisterBeneficiaryRequest* seen = pending.Request(row.request_id())) {
        if (google::protobuf::util::MessageDifferencer::Equals(*seen, as_request)) {
          resp->set_repeated_rows(resp->repeated_rows() + 1);
          repeated_rows.Increment();
        } else {
          RETURN_IF_ERROR(reject_status(row_number, rpc::RequestIdReused(row.request_id())));
        }
        continue;
      }
      v1::RegisterBeneficiaryResponse answer;
      auto earlier = d_.writes->requests().Find("RegisterBeneficiary", row.request_id(), as_request, &answer);
      if (!earlier.ok()) {
        RETURN_IF_ERROR(reject_status(row_number, earlier.status()));
        continue;
      }
      if (*earlier) {
        resp->set_repeated_rows(resp->repeated_rows() + 1);
        repeated_rows.Increment();
        continue;
      }
      // A refused row leaves nothing in the chunk's batch: what it wrote before it was refused is rolled back.
      tx.SetSavePoint();
      absl::Status s = RegisterInto(*who, row.beneficiary(), "beneficiary.", row.request_id(), tx, &pending, &answer);
      if (!s.ok()) {
        tx.RollbackToSavePoint();
        RETURN_IF_ERROR(reject_status(row_number, s));
        continue;
      }
      tx.PopSavePoint();
      d_.writes->requests().Record(&tx.batch, "RegisterBeneficiary", row.request_id(), as_request, answer);
      pending.requests.emplace(row.request_id(), std::move(as_request));
      resp->set_accepted(resp->accepted() + 1);
      if (!answer.duplicate_candidate_id().empty()) resp->set_duplicates_flagged(resp->duplicates_flagged() + 1);
      accepted_rows.Increment();
    }
    chunk.clear();
    pending.earlier = nullptr;
    RETURN_IF_ERROR(land());  // the chunk before
    auto landed = std::make_shared<std::promise<absl::Status>>();
    in_flight = landed->get_future();
    in_flight_rows = std::move(rows);
    // One audit record per chunk: its targets are the rows it registered (and any duplicates it flagged).
    std::vector<audit::v1::AuditRecord> audits;
    if (d_.writes->auditing()) {
      audits.push_back(d_.writes->AuditOf(*ctx, &*who, "ImportBeneficiaries", "", audit::v1::AUDIT_KIND_WRITE));
      rpc::WritePath::TargetsFrom(tx.events, audits.back());
    }
    d_.writes->commits().Submit(
        std::move(tx.batch), std::move(tx.events), [landed](const absl::Status& s) { landed->set_value(s); },
        std::move(audits));
    if (++chunks_locked >= kImportChunksPerLock || last) {
      RETURN_IF_ERROR(land());
      everything.Release();
      chunks_locked = 0;
    }
    return absl::OkStatus();
  };

  v1::ImportBeneficiariesRequest row;
  while (reader->Read(&row)) {
    ++arrival;
    if (row.row_number() == 0) row.set_row_number(arrival);
    resp->set_rows(resp->rows() + 1);
    chunk.push_back(std::move(row));
    row = v1::ImportBeneficiariesRequest();
    if (chunk.size() >= kImportChunkRows) {
      if (absl::Status s = flush(/*last=*/false); !s.ok()) return rpc::ToGrpcStatus(s);
    }
  }
  if (absl::Status s = flush(/*last=*/true); !s.ok()) return rpc::ToGrpcStatus(s);
  return grpc::Status::OK;
}

}  // namespace jinguo::registration::api
