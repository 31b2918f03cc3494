#include "services/reporting/store/event_projector.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/base/arena_string.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "services/reporting/handlers/handlers.h"

namespace jinguo::reporting::store {

namespace {

constexpr int kTimelineLimit = 200;
// Bound on the profiles remembered as written (8 bytes each, about 150 MiB at the bound with the table's slack).
constexpr size_t kWrittenProfilesLimit = 10'000'000;

}  // namespace

void ChangeFeed::Publish(const std::set<std::string>& nodes) {
  if (nodes.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    for (const auto& n : nodes) changed_at_[n] = generation_;
  }
  cv_.notify_all();
}

bool ChangeFeed::WaitForChange(const std::string& node, uint64_t* generation, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto changed = [&] {
    auto it = changed_at_.find(node);
    return it != changed_at_.end() && it->second > *generation;
  };
  bool did = cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), changed);
  *generation = generation_;
  return did;
}

uint64_t ChangeFeed::generation() {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

void EventProjector::AddTimeline(v1::ProfileState& p, const common::v1::EventEnvelope& e, const std::string& summary) {
  auto* t = p.add_timeline();
  *t->mutable_occurred_at() = e.occurred_at();
  t->set_producer(e.producer());
  t->set_event_type(e.event_type());
  t->set_summary(summary);
  if (p.timeline_size() > kTimelineLimit) p.mutable_timeline()->DeleteSubrange(0, p.timeline_size() - kTimelineLimit);
}

EventProjector::EventProjector(ReadModel* model, domain::Settings settings, ChangeFeed* feed)
    : model_(model), settings_(settings), feed_(feed) {
  RouteRegistrationEvents(router_, *this);
  RouteHealthEvents(router_, *this);
  RouteLoanEvents(router_, *this);
  RouteTrainingEvents(router_, *this);
  RoutePublicityEvents(router_, *this);
  // Any other event about a beneficiary (from any service) joins her timeline.
  router_.Otherwise([this](const common::v1::EventEnvelope& e, projection::ProjectionTx& tx) -> absl::Status {
    if (e.beneficiary_id().empty()) return absl::OkStatus();
    return UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& p) { AddTimeline(p, e, ""); });
  });
  auto no_profiles = model_->NoProfiles();
  written_.all_known = no_profiles.ok() && *no_profiles;
}

void EventProjector::Committed() { feed_->Publish(changed_nodes_.TakeCommitted()); }

void EventProjector::Discarded() {
  changed_nodes_.Clear();
  deltas_.clear();
  regions_.Clear();
  profiles_->Clear();
  sealed_profiles_->Clear();
}

uint32_t EventProjector::Numbering::Of(absl::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(s);
  ids_.emplace(names_.back(), id);
  return id;
}

void EventProjector::Numbering::Clear() {
  ids_.clear();
  names_.clear();
}

void EventProjector::AddDelta(uint32_t region, domain::Indicator indicator, absl::CivilDay day, int64_t delta) {
  deltas_[DeltaKey{region, indicator, day}] += delta;
}

absl::Status EventProjector::BeforeCommit(projection::ProjectionTx& tx) {
  std::vector<ReadModel::IdAndProfile> changed;
  changed.reserve(profiles_->by_id.size());
  for (const auto& [key, p] : profiles_->by_id) {
    if (p->beneficiary_id().empty()) continue;  // not stored
    changed.emplace_back(p->beneficiary_id(), p);
    if (written_.all_known) written_.hashes.insert(key.hash);
  }
  if (written_.all_known && written_.hashes.size() > kWrittenProfilesLimit) {
    written_.all_known = false;
    written_.hashes = {};
  }
  // Sorted and serialized on the writer thread, which has time to spare while the next batch is applied: they
  // stay unchanged as sealed_profiles_ until the next batch's BeforeCommit, and are freed with that batch, after
  // this one is written.
  model_->PutProfiles(tx, std::move(changed));
  // This batch's profiles stay readable until the next batch has been applied, which may be before this one has
  // been written; the ones before are in the store by now, and are freed with this batch, off this thread.
  tx.FreeLater(std::shared_ptr<Profiles>(std::move(sealed_profiles_)));
  sealed_profiles_ = std::move(profiles_);
  profiles_ = std::make_unique<Profiles>();
  // Each region's changes spread over its nodes: node, indicator, day → delta, each counter then written once.
  std::map<std::tuple<std::string, std::string, absl::CivilDay>, int64_t> by_node;
  for (const auto& [k, delta] : deltas_) {
    for (auto& node : domain::NodesOf(regions_.Name(k.region))) {
      by_node[{std::move(node), domain::NameOf(k.indicator), k.day}] += delta;
    }
  }
  deltas_.clear();
  regions_.Clear();
  for (const auto& [key, delta] : by_node) {
    const auto& [node, indicator, day] = key;
    changed_nodes_.current().insert(node);
    // Written even when the batch's changes net out, so a counter exists once anything touched it, exactly as
    // when the same events arrive in separate batches.
    RETURN_IF_ERROR(model_->AddToCounter(tx, node, indicator, delta, day));
  }
  changed_nodes_.Seal();
  return absl::OkStatus();
}

