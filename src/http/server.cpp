// HTTP/1.1 server sessions on Boost.Beast coroutines (see server.hpp).
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace anyclaude::http {

namespace {

constexpr std::size_t kMaxKeptBytes = 1u << 20;  // bytes a client may send while we stream to it

class SessionWriter final : public ResponseWriter {
public:
    SessionWriter(beast::tcp_stream& stream, beast::flat_buffer& buffer, const ServerLimits& limits, bool keep_alive,
                  unsigned version)
        : stream_(stream), buffer_(buffer), limits_(limits), keep_alive_(keep_alive), version_(version) {}

    awaitable<void> send(unsigned status, std::string_view content_type, std::string&& body,
                         const std::vector<std::pair<std::string, std::string>>& headers) override {
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version_};
        res.set(bhttp::field::server, "anyclaude");
        res.set(bhttp::field::content_type, content_type);
        for (auto& [k, v] : headers) res.set(k, v);
        res.keep_alive(keep_alive_);
        res.body() = std::move(body);
        res.prepare_payload();
        started_ = true;
        stream_.expires_after(limits_.write_timeout);
        beast::error_code ec;
        co_await bhttp::async_write(stream_, res, net::redirect_error(use_awaitable, ec));
        if (ec) alive_ = false;
    }

    // The head is kept and goes out with the first chunk (or the end): one write and one packet
    // instead of two, so the client wakes once for its first event (the overhead benchmark's
    // added time to first byte, 2 CPUs under load).
    awaitable<void> start_stream(unsigned status, std::string_view content_type,
                                 const std::vector<std::pair<std::string, std::string>>& headers) override {
        bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), version_};
        res.set(bhttp::field::server, "anyclaude");
        res.set(bhttp::field::content_type, content_type);
        res.set(bhttp::field::cache_control, "no-cache");
        for (auto& [k, v] : headers) res.set(k, v);
        res.keep_alive(keep_alive_);
        res.chunked(true);
        started_ = true;
        streaming_ = true;
        bhttp::response_serializer<bhttp::empty_body> sr{res};
        sr.split(true);
        beast::error_code ec;
        while (!ec && !sr.is_header_done()) {
            sr.next(ec, [&](beast::error_code&, const auto& buffers) {
                const std::size_t n = beast::buffer_bytes(buffers);
                const std::size_t at = head_.size();
                head_.resize(at + n);
                net::buffer_copy(net::buffer(head_.data() + at, n), buffers);
                sr.consume(n);
            });
        }
        if (ec) alive_ = false;
        co_return;
    }

    awaitable<bool> write_chunk(std::string_view data) override {
        if (!alive_) co_return false;
        if (data.empty()) co_return true;
        co_await write_with_head(bhttp::make_chunk(net::const_buffer(data.data(), data.size())));
        co_return alive_;
    }

    awaitable<void> end_stream() override {
        if (!alive_ || !streaming_) co_return;
        co_await write_with_head(bhttp::make_chunk_last());
        streaming_ = false;
    }

    awaitable<void> wait_client_gone() override {
        // Read (and keep) whatever the client sends until it closes; cancellation ends the wait.
        for (;;) {
            if (buffer_.size() > kMaxKeptBytes) {
                alive_ = false;
                co_return;
            }
            beast::error_code ec;
            auto space = buffer_.prepare(4096);
            std::size_t n = co_await stream_.socket().async_read_some(space, net::redirect_error(use_awaitable, ec));
            if (ec == net::error::operation_aborted) {
                // Cancelled by our side: the request finished; not a disconnect.
                co_return;
            }
            buffer_.commit(n);
            if (ec) {
                alive_ = false;
                co_return;
            }
        }
    }

    void abort() override {
        alive_ = false;
        beast::error_code ignore;
        stream_.socket().set_option(net::socket_base::linger(true, 0), ignore);  // RST, not FIN
        stream_.socket().close(ignore);
    }

    bool started() const override { return started_; }
    std::string peer() const override {
        beast::error_code ec;
        auto ep = stream_.socket().remote_endpoint(ec);
        return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
    }

    bool alive() const { return alive_; }
    bool keep_alive() const { return keep_alive_; }
    bool streaming() const { return streaming_; }

