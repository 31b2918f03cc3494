// Applies every service's events to the reporting read models: keeps each beneficiary's and household's state,
// recomputes what she contributes to each indicator (domain/indicators.h) and moves exactly the difference on the
// counters of every region node she counts in. A region move, a status change, a merge or a repeated event (skipped
// by version: her own aggregate's by the version her profile keeps, any other by the projection runtime's) therefore
// moves or keeps the counts exactly.
//
// Events may arrive out of order across aggregates (a pairing before the registration it refers to): state is
// created from the envelope's beneficiary id and region when first seen, and counts start once she is registered.
//
// Thread-safety: Apply runs on the projection's thread; ChangeFeed may be read from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/time/civil_time.h"
#include "common/projection/event_router.h"
#include "common/projection/projection.h"
#include "google/protobuf/arena.h"
#include "jinguo/registration/v1/events.pb.h"
#include "services/reporting/domain/indicators.h"
#include "services/reporting/store/read_model.h"

namespace jinguo::reporting::store {

// Which region nodes changed, for WatchRegion and the dashboard. Thread-safe.
class ChangeFeed {
 public:
  // Records the nodes changed by a committed batch and wakes the waiters.
  void Publish(const std::set<std::string>& nodes);
  // Waits until a batch after `*generation` changed `node`, or `timeout`; returns whether it did and updates
  // `*generation`.
  bool WaitForChange(const std::string& node, uint64_t* generation, absl::Duration timeout);
  uint64_t generation();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
  std::map<std::string, uint64_t> changed_at_;  // node → generation of its last change
};

class EventProjector final : public projection::ProjectionHandler {
 public:
  EventProjector(ReadModel* model, domain::Settings settings, ChangeFeed* feed);

  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx& tx) override;
  // Events of a beneficiary's own aggregate (its id is hers): her profile, written for each of them anyway, keeps
  // the aggregate's last processed version.
  bool KeepsVersion(const common::v1::EventEnvelope& event) const override {
    return !event.beneficiary_id().empty() && event.aggregate_id() == event.beneficiary_id();
  }
  // Writes the batch's counter changes: each counter once, and its history once per day touched.
  absl::Status BeforeCommit(projection::ProjectionTx& tx) override;
  void Committed() override;
  void Discarded() override;

  // For the event handlers (handlers/*.cc), on the projection's thread:

  // Loads (or starts) her state, lets `change` edit it, and moves her contributions.
  absl::Status UpdateProfile(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                             const std::string& beneficiary_id, const std::function<void(v1::ProfileState&)>& change);
  absl::Status UpdateHousehold(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                               const std::string& household_id, const std::function<void(v1::HouseholdState&)>& change);
  // Adds `delta` to `indicator` at `region` and every node above it, on the event's day.
  absl::Status AddEverywhere(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                             const std::string& region, domain::Indicator indicator, int64_t delta);
  // Each (indicator, delta) of `deltas` the same way; a zero delta changes nothing.
  absl::Status AddEverywhere(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                             const std::string& region,
                             std::initializer_list<std::pair<domain::Indicator, int64_t>> deltas);
  // Counts one visit on `day` at `region` and every node above it.
  absl::Status AddVisits(projection::ProjectionTx& tx, const std::string& region, absl::CivilDay day);
  // The bucket of women last visited on `day` (days since 1970-01-01) += delta at every node of `region`.
  absl::Status AddLastVisit(projection::ProjectionTx& tx, const std::string& region, int32_t day, int64_t delta);
  // Her state as this batch has left it: read once per batch, written once in BeforeCommit.
  absl::StatusOr<v1::ProfileState*> CachedProfile(projection::ProjectionTx& tx, const std::string& id);
  // Adds the event to her timeline (the latest 200 are kept).
  static void AddTimeline(v1::ProfileState& p, const common::v1::EventEnvelope& e, const std::string& summary);

