#pragma once

// The one classifier of database errors: what kind of error an exception
// is, by the server's (or the client library's) number, for the tick, the
// cluster code, the daemon and the commands alike. Only the store sees the
// database library's exception types; every other layer asks here, with the
// std::exception it caught.

#include <exception>
#include <string>

namespace engagementd {

// The MariaDB/MySQL numbers the store tells apart: the server's ER_* and the
// client library's CR_*, named after them (ER_LOCK_DEADLOCK is
// kErLockDeadlock; the headers' own macros are not visible outside the store).
namespace mysql_error {
inline constexpr int kErConCountError = 1040;           // too many connections
inline constexpr int kErDbaccessDeniedError = 1044;     // no right on the database
inline constexpr int kErServerShutdown = 1053;          // server shutdown in progress
inline constexpr int kErDupEntry = 1062;                // a unique key's value taken
inline constexpr int kErNormalShutdown = 1077;          // 1077 .. 1080: the server
inline constexpr int kErForcingClose = 1080;            //   shutting down
inline constexpr int kErTableaccessDeniedError = 1142;  // no right on the table
inline constexpr int kErNoSuchTable = 1146;
inline constexpr int kErNotAllowedCommand = 1148;    // LOAD DATA LOCAL refused
inline constexpr int kErAbortingConnection = 1152;   // 1152 .. 1161: the network
inline constexpr int kErNetWriteInterrupted = 1161;  //   between client and server
inline constexpr int kErNewAbortingConnection = 1184;
inline constexpr int kErLockWaitTimeout = 1205;  // innodb_lock_wait_timeout passed
inline constexpr int kErLockDeadlock = 1213;     // also a Galera certification failure
inline constexpr int kErSpecificAccessDeniedError = 1227;
inline constexpr int kErOptionPreventsStatement = 1290;  // --read-only
inline constexpr int kErReadOnlyMode = 1836;
inline constexpr int kErConnectionKilled = 1927;
inline constexpr int kErLockNowait = 3572;                // MySQL: NOWAIT and the row locked
inline constexpr int kErClientLocalFilesDisabled = 3948;  // MySQL 8: local_infile off
inline constexpr int kErClientInteractionTimeout = 4031;  // MySQL 8: disconnected when idle
inline constexpr int kCrMinError = 2000;                  // 2000 .. 2999: the client
inline constexpr int kCrMaxError = 2999;                  //   library (the connection)
inline constexpr int kCrServerGoneError = 2006;
inline constexpr int kCrServerLost = 2013;
inline constexpr int kCrLoadDataLocalInfileRejected = 2068;  // MySQL's client library
// The text of a Galera certification failure, which COMMIT reports without
// its number through SOCI.
inline constexpr const char* kWsrepConflict = "WSREP detected deadlock/conflict";
}  // namespace mysql_error

// SQLite's primary result codes the store tells apart (SQLITE_BUSY is
// kSqliteBusy).
namespace sqlite_error {
inline constexpr int kSqliteError = 1;  // the SQL: no such table or column
inline constexpr int kSqliteBusy = 5;   // another connection holds the file's lock
inline constexpr int kSqliteLocked = 6;
inline constexpr int kSqliteConstraint = 19;
inline constexpr int kSqliteMismatch = 20;
inline constexpr int kSqliteRange = 25;
}  // namespace sqlite_error

// What a database error means for the work that got it. The names are the
// labels of engagementd_db_errors_total (error_label).
enum class DbErrorKind {
  none,          // not a database error
  deadlock,      // kErLockDeadlock, or a Galera certification failure: a lost race
  lock_timeout,  // kErLockWaitTimeout (MySQL's kErLockNowait): a lost race
  connection,    // the connection or the server (client errors, shutdown, a killed
                 // session, a read-only server, SQLite's lock held by another process):
                 // a new connection may succeed
  system,        // SQLite's file: I/O, a full disk, corruption
  statement,     // the statement itself: its SQL, a value, a missing table or column
  privilege,     // the statement, refused to this account
  constraint,    // the statement, against a key
};

// The kind of e (DbErrorKind::none for anything but a database error).
DbErrorKind classify(const std::exception& e);
// The database's error number (MariaDB/MySQL: ER_* or CR_*; SQLite: the
// result code), 0 when e has none.
int error_code(const std::exception& e);

// True for an error the database (or its client library) raised.
inline bool is_database_error(const std::exception& e) {
  return classify(e) != DbErrorKind::none;
}
// A conflict with another transaction: a deadlock, a lock wait timeout, or
// on a Galera cluster another node's commit winning certification (on any
// statement or on COMMIT). The transaction was rolled back and the
// connection is fine: the work lost a race, to be retried or left to the
// next tick, never a reason to reconnect.
inline bool is_lost_race(DbErrorKind kind) {
  return kind == DbErrorKind::deadlock || kind == DbErrorKind::lock_timeout;
}
inline bool is_lost_race(const std::exception& e) {
  return is_lost_race(classify(e));
}
// A failure of the statement itself, as opposed to the connection or the
// server: reconnecting would not help, and other statements still work.
inline bool is_statement_error(DbErrorKind kind) {
  return kind == DbErrorKind::statement || kind == DbErrorKind::privilege ||
         kind == DbErrorKind::constraint;
}
inline bool is_statement_error(const std::exception& e) {
  return is_statement_error(classify(e));
}

// The text of an error for a log line or the terminal: a database error's
// message without the client library's context lines, else what().
std::string error_text(const std::exception& e);

// The label a failed tick's error is counted under: the kind's name, or
// "connect" for any error of opening the connection (`connecting`),
// "schema" for a schema this build does not know, "other" for the rest.
std::string error_label(const std::exception& e, bool connecting);

}  // namespace engagementd