private:
    template <class Buffers>
    awaitable<void> write_with_head(const Buffers& body) {
        stream_.expires_after(limits_.write_timeout);
        beast::error_code ec;
        if (head_.empty()) {
            co_await net::async_write(stream_, body, net::redirect_error(use_awaitable, ec));
        } else {
            co_await net::async_write(stream_, beast::buffers_cat(net::buffer(head_), body),
                                      net::redirect_error(use_awaitable, ec));
            head_.clear();
        }
        if (ec) alive_ = false;
    }

    beast::tcp_stream& stream_;
    beast::flat_buffer& buffer_;
    const ServerLimits& limits_;
    bool keep_alive_;
    unsigned version_;
    bool started_ = false;
    bool streaming_ = false;
    bool alive_ = true;
    std::string head_;  // the stream's head, not yet written
};

}  // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
    State(net::any_io_executor ex, ServerLimits l, Handler h, ErrorBody e)
        : executor(ex), acceptor(ex), limits(l), handler(std::move(h)), errors(std::move(e)) {}

    net::any_io_executor executor;
    tcp::acceptor acceptor;
    ServerLimits limits;
    Handler handler;
    ErrorBody errors;
    std::function<void()> on_closed;
    std::atomic<std::size_t> connections{0};
    std::atomic<bool> stopping{false};
    std::string host;
    unsigned short port = 0;

    awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (!stopping) {
            beast::error_code ec;
            tcp::socket sock = co_await acceptor.async_accept(net::redirect_error(use_awaitable, ec));
            if (ec) {
                if (stopping || ec == net::error::operation_aborted) co_return;
                spdlog::warn("accept failed: {}", ec.message());
                continue;
            }
            if (connections >= limits.max_connections) {
                spdlog::warn("connection limit {} reached; closing a new connection", limits.max_connections);
                beast::error_code ignore;
                sock.close(ignore);
                continue;
            }
            sock.set_option(tcp::no_delay(true), ec);
            net::co_spawn(executor, session(std::move(sock)), net::detached);
        }
    }

    std::string error_body(unsigned status, std::string_view message) const {
        return errors.render ? errors.render(status, message) : std::string(message);
    }

    awaitable<void> reply_and_close(beast::tcp_stream& stream, bhttp::status status, std::string_view message) {
        bhttp::response<bhttp::string_body> res{status, 11};
        res.set(bhttp::field::server, "anyclaude");
        res.set(bhttp::field::content_type, errors.content_type);
        res.keep_alive(false);
        res.body() = error_body(static_cast<unsigned>(status), message);
        res.prepare_payload();
        stream.expires_after(limits.write_timeout);
        beast::error_code ec;
        co_await bhttp::async_write(stream, res, net::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        // Lingering close: stop sending, then read and drop what the client still sends for a
        // moment, so closing with unread input does not reset the connection (and lose the
        // answer) before the client has read it.
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.expires_after(std::chrono::milliseconds(500));
        char sink[4096];
        std::size_t drained = 0;
        while (!ec && drained < (1u << 20)) {
            drained += co_await stream.async_read_some(net::buffer(sink), net::redirect_error(use_awaitable, ec));
        }
    }

    // The deadline for reading one request (see session); shared with its timer's handler, which
    // may run after the read has finished.
    struct ReadDeadline {
        explicit ReadDeadline(net::any_io_executor ex) : timer(ex) {}
        net::steady_timer timer;
        bool armed = true;
        bool fired = false;
    };

    awaitable<void> session(tcp::socket sock) {
        auto self = shared_from_this();
        ++connections;
        struct Count {
            std::atomic<std::size_t>& c;
            ~Count() { --c; }
        } count{connections};

        beast::tcp_stream stream(std::move(sock));
        beast::flat_buffer buffer;
        buffer.reserve(64 * 1024);  // a Claude Code request (~60 KB) arrives in a few large reads
        bool first = true;
        for (;;) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.body_limit(limits.max_body_bytes);
            parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
            beast::error_code ec;
            // Wait for the first byte of a request with the idle timeout, then give the whole
            // request the read timeout (slow senders are cut off).
            if (buffer.size() == 0) {
                stream.expires_after(first ? limits.read_timeout : limits.idle_timeout);
                auto space = buffer.prepare(8192);
                std::size_t n = co_await stream.async_read_some(space, net::redirect_error(use_awaitable, ec));
                buffer.commit(n);
                if (ec) break;  // closed, idle timeout, or reset
            }
            first = false;
            // The rest of the request must arrive within the read timeout. A timer of our own
            // cancels the read (the stream's own expiry would close the socket), so a slow sender
            // still gets a 408 it can read.
            stream.expires_never();
            auto deadline = std::make_shared<ReadDeadline>(stream.get_executor());
            deadline->timer.expires_after(limits.read_timeout);
            deadline->timer.async_wait([deadline, &sock = stream.socket()](const beast::error_code& e) {
                if (e || !deadline->armed) return;
                deadline->fired = true;
                beast::error_code ignore;
                sock.cancel(ignore);
            });
            co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
            deadline->armed = false;
            deadline->timer.cancel();
            if (deadline->fired) {
                spdlog::debug("request from a slow sender not complete after {} ms; answering 408",
                              limits.read_timeout.count());
                std::string why = "The request was not received in full within " +
                                  std::to_string(limits.read_timeout.count()) + " ms.";
                co_await reply_and_close(stream, bhttp::status::request_timeout, why);
                break;
            }
            if (ec == bhttp::error::body_limit) {
                co_await reply_and_close(stream, bhttp::status::payload_too_large,
                                         "Request body exceeds the maximum allowed size.");
                break;
            }
            if (ec == bhttp::error::header_limit) {
                co_await reply_and_close(stream, bhttp::status::request_header_fields_too_large,
                                         "Request headers are too large.");
                break;
            }
            if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset)
                break;
            if (ec) {
                co_await reply_and_close(stream, bhttp::status::bad_request, "Malformed HTTP request.");
                break;
            }
            stream.expires_never();
            Request req = parser.release();
            SessionWriter writer(stream, buffer, limits, req.keep_alive() && !stopping, req.version());
            bool failed = false;
            try {
                co_await handler(req, writer);
            } catch (const std::exception& e) {
                spdlog::error("handler failed: {}", e.what());
                failed = true;
            }
            if (failed) {
                if (writer.started()) break;  // the response is half written: only closing is left
                co_await static_cast<ResponseWriter&>(writer).send(500, errors.content_type,
                                                                   error_body(500, "Internal server error."));
            }
            if (writer.streaming()) co_await writer.end_stream();
            if (!writer.alive() || !writer.keep_alive()) break;
        }
        beast::error_code ignore;
        if (stream.socket().is_open()) {
            stream.socket().shutdown(tcp::socket::shutdown_send, ignore);
            stream.socket().close(ignore);
        }
        if (on_closed) on_closed();
    }
};

