// The outbox without a broker: what Commit writes, in which order, and what survives a reopen. The relay against a
// real broker is tested in tests/integration/pipeline_test.cc.
#include "common/outbox/outbox.h"

#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "common/base/uuid.h"
#include "common/outbox/commit_queue.h"
#include "common/outbox/event_factory.h"
#include "common/store/keys.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace jinguo::outbox {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jinguo-outbox-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    Reopen();
  }
  void TearDown() override {
    box_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    box_.reset();
    store_.reset();
    store_ = *store::Store::Open({dir_, {kOutboxFamily, "state"}, 8 << 20});
    box_ = *Outbox::Open(store_.get());
  }
  // The outbox records in key order: (sequence, aggregate, version).
  std::vector<std::tuple<uint64_t, std::string, int64_t>> Records() {
    std::vector<std::tuple<uint64_t, std::string, int64_t>> out;
    auto it = store_->Scan(store_->Family(kOutboxFamily), "");
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint64_t seq = 0;
      store::DecodeU64(absl::string_view(it->key().data(), it->key().size()), &seq);
      common::v1::OutboxRecord r;
      r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()));
      out.emplace_back(seq, r.envelope().aggregate_id(), r.envelope().aggregate_version());
    }
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(1795000000)};
  UuidV7Generator ids_{clock_, 1};
  EventFactory events_{"test", clock_, ids_};
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Outbox> box_;
};

common::v1::OutboxRecord Event(EventFactory& f, const std::string& aggregate, int64_t version) {
  google::protobuf::StringValue payload;
  payload.set_value("x");
  return f.Make({aggregate, version, "", "130207104201"}, payload, "corr");
}

TEST_F(OutboxTest, StateAndEventsCommitTogetherInSequenceOrder) {
  rocksdb::WriteBatch batch;
  batch.Put(store_->Family("state"), "a", "1");
  ASSERT_TRUE(box_->Commit(&batch, {Event(events_, "a", 1), Event(events_, "a", 2)}).ok());
  rocksdb::WriteBatch second;
  ASSERT_TRUE(box_->Commit(&second, {Event(events_, "b", 1)}).ok());
  EXPECT_EQ(box_->depth(), 3);
  EXPECT_EQ(**store_->Get(store_->Family("state"), "a"), "1");
  auto records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], std::make_tuple(uint64_t{1}, std::string("a"), int64_t{1}));
  EXPECT_EQ(records[1], std::make_tuple(uint64_t{2}, std::string("a"), int64_t{2}));
  EXPECT_EQ(records[2], std::make_tuple(uint64_t{3}, std::string("b"), int64_t{1}));
  EXPECT_EQ(box_->VisibleBelow(), 4u);
}

TEST_F(OutboxTest, EnvelopeCarriesTypeTimeProducerAndTopic) {
  auto r = Event(events_, "agg", 7);
  EXPECT_EQ(r.topic(), "jinguo.test.events.v1");
  EXPECT_EQ(r.key(), "agg");
  EXPECT_EQ(r.envelope().event_type(), "StringValue");
  EXPECT_EQ(r.envelope().occurred_at().seconds(), 1795000000);
  EXPECT_EQ(r.envelope().producer(), "test");
  EXPECT_EQ(r.envelope().region_code(), "130207104201");
  EXPECT_TRUE(IsUuidV7(r.envelope().event_id()));
}

