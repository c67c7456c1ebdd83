// The JSON error report: the body of error responses and the value of the error trailer.
#include "protocol/error_report.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace fastactor;
using json = nlohmann::json;

SCENARIO("an error report lists every error and the results that were not sent", "[errors]") {
  GIVEN("two errors and one result") {
    std::vector<worker_error> errors{{"task 2", "database down", status::bad_gateway},
                                     {"task 3", "boom", status::internal_server_error}};
    auto text = error_report_json(errors, {"Task 1 completed\n"});
    auto doc = json::parse(text);
    THEN("both errors appear in order with source, message and status") {
      REQUIRE(doc["errors"].size() == 2);
      CHECK(doc["errors"][0]["source"] == "task 2");
      CHECK(doc["errors"][0]["message"] == "database down");
      CHECK(doc["errors"][0]["status"] == 502);
      CHECK(doc["errors"][1]["message"] == "boom");
    }
    THEN("the results are listed") {
      CHECK(doc["results"] == json::array({"Task 1 completed\n"}));
    }
    THEN("the status is the first error's") {
      CHECK(error_status(errors) == status::bad_gateway);
    }
  }
  GIVEN("no results") {
    auto doc = json::parse(error_report_json({{"handler", "x", status::internal_server_error}}));
    THEN("there is no results member") {
      CHECK_FALSE(doc.contains("results"));
    }
  }
  GIVEN("no errors at all") {
    THEN("the status is 500") {
      CHECK(error_status({}) == status::internal_server_error);
    }
  }
}

SCENARIO("an error report is a valid header value whatever the messages hold", "[errors]") {
  GIVEN("messages with newlines, control bytes and invalid UTF-8") {
    std::vector<worker_error> errors{{"w", "line1\nline2\r\x01", status::internal_server_error},
                                     {"w", "bad \xff utf8", status::internal_server_error}};
    auto text = error_list_json(errors);
    THEN("the text has no control characters") {
      for (unsigned char c : text)
        CHECK(c >= 0x20);
    }
    THEN("it parses back as a list of two errors") {
      auto doc = json::parse(text);
      REQUIRE(doc.is_array());
      CHECK(doc.size() == 2);
      CHECK(doc[0]["message"] == "line1\nline2\r\x01");
    }
  }
}

SCENARIO("a trailer's error list stops at its size bound and says how many it left out",
         "[error-report]") {
  std::vector<fastactor::worker_error> errors;
  for (int i = 0; i < 50; ++i)
    errors.push_back(
      {"worker " + std::to_string(i), std::string(200, 'm'), status::internal_server_error});
  std::size_t left_out = 0;
  auto list = fastactor::error_list_json(errors, 2048, left_out);
  CHECK(list.size() <= 2048);
  auto parsed = nlohmann::json::parse(list);
  CHECK(parsed.size() + left_out == errors.size());
  CHECK(left_out > 0);
  CHECK(parsed[0]["source"] == "worker 0");
}

SCENARIO("an error report says what it left out", "[error-report]") {
  auto report = nlohmann::json::parse(
    fastactor::error_report_json({{"task 1", "boom", status::bad_gateway}}, {"a"}, {3, 1000}));
  CHECK(report["dropped"] == 3);
  CHECK(report["results_dropped_bytes"] == 1000);
  CHECK(report["errors"].size() == 1);
}
