// jinguo-training: skills training, jobs and 春蕾 student aid on the service kit (common/service/runtime.h): its
// store, a replica of the registry facts it checks people against, the job-category code list, its API, and its
// topic, jinguo.training.events.v1.
#include "absl/strings/str_cat.h"
#include "common/config/service_config.h"
#include "common/service/runtime.h"
#include "services/training/api/training_service.h"
#include "services/training/domain/job_categories.h"
#include "services/training/store/training_store.h"

using namespace jinguo;

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "training",
                            .about = "Jinguo training service: skills training, jobs and placements, 春蕾 student aid",
                            .families = training::store::TrainingStore::Families(),
                            .scanned_by_first_part = training::store::TrainingStore::ScannedByFirstPart(),
                            .registry_replica = true});
  std::string categories_file = config::FindAsset("data/job_categories.csv");
  runtime.app()
      .add_option("--job-categories", categories_file,
                  "the job-category code list (code,name,group); extend it by adding rows, never by renaming a code")
      ->envname("JINGUO_JOB_CATEGORIES")
      ->capture_default_str();

  return runtime.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
    auto categories = training::domain::LoadJobCategories(categories_file);
    if (!categories.ok()) return categories.status();
    std::vector<std::string> codes = training::domain::CodesOf(*categories);
    auto& store = rt.Make<training::store::TrainingStore>(&rt.store());
    auto& api = rt.Make<training::api::TrainingService>(training::api::Dependencies{
        &store, &rt.replica(), &rt.writes(), &rt.pages(), &rt.regions(), &rt.clock(), &rt.ids(), std::move(codes)});
    rt.AddService(&api);
    return absl::OkStatus();
  });
}