Server::Server(net::any_io_executor ex, ServerLimits limits, Handler handler, ErrorBody errors)
    : state_(std::make_shared<State>(ex, limits, std::move(handler), std::move(errors))) {}

Server::~Server() { stop(); }

std::string Server::listen(const std::string& host, unsigned short port) {
    beast::error_code ec;
    auto addr = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) return "invalid listen address '" + host + "': " + ec.message();
    tcp::endpoint ep{addr, port};
    auto& acc = state_->acceptor;
    acc.open(ep.protocol(), ec);
    if (ec) return "cannot open socket: " + ec.message();
    acc.set_option(net::socket_base::reuse_address(true), ec);
    acc.bind(ep, ec);
    if (ec) return "cannot bind " + host + ":" + std::to_string(port) + ": " + ec.message();
    acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return "cannot listen: " + ec.message();
    state_->host = addr.to_string();
    state_->port = acc.local_endpoint().port();
    return {};
}

unsigned short Server::port() const { return state_->port; }
std::string Server::host() const { return state_->host; }

void Server::start() { net::co_spawn(state_->executor, state_->accept_loop(), net::detached); }

void Server::stop() {
    if (!state_ || state_->stopping.exchange(true)) return;
    auto st = state_;
    net::post(st->executor, [st] {
        beast::error_code ignore;
        st->acceptor.close(ignore);
    });
}

void Server::on_connection_closed(std::function<void()> f) { state_->on_closed = std::move(f); }

}  // namespace anyclaude::http