absl::StatusOr<v1::ProfileState*> EventProjector::CachedProfile(projection::ProjectionTx& tx, const std::string& id) {
  Profiles& batch = *profiles_;
  if (batch.last != nullptr && batch.last_id == id) return batch.last;  // an event's second look at her
  const IdKey key(id);
  auto it = batch.by_id.lazy_emplace(
      key, [&](const auto& construct) { construct(IdKey(CopyOnArena(&batch.arena, id), key.hash), nullptr); });
  if (it->second == nullptr) {  // first seen in this batch
    it->second = google::protobuf::Arena::CreateMessage<v1::ProfileState>(&batch.arena);
    if (auto sealed = sealed_profiles_->by_id.find(key); sealed != sealed_profiles_->by_id.end()) {
      it->second->CopyFrom(*sealed->second);  // as the batch before left her, maybe not yet in the store
    } else if (!written_.all_known || written_.hashes.contains(key.hash)) {
      // Not surely new: maybe stored.
      auto found = model_->ReadProfile(tx, id, it->second);
      if (!found.ok()) {
        batch.by_id.erase(it);
        return found.status();
      }
    }
  }
  batch.last_id = it->first.id;
  batch.last = it->second;
  return it->second;
}

absl::CivilDay EventProjector::EventDay(const common::v1::EventEnvelope& e) {
  // Events come in time order, mostly on the same day: one time zone conversion per day rather than per event.
  absl::Time t = FromTimestamp(e.occurred_at());
  if (t < day_.start || t >= day_.end) {
    absl::CivilDay day = ChinaDay(t);
    day_ = {day, absl::FromCivil(day, ChinaTimeZone()), absl::FromCivil(day + 1, ChinaTimeZone())};
  }
  return day_.day;
}

absl::Status EventProjector::Move(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                                  const std::string& old_region, const domain::Contributions& before,
                                  const std::string& new_region, const domain::Contributions& after) {
  absl::CivilDay day = EventDay(event);
  // The changes come at one or two regions (references to the same two strings): each is numbered once.
  const std::string* numbered = nullptr;
  uint32_t region = 0;
  domain::Diff(old_region, before, new_region, after,
               [&](const std::string& at, domain::Indicator indicator, int64_t delta) {
                 if (&at != numbered) {
                   numbered = &at;
                   region = regions_.Of(at);
                 }
                 AddDelta(region, indicator, day, delta);
               });
  return absl::OkStatus();
}

absl::Status EventProjector::AddEverywhere(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                                           const std::string& region, domain::Indicator indicator, int64_t delta) {
  AddDelta(regions_.Of(region), indicator, EventDay(event), delta);
  return absl::OkStatus();
}

absl::Status EventProjector::AddEverywhere(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                                           const std::string& region,
                                           std::initializer_list<std::pair<domain::Indicator, int64_t>> deltas) {
  for (const auto& [indicator, delta] : deltas) {
    if (delta != 0) RETURN_IF_ERROR(AddEverywhere(tx, event, region, indicator, delta));
  }
  return absl::OkStatus();
}

