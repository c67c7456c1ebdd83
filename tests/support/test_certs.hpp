#pragma once
// The development certificates the tests use (made by the test_certs target with
// scripts/make-dev-certs.sh, in TEST_CERTS_DIR): a CA with a server and a node certificate,
// and an unrelated CA with a node certificate of its own. Every certificate names 127.0.0.1.

#include <string>

namespace testing::test_certs {

inline std::string path(const char* name) {
  return std::string{TEST_CERTS_DIR} + "/" + name;
}

/// The CA that signed server.pem and node.pem.
inline std::string ca() {
  return path("ca/ca.pem");
}
inline std::string server_cert() {
  return path("ca/server.pem");
}
inline std::string server_key() {
  return path("ca/server.key");
}
/// A second certificate of the same CA (a client certificate in the tests).
inline std::string node_cert() {
  return path("ca/node.pem");
}
inline std::string node_key() {
  return path("ca/node.key");
}
/// "Another CA": unrelated to the first, with a certificate of its own.
inline std::string other_ca() {
  return path("other-ca/ca.pem");
}
inline std::string other_cert() {
  return path("other-ca/node.pem");
}
inline std::string other_key() {
  return path("other-ca/node.key");
}

}  // namespace testing::test_certs
