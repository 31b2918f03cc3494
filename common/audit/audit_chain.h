// The audit trail of one service (common/audit): every mutating call and every sensitive read leaves a record of
// who (principal, role), what (method, target ids, region), how it ended (status code), the request id, the
// caller's address and the time. Records are hash-chained: each carries the SHA-256 of the one before and its own,
// so editing, removing or reordering any of them breaks the chain at that record, and Verify names it.
//
// A successful write's record is sealed into the same RocksDB write batch as the state it changed (by the commit
// queue, on its one thread, so the chain is linear in commit order): no change exists without its record, and no
// record without its change. Each record also goes to jinguo.audit.v1 through the outbox.
//
// Layout, family "audit": the 8-byte big-endian sequence → the record; kHeadKey → the last sequence and hash, written
// with every batch, so a chain cut short at its end does not verify either.
//
// Retention: Prune deletes records older than a cut-off and leaves a checkpoint in the place of the last one it
// deleted, carrying that record's hash, so the records kept still verify from there.
//
// Thread-safety: Seal and Rollback from the commit thread only; List, Verify and Prune from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/store/store.h"
#include "jinguo/audit/v1/audit.pb.h"
#include "jinguo/common/v1/event.pb.h"
#include "rocksdb/write_batch.h"

namespace jinguo::audit {

inline constexpr char kAuditFamily[] = "audit";
inline constexpr char kAuditTopic[] = "jinguo.audit.v1";
inline constexpr absl::Duration kDefaultRetention = absl::Hours(24 * 180);

class AuditChain {
 public:
  // Reads the chain's head from `store`, which must have been opened with kAuditFamily.
  static absl::StatusOr<std::unique_ptr<AuditChain>> Open(store::Store* store, std::string service);

  // Where the chain ends: the last sequence and its hash.
  struct Head {
    uint64_t sequence = 0;
    std::string hash = std::string(32, '\0');
  };

  // Gives each record the next sequence, the service's name and its hashes, and adds it to `batch` (with the new
  // head) and, all of them as one AuditRecords message, to `events` (for jinguo.audit.v1). Returns the head as it was,
  // for Rollback should the batch fail.
  Head Seal(std::vector<v1::AuditRecord>& records, rocksdb::WriteBatch* batch,
            std::vector<common::v1::OutboxRecord>* events);
  // The batch Sealed into after `before` was not written: the chain ends at `before` again.
  void Rollback(const Head& before);
  Head head() const;

  // The SHA-256 of `r`: its previous_hash, then r serialized deterministically with `hash` unset.
  static std::string HashOf(const v1::AuditRecord& r);

  // Recomputes the chain stored in `store`: OK (with the number of records checked in `*checked`), or DATA_LOSS
  // naming the first record that does not hold (edited, missing, out of order, from another chain, or the chain
  // cut short of its head).
  static absl::Status Verify(const store::Store& store, int64_t* checked = nullptr);

  // Deletes the records older than `before`, leaving a checkpoint in the last one's place. Returns how many went.
  absl::StatusOr<int64_t> Prune(absl::Time before);

  struct Filter {
    std::string principal, target_id, method;
    absl::Time from = absl::InfinitePast(), to = absl::InfiniteFuture();
  };
  // Up to `limit` records matching `filter` after sequence `after`, oldest first, looking at `scan_limit` records
  // at most; `*next` is the sequence to resume after (0 when the chain has been read to its end).
  absl::StatusOr<std::vector<v1::AuditRecord>> List(const Filter& filter, uint64_t after, int limit, int scan_limit,
                                                    uint64_t* next) const;

 private:
  AuditChain(store::Store* store, std::string service, Head head)
      : store_(store), family_(store->Family(kAuditFamily)), service_(std::move(service)), head_(std::move(head)) {}

  store::Store* store_;
  rocksdb::ColumnFamilyHandle* family_;
  std::string service_;
  mutable absl::Mutex mu_;
  Head head_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jinguo::audit
