#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/test_db.hpp"

int main(int argc, char* argv[]) {
  Catch::Session session;
  std::string backend = "sqlite3";
  using Catch::clara::Opt;
  session.cli(session.cli() |
              Opt(backend, "sqlite3|mysql")["--backend"]("database backend the tests run on"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (backend != "sqlite3" && backend != "mysql") {
    std::cerr << "--backend must be sqlite3 or mysql\n";
    return 2;
  }
  engagementd::test::set_backend(backend == "mysql" ? engagementd::Backend::mysql
                                                    : engagementd::Backend::sqlite3);
  return session.run();
}
