// Test helpers for real loopback HTTP: an io_context on a background thread, a scripted
// OpenAI-compatible upstream built on the project's own HTTP server, and a blocking client.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"

namespace anyclaude::test {

// Runs an io_context on its own thread for the lifetime of the object.
class IoThread {
public:
    IoThread();
    ~IoThread();
    net::io_context& ioc() { return ioc_; }
    net::any_io_executor executor() { return ioc_.get_executor(); }

private:
    net::io_context ioc_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::thread thread_;
};

// One scripted upstream answer.
struct ScriptedReply {
    unsigned status = 200;
    std::vector<std::string> chunks;  // written one by one (SSE text for 200, body for errors)
    std::chrono::milliseconds delay_before_headers{0};
    std::chrono::milliseconds delay_between_chunks{0};
    bool reset_after_chunks = false;  // close the connection abruptly after the chunks
    bool hang = false;                // never answer (until the client goes away)
};

// SSE text for an OpenAI chat.completion.chunk stream carrying these content pieces.
ScriptedReply text_reply(const std::vector<std::string>& pieces, int prompt_tokens = 10, int cached = 0);

// An OpenAI-compatible server on loopback that replays scripted replies and records requests.
class ScriptedUpstream {
public:
    explicit ScriptedUpstream(net::any_io_executor ex);
    ~ScriptedUpstream();
    std::string base_url() const;  // http://127.0.0.1:PORT/v1
    void push(ScriptedReply r);
    std::vector<std::string> bodies() const;  // chat/completions bodies received, in order
    // Answers `method target` (e.g. "GET /props", "GET /v1/models") with status and body from
    // now on, instead of the default (a one-model /v1/models list; 404 for other paths).
    void route(const std::string& method_and_target, unsigned status, std::string body);
    std::vector<std::string> routed_requests() const;  // "METHOD target" of every request received
    int closed_by_client() const { return closed_by_client_; }

private:
    awaitable<void> handle(const http::Request& req, http::ResponseWriter& w);
    std::unique_ptr<http::Server> server_;
    mutable std::mutex mu_;
    std::deque<ScriptedReply> replies_;
    std::vector<std::string> bodies_;
    std::map<std::string, std::pair<unsigned, std::string>> routes_;
    std::vector<std::string> routed_;
    std::atomic<int> closed_by_client_{0};
};

struct SimpleResponse {
    unsigned status = 0;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// A blocking HTTP/1.1 request to 127.0.0.1:port (Beast, synchronous).
SimpleResponse http_request(unsigned short port, const std::string& method, const std::string& target,
                            const std::string& body = "",
                            const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace anyclaude::test
