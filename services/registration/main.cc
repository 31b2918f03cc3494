// jinguo-registration: the 建档立卡 registry of women and children, on the service kit (common/service/runtime.h):
// its store schema (ID numbers and mobiles sealed under --data-key-file), its API and its topic,
// jinguo.registration.events.v1.
#include "common/service/runtime.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/store/registry_store.h"

using namespace jinguo;

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "registration",
                            .about = "Jinguo registration service: the 建档立卡 registry of women and children",
                            .families = registration::store::RegistryStore::Families(),
                            .scanned_by_first_part = registration::store::RegistryStore::ScannedByFirstPart(),
                            .holds_identifiers = true});
  return runtime.Main(argc, argv, [](service::Runtime& rt) {
    auto& registry = rt.Make<registration::store::RegistryStore>(&rt.store(), &rt.cipher());
    auto& api = rt.Make<registration::api::RegistrationService>(registration::api::Dependencies{
        &registry, &rt.writes(), &rt.pages(), &rt.regions(), &rt.clock(), &rt.ids(), &rt.metrics()});
    rt.AddService(&api);
    return absl::OkStatus();
  });
}
