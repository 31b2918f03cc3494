// jinguo-health: two-cancer (两癌) screening and the follow-up of abnormal results, on the service kit
// (common/service/runtime.h): its store, a replica of the registry facts it checks women against, its API, its
// daily overdue sweep and its topic, jinguo.health.events.v1.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/service/runtime.h"
#include "services/health/api/health_service.h"
#include "services/health/store/health_store.h"

using namespace jinguo;

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "health",
                            .about = "Jinguo health service: two-cancer screening and follow-up",
                            .families = health::store::HealthStore::Families(),
                            .scanned_by_first_part = health::store::HealthStore::ScannedByFirstPart(),
                            .registry_replica = true});
  health::domain::Settings settings;
  int sweep_check_seconds = 60;
  CLI::App& app = runtime.app();
  app.add_option("--screening-min-age", settings.min_age, "youngest woman screened (age on the screening date)")
      ->envname("JINGUO_SCREENING_MIN_AGE")
      ->capture_default_str();
  app.add_option("--screening-max-age", settings.max_age, "oldest woman screened (age on the screening date)")
      ->envname("JINGUO_SCREENING_MAX_AGE")
      ->capture_default_str();
  app.add_option("--cytology-interval-years", settings.cytology_interval_years,
                 "a normal cytology: next cervical screening due after")
      ->envname("JINGUO_CYTOLOGY_INTERVAL_YEARS")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  app.add_option("--hpv-interval-years", settings.hpv_interval_years, "a negative HPV test: next due after")
      ->envname("JINGUO_HPV_INTERVAL_YEARS")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  app.add_option("--via-interval-years", settings.via_interval_years, "a negative VIA/VILI: next due after")
      ->envname("JINGUO_VIA_INTERVAL_YEARS")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  app.add_option("--breast-interval-years", settings.breast_interval_years,
                 "a normal breast examination: next due after")
      ->envname("JINGUO_BREAST_INTERVAL_YEARS")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  app.add_option("--follow-up-due-days", settings.stage_due_days, "each follow-up stage is due this many days on")
      ->envname("JINGUO_FOLLOW_UP_DUE_DAYS")
      ->check(CLI::Range(1, 365))
      ->capture_default_str();
  app.add_option("--two-cancer-relief-fen", settings.two_cancer_relief_fen,
                 "two-cancer relief, in fen, granted once in a woman's life")
      ->envname("JINGUO_TWO_CANCER_RELIEF_FEN")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
      ->capture_default_str();
  std::vector<std::string> funds;
  app.add_option("--relief-fund", funds,
                 "a fund children's serious-illness relief is paid from, with its cap per case in fen: NAME=FEN "
                 "(repeat for each fund; default 儿童大病救助金=1000000)")
      ->envname("JINGUO_RELIEF_FUNDS")
      ->delimiter(',');
  app.add_option("--sweep-check-seconds", sweep_check_seconds,
                 "how often the service checks whether the business date has moved on (the daily overdue sweep)")
      ->envname("JINGUO_SWEEP_CHECK_SECONDS")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  return runtime.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
    if (settings.min_age < 16 || settings.max_age < settings.min_age || settings.max_age > 120) {
      return absl::InvalidArgumentError("--screening-min-age/--screening-max-age: need 16 <= min <= max <= 120");
    }
    if (!funds.empty()) {
      settings.relief_funds.clear();
      for (const std::string& f : funds) {
        size_t eq = f.rfind('=');
        int64_t cap = 0;
        if (eq == std::string::npos || eq == 0 || !absl::SimpleAtoi(f.substr(eq + 1), &cap) || cap <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("--relief-fund: \"", f, "\" is not NAME=FEN with FEN more than 0"));
        }
        settings.relief_funds[f.substr(0, eq)] = cap;
      }
    }
    auto& store = rt.Make<health::store::HealthStore>(&rt.store());
    auto& api = rt.Make<health::api::HealthService>(health::api::Dependencies{
        &store, &rt.replica(), &rt.writes(), &rt.pages(), &rt.regions(), &rt.clock(), &rt.ids(), settings});
    rt.AddService(&api);
    api.StartDailySweeps(absl::Seconds(sweep_check_seconds));
    return absl::OkStatus();
  });
}
