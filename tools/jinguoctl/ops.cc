#include "tools/jinguoctl/ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "common/rpc/server.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "jinguo/common/v1/event.pb.h"
#include "jinguo/operations/v1/operations.grpc.pb.h"
#include "rocksdb/db.h"
#include "services/registration/store/registry_store.h"
#include "services/reporting/store/read_model.h"
#include "tools/jinguoctl/client_context.h"
#include "tools/jinguoctl/progress.h"
#include "tools/jinguoctl/text_table.h"

namespace jinguo::tools {

namespace {

namespace fs = std::filesystem;
namespace ov1 = operations::v1;

constexpr char kBackupManifest[] = "jinguo-backup.json";

std::shared_ptr<grpc::ChannelCredentials> g_credentials = grpc::InsecureChannelCredentials();
std::string g_server_name;

std::unique_ptr<ov1::OperationsService::Stub> Operations(const std::string& address) {
  grpc::ChannelArguments args;
  if (!g_server_name.empty()) args.SetSslTargetNameOverride(g_server_name);
  return ov1::OperationsService::NewStub(grpc::CreateCustomChannel(address, g_credentials, args));
}

std::string Beijing(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::FixedTimeZone(8 * 3600)); }

std::string MiB(int64_t bytes) { return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20)); }

// Whether a process holds the RocksDB LOCK of `data_dir` (RocksDB locks it with fcntl while the store is open).
bool HeldByAService(const fs::path& data_dir) {
  int fd = ::open((data_dir / "LOCK").c_str(), O_RDWR);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

}  // namespace

absl::Status UseTls(const TlsFlags& tls) {
  auto credentials = rpc::ClientCredentials(tls.cert, tls.key, tls.ca);
  if (!credentials.ok()) return credentials.status();
  g_credentials = *credentials;
  g_server_name = tls.server_name;
  return absl::OkStatus();
}

bus::KafkaOptions KafkaFlags::Options() const {
  bus::KafkaOptions o;
  o.brokers = brokers;
  o.properties = bus::SecurityProperties(security_protocol, ssl_ca, ssl_cert, ssl_key);
  return o;
}

std::unique_ptr<store::Store> OpenStopped(store::StoreOptions base, std::vector<std::string>* families) {
  const std::string data_dir = base.path;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, families);
  if (!listed.ok()) {
    std::fprintf(stderr, "jinguoctl: %s holds no service store: %s\n", data_dir.c_str(), listed.ToString().c_str());
    return nullptr;
  }
  families->erase(std::remove(families->begin(), families->end(), rocksdb::kDefaultColumnFamilyName), families->end());
  if (HeldByAService(data_dir)) {
    std::fprintf(stderr, "jinguoctl: the store in %s is open in a running service; stop the service first\n",
                 data_dir.c_str());
    return nullptr;
  }
  for (const std::string& f : *families) {
    if (std::find(base.column_families.begin(), base.column_families.end(), f) == base.column_families.end()) {
      base.column_families.push_back(f);
    }
  }
  auto db = store::Store::Open(std::move(base));
  if (!db.ok()) {
    std::string reason(db.status().message());
    if (reason.find("LOCK") != std::string::npos || reason.find("lock") != std::string::npos) {
      std::fprintf(stderr,
                   "jinguoctl: the store in %s is open in a running service (its LOCK is held); stop the service "
                   "first\n",
                   data_dir.c_str());
    } else {
      std::fprintf(stderr, "jinguoctl: %s\n", reason.c_str());
    }
    return nullptr;
  }
  return *std::move(db);
}

