// The gateway's web search loop end to end on loopback: a scripted OpenAI-compatible model that
// calls web_search, a second scripted server answering SearXNG's /search, and anyclaude between.
// Checked: the streamed event order and shapes (one message_start; server_tool_use with its input
// as input_json_delta; web_search_tool_result whole; then the text; message_delta with
// web_search_requests), the same as one message for stream:false, max_uses, domain rules, a
// provider that fails, and no provider at all.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/gateway_fixture.hpp"
#include "search/provider.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;

namespace {

std::string chunk(const std::string& delta, const std::string& finish = "null") {
    return R"(data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":)" + delta +
           R"(,"finish_reason":)" + finish + "}]}\n\n";
}

// The model calls web_search with these queries (one call each, in one answer).
ScriptedReply search_call(const std::vector<std::string>& queries) {
    ScriptedReply r;
    for (std::size_t i = 0; i < queries.size(); ++i)
        r.chunks.push_back(chunk(R"({"tool_calls":[{"index":)" + std::to_string(i) + R"(,"id":"call_)" + std::to_string(i) +
                                 R"(","type":"function","function":{"name":"web_search","arguments":"{\"query\":\")" +
                                 queries[i] + R"(\"}"}}]})"));
    r.chunks.push_back(chunk("{}", "\"tool_calls\""));
    r.chunks.push_back(R"(data: {"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":7}})"
                       "\n\n");
    r.chunks.push_back("data: [DONE]\n\n");
    return r;
}

const char* kHits = R"({"query":"q","results":[
  {"url":"https://roo.example.org/speed","title":"Kangaroo speed","content":"Red kangaroos hop at 71 km/h.","publishedDate":"2025-04-30T00:00:00"},
  {"url":"https://spam.example.net/roo","title":"Spam","content":"buy","publishedDate":null}]})";

struct SearchFixture {
    IoThread io;
    ScriptedUpstream searx{io.executor()};
    std::string root() const {
        auto u = searx.base_url();
        return u.substr(0, u.size() - 3);
    }
};

std::string request(bool stream, const std::string& tool_extra = "") {
    return std::string(R"({"model":"claude-haiku-4-5","max_tokens":1000,"stream":)") + (stream ? "true" : "false") +
           R"(,"messages":[{"role":"user","content":"Perform a web search for the query: kangaroo"}],)"
           R"("tools":[{"type":"web_search_20250305","name":"web_search")" + tool_extra + "}]}";
}

// "event: x\ndata: {...}" frames -> their data objects.
std::vector<bj::object> frames(const std::string& sse) {
    std::vector<bj::object> out;
    std::size_t at = 0;
    while ((at = sse.find("data: ", at)) != std::string::npos) {
        auto end = sse.find('\n', at);
        out.push_back(bj::parse(sse.substr(at + 6, end - at - 6)).as_object());
        at = end;
    }
    return out;
}

std::string types(const std::vector<bj::object>& fs) {
    std::string s;
    for (const auto& f : fs) {
        std::string t(f.at("type").as_string());
        if (f.contains("content_block")) t += ":" + std::string(f.at("content_block").at("type").as_string());
        if (t == "ping") continue;
        s += (s.empty() ? "" : " ") + t;
    }
    return s;
}

}  // namespace

