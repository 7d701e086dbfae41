#include "service/http_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <list>
#include <optional>

namespace engagementd {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// A whole request (headers and body) must arrive within this from the
// moment the connection is opened or the previous response was sent.
constexpr std::chrono::seconds kRequestTimeout{5};
constexpr std::size_t kMaxConnections = 32;
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 1024;

class Session;

}  // namespace

struct HttpServer::State {
  State(boost::asio::io_context& io, HttpHandler h, const Logger& l)
      : acceptor(io), handler(std::move(h)), log(l) {}
  tcp::acceptor acceptor;
  HttpHandler handler;
  const Logger& log;
  std::list<std::weak_ptr<Session>> sessions;
  bool stopped = false;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::State> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}

  void start() { read(); }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kRequestTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      // end_of_stream: the client is done; the rest (timeouts, bad requests,
      // our own close() at shutdown) just ends the connection.
      close();
      return;
    }
    const auto& req = parser_->get();
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req.version());
    res->set(http::field::server, "engagementd");
    res->keep_alive(req.keep_alive());
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res->result(http::status::method_not_allowed);
      res->set(http::field::allow, "GET, HEAD");
      res->set(http::field::content_type, "text/plain; charset=utf-8");
      res->body() = "only GET and HEAD\n";
    } else {
      HttpResponse r;
      try {
        r = server_->handler(std::string(req.target()));
      } catch (const std::exception& e) {
        r = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
        server_->log.error(std::string("http: handler failed, err=") + e.what());
      }
      res->result(static_cast<http::status>(r.status));
      res->set(http::field::content_type, r.content_type);
      res->body() = std::move(r.body);
    }
    res->set(http::field::cache_control, "no-store");
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();
    // prepare_payload() set Content-Length from the body; HEAD keeps that length.
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code wec, std::size_t) {
                        if (wec || !res->keep_alive()) {
                          self->close();
                          return;
                        }
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpServer::State> server_;
};

void accept(const std::shared_ptr<HttpServer::State>& state) {
  state->acceptor.async_accept([state](beast::error_code ec, tcp::socket socket) {
    if (state->stopped) return;
    if (ec) {
      if (ec != boost::asio::error::operation_aborted) {
        state->log.warning("http: accept failed, err=\"" + ec.message() + "\"");
        accept(state);
      }
      return;
    }
    state->sessions.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
    if (state->sessions.size() >= kMaxConnections) {
      // Full: the oldest connection makes room, so idle or slow clients
      // can never keep a health check out (they only push each other out).
      if (const auto oldest = state->sessions.front().lock()) oldest->close();
      state->sessions.pop_front();
    }
    auto session = std::make_shared<Session>(std::move(socket), state);
    state->sessions.push_back(session);
    session->start();
    accept(state);
  });
}

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, const std::string& address, unsigned short port,
                       HttpHandler handler, const Logger& log)
    : state_(std::make_shared<State>(io, std::move(handler), log)) {
  const tcp::endpoint endpoint(boost::asio::ip::make_address(address), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  accept(state_);
}

HttpServer::~HttpServer() {
  stop();
}

tcp::endpoint HttpServer::local_endpoint() const {
  return state_->acceptor.local_endpoint();
}

void HttpServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  beast::error_code ec;
  state_->acceptor.close(ec);
  for (const auto& weak : state_->sessions) {
    if (const auto s = weak.lock()) s->close();
  }
  state_->sessions.clear();
}

}  // namespace engagementd