std::unique_ptr<store::Store> OpenStopped(const std::string& data_dir, std::vector<std::string>* families,
                                          const std::vector<std::string>& extra) {
  std::vector<std::string> present;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, &present).ok()) {
    return OpenStopped(store::StoreOptions{data_dir, extra, 8 << 20}, families);  // says why
  }
  std::vector<std::string> open = extra;
  for (const std::string& f : present) {
    if (f != rocksdb::kDefaultColumnFamilyName && std::find(open.begin(), open.end(), f) == open.end()) {
      open.push_back(f);
    }
  }
  std::vector<std::string> scanned;
  for (const std::string& f : registration::store::RegistryStore::ScannedByFirstPart()) {
    if (std::find(open.begin(), open.end(), f) != open.end()) scanned.push_back(f);
  }
  return OpenStopped(store::StoreOptions{data_dir, open, 8 << 20, scanned}, families);
}

int Backup(const std::string& address, const std::string& token, const std::string& out_dir, bool quiet) {
  std::error_code ec;
  if (fs::exists(out_dir) && !fs::is_empty(out_dir, ec)) {
    std::fprintf(stderr, "jinguoctl backup: --out %s is not empty; give a new directory\n", out_dir.c_str());
    return 2;
  }
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "jinguoctl backup: --out %s cannot be created: %s\n", out_dir.c_str(), ec.message().c_str());
    return 2;
  }
  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "jinguoctl backup: %s; the partial copy in %s is removed\n", why.c_str(), out_dir.c_str());
    fs::remove_all(out_dir, ec);
    return 1;
  };
  auto ops = Operations(address);
  auto ctx = Context(token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));
  auto stream = ops->StreamBackup(ctx.get(), ov1::StreamBackupRequest());
  ov1::StreamBackupResponse part;
  ov1::BackupManifest manifest;
  std::ofstream out;
  int current = -1;
  int64_t done = 0;
  ProgressLine progress(quiet);
  auto line = [&](bool final) {
    if (!progress.Due(final)) return;
    double seconds = std::max(1e-3, absl::ToDoubleSeconds(progress.elapsed()));
    double rate = done / seconds;
    progress.Print(
        absl::StrFormat(
            "backup: %s of %s (%d%%), %s/s%s", MiB(done), MiB(manifest.total_bytes()),
            manifest.total_bytes() > 0 ? done * 100 / manifest.total_bytes() : 100, MiB(static_cast<int64_t>(rate)),
            rate > 0 && !final
                ? absl::StrCat(", about ", Clock(absl::Seconds((manifest.total_bytes() - done) / rate)), " left")
                : ""),
        final);
  };
  while (stream->Read(&part)) {
    if (part.has_manifest()) {
      manifest = part.manifest();
      continue;
    }
    const ov1::FileChunk& chunk = part.chunk();
    if (chunk.file_index() < 0 || chunk.file_index() >= manifest.files_size()) {
      ctx->TryCancel();
      stream->Finish();
      return fail("the service sent a piece of a file it had not listed");
    }
    if (chunk.file_index() != current) {
      out.close();
      current = chunk.file_index();
      out.open(fs::path(out_dir) / manifest.files(current).name(), std::ios::binary | std::ios::trunc);
    }
    out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    if (!out) {
      ctx->TryCancel();
      stream->Finish();
      return fail(absl::StrCat("writing ", manifest.files(current).name(), " failed"));
    }
    done += static_cast<int64_t>(chunk.data().size());
    line(false);
  }
  out.close();
  grpc::Status s = stream->Finish();
  if (!s.ok()) return fail(absl::StrCat("the service refused or failed: ", s.error_message()));
  // Every file listed arrived whole (an empty file sends no piece).
  for (const ov1::BackupFile& f : manifest.files()) {
    fs::path p = fs::path(out_dir) / f.name();
    if (f.size() == 0 && !fs::exists(p)) std::ofstream(p, std::ios::binary);
    if (!fs::exists(p) || static_cast<int64_t>(fs::file_size(p)) != f.size()) {
      return fail(absl::StrCat(f.name(), " arrived incomplete"));
    }
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(manifest, &json, options);
  std::ofstream(fs::path(out_dir) / kBackupManifest) << json;
  line(true);
  std::printf("backup: %s's store as of %s (Beijing time, sequence %llu): %d files, %s in %s\n",
              manifest.service().c_str(), Beijing(FromTimestamp(manifest.created_at())).c_str(),
              static_cast<unsigned long long>(manifest.sequence()), manifest.files_size(),
              MiB(manifest.total_bytes()).c_str(), out_dir.c_str());
  return 0;
}

