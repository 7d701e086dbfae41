#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/log.hpp"

namespace engagementd {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Answers a GET or HEAD for a target ("/metrics", "/healthz?x=1", ...).
using HttpHandler = std::function<HttpResponse(const std::string& target)>;

// A small HTTP/1.1 server (Boost.Beast) on the daemon's io_context, for
// metrics and health checks: GET and HEAD only, small requests, a timeout per
// request and a cap on open connections (when it is reached, the oldest
// connection is closed to make room for the new one). Handlers run on the io thread, so
// they see the daemon's state between ticks.
class HttpServer {
 public:
  // Listens at once; throws boost::system::system_error if it cannot bind.
  HttpServer(boost::asio::io_context& io, const std::string& address, unsigned short port,
             HttpHandler handler, const Logger& log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Stops accepting and closes open connections, so io_context::run() can return.
  void stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace engagementd
