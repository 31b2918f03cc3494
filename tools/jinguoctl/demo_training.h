// The training part of `jinguoctl demo`: Tangshan's skills training, jobs and 春蕾 student aid as its federation
// reported them.
#pragma once

#include <string>
#include <vector>

#include "tools/jinguoctl/demo_loans.h"

namespace jinguo::tools {

// A registered woman or child of the demo registry (`id_number` gives her age and stable request ids; never printed).
using DemoResident = DemoBorrower;

// In city `city`: 59 programmes with 9,000 places, 24 of them run by the federation (19 handicraft, 5 farm technology)
// with 700 participants (600 registered women, 100 by name only) and five attendance sheets each, completed where they
// have ended; 73 postings, one per job category, with 4,420 positions; 40 of the women who completed a handicraft
// training placed in handicraft work; a 春蕾 fund granting 468 of `students` 1,000 元 each for this school year (400
// paid), 60 of them paired with a donor. Request ids derive from the people, so loading again changes nothing. Prints
// one line of what it did; false (having said why on stderr) when a call fails.
// `categories` are the job-category codes (data/job_categories.csv), the first ones handicraft.
bool DemoTraining(const std::string& training_addr, const std::string& token, const std::string& city,
                  const std::vector<std::string>& categories, const std::vector<DemoResident>& women,
                  const std::vector<DemoResident>& students);

}  // namespace jinguo::tools
