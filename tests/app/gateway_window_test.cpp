// The gateway and a model's context window, end to end on loopback: the window each kind of
// backend tells (scripted answers of its endpoints), prompts over it answered as Claude Code
// understands best, max_tokens sized to fit, /health/backend, model-id mapping and usage.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/gateway_fixture.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;

namespace {

// A request whose prompt ir::estimate_tokens puts at about `tokens` (4 bytes a token).
std::string request(int64_t tokens, bool stream, const std::string& model = "claude-sonnet-4-5",
                    int64_t max_tokens = 32000) {
    std::string text(static_cast<std::size_t>(tokens * 4), 'x');
    return R"({"model":")" + model + R"(","max_tokens":)" + std::to_string(max_tokens) +
           R"(,"stream":)" + (stream ? "true" : "false") + R"(,"messages":[{"role":"user","content":")" + text +
           R"("}]})";
}

bj::object json_of(const SimpleResponse& r) { return bj::parse(r.body).as_object(); }

std::string error_message(const SimpleResponse& r) {
    return std::string(json_of(r).at("error").as_object().at("message").as_string());
}

int64_t sent_max_tokens(const GatewayFixture& f, std::size_t i) {
    return bj::parse(f.upstream.bodies().at(i)).as_object().at("max_tokens").to_number<int64_t>();
}

bj::object backend_health(const GatewayFixture& f) {
    auto r = http_request(f.port(), "GET", "/health/backend");
    EXPECT_EQ(r.status, 200u);
    return json_of(r);
}

const char* kProps = R"({"default_generation_settings":{"n_ctx":4096,"params":{}},"total_slots":1})";

}  // namespace

TEST(GatewayWindow, LlamaServerPropsTellTheWindowAndMaxTokensIsFitted) {
    GatewayFixture f;
    f.upstream.route("GET /props", 200, kProps);
    auto r = f.post(request(100, false));
    ASSERT_EQ(r.status, 200u) << r.body;
    // 32000 asked; 4096 minus the ~100-token prompt fits.
    const int64_t sent = sent_max_tokens(f, 0);
    EXPECT_LT(sent, 4096 - 90);
    EXPECT_GT(sent, 4096 - 120);
    auto h = backend_health(f);
    EXPECT_EQ(h.at("reachable"), true);
    EXPECT_EQ(h.at("model"), "main-model");
    EXPECT_EQ(h.at("context_window").to_number<int64_t>(), 4096);
    EXPECT_EQ(h.at("window_source"), "llama-server /props");
    EXPECT_EQ(h.at("problem"), "");
    EXPECT_EQ(h.at("fix"), "");
    auto health = json_of(http_request(f.port(), "GET", "/health"));
    EXPECT_EQ(health.at("context_window").to_number<int64_t>(), 4096);
    EXPECT_EQ(health.at("window_source"), "llama-server /props");
}

TEST(GatewayWindow, APromptClearlyOverTheWindowIsRefusedBeforeAnySseByte) {
    GatewayFixture f;
    f.upstream.route("GET /props", 200, kProps);
    for (bool stream : {true, false}) {
        auto r = f.post(request(6000, stream));
        ASSERT_EQ(r.status, 400u) << r.body;
        EXPECT_EQ(r.content_type, "application/json");
        auto e = json_of(r).at("error").as_object();
        EXPECT_EQ(e.at("type"), "invalid_request_error");
        EXPECT_TRUE(std::string(e.at("message").as_string()).ends_with(" tokens > 4096 maximum")) << r.body;
        EXPECT_TRUE(std::string(e.at("message").as_string()).starts_with("prompt is too long: 6")) << r.body;
    }
    EXPECT_TRUE(f.upstream.bodies().empty()) << "never sent upstream";
}

