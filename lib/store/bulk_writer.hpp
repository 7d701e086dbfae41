#pragma once

// The bulk writer's part that the connection needs (internal to lib/store/).

#include <cstddef>
#include <string>

namespace engagementd {

// The in-memory "file" of the next LOAD DATA LOCAL INFILE on a connection.
// The client library asks these handlers for the file; they serve only the
// rows this process armed for its own statement and refuse every other
// request, so the server can never read a local file.
struct InfileSource {
  const std::string* text = nullptr;  // armed: the rows to send
  std::string name;                   // the file name the statement asks for
  std::size_t pos = 0;
  std::string error;

  static int init(void** ptr, const char* filename, void* userdata);
  static int read(void* ptr, char* buf, unsigned int len);
  static void end(void* ptr);
  static int error_text(void* ptr, char* buf, unsigned int len);
};

}  // namespace engagementd