TEST_F(OutboxTest, ReopenKeepsUndeliveredRecordsAndContinuesTheSequence) {
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(box_->Commit(&batch, {Event(events_, "a", 1), Event(events_, "a", 2)}).ok());
  Reopen();
  EXPECT_EQ(box_->depth(), 2);
  rocksdb::WriteBatch next;
  ASSERT_TRUE(box_->Commit(&next, {Event(events_, "a", 3)}).ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(std::get<0>(records[2]), 3u);
}

TEST_F(OutboxTest, ConcurrentCommitsGetDistinctSequencesAndAllLand) {
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 1; i <= 50; ++i) {
        rocksdb::WriteBatch batch;
        ASSERT_TRUE(box_->Commit(&batch, {Event(events_, "w" + std::to_string(w), i)}).ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  auto records = Records();
  ASSERT_EQ(records.size(), 400u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(std::get<0>(records[i]), i + 1);
  EXPECT_EQ(box_->depth(), 400);
  EXPECT_EQ(box_->VisibleBelow(), 401u);
}

// The relay takes the commit count, looks at the outbox, then waits. A commit landing between the look and the
// wait must end the wait at once, not after the relay's 100 ms idle timeout.
TEST_F(OutboxTest, ACommitAfterTheLookEndsTheWaitAtOnce) {
  uint64_t seen = box_->commits();
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(box_->Commit(&batch, {Event(events_, "a", 1)}).ok());
  absl::Time start = absl::Now();
  box_->WaitForRecords(seen, absl::Seconds(10));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  // With nothing committed since the look, the wait lasts its timeout.
  seen = box_->commits();
  start = absl::Now();
  box_->WaitForRecords(seen, absl::Milliseconds(50));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
}

// Many callers at once: every batch and every event lands, each event gets its own sequence number, and a caller
// is told only once its state can be read.
TEST_F(OutboxTest, CommitQueueWritesEveryCallersBatchWithItsEvents) {
  prometheus::Registry metrics;
  CommitQueue queue(box_.get(), &metrics);
  auto* state = store_->Family("state");
  std::vector<std::thread> callers;
  std::atomic<int> unreadable_at_done{0};
  for (int w = 0; w < 8; ++w) {
    callers.emplace_back([&, w] {
      for (int i = 1; i <= 25; ++i) {
        std::string key = "w" + std::to_string(w) + "-" + std::to_string(i);
        rocksdb::WriteBatch batch;
        batch.Put(state, key, "v");
        if (i % 2 == 0) {
          ASSERT_TRUE(queue.Commit(std::move(batch), {Event(events_, key, 1)}).ok());
          continue;
        }
        std::promise<void> done;
        queue.Submit(std::move(batch), {Event(events_, key, 1)}, [&, key](const absl::Status& s) {
          EXPECT_TRUE(s.ok()) << s;
          auto value = store_->Get(state, key);
          if (!value.ok() || !value->has_value()) ++unreadable_at_done;
          done.set_value();
        });
        done.get_future().wait();
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(unreadable_at_done, 0);
  auto records = Records();
  ASSERT_EQ(records.size(), 200u);
  std::set<std::string> aggregates;
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(std::get<0>(records[i]), i + 1);
    aggregates.insert(std::get<1>(records[i]));
  }
  EXPECT_EQ(aggregates.size(), 200u);
  for (int w = 0; w < 8; ++w) {
    for (int i = 1; i <= 25; ++i) {
      auto value = store_->Get(state, "w" + std::to_string(w) + "-" + std::to_string(i));
      ASSERT_TRUE(value.ok() && value->has_value());
    }
  }
}

// Merging callers' batches maps each column family by id; a batch naming a family this store does not have is
// refused rather than written somewhere else.
TEST_F(OutboxTest, AppendBatchRefusesAFamilyTheStoreDoesNotHave) {
  std::string other_dir = dir_ + "-other";
  {
    auto other = *store::Store::Open({other_dir, {kOutboxFamily, "state", "extra", "more"}, 8 << 20});
    rocksdb::WriteBatch good, bad, group;
    good.Put(store_->Family("state"), "good", "v");
    bad.Put(other->Family("more"), "bad", "v");
    ASSERT_TRUE(store_->AppendBatch(&group, good).ok());
    absl::Status s = store_->AppendBatch(&group, bad);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("unknown column family"), absl::string_view::npos) << s;
    EXPECT_EQ(group.Count(), 1u) << "only the good put; nothing of the refused batch";
  }
  std::filesystem::remove_all(other_dir);
}

}  // namespace
}  // namespace jinguo::outbox
