#include <cstdlib>

#include "common/validate/field_violations.h"
#include "common/validate/id_number.h"
#include "common/validate/mobile.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "gtest/gtest.h"

namespace jinguo::validate {
namespace {

const absl::CivilDay kToday(2026, 11, 22);

struct IdCase {
  const char* name;
  const char* input;
  bool ok;
  const char* reason;  // substring of the error; for valid cases unused
};

class IdNumberTable : public ::testing::TestWithParam<IdCase> {};

TEST_P(IdNumberTable, AcceptsOrNamesTheReason) {
  const IdCase& c = GetParam();
  auto parsed = ParseIdNumber(c.input, kToday);
  if (c.ok) {
    ASSERT_TRUE(parsed.ok()) << parsed.status();
  } else {
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.reason), std::string::npos) << parsed.status().message();
    // The reason never repeats the number itself.
    if (std::string(c.input).size() >= 11) {  // long enough to be identifying
      EXPECT_EQ(parsed.status().message().find(c.input), std::string::npos);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Gb11643, IdNumberTable,
    ::testing::Values(IdCase{"ValidFemaleWithX", "11010519491231002X", true, ""},
                      IdCase{"ValidMale", "360426199101010071", true, ""},
                      IdCase{"LowerCaseX", "11010519491231002x", true, ""},
                      IdCase{"WrongCheckDigit", "360426199101010072", false, "check character"},
                      IdCase{"SeventeenCharacters", "36042619910101007", false, "must be 18 characters, got 17"},
                      IdCase{"NineteenCharacters", "3604261991010100711", false, "must be 18 characters, got 19"},
                      IdCase{"FullWidthDigitsCountAsCharacters",
                             "\uff13\uff16\uff10\uff14\uff12\uff16\uff11\uff19"
                             "\uff19\uff11\uff10\uff11\uff10\uff11\uff10\uff10\uff17\uff11",
                             false, "must be typed with half-width digits 0-9 and X (it has full-width characters)"},
                      IdCase{"FullWidthDigitsAmongMoreCharacters", "\uff13\uff16\uff10\uff14\uff12\uff16\uff11", false,
                             "must be 18 characters, got 7"},
                      IdCase{"BirthInTheFuture", "360426209901010079", false, "in the future"},
                      IdCase{"ThirtyFirstFebruary", "360426199102310071", false, "not a real date"},
                      IdCase{"MonthThirteen", "360426199113010071", false, "not a real date"},
                      IdCase{"LetterInside", "3604261991O1010071", false, "must be digits"},
                      IdCase{"BadLastCharacter", "36042619910101007Y", false, "digit or X"},
                      IdCase{"Empty", "", false, "is required"}),
    [](const ::testing::TestParamInfo<IdCase>& info) { return info.param.name; });

TEST(IdNumber, DerivesSexAndBirthDate) {
  auto woman = ParseIdNumber("11010519491231002X", kToday);
  ASSERT_TRUE(woman.ok());
  EXPECT_EQ(woman->sex, Sex::kFemale);
  EXPECT_EQ(woman->birth_date, absl::CivilDay(1949, 12, 31));
  auto man = ParseIdNumber("360426199101010071", kToday);
  ASSERT_TRUE(man.ok());
  EXPECT_EQ(man->sex, Sex::kMale);
  EXPECT_EQ(man->birth_date, absl::CivilDay(1991, 1, 1));
  EXPECT_EQ(ParseIdNumber("11010519491231002x", kToday)->normalized, "11010519491231002X");
}

TEST(IdNumber, CheckCharacterMatchesTheStandardExamples) {
  EXPECT_EQ(IdNumberCheckCharacter("11010519491231002"), 'X');
  EXPECT_EQ(IdNumberCheckCharacter("36042619910101007"), '1');
}

TEST(IdNumber, ComposedNumbersParseBack) {
  std::string woman = ComposeIdNumber("130207", absl::CivilDay(1980, 5, 1), 122);
  auto parsed = ParseIdNumber(woman, kToday);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->sex, Sex::kFemale);
  EXPECT_EQ(parsed->birth_date, absl::CivilDay(1980, 5, 1));
  EXPECT_EQ(ParseIdNumber(ComposeIdNumber("110105", absl::CivilDay(1949, 12, 31), 2), kToday)->normalized,
            "11010519491231002X");
  EXPECT_EQ(ParseIdNumber(ComposeIdNumber("130207", absl::CivilDay(2015, 1, 1), 7), kToday)->sex, Sex::kMale);
}

TEST(Mobile, AcceptsMainlandNumbersInCommonForms) {
  EXPECT_EQ(*ParseMobile("13812345678"), "13812345678");
  EXPECT_EQ(*ParseMobile("+86 138-1234-5678"), "13812345678");
  EXPECT_EQ(*ParseMobile("8613812345678"), "13812345678");
}

TEST(Mobile, RejectsWithAReasonThatHidesTheNumber) {
  for (const char* bad : {"1381234567", "138123456789", "12812345678", "23812345678", "138a2345678", ""}) {
    auto r = ParseMobile(bad);
    ASSERT_FALSE(r.ok()) << bad;
    if (*bad) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos);
    }
  }
}

std::string RegionsDir() {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  return std::string(src ? src : ".") + "/data/regions";
}

class RegionCodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { table_ = regions::RegionTable::LoadFromDirectory(RegionsDir())->release(); }
  static const regions::RegionTable* table_;
};
const regions::RegionTable* RegionCodeTest::table_ = nullptr;

struct RegionCase {
  const char* name;
  const char* code;
  const char* reason;  // "" when valid
};

TEST_F(RegionCodeTest, TableOfValidAndInvalidCodes) {
  // there is no township 107 under 丰润区 130208, though 130207107 钱营镇 exists.
  ASSERT_NE(table_->Find("130208"), nullptr);
  ASSERT_NE(table_->Find("130207107"), nullptr);
  ASSERT_EQ(table_->Find("130208107"), nullptr);
  const RegionCase cases[] = {
      {"Village", "130207104201", ""},
      {"ResidentsCommittee", "130207104001", ""},
      {"Village399", "130207104399", ""},
      {"UnknownProvince", "990207104201", "unknown province 99"},
      {"UnknownCity", "139907104201", "city 99 is not under 13"},
      {"UnknownCounty", "130299104201", "county 99 is not under 1302"},
      {"TownshipNotUnderItsCounty", "130208107201", "township 107 is not under 130208"},
      {"Village000", "130207104000", "village part 000 must be 001-399"},
      {"Village400", "130207104400", "village part 400 must be 001-399"},
      {"ElevenDigits", "13020710420", "must be 12 digits, got 11"},
      {"Letters", "13020710420A", "only digits"},
      {"Empty", "", "is required"},
  };
  for (const RegionCase& c : cases) {
    absl::Status s = CheckRegionCode(*table_, c.code);
    if (*c.reason == '\0') {
      EXPECT_TRUE(s.ok()) << c.name << ": " << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
      EXPECT_NE(s.message().find(c.reason), std::string::npos) << c.name << ": " << s.message();
    }
  }
}

TEST_F(RegionCodeTest, PrefixesNameNodesOfAnyLevel) {
  for (const char* ok : {"", "13", "1302", "130207", "130207104", "130207104201"}) {
    EXPECT_TRUE(CheckRegionPrefix(*table_, ok).ok()) << ok;
  }
  EXPECT_FALSE(CheckRegionPrefix(*table_, "1399").ok());
  EXPECT_FALSE(CheckRegionPrefix(*table_, "130").ok());
  EXPECT_FALSE(CheckRegionPrefix(*table_, "13a").ok());
}

TEST(FieldViolations, BecomeOneInvalidArgumentWithBadRequestDetails) {
  FieldViolations v;
  EXPECT_TRUE(v.ToStatus().ok());
  v.Add("beneficiary.name", "is required");
  EXPECT_FALSE(v.Check("beneficiary.id_number", absl::InvalidArgumentError("must be 18 characters, got 17")));
  EXPECT_TRUE(v.Check("beneficiary.phone", absl::OkStatus()));
  absl::Status s = v.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "beneficiary.name: is required; beneficiary.id_number: must be 18 characters, got 17");
  google::rpc::BadRequest br = BadRequestOf(s);
  ASSERT_EQ(br.field_violations_size(), 2);
  EXPECT_EQ(br.field_violations(1).field(), "beneficiary.id_number");
}

TEST(Text, CountsCharactersNotBytes) {
  EXPECT_EQ(CharacterCount("王丽"), 2u);
  EXPECT_EQ(CharacterCount("abc"), 3u);
  EXPECT_EQ(CharacterCount("阿依古丽·买买提"), 8u);
}

TEST(Text, TrimsRefusesHiddenCharactersAndAllowsNotesTheirLines) {
  EXPECT_EQ(*CleanText(" \u3000王丽\u00a0 ", {}), "王丽");
  EXPECT_EQ(CleanText("", {.required = false}).value(), "");
  EXPECT_EQ(CleanText("  ", {.required = false}).value(), "");
  EXPECT_EQ(CleanText("第一行\n第二行", {.multi_line = true}).value(), "第一行\n第二行");
  EXPECT_EQ(CleanText("第一行\n第二行", {}).status().message(),
            "must not contain U+000A (a control, format or bidirectional character that changes how text reads)");
  EXPECT_EQ(CleanText("a\u202eb", {.multi_line = true}).status().message(),
            "must not contain U+202E (a control, format or bidirectional character that changes how text reads)");
  // Overlong encodings and lone surrogates are not UTF-8.
  EXPECT_EQ(CleanText("\xc0\xaf", {}).status().message(), "is not valid UTF-8");
  EXPECT_EQ(CleanText("\xed\xa0\x80", {}).status().message(), "is not valid UTF-8");
  EXPECT_EQ(CleanText("\xff", {}).status().message(), "is not valid UTF-8");
}

TEST(FieldViolations, FieldErrorsKeepTheirCodeAndNameTheirField) {
  absl::Status s = FieldError(absl::StatusCode::kAlreadyExists, "request_id", "was already used");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(BadRequestOf(s).field_violations(0).field(), "request_id");
  absl::Status denied = WithField(absl::PermissionDeniedError("outside your region"), "beneficiary.household_id");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "outside your region");
  EXPECT_EQ(BadRequestOf(denied).field_violations(0).field(), "beneficiary.household_id");
  // A status that names its field already keeps it.
  EXPECT_EQ(BadRequestOf(WithField(s, "other")).field_violations(0).field(), "request_id");
}

}  // namespace
}  // namespace jinguo::validate
