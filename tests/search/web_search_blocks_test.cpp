// The gateway's web search blocks: the function tool a model is offered, encrypted_content that
// carries the snippet back, what the model reads for results and errors, and the history
// rewrite (server blocks -> tool_use / tool_result) that backends see.
#include <gtest/gtest.h>

#include "search/web_search_blocks.hpp"
#include "ir/ids.hpp"

namespace anyclaude::search {
namespace {

ir::ContentBlock use(const std::string& id, const std::string& query) {
    ir::ContentBlock b = ir::ContentBlock::make_tool_use(id, "web_search", R"({"query":")" + query + R"("})");
    b.kind = ir::BlockKind::server_tool_use;
    return b;
}

ir::ContentBlock result(const std::string& id, std::vector<ir::WebSearchResult> hits, std::string error = {}) {
    ir::ContentBlock b;
    b.kind = ir::BlockKind::web_search_tool_result;
    b.id = id;
    b.search_results = std::move(hits);
    b.error_code = std::move(error);
    return b;
}

TEST(WebSearchBlocks, FunctionToolNamesTheRules) {
    ir::WebSearchTool ws;
    ws.allowed_domains = {"docs.rs"};
    ws.city = "Sydney";
    ws.country = "AU";
    auto t = function_tool(ws);
    EXPECT_EQ(t.name, "web_search");
    EXPECT_NE(t.description.find("Only results from these domains are returned: docs.rs."), std::string::npos);
    EXPECT_NE(t.description.find("The user is in Sydney, AU."), std::string::npos);
    EXPECT_EQ(t.input_schema_json,
              R"({"type":"object","properties":{"query":{"type":"string","description":"The search query"}},"required":["query"]})");
    auto id = ir::new_server_tool_id();
    EXPECT_EQ(id.rfind("srvtoolu_", 0), 0u);
    EXPECT_EQ(id.size(), 9u + 24u);
}

TEST(WebSearchBlocks, EncryptedContentCarriesTheSnippet) {
    for (std::string s : {"", "a", "ab", "abc", "Red kangaroos hop at 71 km/h — «vite»."}) {
        auto e = encode_snippet(s);
        EXPECT_EQ(e.rfind("acws1.", 0), 0u);
        EXPECT_EQ(decode_snippet(e), s);
    }
    EXPECT_EQ(decode_snippet("EqgfCioIARgB"), "") << "Anthropic's own content is not ours";
    EXPECT_EQ(query_of(R"({"query":"q1"})"), "q1");
    EXPECT_EQ(query_of(R"({"q":"x"})"), "");
    EXPECT_EQ(query_of("not json"), "");
}

TEST(WebSearchBlocks, WhatTheModelReads) {
    auto r = result("s1", {to_result({"https://a.com/x", "A title", "The page says hi.", "2 days ago"}),
                           to_result({"https://b.com/", "B", "", ""})});
    EXPECT_EQ(result_text("hello", r),
              "Web search results for query: \"hello\"\n\n[1] A title\nURL: https://a.com/x\nAge: 2 days ago\n"
              "The page says hi.\n\n[2] B\nURL: https://b.com/\n");
    EXPECT_EQ(result_text("q", result("s", {})), "No web search results for query: \"q\"");
    EXPECT_EQ(result_text("q", result("s", {}, "unavailable"), "SearXNG could not be reached"),
              "Web search error (unavailable): SearXNG could not be reached");
    EXPECT_EQ(error_text("unavailable", false), std::string(kNotConfigured));
    EXPECT_NE(error_text("max_uses_exceeded", true).find("limit"), std::string::npos);
}

TEST(WebSearchBlocks, HistoryIsRewrittenForBackends) {
    ir::Request req;
    req.web_search = ir::WebSearchTool{};
    req.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("search it")}});
    req.messages.push_back({ir::Role::assistant,
                            {ir::ContentBlock::make_text("Searching."), use("s1", "kangaroo"),
                             result("s1", {to_result({"https://a.com", "A", "hops", ""})}),
                             ir::ContentBlock::make_text("It hops."), use("s2", "more"), result("s2", {}, "unavailable")}});
    req.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("thanks")}});
    RewriteOptions opt;
    opt.add_tool = true;
    auto r = for_backend(req, opt);
    EXPECT_FALSE(r.web_search);
    ASSERT_EQ(r.tools.size(), 1u);
    EXPECT_EQ(r.tools[0].name, "web_search");
    ASSERT_EQ(r.messages.size(), 5u);
    // assistant [text, tool_use s1] / user [tool_result s1] / assistant [text, tool_use s2] / user [tool_result s2, "thanks"]
    EXPECT_EQ(r.messages[1].role, ir::Role::assistant);
    ASSERT_EQ(r.messages[1].content.size(), 2u);
    EXPECT_EQ(r.messages[1].content[1].kind, ir::BlockKind::tool_use);
    EXPECT_EQ(r.messages[1].content[1].id, "s1");
    EXPECT_EQ(r.messages[2].role, ir::Role::user);
    EXPECT_EQ(r.messages[2].content[0].kind, ir::BlockKind::tool_result);
    EXPECT_EQ(r.messages[2].content[0].content[0].text, "Web search results for query: \"kangaroo\"\n\n[1] A\nURL: https://a.com\nhops\n");
    EXPECT_EQ(r.messages[3].content[0].text, "It hops.");
    ASSERT_EQ(r.messages[4].content.size(), 2u);
    EXPECT_TRUE(r.messages[4].content[0].is_error);
    EXPECT_EQ(r.messages[4].content[0].content[0].text, "Web search error (unavailable): " + std::string(kNotConfigured));
    EXPECT_EQ(r.messages[4].content[1].text, "thanks");
    EXPECT_FALSE(has_server_blocks(r));
    // No server blocks: the request is passed as it is (plus the tool).
    ir::Request plain;
    plain.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("hi")}});
    EXPECT_EQ(for_backend(plain, {}).messages.size(), 1u);
}

}  // namespace
}  // namespace anyclaude::search