// Near the window the backend's exact count decides, and its late answer must still be a plain
// HTTP 400 (an SSE error after message_start costs Claude Code a non-streamed resend).
TEST(GatewayWindow, ABackendsContextErrorAfterTheUsualGraceIsStillAPlain400) {
    GatewayFixture f([](app::Config& c) { c.commit_grace_ms = 50; });
    f.upstream.route("GET /props", 200, kProps);
    ScriptedReply over;
    over.status = 400;
    over.delay_before_headers = std::chrono::milliseconds(400);
    over.chunks = {R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":4200,"n_ctx":4096}})"};
    f.upstream.push(over);
    auto r = f.post(request(3900, true));
    ASSERT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(error_message(r), "prompt is too long: 4200 tokens > 4096 maximum");
}

TEST(GatewayWindow, AMaxTokensOverflowIsRetriedWithWhatFits) {
    GatewayFixture f;  // no endpoint tells the window: only the error does
    ScriptedReply too_much;
    too_much.status = 400;
    too_much.chunks = {R"({"error":{"message":"'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 12000 input tokens (32000 > 32768 - 12000). None","type":"BadRequestError","param":null,"code":400}})"};
    f.upstream.push(too_much);
    auto r = f.post(request(100, true));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_NE(r.body.find("message_stop"), std::string::npos) << r.body;
    ASSERT_EQ(f.upstream.bodies().size(), 2u);
    EXPECT_EQ(sent_max_tokens(f, 0), 32000);
    EXPECT_EQ(sent_max_tokens(f, 1), 32768 - 12000);
    // The error's window is learned for the next request.
    EXPECT_EQ(backend_health(f).at("context_window").to_number<int64_t>(), 32768);
}

TEST(GatewayWindow, LmStudiosErrorWithoutNumbersGetsTheProbedWindow) {
    GatewayFixture f;
    f.upstream.route("GET /api/v0/models", 200,
                     R"({"data":[{"id":"main-model","state":"loaded","max_context_length":131072,"loaded_context_length":2000}]})");
    ScriptedReply over;
    over.status = 400;
    over.chunks = {R"({"error":"The number of tokens to keep from the initial prompt is greater than the context length. Try to load the model with a larger context length, or provide a shorter input"})"};
    f.upstream.push(over);
    auto r = f.post(request(1900, true));
    ASSERT_EQ(r.status, 400u) << r.body;
    // N is at least M + 1: the backend said it is over.
    EXPECT_EQ(error_message(r), "prompt is too long: 2001 tokens > 2000 maximum");
    EXPECT_EQ(backend_health(f).at("window_source"), "LM Studio /api/v0/models loaded_context_length");
}

// Ollama drops the start of the conversation to fit num_ctx instead of refusing: over the
// probed window at all is refused here.
TEST(GatewayWindow, OllamaIsNeverSentAPromptOverItsWindow) {
    GatewayFixture f;
    f.upstream.route("GET /api/ps", 200, R"({"models":[{"name":"main-model:latest","model":"main-model:latest","context_length":2000}]})");
    auto r = f.post(request(2100, true));
    ASSERT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(error_message(r).ends_with(" tokens > 2000 maximum")) << r.body;
    EXPECT_TRUE(f.upstream.bodies().empty());
    EXPECT_EQ(f.post(request(1500, true)).status, 200u);
}

TEST(GatewayWindow, TheSettingOverridesWhatTheBackendSays) {
    GatewayFixture f([](app::Config& c) { c.context_window = 3000; });
    f.upstream.route("GET /props", 200, kProps);
    auto h = backend_health(f);
    EXPECT_EQ(h.at("context_window").to_number<int64_t>(), 3000);
    EXPECT_EQ(h.at("window_source"), "setting context-window");
    EXPECT_EQ(f.post(request(4000, false)).status, 400u);
}

TEST(GatewayWindow, NothingTellsTheWindow) {
    GatewayFixture f;
    auto h = backend_health(f);
    EXPECT_EQ(h.at("reachable"), true);
    EXPECT_EQ(h.at("context_window").to_number<int64_t>(), 32768);
    EXPECT_EQ(h.at("window_source"), "default");
    EXPECT_EQ(h.at("problem"), "");
    // Only reported: a prompt over the default is the backend's to judge.
    EXPECT_EQ(f.post(request(50000, false, "claude-sonnet-4-5", 100)).status, 200u);
    EXPECT_EQ(sent_max_tokens(f, 0), 100);
}

TEST(GatewayWindow, BackendHealthNamesAServerThatIsNotAnswering) {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const std::string url = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/v1";
    a.close();
    for (const std::string mode : {"lmstudio", "openai"}) {
        GatewayFixture f([&](app::Config& c) {
            c.mode = mode;
            c.backend_url = url;
        });
        auto h = backend_health(f);
        EXPECT_EQ(h.at("reachable"), false);
        EXPECT_TRUE(h.at("context_window").is_null());
        const std::string who = mode == "lmstudio" ? "LM Studio is not answering at " : "no OpenAI-compatible server is answering at ";
        EXPECT_EQ(std::string(h.at("problem").as_string()), who + url);
        EXPECT_NE(std::string(h.at("fix").as_string()).find("--backend-url URL"), std::string::npos);
        // Requests get the same words at once, as a status Claude Code does not retry.
        auto r = f.post(request(10, true));
        EXPECT_EQ(r.status, 400u) << r.body;
        EXPECT_TRUE(error_message(r).starts_with(who + url)) << r.body;
    }
}

TEST(GatewayWindow, BackendHealthSaysWhenNoModelIsLoaded) {
    GatewayFixture f([](app::Config& c) {
        c.mode = "lmstudio";
        c.model = "";
        c.small_model = "";
    });
    f.upstream.route("GET /v1/models", 200, R"({"object":"list","data":[]})");
    auto h = backend_health(f);
    EXPECT_EQ(h.at("reachable"), true);
    EXPECT_EQ(h.at("model"), "");
    EXPECT_EQ(std::string(h.at("problem").as_string()), "no model is loaded in LM Studio at " + f.upstream.base_url());
    EXPECT_NE(std::string(h.at("fix").as_string()).find("lms load"), std::string::npos);
}

TEST(GatewayWindow, IdsTheBackendDoesNotServeGoToTheConfiguredModels) {
    GatewayFixture f;
    struct Case {
        const char* client;
        const char* upstream;
    } cases[] = {
        {"qwen3-coder-30b", "main-model"},          // any id it does not serve, not only Claude ones
        {"claude-opus-5-5", "main-model"},
        {"my-haiku-tune", "small-model"},            // haiku-class -> the small model
        {"small-model", "small-model"},              // configured ids stay
        {"scripted-model", "scripted-model"},        // an id its /models lists stays
    };
    f.post(request(10, false));  // the first request learns what the upstream lists
    for (const auto& c : cases) {
        auto n = f.upstream.bodies().size();
        ASSERT_EQ(f.post(request(10, false, c.client)).status, 200u);
        EXPECT_EQ(bj::parse(f.upstream.bodies().at(n)).as_object().at("model"), c.upstream) << c.client;
    }
}

// Claude Code merges message_delta's usage over message_start's field by field, but only fields
// above 0: a wholly cached prompt (input 0) would leave message_start's estimate standing.
TEST(GatewayWindow, AWhollyCachedPromptStillReplacesTheEstimate) {
    GatewayFixture f;
    f.upstream.push(text_reply({"ok"}, 120, 120));
    auto r = f.post(request(10, true));
    ASSERT_EQ(r.status, 200u);
    auto at = r.body.find("event: message_delta");
    ASSERT_NE(at, std::string::npos);
    auto data = r.body.substr(r.body.find("data: ", at) + 6);
    auto usage = bj::parse(data.substr(0, data.find('\n'))).as_object().at("usage").as_object();
    EXPECT_EQ(usage.at("input_tokens").to_number<int64_t>(), 1);
    EXPECT_EQ(usage.at("cache_read_input_tokens").to_number<int64_t>(), 119);
    EXPECT_EQ(usage.at("cache_creation_input_tokens").to_number<int64_t>(), 0);
    EXPECT_EQ(usage.at("output_tokens").to_number<int64_t>(), 1);
}
