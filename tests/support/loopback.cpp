// Loopback HTTP helpers for tests (see loopback.hpp).
#include "support/loopback.hpp"

#include <optional>
#include <sstream>

namespace anyclaude::test {

IoThread::IoThread() : work_(net::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}

IoThread::~IoThread() {
    work_.reset();
    ioc_.stop();
    thread_.join();
}

ScriptedReply text_reply(const std::vector<std::string>& pieces, int prompt_tokens, int cached) {
    ScriptedReply r;
    auto chunk = [](const std::string& delta_json, const std::string& finish) {
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,"
               "\"delta\":" + delta_json + ",\"finish_reason\":" + finish + "}]}\n\n";
    };
    r.chunks.push_back(chunk(R"({"role":"assistant","content":""})", "null"));
    for (const auto& p : pieces) {
        std::string esc;
        for (char c : p) {
            if (c == '"' || c == '\\') esc.push_back('\\');
            esc.push_back(c);
        }
        r.chunks.push_back(chunk("{\"content\":\"" + esc + "\"}", "null"));
    }
    r.chunks.push_back(chunk("{}", "\"stop\""));
    r.chunks.push_back("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{"
                       "\"prompt_tokens\":" + std::to_string(prompt_tokens) +
                       ",\"completion_tokens\":" + std::to_string(pieces.size()) +
                       ",\"prompt_tokens_details\":{\"cached_tokens\":" + std::to_string(cached) + "}}}\n\n");
    r.chunks.push_back("data: [DONE]\n\n");
    return r;
}

ScriptedUpstream::ScriptedUpstream(net::any_io_executor ex) {
    server_ = std::make_unique<http::Server>(ex, http::ServerLimits{},
                                             [this](const http::Request& req, http::ResponseWriter& w) {
                                                 return handle(req, w);
                                             });
    auto err = server_->listen("127.0.0.1", 0);
    if (!err.empty()) throw std::runtime_error(err);
    server_->start();
}

ScriptedUpstream::~ScriptedUpstream() { server_->stop(); }

std::string ScriptedUpstream::base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1"; }

void ScriptedUpstream::push(ScriptedReply r) {
    std::lock_guard lock(mu_);
    replies_.push_back(std::move(r));
}

std::vector<std::string> ScriptedUpstream::bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
}

void ScriptedUpstream::route(const std::string& method_and_target, unsigned status, std::string body) {
    std::lock_guard lock(mu_);
    routes_[method_and_target] = {status, std::move(body)};
}

std::vector<std::string> ScriptedUpstream::routed_requests() const {
    std::lock_guard lock(mu_);
    return routed_;
}

awaitable<void> ScriptedUpstream::handle(const http::Request& req, http::ResponseWriter& w) {
    std::string target(req.target());
    std::optional<std::pair<unsigned, std::string>> routed;
    {
        std::lock_guard lock(mu_);
        std::string key = std::string(req.method_string()) + " " + target;
        routed_.push_back(key);
        if (auto it = routes_.find(key); it != routes_.end()) routed = it->second;
    }
    if (routed) {
        co_await w.send(routed->first, "application/json", std::move(routed->second));
        co_return;
    }
    if (req.method() == bhttp::verb::get && target == "/v1/models") {
        co_await w.send(200, "application/json", R"({"object":"list","data":[{"id":"scripted-model","object":"model"}]})");
        co_return;
    }
    if (target != "/v1/chat/completions") {
        co_await w.send(404, "application/json", R"({"error":{"message":"no such path","type":"not_found"}})");
        co_return;
    }
    ScriptedReply r;
    {
        std::lock_guard lock(mu_);
        bodies_.push_back(req.body());
        if (replies_.empty()) {
            r = text_reply({"default ", "answer"});
        } else {
            r = std::move(replies_.front());
            replies_.pop_front();
        }
    }
    auto ex = co_await net::this_coro::executor;
    net::steady_timer timer(ex);
    if (r.hang) {
        co_await w.wait_client_gone();
        ++closed_by_client_;
        co_return;
    }
    if (r.delay_before_headers.count() > 0) {
        timer.expires_after(r.delay_before_headers);
        co_await timer.async_wait(use_awaitable);
    }
    if (r.status != 200) {
        std::string body;
        for (auto& c : r.chunks) body += c;
        co_await w.send(r.status, "application/json", std::move(body));
        co_return;
    }
    co_await w.start_stream(200, "text/event-stream");
    for (auto& c : r.chunks) {
        if (r.delay_between_chunks.count() > 0) {
            timer.expires_after(r.delay_between_chunks);
            co_await timer.async_wait(use_awaitable);
        }
        if (!co_await w.write_chunk(c)) {
            ++closed_by_client_;
            co_return;
        }
    }
    if (r.reset_after_chunks) w.abort();
}

SimpleResponse http_request(unsigned short port, const std::string& method, const std::string& target,
                            const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    stream.expires_after(std::chrono::seconds(30));
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64u << 20);
    bhttp::read(stream, buf, parser);
    res = parser.release();
    SimpleResponse out;
    out.status = res.result_int();
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.body = res.body();
    for (auto& f : res) out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return out;
}

}  // namespace anyclaude::test
