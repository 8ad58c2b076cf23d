// Upstream HTTP client on Boost.Beast, plain or TLS (see client.hpp).
#include "http/client.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <sys/socket.h>

#include <map>

namespace anyclaude::http {

namespace ssl = boost::asio::ssl;

awaitable<std::string> ClientResponse::read_all(std::size_t limit) {
    std::string out;
    while (auto piece = co_await read_some()) {
        if (out.size() < limit) out.append(piece->substr(0, limit - out.size()));
    }
    co_return out;
}

struct ConnectionPool::Impl {
    static constexpr std::size_t kMaxIdlePerHost = 8;
    struct Resolved {
        tcp::resolver::results_type results;
        std::chrono::steady_clock::time_point at;
    };
    std::map<std::string, std::vector<std::unique_ptr<beast::tcp_stream>>> idle;
    std::map<std::string, Resolved> resolved;
    uint64_t reused = 0;

    // An idle connection the server has not closed meanwhile, or null.
    std::unique_ptr<beast::tcp_stream> take(const std::string& key) {
        auto it = idle.find(key);
        while (it != idle.end() && !it->second.empty()) {
            auto s = std::move(it->second.back());
            it->second.pop_back();
            char byte;
            int fd = s->socket().native_handle();
            ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return s;  // alive, nothing pending
            // closed (0), unexpected bytes, or an error: drop it
        }
        return nullptr;
    }
    void give_back(const std::string& key, std::unique_ptr<beast::tcp_stream> s) {
        auto& v = idle[key];
        if (v.size() < kMaxIdlePerHost) v.push_back(std::move(s));
    }
};

ConnectionPool::ConnectionPool() : impl(std::make_unique<Impl>()) {}
ConnectionPool::~ConnectionPool() = default;
std::size_t ConnectionPool::idle_connections() const {
    std::size_t n = 0;
    for (auto& [k, v] : impl->idle) n += v.size();
    return n;
}
uint64_t ConnectionPool::reused() const { return impl->reused; }

namespace {

ssl::context& tls_context() {
    static ssl::context ctx = [] {
        ssl::context c(ssl::context::tls_client);
        c.set_default_verify_paths();
        c.set_verify_mode(ssl::verify_peer);
        return c;
    }();
    return ctx;
}

template <class Stream>
auto& lowest(Stream& s) {
    return beast::get_lowest_layer(s);
}

template <class Stream>
class Response final : public ClientResponse {
public:
    Response(std::unique_ptr<Stream> stream, std::string where, ClientTimeouts t,
             ConnectionPool::Impl* pool = nullptr, std::string pool_key = {})
        : stream_(std::move(stream)), where_(std::move(where)), timeouts_(t), pool_(pool),
          pool_key_(std::move(pool_key)) {
        parser_.body_limit(boost::none);  // streams can be long
        buffer_.reserve(64 * 1024);       // read large pieces, not 512 bytes at a time
    }

    ~Response() override {
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            if (pool_ && error_.empty() && parser_.is_done() && parser_.get().keep_alive() && buffer_.size() == 0) {
                stream_->expires_never();
                pool_->give_back(pool_key_, std::move(stream_));
                return;
            }
        }
        beast::error_code ignore;
        lowest(*stream_).socket().close(ignore);
    }

    // "" on success, else why.
    awaitable<std::string> read_header() {
        beast::error_code ec;
        lowest(*stream_).expires_after(timeouts_.first_byte);
        co_await bhttp::async_read_header(*stream_, buffer_, parser_, net::redirect_error(use_awaitable, ec));
        co_return ec ? describe(ec, "reading the response from") : std::string();
    }

    bool nothing_received() const { return !parser_.got_some() && buffer_.size() == 0; }

    unsigned status() const override { return parser_.get().result_int(); }
    std::string header(std::string_view name) const override {
        auto it = parser_.get().find(name);
        return it == parser_.get().end() ? std::string() : std::string(it->value());
    }

    awaitable<std::optional<std::string>> read_some() override {
        while (error_.empty()) {
            if (parser_.is_done()) co_return std::nullopt;
            char chunk[16384];
            parser_.get().body().data = chunk;
            parser_.get().body().size = sizeof chunk;
            beast::error_code ec;
            lowest(*stream_).expires_after(timeouts_.between_bytes);
            co_await bhttp::async_read_some(*stream_, buffer_, parser_, net::redirect_error(use_awaitable, ec));
            if (ec == bhttp::error::need_buffer) ec = {};
            std::size_t n = sizeof chunk - parser_.get().body().size;
            if (n > 0) {
                if (ec && ec != bhttp::error::end_of_stream) error_ = describe(ec, "reading the response from");
                co_return std::string(chunk, n);
            }
            if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
                // The server closed the connection: fine for a body delimited by close, else a failure.
                if (parser_.is_done()) co_return std::nullopt;
                error_ = "connection to " + where_ + " closed before the response was complete";
            } else if (ec) {
                error_ = describe(ec, "reading the response from");
            }
        }
        co_return std::nullopt;
    }

    awaitable<void> discard_rest(std::chrono::milliseconds within) override {
        timeouts_.between_bytes = within;
        while (co_await read_some()) {
        }
    }

private:
    std::string describe(const beast::error_code& ec, const char* what) const {
        if (ec == beast::error::timeout) return std::string("timed out ") + what + " " + where_;
        return std::string("error ") + what + " " + where_ + ": " + ec.message();
    }

