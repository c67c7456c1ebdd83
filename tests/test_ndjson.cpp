// NDJSON framing: one JSON value per line, errors as error objects.
#include <fastactor/ndjson.hpp>

#include <catch2/catch.hpp>

using namespace fastactor;

SCENARIO("each value is one line, whatever its strings contain", "[ndjson]") {
  auto line = ndjson_line({{"text", "two\nlines"}, {"n", 1}});
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(nlohmann::json::parse(line)["text"] == "two\nlines");
}

SCENARIO("a worker error is a line with an error object", "[ndjson]") {
  auto line = ndjson_error_line({"worker 3", "disk full", to_status(507)});  // has no name
  auto j = nlohmann::json::parse(line);
  CHECK(j["error"]["source"] == "worker 3");
  CHECK(j["error"]["message"] == "disk full");
  CHECK(j["error"]["status"] == 507);
}