TEST(WebSearchGateway, StreamedInAnthropicsOrder) {
    SearchFixture s;
    s.searx.route("GET /search?q=kangaroo%20-site%3Aspam.example.net&format=json&pageno=1", 200, kHits);
    GatewayFixture f([&](app::Config& c) { c.search_url = s.root(); });
    f.upstream.push(search_call({"kangaroo"}));
    f.upstream.push(text_reply({"Red kangaroos hop at 71 km/h ", "(https://roo.example.org/speed)."}, 80));
    auto r = f.post(request(true, R"(,"blocked_domains":["spam.example.net"])"));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto fs = frames(r.body);
    std::erase_if(fs, [](const bj::object& o) { return o.at("type") == "ping"; });
    ASSERT_EQ(fs.size(), 12u) << r.body;
    EXPECT_EQ(types(fs),
              "message_start content_block_start:server_tool_use content_block_delta content_block_stop "
              "content_block_start:web_search_tool_result content_block_stop content_block_start:text content_block_delta "
              "content_block_delta content_block_stop message_delta message_stop");
    const auto& use = fs[1].at("content_block").as_object();
    std::string id(use.at("id").as_string());
    EXPECT_EQ(id.rfind("srvtoolu_", 0), 0u);
    EXPECT_EQ(fs[2].at("delta").at("partial_json"), R"({"query":"kangaroo"})");
    const auto& res = fs[4].at("content_block").as_object();
    EXPECT_EQ(res.at("tool_use_id").as_string(), id);
    const auto& hits = res.at("content").as_array();
    ASSERT_EQ(hits.size(), 1u) << "the blocked domain's hit is filtered";
    EXPECT_EQ(hits[0].at("url"), "https://roo.example.org/speed");
    EXPECT_EQ(hits[0].at("page_age"), "2025-04-30T00:00:00");
    std::vector<int64_t> indices;
    for (const auto& fr : fs)
        if (fr.contains("index")) indices.push_back(fr.at("index").as_int64());
    EXPECT_EQ(indices, (std::vector<int64_t>{0, 0, 0, 1, 1, 2, 2, 2, 2}));
    const auto& usage = fs[10].at("usage").as_object();
    EXPECT_EQ(usage.at("server_tool_use").at("web_search_requests"), 1);
    EXPECT_EQ(usage.at("output_tokens"), 7 + 2) << "both rounds' output";
    EXPECT_EQ(fs[10].at("delta").at("stop_reason"), "end_turn");
    // The model's second round: its call and the hits as a tool result, with the -site: hint sent.
    ASSERT_EQ(f.upstream.bodies().size(), 2u);
    auto second = bj::parse(f.upstream.bodies()[1]).as_object();
    const auto& msgs = second.at("messages").as_array();
    EXPECT_EQ(msgs.at(1).at("tool_calls").at(0).at("id").as_string(), id);
    std::string tool(msgs.at(2).at("content").as_string());
    EXPECT_NE(tool.find("Red kangaroos hop at 71 km/h."), std::string::npos) << tool;
    EXPECT_EQ(tool.find("spam"), std::string::npos) << tool;
    EXPECT_EQ(s.searx.routed_requests(),
              std::vector<std::string>{"GET /search?q=kangaroo%20-site%3Aspam.example.net&format=json&pageno=1"});
}

TEST(WebSearchGateway, OneMessageWhenNotStreamed) {
    SearchFixture s;
    s.searx.route("GET /search?q=kangaroo&format=json&pageno=1", 200, kHits);
    GatewayFixture f([&](app::Config& c) { c.search_url = s.root(); });
    f.upstream.push(search_call({"kangaroo"}));
    f.upstream.push(text_reply({"71 km/h."}));
    auto r = f.post(request(false));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto m = bj::parse(r.body).as_object();
    const auto& c = m.at("content").as_array();
    ASSERT_EQ(c.size(), 3u) << r.body;
    EXPECT_EQ(c[0].at("type"), "server_tool_use");
    EXPECT_EQ(c[0].at("input"), bj::parse(R"({"query":"kangaroo"})"));
    EXPECT_EQ(c[1].at("type"), "web_search_tool_result");
    EXPECT_EQ(c[1].at("content").as_array().size(), 2u);
    EXPECT_EQ(c[2].at("text"), "71 km/h.");
    EXPECT_EQ(m.at("usage").at("server_tool_use").at("web_search_requests"), 1);
}

TEST(WebSearchGateway, MaxUsesIsHonoured) {
    SearchFixture s;
    for (auto q : {"a", "b", "c"}) s.searx.route(std::string("GET /search?q=") + q + "&format=json&pageno=1", 200, kHits);
    GatewayFixture f([&](app::Config& c) { c.search_url = s.root(); });
    f.upstream.push(search_call({"a", "b"}));  // two in one answer
    f.upstream.push(search_call({"c"}));       // a third: over max_uses 2
    f.upstream.push(text_reply({"done"}));
    auto r = f.post(request(false, R"(,"max_uses":2)"));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto m = bj::parse(r.body).as_object();
    const auto& c = m.at("content").as_array();
    ASSERT_EQ(c.size(), 7u) << r.body;
    EXPECT_TRUE(c[2].at("content").is_array());
    EXPECT_TRUE(c[3].at("content").is_array());
    EXPECT_EQ(c[5].at("content").at("error_code"), "max_uses_exceeded");
    EXPECT_EQ(m.at("usage").at("server_tool_use").at("web_search_requests"), 2);
    EXPECT_EQ(s.searx.routed_requests().size(), 2u) << "the third query never reached the provider";
    EXPECT_EQ(f.upstream.bodies().size(), 3u);
}

