#include "common/audit/audit_chain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "openssl/evp.h"

namespace jinguo::audit {

namespace {

constexpr char kHeadKey[] =
    "\xff"
    "head";
constexpr size_t kHashBytes = 32;

std::string SequenceKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(seq >> (56 - 8 * i));
  return key;
}

bool ParseSequenceKey(absl::string_view key, uint64_t* seq) {
  if (key.size() != 8) return false;
  *seq = 0;
  for (char c : key) *seq = (*seq << 8) | static_cast<unsigned char>(c);
  return true;
}

std::string HeadValue(const AuditChain::Head& h) { return absl::StrCat(SequenceKey(h.sequence), h.hash); }

bool ParseHead(absl::string_view v, AuditChain::Head* h) {
  if (v.size() != 8 + kHashBytes) return false;
  if (!ParseSequenceKey(v.substr(0, 8), &h->sequence)) return false;
  h->hash = std::string(v.substr(8));
  return true;
}

bool Matches(const v1::AuditRecord& r, const AuditChain::Filter& f) {
  if (r.kind() == v1::AUDIT_KIND_CHECKPOINT) return false;
  if (!f.principal.empty() && r.principal() != f.principal) return false;
  if (!f.method.empty() && r.method() != f.method) return false;
  if (!f.target_id.empty() &&
      std::find(r.target_ids().begin(), r.target_ids().end(), f.target_id) == r.target_ids().end()) {
    return false;
  }
  absl::Time t = FromTimestamp(r.time());
  return t >= f.from && t < f.to;
}

}  // namespace

