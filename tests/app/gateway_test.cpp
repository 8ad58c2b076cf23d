// The whole gateway on loopback: real HTTP client -> anyclaude front door -> upstream backend
// -> a scripted OpenAI-compatible server (the only test double: it stands in for the backend).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <boost/json.hpp>

#include "app/gateway_fixture.hpp"
#include "common/allocator.hpp"
#include "support/test_support.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;

namespace {

const std::string kSimple =
    R"({"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]})";
const std::string kSimpleStream =
    R"({"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]})";

using Fixture = GatewayFixture;

std::vector<std::pair<std::string, bj::value>> sse_events(const std::string& body) {
    std::vector<std::pair<std::string, bj::value>> out;
    std::size_t pos = 0;
    while ((pos = body.find("event: ", pos)) != std::string::npos) {
        auto nl = body.find('\n', pos);
        std::string name = body.substr(pos + 7, nl - pos - 7);
        auto data = body.find("data: ", nl);
        auto end = body.find("\n\n", data);
        out.push_back({name, bj::parse(body.substr(data + 6, end - data - 6))});
        pos = end;
    }
    return out;
}

}  // namespace

TEST(Gateway, NonStreamingTextWithCachedUsage) {
    Fixture f;
    f.upstream.push(text_reply({"Hello", " world"}, 120, 100));
    auto r = f.post(kSimple);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto v = bj::parse(r.body).as_object();
    EXPECT_EQ(v["type"], "message");
    EXPECT_EQ(v["role"], "assistant");
    EXPECT_EQ(v["model"], "claude-sonnet-4-5");
    EXPECT_EQ(v["content"].as_array()[0].as_object()["text"], "Hello world");
    EXPECT_EQ(v["stop_reason"], "end_turn");
    auto& u = v["usage"].as_object();
    EXPECT_EQ(u["input_tokens"].to_number<int64_t>(), 20);
    EXPECT_EQ(u["cache_read_input_tokens"].to_number<int64_t>(), 100);
    EXPECT_EQ(u["output_tokens"].to_number<int64_t>(), 2);
    // The upstream got a streaming chat/completions request for the mapped model.
    auto sent = bj::parse(f.upstream.bodies().at(0)).as_object();
    EXPECT_EQ(sent["model"], "main-model");
    EXPECT_EQ(sent["stream"], true);
    EXPECT_EQ(sent["stream_options"].as_object()["include_usage"], true);
}

TEST(Gateway, StreamingEmitsEveryEventInOrder) {
    Fixture f;
    f.upstream.push(text_reply({"a", "b", "c"}, 50, 0));
    auto r = f.post(kSimpleStream);
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "text/event-stream");
    auto ev = sse_events(r.body);
    std::vector<std::string> names;
    for (auto& e : ev) names.push_back(e.first);
    std::vector<std::string> want = {"message_start", "content_block_start", "content_block_delta",
                                     "content_block_delta", "content_block_delta", "content_block_stop",
                                     "message_delta", "message_stop"};
    EXPECT_EQ(names, want) << r.body;
    ASSERT_EQ(ev.size(), want.size());
    auto& md = ev[6].second.as_object();
    EXPECT_EQ(md.at("delta").as_object().at("stop_reason"), "end_turn");
    EXPECT_EQ(md.at("usage").as_object().at("input_tokens").to_number<int64_t>(), 50);
}

TEST(Gateway, HaikuClassGoesToTheSmallModel) {
    Fixture f;
    auto r = f.post(R"({"model":"claude-haiku-4-5-20251001","max_tokens":10,"messages":[{"role":"user","content":"t"}]})");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(bj::parse(f.upstream.bodies().at(0)).as_object()["model"], "small-model");
}

TEST(Gateway, UpstreamErrorsKeepStatusAndMessage) {
    struct Case {
        unsigned upstream;
        unsigned status;
        const char* type;
    } cases[] = {{400, 400, "invalid_request_error"}, {401, 401, "authentication_error"},
                 {404, 404, "not_found_error"},       {429, 429, "rate_limit_error"},
                 {500, 500, "api_error"},             {503, 529, "overloaded_error"}};
    Fixture f;
    for (const auto& c : cases) {
        ScriptedReply rep;
        rep.status = c.upstream;
        rep.chunks = {R"({"error":{"message":"scripted failure )" + std::to_string(c.upstream) + R"(","type":"x"}})"};
        f.upstream.push(rep);
        auto r = f.post(kSimpleStream);
        EXPECT_EQ(r.status, c.status) << r.body;
        auto v = bj::parse(r.body).as_object();
        EXPECT_EQ(v["type"], "error");
        EXPECT_EQ(v["error"].as_object()["type"], c.type);
        EXPECT_NE(std::string(v["error"].as_object()["message"].as_string())
                      .find("scripted failure " + std::to_string(c.upstream)),
                  std::string::npos);
    }
}

