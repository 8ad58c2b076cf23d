// The HTTP/1.1 server: accepts loopback (or configured) connections, reads requests with limits
// and timeouts, hands each to a handler coroutine, and lets the handler answer with one body or
// a chunked stream (SSE). One session object per connection; keep-alive supported.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/asio.hpp"

namespace anyclaude::http {

using Request = bhttp::request<bhttp::string_body>;

struct ServerLimits {
    std::size_t max_body_bytes = 32u << 20;    // larger bodies get 413
    std::size_t max_header_bytes = 64u << 10;  // larger header blocks get 431
    std::chrono::milliseconds read_timeout{30'000};    // whole request (headers + body); slow senders
    std::chrono::milliseconds idle_timeout{120'000};   // between requests on a kept-alive connection
    std::chrono::milliseconds write_timeout{60'000};   // one write to a client that stopped reading
    std::size_t max_connections = 256;                 // more are accepted and closed at once
};

// Given to a handler to answer one request.
class ResponseWriter {
public:
    virtual ~ResponseWriter() = default;

    // A complete response.
    // (Coroutine parameters of class type are taken by reference throughout: GCC 12 miscompiles
    // by-value class parameters initialised from temporaries.)
    virtual awaitable<void> send(unsigned status, std::string_view content_type, std::string&& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;

    // A chunked streaming response: headers first, then any number of chunks, then the end.
    // The headers go out with the first chunk (or the end), not on their own.
    // write_chunk returns false when the client has gone (the stream is then dead).
    virtual awaitable<void> start_stream(unsigned status, std::string_view content_type,
                                         const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
    virtual awaitable<bool> write_chunk(std::string_view data) = 0;
    virtual awaitable<void> end_stream() = 0;

    // Completes when the client closes its side of the connection (it never completes otherwise;
    // cancel it to stop waiting). Bytes the client sends meanwhile are kept for the next request.
    virtual awaitable<void> wait_client_gone() = 0;

    // Closes the connection at once, mid-response if need be (the client sees a reset/EOF).
    virtual void abort() = 0;

    virtual bool started() const = 0;
    virtual std::string peer() const = 0;
};

using Handler = std::function<awaitable<void>(const Request&, ResponseWriter&)>;

// The body of an answer the transport gives by itself (400 malformed, 408 too slow, 413 body or
// 431 headers too large, 500 when the handler threw): the protocol on top shapes it (the gateway
// passes Anthropic's error JSON, anthropic::transport_error_body). Without one: the message as
// plain text.
struct ErrorBody {
    std::string content_type = "text/plain; charset=utf-8";
    std::function<std::string(unsigned status, std::string_view message)> render;
};

class Server {
public:
    Server(net::any_io_executor ex, ServerLimits limits, Handler handler, ErrorBody errors = {});
    ~Server();

    // Binds and listens; returns an error text on failure ("" on success). port 0 picks a free one.
    std::string listen(const std::string& host, unsigned short port);
    unsigned short port() const;
    std::string host() const;

    void start();  // begins accepting (on the executor)
    void stop();   // stops accepting; open sessions finish their current request
    // Called on the executor each time a session ends (either side closed its connection, or a
    // limit or timeout did), after its socket is closed; connections refused over
    // max_connections never start one. Lets tests wait for the server instead of the clock.
    // Set it before start().
    void on_connection_closed(std::function<void()> f);

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace anyclaude::http
