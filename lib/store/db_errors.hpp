#pragma once

#include <exception>
#include <string>

namespace engagementd {

// What the commands and the daemon need to know about a database error,
// without seeing the database library's types.

// True for an error the database (or its client library) raised.
bool is_database_error(const std::exception& e);

// The text of an error for a log line or the terminal: a database error's
// message without the client library's context lines, else what().
std::string error_text(const std::exception& e);

// The label a database error is counted under: connect, connection, deadlock,
// lock_timeout, statement, privilege, constraint, transaction, system, schema
// or other. `connecting`: the error came from opening the connection.
std::string error_kind(const std::exception& e, bool connecting);

}  // namespace engagementd