TEST(Gateway, UnreachableBackendNamesTheUrl) {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    auto port = a.local_endpoint().port();
    a.close();
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
    Fixture f([&](app::Config& c) { c.backend_url = url; });
    auto r = f.post(kSimpleStream);
    // 400, not 5xx: Claude Code retries every 5xx up to 10 times (see upstream_backend.cpp).
    EXPECT_EQ(r.status, 400u);
    auto v = bj::parse(r.body).as_object();
    EXPECT_EQ(v["error"].as_object()["type"], "invalid_request_error");
    EXPECT_NE(std::string(v["error"].as_object()["message"].as_string()).find(url), std::string::npos) << r.body;
}

TEST(Gateway, ResetMidStreamEndsWithAnErrorEvent) {
    Fixture f;
    auto rep = text_reply({"partial"});
    rep.chunks.resize(2);  // role chunk + one content chunk, then the connection dies
    rep.reset_after_chunks = true;
    f.upstream.push(rep);
    auto r = f.post(kSimpleStream);
    ASSERT_EQ(r.status, 200u);
    auto ev = sse_events(r.body);
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.front().first, "message_start");
    EXPECT_EQ(ev.back().first, "error") << r.body;
    for (auto& e : ev) EXPECT_NE(e.first, "message_stop");
    // Gateway still serves.
    EXPECT_EQ(f.post(kSimple).status, 200u);
}

TEST(Gateway, ContentArrivingWithAnErrorInOneReadIsStreamedBeforeTheError) {
    // Found by fuzzing: when content and an error payload came in the same upstream read, the
    // content's events were dropped but its block was still closed.
    Fixture f;
    auto rep = text_reply({"kept text"});
    rep.chunks.resize(2);  // role chunk + one content chunk
    rep.chunks[1] += R"(data: {"error":{"message":"CUDA error: out of memory","type":"server_error"}})" "\n\n";
    f.upstream.push(rep);
    auto r = f.post(kSimpleStream);
    ASSERT_EQ(r.status, 200u);
    auto ev = sse_events(r.body);
    std::vector<std::string> names;
    for (auto& e : ev) names.push_back(e.first);
    std::string text;
    for (auto& [name, data] : ev)
        if (name == "content_block_delta") text += std::string(data.at("delta").at("text").as_string());
    EXPECT_EQ(text, "kept text") << r.body;
    auto start = std::find(names.begin(), names.end(), "content_block_start");
    auto stop = std::find(names.begin(), names.end(), "content_block_stop");
    ASSERT_NE(start, names.end()) << r.body;
    EXPECT_LT(start, stop) << r.body;
    EXPECT_EQ(names.back(), "error") << r.body;
    EXPECT_NE(r.body.find("CUDA error: out of memory"), std::string::npos);
}

TEST(Gateway, TruncatedOrNonSseUpstreamAnswersEndWithAClearError) {
    // A stream that ends cleanly before its finish_reason, and a 200 whose body is not SSE at all
    // (a proxy's HTML page): streamed, the client gets an error event naming the upstream;
    // not streamed, a 5xx api_error. Never a hang, and the gateway keeps serving.
    auto truncated = text_reply({"half an ans"});
    truncated.chunks.resize(2);  // role chunk + one content chunk, then a clean end
    ScriptedReply html;
    html.chunks = {"<html><body><h1>502 Bad Gateway</h1></body></html>\n"};
    for (const ScriptedReply& rep : {truncated, html}) {
        Fixture f;
        f.upstream.push(rep);
        auto r = f.post(kSimpleStream);
        ASSERT_EQ(r.status, 200u) << r.body;
        auto ev = sse_events(r.body);
        ASSERT_FALSE(ev.empty()) << r.body;
        EXPECT_EQ(ev.front().first, "message_start");
        EXPECT_EQ(ev.back().first, "error") << r.body;
        EXPECT_NE(r.body.find("ended the stream before it finished"), std::string::npos) << r.body;
        f.upstream.push(rep);
        auto whole = f.post(kSimple);
        EXPECT_GE(whole.status, 500u) << whole.body;
        EXPECT_NE(whole.body.find(R"("type":"api_error")"), std::string::npos) << whole.body;
        EXPECT_EQ(f.post(kSimple).status, 200u);
    }
}

