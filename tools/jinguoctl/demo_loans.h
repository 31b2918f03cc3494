// The loans part of `jinguoctl demo`: a county's women's microloans as the federation and the bank run them.
#pragma once

#include <string>
#include <vector>

namespace jinguo::tools {

struct DemoBorrower {
  std::string beneficiary_id;
  std::string id_number;  // for her age and stable request ids; never printed
  std::string region_code;
};

struct DemoLoanTokens {
  std::string admin;  // products and the LPR, the close
  std::string clerk;  // the federation's operator: applications and reviews
  std::string bank;   // the bank's staff (role lender): approval, disbursement, repayments, the claim
};

// In the county with the most women aged 24-57 among `women` (18-60 on every application date): 41 women with loan
// plans, 26 of them disbursed (19 创业担保贷款 of 20万元 paying monthly interest, 7 脱贫人口小额信贷 paying quarterly,
// one of them the 2万元 greenhouse), outstanding 408.7万元 in all, every interest instalment due so far paid on its due
// date (nothing overdue), three loans maturing within 30 days (warned); the day closed through yesterday and the
// lender's claim for the last quarter's subsidy generated. Every request id is derived from the woman, so loading again
// changes nothing. Prints one line of what it did; false (having said why on stderr) when a call fails.
bool DemoLoans(const std::string& loans_addr, const DemoLoanTokens& tokens, const std::vector<DemoBorrower>& women);

}  // namespace jinguo::tools
