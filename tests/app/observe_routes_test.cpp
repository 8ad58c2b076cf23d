// The gateway's observation routes on loopback: the status page at / (JSON clients still get
// /health's answer there), /metrics and /status.json under the API's key rule, --metrics false,
// the request log's file (no bodies, no keys), and `anyclaude status`'s text from /status.json.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/gateway_fixture.hpp"
#include "app/status_command.hpp"
#include "support/test_support.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;

namespace {

const std::string kBody =
    R"({"model":"claude-sonnet-4-5","stream":true,"max_tokens":50,"messages":[{"role":"user","content":"SECRET-PROMPT-TEXT"}]})";

SimpleResponse get(const GatewayFixture& f, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& h = {}) {
    return http_request(f.port(), "GET", target, "", h);
}

}  // namespace

TEST(ObserveRoutes, PageAtRootJsonClientsStillGetHealth) {
    GatewayFixture f;
    auto page = get(f, "/");
    EXPECT_EQ(page.status, 200u);
    EXPECT_EQ(page.content_type.rfind("text/html", 0), 0u);
    EXPECT_NE(page.body.find("<title>anyclaude status</title>"), std::string::npos);
    EXPECT_NE(page.body.find("/status.json"), std::string::npos);  // the script is inlined
    EXPECT_EQ(page.body.find("<script src="), std::string::npos);
    auto health = get(f, "/", {{"Accept", "application/json"}});
    EXPECT_EQ(health.status, 200u);
    EXPECT_EQ(bj::parse(health.body).as_object().at("name").as_string(), "anyclaude");
    EXPECT_EQ(bj::parse(get(f, "/health").body).as_object().at("status").as_string(), "ok");
}

TEST(ObserveRoutes, MetricsAndStatusCountARequest) {
    GatewayFixture f;
    f.upstream.push(text_reply({"Hi"}, 40, 30));
    ASSERT_EQ(f.post(kBody, {{"X-Claude-Code-Session-Id", "sess-1"}}).status, 200u);
    auto m = get(f, "/metrics");
    ASSERT_EQ(m.status, 200u);
    EXPECT_EQ(m.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
    EXPECT_NE(m.body.find("anyclaude_requests_total{backend=\"openai\",model=\"main-model\",route=\"messages\",status=\"200\"} 1"),
              std::string::npos) << m.body;
    EXPECT_NE(m.body.find("anyclaude_prompt_tokens_reused_total{tier=\"backend\"} 30"), std::string::npos);
    auto st = get(f, "/status.json");
    ASSERT_EQ(st.status, 200u);
    auto o = bj::parse(st.body).as_object();
    auto reqs = o.at("requests").as_array();
    ASSERT_EQ(reqs.size(), 1u);  // the scrape and this poll are not requests of a session
    EXPECT_EQ(reqs[0].as_object().at("session").as_string(), "sess-1");
    EXPECT_EQ(o.at("sessions").as_array()[0].as_object().at("key").as_string(), "sess-1");
    std::string why;
    const std::string text = app::format_status(st.body, &why);
    EXPECT_NE(text.find("sess-1"), std::string::npos) << why;
    EXPECT_NE(text.find("main-model"), std::string::npos) << text;
}

TEST(ObserveRoutes, KeyNeededForDataNotForThePage) {
    GatewayFixture f([](app::Config& c) { c.api_key = "k-1"; });
    EXPECT_EQ(get(f, "/").status, 200u);  // the login form; it carries no data
    EXPECT_EQ(get(f, "/metrics").status, 401u);
    EXPECT_EQ(get(f, "/status.json").status, 401u);
    EXPECT_EQ(get(f, "/status.json", {{"x-api-key", "wrong"}}).status, 401u);
    EXPECT_EQ(get(f, "/metrics", {{"x-api-key", "k-1"}}).status, 200u);
    EXPECT_EQ(get(f, "/status.json", {{"Authorization", "Bearer k-1"}}).status, 200u);
}

TEST(ObserveRoutes, MetricsOffAnswers404) {
    GatewayFixture f([](app::Config& c) { c.metrics = false; });
    EXPECT_EQ(get(f, "/metrics").status, 404u);
}

TEST(ObserveRoutes, RequestLogHasNoBodiesOrKeys) {
    auto path = std::filesystem::path(testing::TempDir()) / "anyclaude-observe-routes.jsonl";
    std::filesystem::remove(path);
    {
        GatewayFixture f([&](app::Config& c) { c.request_log = path.string(); });
        f.upstream.push(text_reply({"Hi"}, 40, 0));
        ASSERT_EQ(f.post(kBody, {{"x-api-key", "sk-SECRET-KEY"}}).status, 200u);
    }
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
    auto o = bj::parse(text).as_object();
    EXPECT_EQ(o.at("model_asked").as_string(), "claude-sonnet-4-5");
    EXPECT_EQ(o.at("model_served").as_string(), "main-model");
    EXPECT_EQ(o.at("stop_reason").as_string(), "end_turn");
}
