// jinguo-publicity: publicity reaching households, home cleaning with volunteers, and venues, on the service kit
// (common/service/runtime.h): its store (volunteers' mobiles sealed under --data-key-file), a replica of the
// registry's households and people, its API, and its topic, jinguo.publicity.events.v1.
#include "common/service/runtime.h"
#include "services/publicity/api/publicity_service.h"
#include "services/publicity/store/publicity_store.h"

using namespace jinguo;

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "publicity",
                            .about = "Jinguo publicity service: households reached, home cleaning, volunteers, venues",
                            .families = publicity::store::PublicityStore::Families(),
                            .scanned_by_first_part = publicity::store::PublicityStore::ScannedByFirstPart(),
                            .registry_replica = true,
                            .holds_identifiers = true});
  return runtime.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
    auto& store = rt.Make<publicity::store::PublicityStore>(&rt.store(), &rt.cipher());
    auto& api = rt.Make<publicity::api::PublicityService>(publicity::api::Dependencies{
        &store, &rt.replica(), &rt.writes(), &rt.pages(), &rt.regions(), &rt.clock(), &rt.ids()});
    rt.AddService(&api);
    return absl::OkStatus();
  });
}