TEST(WebSearchGateway, AModelThatNeverStopsSearchingEnds) {
    SearchFixture s;
    s.searx.route("GET /search?q=a&format=json&pageno=1", 200, kHits);
    GatewayFixture f([&](app::Config& c) { c.search_url = s.root(); });
    for (int i = 0; i < 10; ++i) f.upstream.push(search_call({"a"}));
    auto r = f.post(request(false, R"(,"max_uses":1)"));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto m = bj::parse(r.body).as_object();
    EXPECT_EQ(m.at("stop_reason"), "end_turn");
    EXPECT_EQ(f.upstream.bodies().size(), 3u) << "max_uses + 2 rounds at most";
}

TEST(WebSearchGateway, NoProviderTellsTheModelHowToConfigureOne) {
    GatewayFixture f;
    f.upstream.push(search_call({"kangaroo"}));
    f.upstream.push(text_reply({"Search is off."}));
    auto r = f.post(request(false));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto m = bj::parse(r.body).as_object();
    EXPECT_EQ(m.at("content").at(1).at("content"), bj::parse(R"({"type":"web_search_tool_result_error","error_code":"unavailable"})"));
    EXPECT_FALSE(m.at("usage").as_object().contains("server_tool_use")) << "no search ran";
    std::string tool(bj::parse(f.upstream.bodies()[1]).at("messages").at(2).at("content").as_string());
    EXPECT_EQ(tool, "Error: Web search error (unavailable): " + std::string(search::kNotConfigured));
}

TEST(WebSearchGateway, AFailingProviderIsAnErrorResultNotAFailedRequest) {
    SearchFixture s;
    s.searx.route("GET /search?q=kangaroo&format=json&pageno=1", 500, "boom");
    GatewayFixture f([&](app::Config& c) { c.search_url = s.root(); });
    f.upstream.push(search_call({"kangaroo"}));
    f.upstream.push(text_reply({"The search failed."}));
    auto r = f.post(request(true));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto fs = frames(r.body);
    std::erase_if(fs, [](const bj::object& o) { return o.at("type") == "ping"; });
    EXPECT_EQ(fs[4].at("content_block").at("content").at("error_code"), "unavailable");
    std::string tool(bj::parse(f.upstream.bodies()[1]).at("messages").at(2).at("content").as_string());
    EXPECT_NE(tool.find("answered HTTP 500"), std::string::npos) << tool;
}

// The next turn sends the blocks back: the backend sees a tool call and its result, and no
// web_search tool is offered when the client no longer sends it.
TEST(WebSearchGateway, HistoryWithSearchBlocksReachesTheBackendAsToolTurns) {
    GatewayFixture f;
    f.upstream.push(text_reply({"ok"}));
    auto r = f.post(R"({"model":"claude-x","max_tokens":100,"messages":[{"role":"user","content":"q"},)"
                    R"({"role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},)"
                    R"({"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://a.com","title":"A","encrypted_content":"acws1.aGk=","page_age":null}]},)"
                    R"({"type":"text","text":"A says hi."}]},{"role":"user","content":"more?"}]})");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto body = bj::parse(f.upstream.bodies().at(0)).as_object();
    EXPECT_FALSE(body.contains("tools"));
    const auto& msgs = body.at("messages").as_array();
    ASSERT_EQ(msgs.size(), 5u) << f.upstream.bodies()[0];
    EXPECT_EQ(msgs[1].at("tool_calls").at(0).at("function").at("name"), "web_search");
    EXPECT_EQ(msgs[2].at("role"), "tool");
    EXPECT_EQ(msgs[2].at("content"), "Web search results for query: \"q\"\n\n[1] A\nURL: https://a.com\nhi\n");
    EXPECT_EQ(msgs[3].at("content"), "A says hi.");
    EXPECT_EQ(msgs[4].at("content"), "more?");
}