absl::Status EventProjector::UpdateProfile(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                                           const std::string& beneficiary_id,
                                           const std::function<void(v1::ProfileState&)>& change) {
  ASSIGN_OR_RETURN(v1::ProfileState * cached, CachedProfile(tx, beneficiary_id));
  v1::ProfileState& p = *cached;
  if (p.beneficiary_id().empty()) {
    p.set_beneficiary_id(beneficiary_id);
    p.set_region_code(event.region_code());
  }
  std::string old_region = p.region_code();
  domain::Contributions before = domain::Contributions::Of(p.contributions());
  int32_t visited_before = domain::CountsAsWoman(p) ? p.last_visited_day() : 0;
  change(p);
  domain::Contributions after = domain::BeneficiaryContributions(p, EventDay(event), settings_);
  RETURN_IF_ERROR(Move(tx, event, old_region, before, p.region_code(), after));
  // A counted woman sits in the bucket of her latest visit's day at her region's nodes.
  int32_t visited_after = domain::CountsAsWoman(p) ? p.last_visited_day() : 0;
  if (visited_before != visited_after || (visited_before != 0 && old_region != p.region_code())) {
    if (visited_before != 0) RETURN_IF_ERROR(AddLastVisit(tx, old_region, visited_before, -1));
    if (visited_after != 0) RETURN_IF_ERROR(AddLastVisit(tx, p.region_code(), visited_after, 1));
  }
  if (after != before) after.StoreIn(p.mutable_contributions());
  return absl::OkStatus();
}

absl::Status EventProjector::UpdateHousehold(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                                             const std::string& household_id,
                                             const std::function<void(v1::HouseholdState&)>& change) {
  ASSIGN_OR_RETURN(auto loaded, model_->Household(tx, household_id));
  v1::HouseholdState h;
  if (loaded) {
    h = *std::move(loaded);
  } else {
    h.set_household_id(household_id);
  }
  std::string old_region = h.region_code();
  domain::Contributions before = domain::Contributions::Of(h.contributions());
  change(h);
  domain::Contributions after = domain::HouseholdContributions(h, EventDay(event));
  RETURN_IF_ERROR(Move(tx, event, old_region, before, h.region_code(), after));
  if (after != before) after.StoreIn(h.mutable_contributions());
  model_->PutHousehold(tx, h);
  return absl::OkStatus();
}

absl::StatusOr<projection::Applied> EventProjector::Apply(const common::v1::EventEnvelope& e,
                                                          projection::ProjectionTx& tx) {
  if (!KeepsVersion(e)) {  // the projection runtime skips what was processed
    RETURN_IF_ERROR(router_.Route(e, tx));
    return projection::Applied::kApplied;
  }
  ASSIGN_OR_RETURN(v1::ProfileState * p, CachedProfile(tx, e.aggregate_id()));
  // A replayed dead letter is the event of her version when nothing of hers came after it (projection.h).
  if (tx.replaying() ? e.aggregate_version() < p->version() : e.aggregate_version() <= p->version()) {
    return projection::Applied::kAlreadyProcessed;
  }
  absl::Status s = router_.Route(e, tx);
  // Processed, whether applied or rejected (dead-lettered): a redelivery is skipped either way. On any other error
  // the batch is discarded, and her cached profile with it.
  if (p->beneficiary_id().empty()) {  // stored from now on, if only for the version
    p->set_beneficiary_id(e.aggregate_id());
    p->set_region_code(e.region_code());
  }
  p->set_version(std::max(p->version(), e.aggregate_version()));
  RETURN_IF_ERROR(s);
  return projection::Applied::kApplied;
}

absl::Status EventProjector::AtEveryNode(const std::string& region,
                                         const std::function<absl::Status(const std::string& node)>& add) {
  for (const auto& node : domain::NodesOf(region)) {
    RETURN_IF_ERROR(add(node));
    changed_nodes_.current().insert(node);
  }
  return absl::OkStatus();
}

absl::Status EventProjector::AddLastVisit(projection::ProjectionTx& tx, const std::string& region, int32_t day,
                                          int64_t delta) {
  absl::CivilDay civil = DayOfNumber(static_cast<uint32_t>(day));
  return AtEveryNode(region, [&](const std::string& node) { return model_->AddLastVisit(tx, node, civil, delta); });
}

absl::Status EventProjector::AddVisits(projection::ProjectionTx& tx, const std::string& region, absl::CivilDay day) {
  return AtEveryNode(region, [&](const std::string& node) { return model_->AddVisits(tx, node, day, 1); });
}

}  // namespace jinguo::reporting::store