TEST(Gateway, ClientDisconnectCancelsTheUpstreamRequest) {
    Fixture f;
    ScriptedReply hang;
    hang.hang = true;
    f.upstream.push(hang);
    {
        net::io_context ioc;
        tcp::socket sock(ioc);
        sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.port()));
        std::string req = "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(kSimpleStream.size()) + "\r\n\r\n" + kSimpleStream;
        net::write(sock, net::buffer(req));
        for (int i = 0; i < 200 && f.upstream.bodies().empty(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_EQ(f.upstream.bodies().size(), 1u);
    }  // client goes away
    auto t0 = std::chrono::steady_clock::now();
    while (f.upstream.closed_by_client() == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(f.upstream.closed_by_client(), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(Gateway, PingsWhileWaitingForTheFirstToken) {
    Fixture f([](app::Config& c) {
        c.commit_grace_ms = 50;
        c.ping_interval_ms = 60;
    });
    auto rep = text_reply({"late"});
    rep.delay_before_headers = std::chrono::milliseconds(400);
    f.upstream.push(rep);
    auto r = f.post(kSimpleStream);
    ASSERT_EQ(r.status, 200u);
    auto ev = sse_events(r.body);
    ASSERT_GE(ev.size(), 3u);
    EXPECT_EQ(ev[0].first, "message_start");
    int pings = 0;
    for (auto& e : ev) pings += e.first == "ping";
    EXPECT_GE(pings, 2) << r.body;
    EXPECT_EQ(ev.back().first, "message_stop");
}

// The max-tokens-cap setting is applied once, in the front door, whatever the backend.
TEST(Gateway, MaxTokensIsCutToTheCap) {
    Fixture f([](app::Config& c) { c.max_tokens_cap = 40; });  // kSimple asks for 100
    f.upstream.push(text_reply({"a"}));
    ASSERT_EQ(f.post(kSimple).status, 200u);
    EXPECT_EQ(bj::parse(f.upstream.bodies().at(0)).as_object()["max_tokens"], 40);
    Fixture g([](app::Config& c) { c.max_tokens_cap = 0; });
    g.upstream.push(text_reply({"a"}));
    ASSERT_EQ(g.post(kSimple).status, 200u);
    EXPECT_EQ(bj::parse(g.upstream.bodies().at(0)).as_object()["max_tokens"], 100);
}

TEST(Gateway, ApiKeyIsRequiredWhenConfigured) {
    Fixture f([](app::Config& c) { c.api_key = "sekret"; });
    auto r = f.post(kSimple);
    EXPECT_EQ(r.status, 401u);
    EXPECT_NE(r.body.find("authentication_error"), std::string::npos);
    EXPECT_EQ(f.post(kSimple, {{"x-api-key", "wrong"}}).status, 401u);
    EXPECT_EQ(f.post(kSimple, {{"x-api-key", "sekret"}}).status, 200u);
    EXPECT_EQ(f.post(kSimple, {{"authorization", "Bearer sekret"}}).status, 200u);
    EXPECT_EQ(http_request(f.port(), "GET", "/health").status, 200u);  // health needs no key
}

TEST(Gateway, UnknownPathsAndMethods) {
    Fixture f;
    auto r = http_request(f.port(), "GET", "/v1/nope");
    EXPECT_EQ(r.status, 404u);
    EXPECT_NE(r.body.find("not_found_error"), std::string::npos);
    EXPECT_EQ(http_request(f.port(), "GET", "/v1/messages").status, 405u);
}

TEST(Gateway, HealthAndModels) {
    Fixture f;
    auto h = bj::parse(http_request(f.port(), "GET", "/health").body).as_object();
    EXPECT_EQ(h["name"], "anyclaude");
    EXPECT_EQ(h["mode"], "openai");
    auto m = http_request(f.port(), "GET", "/v1/models");
    ASSERT_EQ(m.status, 200u);
    auto data = bj::parse(m.body).as_object()["data"].as_array();
    ASSERT_EQ(data.size(), 2u);
    EXPECT_EQ(data[0].as_object()["id"], "main-model");
    EXPECT_EQ(data[1].as_object()["id"], "small-model");
    EXPECT_EQ(http_request(f.port(), "GET", "/v1/models/main-model").status, 200u);
    EXPECT_EQ(http_request(f.port(), "GET", "/v1/models/other").status, 404u);
}

// /health's memory figures are the allocator's: a block allocated in this process (the server
// runs in it) shows in heap_in_use_bytes, and leaves it when freed. Without glibc's malloc (the
// sanitizer build) /health has no such figures.
TEST(Gateway, HealthReportsTheLiveHeap) {
    Fixture f;
    auto health = [&] { return bj::parse(http_request(f.port(), "GET", "/health").body).as_object(); };
    if (!common::heap_stats()) {
        EXPECT_FALSE(health().contains("memory"));
        GTEST_SKIP() << "no allocator figures in this build (not glibc's malloc)";
    }
    auto heap = [&] {
        auto h = health();
        auto& m = h.at("memory").as_object();
        EXPECT_GE(m.at("heap_free_held_bytes").as_int64(), 0);
        return m.at("heap_in_use_bytes").as_int64();
    };
    const int64_t before = heap();
    auto block = std::make_unique<std::vector<char>>(64u << 20, 'x');
    const int64_t during = heap();
    block.reset();
    const int64_t after = heap();
    EXPECT_GE(during - before, int64_t{60} << 20) << before << " -> " << during;
    EXPECT_GE(during - after, int64_t{60} << 20) << during << " -> " << after;
}

TEST(Gateway, CountTokens) {
    Fixture f;
    auto r = http_request(f.port(), "POST", "/v1/messages/count_tokens?beta=true", test::fixture("capture-first.json"));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto n = bj::parse(r.body).as_object()["input_tokens"].to_number<int64_t>();
    EXPECT_GT(n, 5000);  // ~53 KB of Claude Code request
    EXPECT_TRUE(f.upstream.bodies().empty());
}

TEST(Gateway, InvalidRequestsAre400AndNeverReachTheBackend) {
    Fixture f;
    auto r = f.post(R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(r.body.find("max_tokens"), std::string::npos);
    EXPECT_EQ(f.post("{not json").status, 400u);
    EXPECT_TRUE(f.upstream.bodies().empty());
}

TEST(Gateway, ClaudeCodeRequestIsStrippedOfBillingHeaderAndKeepsSystemInPlace) {
    Fixture f;
    auto r = f.post(test::fixture("capture-followup.json"));
    ASSERT_EQ(r.status, 200u) << r.body;
    std::string sent = f.upstream.bodies().at(0);
    EXPECT_EQ(sent.find("x-anthropic-billing-header"), std::string::npos);
    auto msgs = bj::parse(sent).as_object()["messages"].as_array();
    ASSERT_GE(msgs.size(), 4u);
    EXPECT_EQ(msgs[0].as_object()["role"], "system");
    EXPECT_EQ(msgs[1].as_object()["role"], "user");
    EXPECT_EQ(msgs[2].as_object()["role"], "system");  // the environment block stays second
}

TEST(Gateway, LateSystemRejectionFallsBackToUserRoleOnce) {
    Fixture f;
    ScriptedReply reject;
    reject.status = 500;
    reject.chunks = {R"({"error":{"message":"System message must be at the beginning.","type":"server_error"}})"};
    f.upstream.push(reject);
    auto r = f.post(test::fixture("capture-followup.json"));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto bodies = f.upstream.bodies();
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bj::parse(bodies[1]).as_object()["messages"].as_array()[2].as_object()["role"], "user");
    // Learned: the next request goes out as user at once.
    ASSERT_EQ(f.post(test::fixture("capture-followup.json")).status, 200u);
    bodies = f.upstream.bodies();
    ASSERT_EQ(bodies.size(), 3u);
    EXPECT_EQ(bodies[2], bodies[1]);
}

TEST(Gateway, OverloadedWhenTooManyRequestsAreInFlight) {
    Fixture f([](app::Config& c) { c.max_concurrent_requests = 1; });
    ScriptedReply slow = text_reply({"x"});
    slow.delay_before_headers = std::chrono::milliseconds(500);
    f.upstream.push(slow);
    std::thread first([&] { EXPECT_EQ(f.post(kSimple).status, 200u); });
    for (int i = 0; i < 200 && f.upstream.bodies().empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto r = f.post(kSimple);
    EXPECT_EQ(r.status, 529u);
    EXPECT_NE(r.body.find("overloaded_error"), std::string::npos);
    first.join();
}
