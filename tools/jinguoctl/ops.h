// jinguoctl's tools for the people who run Jinguo: backups and restores of a service's store, the outbox's
// state, a reporting rebuild followed to its end, and the dead-letter topic listed and replayed.
//
//   jinguoctl backup --address A --out DIR        an online checkpoint of the service's store, streamed into DIR
//   jinguoctl restore --from DIR --data-dir D     a backup into a stopped service's data directory
//   jinguoctl outbox status [--address A]...      depth and oldest record of each service's outbox
//   jinguoctl rebuild reporting [--data-dir D] [--address A]
//                                                 clears a stopped reporting store's read models, and/or follows a
//                                                 catch-up (events/s, ETA) until the service is SERVING
//   jinguoctl dlq list [--consumer C] [--replayed]
//                                                 dead letters waiting for a replay, with their reasons
//   jinguoctl dlq replay --consumer C [--letter P:O]... [--all [--replayed]] [--address A]
//                                                 sends dead letters back to their consumer after a fix
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/bus/kafka.h"
#include "common/store/store.h"

namespace jinguo::tools {

// The Kafka listener jinguoctl talks to, with the services' flags and environment variables.
struct KafkaFlags {
  std::string brokers = "127.0.0.1:9092";
  std::string security_protocol = "plaintext";
  std::string ssl_ca, ssl_cert, ssl_key;
  bus::KafkaOptions Options() const;
};

// How jinguoctl's operators' commands reach a service: plain text by default; with `cert`, mutual TLS as the
// services use it in a cluster (the client certificate, its key, the CA of the services' certificates), and
// `server_name` the name the service's certificate carries when `--address` is another (a port-forward).
struct TlsFlags {
  std::string cert, key, ca, server_name;
};
// Applies `tls` to every later call of Backup, OutboxStatus, RebuildReporting and DlqReplay; an error names the
// file that cannot be read.
absl::Status UseTls(const TlsFlags& tls);

// Opens the store of a stopped service at `data_dir` with every family it holds (plus `extra`), saying on stderr
// why it cannot (no store there, or a running service holds it). nullptr then.
std::unique_ptr<store::Store> OpenStopped(const std::string& data_dir, std::vector<std::string>* families,
                                          const std::vector<std::string>& extra = {});
// The same with the service's own store options (`base`: its path, families and tuning); the families the store
// holds beyond them are added.
std::unique_ptr<store::Store> OpenStopped(store::StoreOptions base, std::vector<std::string>* families);

// Each returns the process's exit code: 0 done, 1 failed on the way, 2 refused before starting (a bad flag, a
// target that is not empty, a running service).
int Backup(const std::string& address, const std::string& token, const std::string& out_dir, bool quiet);
int Restore(const std::string& from_dir, const std::string& data_dir, bool force, bool quiet);
int OutboxStatus(const std::vector<std::string>& addresses, const std::string& token);
// `data_dir` (stopped service): clears the read models so the next start replays every topic. `address`: follows
// the service until every projection has caught up and it is SERVING, for at most `wait`.
int RebuildReporting(const std::string& data_dir, const std::string& address, const std::string& token,
                     absl::Duration wait, bool quiet);
// `consumer` ("" for all) matches a letter's consumer exactly or as its prefix ("reporting" for every
// reporting replica's group). A letter waits for a replay until `dlq replay` has sent it back (once replayed it is
// applied, skipped as superseded, or dead-lettered again as a new letter); the list shows the waiting ones, and with
// `replayed` those sent back too, with when. At most `limit` letters, newest last.
int DlqList(const KafkaFlags& kafka, const std::string& consumer, int limit, bool replayed);
// Sends letters of `consumer` back on jinguo.dlq.replay.v1: with `all`, every one still waiting (and with
// `replayed` those sent back before too); else those at `letters` ("partition:offset" on jinguo.dlq.v1), whatever
// they were. With `address` (the consumer's service), waits until it has consumed them and says which were
// dead-lettered again, and why.
int DlqReplay(const KafkaFlags& kafka, const std::string& consumer, const std::vector<std::string>& letters, bool all,
              bool replayed, const std::string& address, const std::string& token);

}  // namespace jinguo::tools
