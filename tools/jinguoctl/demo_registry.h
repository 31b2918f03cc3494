// A deterministic demo registry modelled on the figures Tangshan's federation (唐山市, 1302) reported: 3,468
// registered women aged 16 and over and 1,269 registered children (534 of them school-age students) in 2,817
// households across its counties
// and townships from the region table, in households, each paired with her township's cadre. Synthetic: ID numbers are
// valid but made up. The same seed gives the same people, and request ids are derived from them, so loading twice
// changes nothing. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/regions/region_table.h"

namespace jinguo::tools {

struct DemoPerson {
  std::string id_number;
  std::string name;
  bool child = false;
  bool student = false;
  int school_stage = 0;  // registration.v1.SchoolStage when a student
  int poverty_cause = 1;
};

struct DemoHousehold {
  std::string key;  // stable, for request ids
  std::string region_code;
  int attribute = 1;  // registration.v1.HouseholdAttribute
  std::string head_name;
  std::vector<DemoPerson> members;
};

struct DemoCadre {
  std::string key;
  std::string name;
  std::string region_code;  // a township
};

struct DemoRegistry {
  std::vector<DemoHousehold> households;
  std::vector<DemoCadre> cadres;  // one per township used
  int women = 0;
  int children = 0;
  int students = 0;
};

// Builds the registry for the city `city` (4 digits) on `today`: `households` households (at most one per woman),
// each headed by a woman; `students` of the children aged 6 and over are students (the first ones made; fewer when
// there are not so many).
DemoRegistry BuildDemoRegistry(const regions::RegionTable& table, const std::string& city, int women, int children,
                               int students, int households, absl::CivilDay today, uint64_t seed = 20260301);

}  // namespace jinguo::tools
