// The publicity part of `jinguoctl demo`: Tangshan's 宣传进村入户 and 家居清洁互助 as its federation reported them.
#pragma once

#include <string>
#include <vector>

namespace jinguo::tools {

struct DemoHouseholdRef {
  std::string household_id;
  std::string region_code;  // its village
  std::string key;          // stable, for request ids
};

// In city `city`: the campaign 《全市姐妹手拉手·脱贫路上一起走》 for this year; every household reached door to door
// on its township cadre's day sheets; 60 leaflet drives handing out 6,120 leaflets, 150 village loudspeaker
// broadcasts, and the city's training of 130 cadres at the 讲习所 on 13-15 June; a 妇女之家 in each of the first 100
// villages, 80 of them holding a meeting and two activities this quarter; 200 volunteers in 巾帼志愿服务队 by
// county; every household's first round of home cleaning with two volunteers each; 100 inspections, 12 of which ask
// for help again and 5 of those helped since. Request ids derive from the households, so loading again changes
// nothing. Prints one line of what it did; false (having said why on stderr) when a call fails.
bool DemoPublicity(const std::string& publicity_addr, const std::string& token, const std::string& city,
                   const std::vector<DemoHouseholdRef>& households);

}  // namespace jinguo::tools