std::string AuditChain::HashOf(const v1::AuditRecord& r) {
  v1::AuditRecord body = r;
  body.clear_hash();
  std::string bytes = body.previous_hash();
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    body.SerializeToCodedStream(&coded);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

absl::StatusOr<std::unique_ptr<AuditChain>> AuditChain::Open(store::Store* store, std::string service) {
  ASSIGN_OR_RETURN(auto stored, store->Get(store->Family(kAuditFamily), kHeadKey));
  Head head;
  if (stored && !ParseHead(*stored, &head)) return absl::DataLossError("the audit chain's head is unreadable");
  return std::unique_ptr<AuditChain>(new AuditChain(store, std::move(service), std::move(head)));
}

AuditChain::Head AuditChain::head() const {
  absl::MutexLock lock(&mu_);
  return head_;
}

AuditChain::Head AuditChain::Seal(std::vector<v1::AuditRecord>& records, rocksdb::WriteBatch* batch,
                                  std::vector<common::v1::OutboxRecord>* events) {
  absl::MutexLock lock(&mu_);
  Head before = head_;
  if (records.empty()) return before;
  v1::AuditRecords published;
  for (v1::AuditRecord& r : records) {
    r.set_sequence(head_.sequence + 1);
    r.set_service(service_);
    r.set_previous_hash(head_.hash);
    r.clear_hash();
    r.set_hash(HashOf(r));
    std::string value = r.SerializeAsString();
    batch->Put(family_, SequenceKey(r.sequence()), value);
    head_ = {r.sequence(), r.hash()};

    *published.add_records() = r;
  }
  // One message per write on jinguo.audit.v1, however many calls it seals: the topic costs the relay and the
  // broker one message per commit group rather than one per call.
  const v1::AuditRecord& last = records.back();
  common::v1::OutboxRecord out;
  out.set_topic(kAuditTopic);
  out.set_key(absl::StrCat(service_, "-audit"));
  auto* e = out.mutable_envelope();
  e->set_event_id(absl::StrCat(service_, "/audit/", last.sequence()));
  e->set_event_type("AuditRecords");
  e->set_aggregate_id(out.key());
  e->set_aggregate_version(static_cast<int64_t>(last.sequence()));
  *e->mutable_occurred_at() = last.time();
  e->set_producer(service_);
  e->mutable_payload()->PackFrom(published);
  events->push_back(std::move(out));
  batch->Put(family_, kHeadKey, HeadValue(head_));
  return before;
}

void AuditChain::Rollback(const Head& before) {
  absl::MutexLock lock(&mu_);
  head_ = before;
}

absl::Status AuditChain::Verify(const store::Store& store, int64_t* checked) {
  rocksdb::ColumnFamilyHandle* family = store.Family(kAuditFamily);
  auto it = store.Scan(family, "");
  int64_t count = 0;
  bool first = true;
  uint64_t expected = 1;
  std::string previous(kHashBytes, '\0');
  std::string service;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    absl::string_view key(it->key().data(), it->key().size());
    if (!ParseSequenceKey(key, &seq)) continue;  // the head
    v1::AuditRecord r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("audit record ", seq, " is unreadable"));
    }
    if (r.sequence() != seq) {
      return absl::DataLossError(absl::StrCat("audit record ", seq, " says it is record ", r.sequence()));
    }
    if (first && r.kind() == v1::AUDIT_KIND_CHECKPOINT) {
      // Pruned up to here: the chain goes on from the hash of the last record pruned.
      service = r.service();
      previous = r.hash();
      expected = seq + 1;
      first = false;
      ++count;
      continue;
    }
    if (seq != expected) {
      return absl::DataLossError(expected == 1 && first
                                     ? absl::StrCat("audit record ", seq, " comes first, without a checkpoint: ",
                                                    "records 1 to ", seq - 1, " are missing")
                                     : absl::StrCat("audit record ", expected, " is missing (the next is ", seq, ")"));
    }
    if (first) service = r.service();
    if (r.service() != service) {
      return absl::DataLossError(
          absl::StrCat("audit record ", seq, " belongs to the chain of ", r.service(), ", not ", service));
    }
    if (r.kind() == v1::AUDIT_KIND_CHECKPOINT) {
      return absl::DataLossError(absl::StrCat("audit record ", seq, " is a checkpoint in the middle of the chain"));
    }
    if (r.previous_hash() != previous) {
      return absl::DataLossError(
          absl::StrCat("audit record ", seq, " does not follow record ", seq - 1, " (its link does not match)"));
    }
    if (HashOf(r) != r.hash()) {
      return absl::DataLossError(absl::StrCat("audit record ", seq, " was changed after it was written"));
    }
    previous = r.hash();
    expected = seq + 1;
    first = false;
    ++count;
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "scan the audit chain");
  ASSIGN_OR_RETURN(auto stored, store.Get(family, kHeadKey));
  Head head;
  if (stored && !ParseHead(*stored, &head)) return absl::DataLossError("the audit chain's head is unreadable");
  if (head.sequence + 1 != expected || (head.sequence > 0 && head.hash != previous)) {
    return absl::DataLossError(absl::StrCat("the audit chain ends at record ", expected - 1, " but its head is record ",
                                            head.sequence, ": records after ", expected - 1, " are missing"));
  }
  if (checked != nullptr) *checked = count;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditChain::Prune(absl::Time before) {
  auto it = store_->Scan(family_, "");
  std::vector<std::string> doomed;
  int64_t pruned = 0;  // records, not checkpoints
  v1::AuditRecord last;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!ParseSequenceKey(absl::string_view(it->key().data(), it->key().size()), &seq)) break;
    v1::AuditRecord r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("audit record ", seq, " is unreadable"));
    }
    if (FromTimestamp(r.time()) >= before) break;
    doomed.push_back(SequenceKey(seq));
    if (r.kind() != v1::AUDIT_KIND_CHECKPOINT) ++pruned;
    last = std::move(r);
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "scan the audit chain");
  if (pruned == 0) return 0;
  v1::AuditRecord checkpoint;
  checkpoint.set_sequence(last.sequence());
  checkpoint.set_service(last.service());
  checkpoint.set_kind(v1::AUDIT_KIND_CHECKPOINT);
  checkpoint.set_principal("retention");
  *checkpoint.mutable_time() = last.time();
  checkpoint.set_hash(last.hash());
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i + 1 < doomed.size(); ++i) batch.Delete(family_, doomed[i]);
  batch.Put(family_, doomed.back(), checkpoint.SerializeAsString());
  RETURN_IF_ERROR(store_->Write(&batch));
  return pruned;
}

absl::StatusOr<std::vector<v1::AuditRecord>> AuditChain::List(const Filter& filter, uint64_t after, int limit,
                                                              int scan_limit, uint64_t* next) const {
  std::vector<v1::AuditRecord> out;
  *next = 0;
  auto it = store_->Scan(family_, "");
  int scanned = 0;
  for (it->Seek(SequenceKey(after + 1)); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!ParseSequenceKey(absl::string_view(it->key().data(), it->key().size()), &seq)) break;
    if (static_cast<int>(out.size()) >= limit || scanned >= scan_limit) {
      *next = seq - 1;
      break;
    }
    ++scanned;
    v1::AuditRecord r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("audit record ", seq, " is unreadable"));
    }
    if (Matches(r, filter)) out.push_back(std::move(r));
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "scan the audit chain");
  return out;
}

}  // namespace jinguo::audit
