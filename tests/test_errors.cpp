// fastactor's exit reasons (include/fastactor/errors.hpp): told apart from CAF's own, and
// rendered readably, "no error" included. CAF 0.17 stores a normal exit as no error at all,
// and asks nobody first before reading its category: the helpers must not either.
#include <fastactor/errors.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include <catch2/catch.hpp>

using namespace fastactor;

SCENARIO("an exit reason is recognised as fastactor's own only when it is", "[errors]") {
  GIVEN("fastactor's reasons") {
    THEN("each is itself and no other") {
      for (auto x : {errc::worker_failed, errc::request_finished, errc::connection_closed,
                     errc::no_worker_type}) {
        CHECK(is(make_error(x), x));
        CHECK_FALSE(is(make_error(x),
                       x == errc::worker_failed ? errc::request_finished : errc::worker_failed));
      }
    }
  }
  GIVEN("CAF's own reasons (sec::unexpected_message has worker_failed's code, 1)") {
    THEN("none of them is fastactor's") {
      // sec::unknown_type is what CAF gives for a missing type, and a worker may end with it.
      CHECK_FALSE(is(caf::make_error(caf::sec::unknown_type), errc::no_worker_type));
      CHECK_FALSE(is(caf::make_error(caf::sec::unexpected_message), errc::worker_failed));
      CHECK_FALSE(is(caf::make_error(caf::exit_reason::user_shutdown), errc::request_finished));
    }
  }
  GIVEN("no error: a default one, and a normal exit") {
    THEN("it is none of fastactor's, and asking does not read through a null") {
      CHECK_FALSE(is(caf::error{}, errc::worker_failed));
      CHECK_FALSE(is(caf::make_error(caf::exit_reason::normal), errc::request_finished));
    }
  }
}

SCENARIO("an exit reason is described readably", "[errors]") {
  CHECK(describe(make_error(errc::request_finished)) == "request_finished");
  CHECK(describe(make_error(errc::no_worker_type)) == "no_worker_type");
  CHECK(describe(caf::make_error(caf::exit_reason::kill)).find("kill") != std::string::npos);
  CHECK(describe(caf::make_error(caf::sec::unknown_type)).find("unknown_type")
        != std::string::npos);
  AND_THEN("no error, as a worker that ended normally gives, is 'none'") {
    CHECK(describe(caf::error{}) == "none");
    CHECK(describe(caf::make_error(caf::exit_reason::normal)) == "none");
  }
}
