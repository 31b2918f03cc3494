#include "tools/jinguoctl/demo_registry.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/validate/id_number.h"

namespace jinguo::tools {
namespace {

const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄",
                                 "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"};
const char* const kGiven[] = {"秀英", "桂英", "秀兰", "玉兰", "桂兰", "秀珍", "凤英", "玉珍",
                              "玉英", "兰英", "丽",   "静",   "敏",   "艳",   "娟",   "霞",
                              "芳",   "燕",   "红",   "梅",   "雪",   "婷",   "欣",   "悦"};

}  // namespace

DemoRegistry BuildDemoRegistry(const regions::RegionTable& table, const std::string& city, int women, int children,
                               int students, int households, absl::CivilDay today, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::vector<std::string> townships;
  for (const auto& county : table.Children(city)) {
    for (const auto& township : table.Children(county)) townships.push_back(township);
  }
  DemoRegistry out;
  if (townships.empty() || households <= 0 || households > women) return out;
  int serial = 0;
  auto person = [&](bool child) {
    DemoPerson p;
    p.child = child;
    int age = child ? pick(16) : 16 + pick(60);
    absl::CivilDay birth = absl::CivilDay(today.year() - age, 1 + pick(12), 1 + pick(28));
    if (birth > today - 1) birth = today - 1;
    if (child && absl::CivilDay(birth.year() + 16, birth.month(), birth.day()) <= today) {
      birth = absl::CivilDay(today.year() - 15, 12, 31);  // keep children under 16
      if (birth > today - 1) birth = today - 1;
    }
    if (!child && absl::CivilDay(birth.year() + 16, birth.month(), birth.day()) > today) {
      birth = absl::CivilDay(birth.year() - 1, birth.month(), birth.day());
    }
    // Each person gets her own address code and sequence, so ID numbers never collide.
    std::string address = absl::StrCat(city, absl::StrFormat("%02d", serial / 500 % 100));
    p.id_number = validate::ComposeIdNumber(address, birth, (serial % 500) * 2 + (child && pick(2) ? 1 : 0));
    ++serial;
    p.name = absl::StrCat(kSurnames[pick(16)], kGiven[pick(24)]);
    if (child && age >= 7) {  // six or more on every day of the year
      p.student = out.students < students;
      if (p.student) ++out.students;
      p.school_stage = age < 12 ? 2 : 3;  // primary, junior secondary
    }
    p.poverty_cause = 1 + pick(13);
    return p;
  };
  // The households first, then the people: a woman heads each household, and the other women and the children
  // join households drawn at random.
  for (int k = 0; k < households; ++k) {
    DemoHousehold h;
    const std::string& township = townships[pick(static_cast<int>(townships.size()))];
    h.key = absl::StrCat(k);
    h.region_code = absl::StrCat(township, absl::StrFormat("%03d", 201 + pick(20)));
    h.attribute = 1 + pick(10) / 6;  // mostly general, some low-income
    if (pick(20) == 0) h.attribute = 3;
    h.head_name = absl::StrCat(kSurnames[pick(16)], "某");
    out.households.push_back(std::move(h));
  }
  for (int i = 0; i < women; ++i) {
    out.households[static_cast<size_t>(i < households ? i : pick(households))].members.push_back(person(false));
  }
  for (int i = 0; i < children; ++i)
    out.households[static_cast<size_t>(pick(households))].members.push_back(person(true));
  for (const auto& township : townships) {
    out.cadres.push_back({township, absl::StrCat(table.Name(township), "妇联干部"), township});
  }
  out.women = women;
  out.children = children;
  return out;
}

}  // namespace jinguo::tools