    std::unique_ptr<Stream> stream_;
    std::string where_;
    ClientTimeouts timeouts_;
    ConnectionPool::Impl* pool_;
    std::string pool_key_;
    beast::flat_buffer buffer_;
    bhttp::response_parser<bhttp::buffer_body> parser_;
};

// Fills r in place (returning the message by value from a helper into a coroutine frame
// miscompiles with GCC 12: the frame's copy is later freed from the wrong address).
void build(bhttp::request<bhttp::string_body>& r, const Url& url, OutgoingRequest& req, bool keep_alive) {
    r.method(req.method);
    r.target(url.target(req.path));
    r.version(11);
    bool default_port = (url.tls && url.port == "443") || (!url.tls && url.port == "80");
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    r.set(bhttp::field::host, default_port ? host : host + ":" + url.port);
    r.set(bhttp::field::user_agent, "anyclaude/0.1");
    if (req.method == bhttp::verb::post) r.set(bhttp::field::content_type, req.content_type);
    r.set(bhttp::field::accept, "application/json, text/event-stream");
    for (auto& [k, v] : req.headers) r.set(k, v);
    r.keep_alive(keep_alive);
    r.body() = std::move(req.body);
    r.prepare_payload();
}

}  // namespace

awaitable<SendResult> send_request(const Url& url, const OutgoingRequest& request, const ClientTimeouts& timeouts_in,
                                   ConnectionPool* pool_in) {
    OutgoingRequest req = request;
    const ClientTimeouts timeouts = timeouts_in;
    ConnectionPool::Impl* pool = (pool_in && !url.tls) ? pool_in->impl.get() : nullptr;
    auto ex = co_await net::this_coro::executor;
    const std::string where = url.to_string();
    const std::string key = url.host + ":" + url.port;
    SendResult out;
    beast::error_code ec;

    tcp::resolver::results_type results;
    auto cached = pool ? pool->resolved.find(key) : decltype(pool->resolved.end()){};
    if (pool && cached != pool->resolved.end() &&
        std::chrono::steady_clock::now() - cached->second.at < std::chrono::seconds(60)) {
        results = cached->second.results;
    } else {
        tcp::resolver resolver(ex);
        results = co_await resolver.async_resolve(url.host, url.port, net::redirect_error(use_awaitable, ec));
        if (ec) {
            out.error = "cannot resolve " + where + ": " + ec.message();
            co_return out;
        }
        if (pool) pool->resolved[key] = {results, std::chrono::steady_clock::now()};
    }
    bhttp::request<bhttp::string_body> msg;
    build(msg, url, req, pool != nullptr);

    if (!url.tls) {
        // A pooled connection first; if it turns out dead before any answer, one fresh retry.
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::unique_ptr<beast::tcp_stream> stream = (pool && attempt == 0) ? pool->take(key) : nullptr;
            bool reused = stream != nullptr;
            if (!stream) {
                stream = std::make_unique<beast::tcp_stream>(ex);
                stream->expires_after(timeouts.connect);
                co_await stream->async_connect(results, net::redirect_error(use_awaitable, ec));
                if (ec) {
                    out.error = "cannot connect to " + where + ": " + ec.message();
                    co_return out;
                }
                stream->socket().set_option(tcp::no_delay(true), ec);
            } else {
                ++pool->reused;
            }
            stream->expires_after(timeouts.connect);
            co_await bhttp::async_write(*stream, msg, net::redirect_error(use_awaitable, ec));
            if (ec) {
                if (reused) continue;
                out.error = "error sending the request to " + where + ": " + ec.message();
                co_return out;
            }
            auto res = std::make_unique<Response<beast::tcp_stream>>(std::move(stream), where, timeouts, pool, key);
            out.error = co_await res->read_header();
            if (!out.error.empty() && reused && res->nothing_received()) {
                out.error.clear();
                continue;
            }
            if (out.error.empty()) out.response = std::move(res);
            co_return out;
        }
        out.error = "cannot send the request to " + where;
        co_return out;
    }

    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    auto stream = std::make_unique<TlsStream>(ex, tls_context());
    if (!SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str())) {
        out.error = "cannot set TLS server name for " + where;
        co_return out;
    }
    stream->set_verify_callback(ssl::host_name_verification(url.host));
    lowest(*stream).expires_after(timeouts.connect);
    co_await lowest(*stream).async_connect(results, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "cannot connect to " + where + ": " + ec.message();
        co_return out;
    }
    lowest(*stream).socket().set_option(tcp::no_delay(true), ec);
    co_await stream->async_handshake(ssl::stream_base::client, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "TLS handshake with " + where + " failed: " + ec.message();
        co_return out;
    }
    lowest(*stream).expires_after(timeouts.connect);
    co_await bhttp::async_write(*stream, msg, net::redirect_error(use_awaitable, ec));
    if (ec) {
        out.error = "error sending the request to " + where + ": " + ec.message();
        co_return out;
    }
    auto res = std::make_unique<Response<TlsStream>>(std::move(stream), where, timeouts);
    out.error = co_await res->read_header();
    if (out.error.empty()) out.response = std::move(res);
    co_return out;
}

}  // namespace anyclaude::http
