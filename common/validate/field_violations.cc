#include "common/validate/field_violations.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace jinguo::validate {

void FieldViolations::Add(absl::string_view field, absl::string_view reason) {
  auto* v = violations_.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(std::string(reason));
}

bool FieldViolations::Check(absl::string_view field, const absl::Status& status) {
  if (status.ok()) return true;
  Add(field, status.message());
  return false;
}

void FieldViolations::Merge(const absl::Status& status, absl::string_view field_if_none) {
  if (status.ok()) return;
  google::rpc::BadRequest br = BadRequestOf(status);
  if (br.field_violations_size() == 0) {
    Add(field_if_none, status.message());
    return;
  }
  for (const auto& v : br.field_violations()) Add(v.field(), v.description());
}

namespace {

// `code` and `message` with one violation of `field` as the BadRequest payload.
absl::Status WithViolation(absl::StatusCode code, absl::string_view message, absl::string_view field,
                           absl::string_view reason) {
  FieldViolations v;
  v.Add(field, reason);
  absl::Status status(code, message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(v.violations().SerializeAsString()));
  return status;
}

}  // namespace

absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view reason) {
  return WithViolation(code, absl::StrCat(field, ": ", reason), field, reason);
}

absl::Status WithField(const absl::Status& status, absl::string_view field) {
  if (status.ok() || BadRequestOf(status).field_violations_size() > 0) return status;
  return WithViolation(status.code(), status.message(), field, status.message());
}

absl::Status FieldViolations::ToStatus() const {
  if (empty()) return absl::OkStatus();
  std::string message;
  for (const auto& v : violations_.field_violations()) {
    absl::StrAppend(&message, message.empty() ? "" : "; ", v.field(), ": ", v.description());
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(violations_.SerializeAsString()));
  return status;
}

google::rpc::BadRequest BadRequestOf(const absl::Status& status) {
  google::rpc::BadRequest out;
  if (auto payload = status.GetPayload(kBadRequestTypeUrl)) out.ParseFromString(std::string(*payload));
  return out;
}

}  // namespace jinguo::validate
