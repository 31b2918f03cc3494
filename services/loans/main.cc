// jinguo-loans: women's microloans on the service kit (common/service/runtime.h): its store, a replica of the
// registry facts it checks borrowers against, its API, its daily close at a configured China time, and its topic,
// jinguo.loans.events.v1.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/service/runtime.h"
#include "services/loans/api/loan_service.h"
#include "services/loans/store/loan_store.h"

using namespace jinguo;

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "loans",
                            .about = "Jinguo loans service: women's microloans, interest subsidy, the daily close",
                            .families = loans::store::LoanStore::Families(),
                            .scanned_by_first_part = loans::store::LoanStore::ScannedByFirstPart(),
                            .registry_replica = true});
  loans::domain::Settings settings;
  std::string buckets = "30,60,90,180";
  std::string close_at = "00:05";
  int close_check_seconds = 60;
  CLI::App& app = runtime.app();
  app.add_option("--arrears-buckets", buckets,
                 "upper bounds in days past due of the arrears buckets before the last (default 1-30, 31-60, 61-90, "
                 "91-180, then 180+)")
      ->envname("JINGUO_ARREARS_BUCKETS")
      ->capture_default_str();
  app.add_option("--maturity-warning-days", settings.maturity_warning_days,
                 "warn of a loan's final maturity this many days before it (到期预警)")
      ->envname("JINGUO_MATURITY_WARNING_DAYS")
      ->check(CLI::Range(1, 365))
      ->capture_default_str();
  app.add_option("--reminder-days", settings.reminder_days, "remind of an instalment this many days before it is due")
      ->envname("JINGUO_REMINDER_DAYS")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  app.add_option("--write-off-days", settings.write_off_days,
                 "a loan may be written off once more than this many days past due")
      ->envname("JINGUO_WRITE_OFF_DAYS")
      ->check(CLI::Range(30, 3650))
      ->capture_default_str();
  app.add_option("--close-at", close_at, "the daily close runs by itself after this time, China time (HH:MM)")
      ->envname("JINGUO_CLOSE_AT")
      ->capture_default_str();
  app.add_option("--close-check-seconds", close_check_seconds,
                 "how often the service checks whether yesterday still needs its close")
      ->envname("JINGUO_CLOSE_CHECK_SECONDS")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  return runtime.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
    settings.bucket_upper_days.clear();
    int previous = 0;
    for (absl::string_view part : absl::StrSplit(buckets, ',')) {
      int days = 0;
      if (!absl::SimpleAtoi(part, &days) || days <= previous) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--arrears-buckets: \"", buckets, "\" is not increasing whole numbers of days, e.g. 30,60,90,180"));
      }
      settings.bucket_upper_days.push_back(days);
      previous = days;
    }
    if (settings.bucket_upper_days.size() != 4) {
      return absl::InvalidArgumentError("--arrears-buckets: give four bounds (five buckets, the last open-ended)");
    }
    int hour = 0, minute = 0;
    std::vector<std::string> hm = absl::StrSplit(close_at, ':');
    if (hm.size() != 2 || !absl::SimpleAtoi(hm[0], &hour) || !absl::SimpleAtoi(hm[1], &minute) || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59) {
      return absl::InvalidArgumentError(absl::StrCat("--close-at: \"", close_at, "\" is not a time such as 00:05"));
    }
    auto& store = rt.Make<loans::store::LoanStore>(&rt.store());
    auto& api = rt.Make<loans::api::LoanService>(loans::api::Dependencies{
        &store, &rt.replica(), &rt.writes(), &rt.pages(), &rt.regions(), &rt.clock(), &rt.ids(), settings});
    rt.AddService(&api);
    api.StartDailyClose(hour * 60 + minute, absl::Seconds(close_check_seconds));
    return absl::OkStatus();
  });
}
