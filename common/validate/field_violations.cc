#include "common/validate/field_violations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/cord.h"

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
