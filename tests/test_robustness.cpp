// Bad input, table-driven: every case of tests/corpus/requests.txt is sent on a fresh
// connection to a real server; the status and what happens to the connection are checked,
// and after each case the server must still serve a bystander.
#include "support/http_client.hpp"
#include "support/test_routes.hpp"
#include "support/test_server.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace testing;
using namespace std::chrono_literals;

namespace {

/// The shared routes these scenarios exercise (tests/support/test_routes.hpp).
fastactor::router test_routes() {
  fastactor::router r;
  r.get("/hello", shared_routes::hello);
  r.get("/stream", shared_routes::stream);
  return r;
}

struct corpus_case {
  std::string name;
  int status;
  bool keep;
  std::string bytes;
};

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

std::string unescape(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '{') {  // {c*N}
      auto star = in.find('*', i);
      auto close = in.find('}', i);
      out.append(std::stoul(in.substr(star + 1, close - star - 1)), in[i + 1]);
      i = close;
    } else if (in[i] != '\\') {
      out += in[i];
    } else {
      char c = in[++i];
      switch (c) {
        case 'r': out += '\r'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '0': out += '\0'; break;
        case '\\': out += '\\'; break;
        case 'x':
          out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
          i += 2;
          break;
        default: throw std::runtime_error("bad escape in corpus: " + in);
      }
    }
  }
  return out;
}

std::vector<corpus_case> load_corpus() {
  std::ifstream file{CORPUS_DIR "/requests.txt"};
  REQUIRE(file);
  std::vector<corpus_case> cases;
  std::string line;
  while (std::getline(file, line)) {
    if (trim(line).empty() || trim(line)[0] == '#')
      continue;
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (int i = 0; i < 3; ++i) {
      auto bar = line.find(" | ", start);
      REQUIRE(bar != std::string::npos);
      parts.push_back(trim(line.substr(start, bar - start)));
      start = bar + 3;
    }
    cases.push_back(
      {parts[0], std::stoi(parts[1]), parts[2] == "keep", unescape(line.substr(start))});
  }
  return cases;
}

}  // namespace

SCENARIO("every corpus request gets its status and connection outcome", "[robustness]") {
  auto cases = load_corpus();
  REQUIRE(cases.size() >= 90);
  test_server srv{test_routes()};
  http_client bystander{srv.port()};
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    http_client client{srv.port(), 5s};
    try {
      client.send(c.bytes);
    } catch (const std::exception&) {
      // A flood may be refused before all of it is sent: the answer is read all the same.
    }
    bool head = c.bytes.rfind("HEAD ", 0) == 0;
    auto r = client.read_response(head);
    CHECK(r.status == c.status);
    if (r.status >= 400 && !head)
      CHECK(r.body.find("\"message\"") != std::string::npos);  // it says what was wrong
    if (c.keep) {
      client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
      CHECK(client.read_response().body == "ok");
    } else {
      CHECK(client.closed_by_peer(3s));
    }
    CHECK(bystander.get("/hello").body == "ok");
  }
  CHECK(srv.idle());
}
