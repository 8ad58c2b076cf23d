// The HTTP client for upstream servers (plain TCP or TLS with certificate verification):
// sends one request and reads the response body incrementally, so SSE streams flow through as
// they arrive. Cancelling the awaiting coroutine closes the connection (the upstream sees it).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/asio.hpp"
#include "http/url.hpp"

namespace anyclaude::http {

struct ClientTimeouts {
    std::chrono::milliseconds connect{10'000};
    std::chrono::milliseconds first_byte{600'000};  // a long prefill may take minutes
    std::chrono::milliseconds between_bytes{300'000};
};

struct OutgoingRequest {
    bhttp::verb method = bhttp::verb::post;
    std::string path;  // appended to the URL's prefix, e.g. "/chat/completions"
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
};

// Transport failures (connect refused, reset, timeout, TLS) are values, not exceptions: their
// text names the URL. (GCC 12 miscompiles some exceptions thrown across coroutine frames.)
class ClientResponse {
public:
    virtual ~ClientResponse() = default;
    virtual unsigned status() const = 0;
    virtual std::string header(std::string_view name) const = 0;
    // Next piece of the body as it arrives; nullopt at the end of the body or on failure
    // (then error() says what went wrong).
    virtual awaitable<std::optional<std::string>> read_some() = 0;
    const std::string& error() const { return error_; }
    // The rest of the body, up to limit bytes (more is cut); check error() after.
    awaitable<std::string> read_all(std::size_t limit = 1u << 20);
    // Reads and drops what is left of the body, waiting at most `within` between pieces, so that
    // a kept-alive connection can go back to its pool (a stream's [DONE] comes before the end of
    // the chunked body: stopping there cost a new connection per request).
    virtual awaitable<void> discard_rest(std::chrono::milliseconds within) = 0;

protected:
    std::string error_;
};

// Keeps idle keep-alive connections (plain HTTP) and resolved addresses per host, so a request
// to a local backend costs no connect and no name lookup. One pool per backend; use it from one
// executor (thread) only.
class ConnectionPool {
public:
    ConnectionPool();
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
    std::size_t idle_connections() const;
    uint64_t reused() const;

    struct Impl;
    std::unique_ptr<Impl> impl;
};

struct SendResult {
    std::unique_ptr<ClientResponse> response;  // null on failure
    std::string error;                         // why, naming the URL
};

// Connects, sends req and reads the response headers.
// (req is taken by reference: GCC 12 miscompiles by-value class parameters of coroutines.)
// With a pool (plain HTTP only), connections are reused and a stale one is retried once.
awaitable<SendResult> send_request(const Url& url, const OutgoingRequest& req, const ClientTimeouts& timeouts = {},
                                   ConnectionPool* pool = nullptr);

}  // namespace anyclaude::http