 private:
  // Calls `add` for every node of `region` (the country down to its village) and marks each changed.
  absl::Status AtEveryNode(const std::string& region, const std::function<absl::Status(const std::string& node)>& add);
  absl::Status Move(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event, const std::string& old_region,
                    const domain::Contributions& before, const std::string& new_region,
                    const domain::Contributions& after);

  ReadModel* model_;
  domain::Settings settings_;
  // Every service's events, by payload type (handlers/).
  projection::EventRouter router_;
  ChangeFeed* feed_;
  // Nodes each batch changed, published by Committed().
  projection::PerBatch<std::set<std::string>> changed_nodes_;

  // Strings numbered in order of first sight, so hot maps key on small integers.
  class Numbering {
   public:
    uint32_t Of(absl::string_view s);
    const std::string& Name(uint32_t id) const { return names_[id]; }
    void Clear();

   private:
    absl::flat_hash_map<std::string, uint32_t> ids_;
    std::vector<std::string> names_;
  };
  // One counter change as events make it: at the region an event names, before it is spread over that region's
  // nodes (country, province, …, village).
  struct DeltaKey {
    uint32_t region;  // in regions_
    domain::Indicator indicator;
    absl::CivilDay day;
    bool operator==(const DeltaKey& o) const { return region == o.region && indicator == o.indicator && day == o.day; }
    template <typename H>
    friend H AbslHashValue(H h, const DeltaKey& k) {
      return H::combine(std::move(h), k.region, k.indicator, k.day);
    }
  };
  void AddDelta(uint32_t region, domain::Indicator indicator, absl::CivilDay day,
                int64_t delta);  // region: in regions_
  // The day (Asia/Shanghai) the event occurred on.
  absl::CivilDay EventDay(const common::v1::EventEnvelope& e);
  struct {
    absl::CivilDay day;
    absl::Time start = absl::InfiniteFuture(), end = absl::InfinitePast();  // of `day`
  } day_;
  // The batch's counter changes, summed per region, indicator and day; spread over the nodes in BeforeCommit, so
  // an event costs one sum per changed indicator whatever the depth of the region tree.
  absl::flat_hash_map<DeltaKey, int64_t> deltas_;
  Numbering regions_;  // cleared with every batch
  // A beneficiary id with its hash, computed once for an event's lookups (this batch's profiles, the batch before's,
  // the ones written) rather than once for each.
  struct IdKey {
    absl::string_view id;
    size_t hash;
    explicit IdKey(absl::string_view i) : id(i), hash(absl::HashOf(i)) {}
    IdKey(absl::string_view i, size_t h) : id(i), hash(h) {}
  };
  struct IdKeyHash {
    size_t operator()(const IdKey& k) const { return k.hash; }
  };
  struct IdKeyEq {
    bool operator()(const IdKey& a, const IdKey& b) const { return a.hash == b.hash && a.id == b.id; }
  };
  // Profiles loaded or changed by one batch (an empty id: not stored, not yet seen), on an arena released in one
  // piece.
  struct Profiles {
    google::protobuf::Arena arena;
    absl::flat_hash_map<IdKey, v1::ProfileState*, IdKeyHash, IdKeyEq> by_id;  // ids on the arena
    // The last one looked up (an event looks at her twice: for her version, then to change her).
    absl::string_view last_id;
    v1::ProfileState* last = nullptr;
    void Clear() {
      by_id.clear();
      last = nullptr;
      arena.Reset();
    }
  };
  // The batch being applied; and the batch last sealed, which may still be being written (its profiles are
  // written past the read index, so the next batch finds them here rather than in the store).
  std::unique_ptr<Profiles> profiles_ = std::make_unique<Profiles>();
  std::unique_ptr<Profiles> sealed_profiles_ = std::make_unique<Profiles>();
  // Every profile this projector has written, as hashes of the ids, when it started with none stored (a first
  // start, a rebuild): a beneficiary whose hash is absent has no profile yet, which saves a read per new
  // beneficiary. A hash present may be another id's, which only costs the read. Dropped past a bound.
  struct {
    bool all_known = false;
    absl::flat_hash_set<uint64_t> hashes;
  } written_;
};

}  // namespace jinguo::reporting::store