int Restore(const std::string& from_dir, const std::string& data_dir, bool force, bool quiet) {
  std::ifstream in(fs::path(from_dir) / kBackupManifest);
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ov1::BackupManifest manifest;
  if (!in || !google::protobuf::util::JsonStringToMessage(json, &manifest).ok()) {
    std::fprintf(stderr, "jinguoctl restore: %s holds no backup (no readable %s)\n", from_dir.c_str(), kBackupManifest);
    return 2;
  }
  for (const ov1::BackupFile& f : manifest.files()) {
    std::error_code ec;
    fs::path p = fs::path(from_dir) / f.name();
    if (!fs::exists(p) || static_cast<int64_t>(fs::file_size(p, ec)) != f.size()) {
      std::fprintf(stderr, "jinguoctl restore: the backup in %s is incomplete: %s is missing or has another size\n",
                   from_dir.c_str(), f.name().c_str());
      return 2;
    }
  }
  const fs::path target(data_dir);
  std::error_code ec;
  std::string moved_aside;
  if (fs::exists(target) && !fs::is_empty(target, ec)) {
    if (HeldByAService(target)) {
      std::fprintf(stderr, "jinguoctl restore: the store in %s is open in a running service; stop the service first\n",
                   data_dir.c_str());
      return 2;
    }
    if (!force) {
      std::fprintf(stderr,
                   "jinguoctl restore: %s already holds a store; add --force to move it aside (it is kept as "
                   "%s.before-restore-<time>) and restore over it\n",
                   data_dir.c_str(), data_dir.c_str());
      return 2;
    }
    fs::path aside = target;
    aside += absl::StrCat(".before-restore-", absl::ToUnixSeconds(absl::Now()));
    fs::rename(target, aside, ec);
    if (ec) {
      std::fprintf(stderr, "jinguoctl restore: cannot move %s aside: %s\n", data_dir.c_str(), ec.message().c_str());
      return 1;
    }
    moved_aside = aside.string();
  }
  fs::create_directories(target, ec);
  ProgressLine progress(quiet);
  int64_t done = 0;
  for (const ov1::BackupFile& f : manifest.files()) {
    fs::copy_file(fs::path(from_dir) / f.name(), target / f.name(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::fprintf(stderr, "jinguoctl restore: copying %s failed: %s\n", f.name().c_str(), ec.message().c_str());
      return 1;
    }
    done += f.size();
    if (progress.Due(false)) {
      progress.Print(absl::StrFormat("restore: %s of %s", MiB(done), MiB(manifest.total_bytes())), false);
    }
  }
  progress.Print(absl::StrFormat("restore: %s of %s", MiB(done), MiB(manifest.total_bytes())), true);
  // The copy opens as a store, with every family the backup named.
  std::vector<std::string> families;
  if (OpenStopped(data_dir, &families) == nullptr) return 1;
  std::printf(
      "restore: %s's store as of %s (Beijing time) is in %s%s. Start the service: it publishes what its outbox "
      "held, and its projections resume from the offsets in the backup, replaying the topics since.\n",
      manifest.service().c_str(), Beijing(FromTimestamp(manifest.created_at())).c_str(), data_dir.c_str(),
      moved_aside.empty() ? "" : absl::StrCat(" (the store it replaced is in ", moved_aside, ")").c_str());
  return 0;
}

int OutboxStatus(const std::vector<std::string>& addresses, const std::string& token) {
  TextTable table;
  table.AddRow({"service", "address", "topic", "waiting", "oldest waiting", "published since start"});
  int unreachable = 0;
  for (const std::string& address : addresses) {
    auto ops = Operations(address);
    auto ctx = Context(token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ov1::GetOutboxStatusResponse r;
    grpc::Status s = ops->GetOutboxStatus(ctx.get(), ov1::GetOutboxStatusRequest(), &r);
    if (!s.ok()) {
      ++unreachable;
      table.AddRow({"?", address, "", "", "", s.error_message()});
      continue;
    }
    std::string oldest = "-";
    if (r.has_oldest_committed_at()) {
      absl::Duration age = FromTimestamp(r.now()) - FromTimestamp(r.oldest_committed_at());
      oldest = absl::StrCat(Beijing(FromTimestamp(r.oldest_committed_at())), " (", Clock(age), " ago)");
    }
    table.AddRow({r.service(), address, r.topic().empty() ? "(audit only)" : r.topic(), Thousands(r.depth()), oldest,
                  Thousands(r.published_since_start())});
  }
  std::printf("%s", table.Render(3).c_str());
  return unreachable == 0 ? 0 : 1;
}

int RebuildReporting(const std::string& data_dir, const std::string& address, const std::string& token,
                     absl::Duration wait, bool quiet) {
  if (!data_dir.empty()) {
    std::vector<std::string> families;
    std::unique_ptr<store::Store> db =
        OpenStopped(reporting::store::ReadModel::StoreOptions(data_dir, 8 << 20), &families);
    if (db == nullptr) return 2;
    if (std::find(families.begin(), families.end(), "counters") == families.end()) {
      std::fprintf(stderr, "jinguoctl rebuild: %s is not a reporting store\n", data_dir.c_str());
      return 2;
    }
    if (absl::Status s = reporting::store::ReadModel::Prepare(*db, /*rebuild=*/true); !s.ok()) {
      std::fprintf(stderr, "jinguoctl rebuild: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("rebuild: the read models in %s are cleared; the next start replays every topic\n", data_dir.c_str());
  }
  if (address.empty()) return 0;
  auto ops = Operations(address);
  ProgressLine progress(quiet);
  const absl::Time deadline = absl::Now() + wait;
  int64_t first_applied = -1;
  absl::Time first_seen;
  std::string waiting_for;
  while (absl::Now() < deadline) {
    auto ctx = Context(token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ov1::GetProjectionStatusResponse r;
    grpc::Status s = ops->GetProjectionStatus(ctx.get(), ov1::GetProjectionStatusRequest(), &r);
    if (!s.ok()) {
      if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
          s.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        std::fprintf(stderr, "jinguoctl rebuild: %s\n", s.error_message().c_str());
        return 2;
      }
      if (waiting_for != s.error_message()) {
        waiting_for = s.error_message();
        progress.Print(absl::StrCat("rebuild: waiting for the service at ", address, " (", waiting_for, ")"), true);
      }
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    int64_t applied = 0, lag = 0;
    bool caught_up = !r.projections().empty();
    for (const auto& p : r.projections()) {
      applied += p.applied();
      lag += p.lag_events();
      caught_up = caught_up && p.caught_up();
    }
    absl::Time now = absl::Now();
    if (first_applied < 0) {
      first_applied = applied;
      first_seen = now;
    }
    double seconds = absl::ToDoubleSeconds(now - first_seen);
    double rate = seconds > 0.5 ? (applied - first_applied) / seconds : 0;
    bool done = caught_up && r.serving();
    if (progress.Due(done)) {
      // The rate and the time left once there is a rate to tell (not on a first look at finished work).
      std::string pace =
          rate > 0 ? absl::StrCat(", ", Thousands(static_cast<int64_t>(rate)), " events/s",
                                  done ? "" : absl::StrCat(", about ", Clock(absl::Seconds(lag / rate)), " left"))
                   : "";
      progress.Print(absl::StrCat("rebuild: ", r.service(), ": ", Thousands(applied), " events applied, ",
                                  Thousands(lag), " to go", pace),
                     done);
    }
    if (done) {
      std::printf("rebuild: %s has caught up (%s events applied since it started) and is SERVING\n",
                  r.service().c_str(), Thousands(applied).c_str());
      return 0;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::fprintf(stderr, "jinguoctl rebuild: %s did not catch up within %s\n", address.c_str(),
               absl::FormatDuration(wait).c_str());
  return 1;
}

namespace {

struct Letter {
  int32_t partition;
  int64_t offset;
  common::v1::DeadLetter letter;
  // When `jinguoctl dlq replay` last sent it back; none while it waits for a replay.
  std::optional<absl::Time> sent_back;
  bool waiting() const { return !sent_back.has_value(); }
};

bool ConsumerMatches(const std::string& consumer, const std::string& wanted) {
  return wanted.empty() || consumer == wanted || absl::StartsWith(consumer, absl::StrCat(wanted, "-"));
}

// Reads `topic` from `from` (partition → first offset; absent: the beginning) to the end each partition has now,
// handing each message to `fn`; `ends` gets those ends. A topic not made yet (each is made by the first service to
// use it) reads as empty.
absl::Status ReadToEnd(const bus::KafkaOptions& kafka, const std::string& topic, const std::map<int32_t, int64_t>& from,
                       std::map<int32_t, int64_t>* ends, const std::function<void(const RdKafka::Message&)>& fn) {
  auto conf = bus::MakeConf(kafka, {{"group.id", absl::StrCat("jinguoctl-", ::getpid())},
                                    {"enable.auto.commit", "false"},
                                    {"enable.partition.eof", "false"}});
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) return absl::UnavailableError(absl::StrCat("kafka consumer: ", err));
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
  if (consumer->metadata(false, handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("Kafka at ", kafka.brokers, " does not answer"));
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> assignment;
  std::map<int32_t, int64_t> remaining;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() != topic) continue;
    if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return absl::OkStatus();
    if (t->err() != RdKafka::ERR_NO_ERROR) {
      return absl::NotFoundError(absl::StrCat(topic, ": ", RdKafka::err2str(t->err())));
    }
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      int64_t low = 0, high = 0;
      if (consumer->query_watermark_offsets(topic, p->id(), &low, &high, 10000) != RdKafka::ERR_NO_ERROR) {
        return absl::UnavailableError(absl::StrCat("the end of ", topic, "[", p->id(), "] is not known"));
      }
      (*ends)[p->id()] = high;
      auto f = from.find(p->id());
      int64_t start = f != from.end() ? std::max(f->second, low) : low;
      if (start < high) {
        assignment.push_back(RdKafka::TopicPartition::create(topic, p->id(), start));
        remaining[p->id()] = high;
      }
    }
  }
  if (assignment.empty()) return absl::OkStatus();
  consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!remaining.empty() && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(500));
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) return absl::UnavailableError(m->errstr());
    auto r = remaining.find(m->partition());
    if (r == remaining.end()) continue;
    fn(*m);
    if (m->offset() + 1 >= r->second) remaining.erase(r);
  }
  consumer->close();
  if (!remaining.empty()) return absl::DeadlineExceededError(absl::StrCat(topic, " was not read to its end in 60 s"));
  return absl::OkStatus();
}

// The letters on jinguo.dlq.v1 from `from` to the end each partition has now (`ends`), oldest first.
absl::StatusOr<std::vector<Letter>> ReadDeadLetters(const bus::KafkaOptions& kafka,
                                                    const std::map<int32_t, int64_t>& from,
                                                    std::map<int32_t, int64_t>* ends) {
  std::vector<Letter> letters;
  RETURN_IF_ERROR(ReadToEnd(kafka, std::string(bus::kDeadLetterTopic), from, ends, [&](const RdKafka::Message& m) {
    Letter l{m.partition(), m.offset(), {}, std::nullopt};
    if (!l.letter.ParseFromArray(m.payload(), static_cast<int>(m.len()))) {
      l.letter.set_reason("(not a jinguo.common.v1.DeadLetter)");
      *l.letter.mutable_dead_lettered_at() = ToTimestamp(absl::FromUnixMillis(m.timestamp().timestamp));
    }
    letters.push_back(std::move(l));
  }));
  std::sort(letters.begin(), letters.end(), [](const Letter& a, const Letter& b) {
    return FromTimestamp(a.letter.dead_lettered_at()) < FromTimestamp(b.letter.dead_lettered_at());
  });
  return letters;
}

// Marks each of `letters` sent back when jinguo.dlq.replay.v1 holds it, with when it last was.
absl::Status MarkSentBack(const bus::KafkaOptions& kafka, std::vector<Letter>* letters) {
  std::map<std::pair<int32_t, int64_t>, absl::Time> sent_back;
  std::map<int32_t, int64_t> replay_ends;
  RETURN_IF_ERROR(ReadToEnd(kafka, std::string(bus::kReplayTopic), {}, &replay_ends, [&](const RdKafka::Message& m) {
    common::v1::ReplayedLetter r;
    if (!r.ParseFromArray(m.payload(), static_cast<int>(m.len()))) return;
    sent_back[{r.dlq_partition(), r.dlq_offset()}] = absl::FromUnixMillis(m.timestamp().timestamp);
  }));
  for (Letter& l : *letters) {
    auto it = sent_back.find({l.partition, l.offset});
    if (it != sent_back.end()) l.sent_back = it->second;
  }
  return absl::OkStatus();
}

// "reporting-…: BeneficiaryRegistered 0190… v3" for a letter whose value is an envelope.
std::string EventOf(const common::v1::DeadLetter& l) {
  common::v1::EventEnvelope e;
  if (!e.ParseFromString(l.value()) || e.event_type().empty()) return "(undecodable)";
  return absl::StrCat(e.event_type(), " ", e.aggregate_id(), " v", e.aggregate_version());
}

}  // namespace

int DlqList(const KafkaFlags& kafka, const std::string& consumer, int limit, bool replayed) {
  std::map<int32_t, int64_t> ends;
  auto letters = ReadDeadLetters(kafka.Options(), {}, &ends);
  if (letters.ok()) {
    if (absl::Status s = MarkSentBack(kafka.Options(), &*letters); !s.ok()) letters = s;
  }
  if (!letters.ok()) {
    std::fprintf(stderr, "jinguoctl dlq list: %s\n", std::string(letters.status().message()).c_str());
    return 1;
  }
  std::vector<const Letter*> shown;
  size_t waiting = 0, sent_back = 0;
  for (const Letter& l : *letters) {
    if (!ConsumerMatches(l.letter.consumer(), consumer)) continue;
    (l.waiting() ? waiting : sent_back)++;
    if (replayed || l.waiting()) shown.push_back(&l);
  }
  size_t skip = shown.size() > static_cast<size_t>(limit) ? shown.size() - limit : 0;
  TextTable table;
  std::vector<std::string> header = {"letter", "dead-lettered (Beijing)", "consumer", "from", "event", "reason"};
  if (replayed) header.insert(header.begin() + 2, "sent back (Beijing)");
  table.AddRow(header);
  for (size_t i = skip; i < shown.size(); ++i) {
    const Letter& l = *shown[i];
    std::vector<std::string> row = {
        absl::StrCat(l.partition, ":", l.offset),
        Beijing(FromTimestamp(l.letter.dead_lettered_at())),
        l.letter.consumer(),
        absl::StrCat(l.letter.source_topic(), "[", l.letter.source_partition(), "]@", l.letter.source_offset()),
        EventOf(l.letter),
        l.letter.reason()};
    if (replayed) row.insert(row.begin() + 2, l.waiting() ? "-" : Beijing(*l.sent_back));
    table.AddRow(row);
  }
  if (!shown.empty()) std::printf("%s", table.Render(replayed ? 7 : 6).c_str());
  const std::string of = consumer.empty() ? "" : absl::StrCat(" of ", consumer);
  std::string summary = absl::StrCat("dlq: ", waiting, " dead letter(s)", of, " waiting for a replay");
  if (sent_back > 0) {
    absl::StrAppend(&summary, ", ", sent_back, " sent back already", replayed ? "" : " (--replayed lists them too)");
  }
  if (skip > 0) absl::StrAppend(&summary, "; the newest ", limit, " shown");
  if (waiting > 0) {
    absl::StrAppend(&summary, "; after fixing the reason: jinguoctl dlq replay --consumer ",
                    consumer.empty() ? "C" : consumer, " --all (or --letter P:O ...)");
  }
  std::printf("%s\n", summary.c_str());
  return 0;
}

int DlqReplay(const KafkaFlags& kafka, const std::string& consumer, const std::vector<std::string>& letters, bool all,
              bool replayed, const std::string& address, const std::string& token) {
  if (consumer.empty()) {
    std::fprintf(stderr, "jinguoctl dlq replay: --consumer is required (see jinguoctl dlq list)\n");
    return 2;
  }
  if (all == !letters.empty()) {
    std::fprintf(stderr, "jinguoctl dlq replay: give either --all or one --letter P:O per letter\n");
    return 2;
  }
  if (replayed && !all) {
    std::fprintf(stderr, "jinguoctl dlq replay: --replayed goes with --all (a --letter is sent whatever it was)\n");
    return 2;
  }
  std::set<std::pair<int32_t, int64_t>> wanted;
  for (const std::string& l : letters) {
    std::vector<std::string> parts = absl::StrSplit(l, ':');
    int32_t p = 0;
    int64_t o = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &p) || !absl::SimpleAtoi(parts[1], &o)) {
      std::fprintf(stderr, "jinguoctl dlq replay: --letter %s: must be partition:offset, as dlq list shows\n",
                   l.c_str());
      return 2;
    }
    wanted.insert({p, o});
  }
  const bus::KafkaOptions options = kafka.Options();
  std::map<int32_t, int64_t> ends;
  auto read = ReadDeadLetters(options, {}, &ends);
  if (read.ok()) {
    if (absl::Status s = MarkSentBack(options, &*read); !s.ok()) read = s;
  }
  if (!read.ok()) {
    std::fprintf(stderr, "jinguoctl dlq replay: %s\n", std::string(read.status().message()).c_str());
    return 1;
  }
  // --all: the letters still waiting (and with --replayed those sent back before); --letter: each one named.
  std::vector<const Letter*> chosen;
  size_t passed_over = 0;
  for (const Letter& l : *read) {
    if (!ConsumerMatches(l.letter.consumer(), consumer)) continue;
    if (all && !replayed && !l.waiting()) {
      ++passed_over;
    } else if (all || wanted.erase({l.partition, l.offset}) > 0) {
      chosen.push_back(&l);
    }
  }
  if (!wanted.empty()) {
    std::fprintf(stderr, "jinguoctl dlq replay: %d of the letters given are not %s's on %s\n",
                 static_cast<int>(wanted.size()), consumer.c_str(), std::string(bus::kDeadLetterTopic).c_str());
    return 2;
  }
  if (chosen.empty()) {
    std::printf(
        "dlq: %s has no dead letters waiting for a replay%s\n", consumer.c_str(),
        passed_over == 0
            ? ""
            : absl::StrCat(" (", passed_over, " sent back already; --all --replayed sends them again)").c_str());
    return 0;
  }
  int failures = 0;
  auto producer = bus::Producer::Create(options, [&](uint64_t, RdKafka::ErrorCode e, int32_t, int64_t) {
    if (e != RdKafka::ERR_NO_ERROR) ++failures;
  });
  if (!producer.ok()) {
    std::fprintf(stderr, "jinguoctl dlq replay: %s\n", std::string(producer.status().message()).c_str());
    return 1;
  }
  for (const Letter* l : chosen) {
    common::v1::ReplayedLetter r;
    r.set_dlq_partition(l->partition);
    r.set_dlq_offset(l->offset);
    *r.mutable_letter() = l->letter;
    absl::Status s = (*producer)->Produce(bus::kReplayTopic, l->letter.consumer(), r.SerializeAsString(), 0);
    while (s.code() == absl::StatusCode::kResourceExhausted) {
      (*producer)->Poll(absl::Milliseconds(100));
      s = (*producer)->Produce(bus::kReplayTopic, l->letter.consumer(), r.SerializeAsString(), 0);
    }
    if (!s.ok()) {
      std::fprintf(stderr, "jinguoctl dlq replay: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  if (absl::Status s = (*producer)->Flush(absl::Seconds(60)); !s.ok() || failures > 0) {
    std::fprintf(stderr, "jinguoctl dlq replay: not every letter reached %s\n", std::string(bus::kReplayTopic).c_str());
    return 1;
  }
  std::printf("dlq: %zu letter(s) sent back to %s on %s; each is applied once, however often it is sent\n",
              chosen.size(), consumer.c_str(), std::string(bus::kReplayTopic).c_str());
  if (address.empty()) return 0;

  // Waits until the consumer has nothing left on its topics (measured twice, a second apart, after its lag
  // measurement has seen the letters), then reads what was dead-lettered since.
  auto ops = Operations(address);
  absl::SleepFor(absl::Seconds(2));
  int quiet_polls = 0;
  absl::Time deadline = absl::Now() + absl::Minutes(5);
  while (quiet_polls < 2 && absl::Now() < deadline) {
    auto ctx = Context(token);
    ov1::GetProjectionStatusResponse r;
    grpc::Status s = ops->GetProjectionStatus(ctx.get(), ov1::GetProjectionStatusRequest(), &r);
    if (!s.ok()) {
      std::fprintf(stderr, "jinguoctl dlq replay: %s: %s\n", address.c_str(), s.error_message().c_str());
      return 1;
    }
    int64_t lag = 0;
    for (const auto& p : r.projections()) lag += p.lag_events();
    quiet_polls = lag == 0 ? quiet_polls + 1 : 0;
    absl::SleepFor(absl::Seconds(1));
  }
  std::map<int32_t, int64_t> now_ends;
  auto again = ReadDeadLetters(options, ends, &now_ends);
  if (!again.ok()) {
    std::fprintf(stderr, "jinguoctl dlq replay: %s\n", std::string(again.status().message()).c_str());
    return 1;
  }
  std::set<std::tuple<std::string, int32_t, int64_t>> sent;
  for (const Letter* l : chosen) {
    sent.insert({l->letter.source_topic(), l->letter.source_partition(), l->letter.source_offset()});
  }
  int failed = 0;
  for (const Letter& l : *again) {
    if (!ConsumerMatches(l.letter.consumer(), consumer) ||
        !sent.count({l.letter.source_topic(), l.letter.source_partition(), l.letter.source_offset()})) {
      continue;
    }
    ++failed;
    std::printf("dlq: dead-lettered again as %d:%lld: %s: %s\n", l.partition, static_cast<long long>(l.offset),
                EventOf(l.letter).c_str(), l.letter.reason().c_str());
  }
  std::printf(
      "dlq: %zu replayed: %zu applied or skipped as superseded (the service's log names each), %d "
      "dead-lettered again\n",
      chosen.size(), chosen.size() - failed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace jinguo::tools
