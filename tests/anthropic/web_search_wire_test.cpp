// Anthropic's web search on the wire, as documented for the Messages API: the server tool
// decoded from a request (and its validation), server_tool_use / web_search_tool_result blocks
// sent back in history, and the blocks as the gateway answers them, streamed (content_block_start
// for server_tool_use with input as input_json_delta, web_search_tool_result with its whole
// content) and not (one message), with usage.server_tool_use.web_search_requests.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "anthropic/decode_helpers.hpp"
#include "anthropic/sse_encoder.hpp"
#include "anthropic/message_aggregator.hpp"

namespace anyclaude::anthropic {
namespace {

using test::body;
using test::decode_error;
using test::decode_ok;

std::string sse(const ir::Event& ev) {
    std::string out;
    encode_sse(ev, out);
    return out;
}

ir::WebSearchResult shannon() {
    return {"https://en.wikipedia.org/wiki/Claude_Shannon", "Claude Shannon - Wikipedia", "April 30, 2025",
            "acws1.Qm9ybiAxOTE2"};
}

TEST(WebSearchWire, ServerToolIsDecodedWithItsSettings) {
    auto req = decode_ok(body(R"("tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5,)"
                              R"("allowed_domains":["example.com","docs.example.org/api"],)"
                              R"("user_location":{"type":"approximate","city":"San Francisco","region":"California",)"
                              R"("country":"US","timezone":"America/Los_Angeles"}}])"));
    ASSERT_TRUE(req.web_search);
    EXPECT_TRUE(req.tools.empty()) << "a server tool is no function tool";
    EXPECT_EQ(req.web_search->type, "web_search_20250305");
    EXPECT_EQ(req.web_search->max_uses, 5);
    EXPECT_EQ(req.web_search->allowed_domains, (std::vector<std::string>{"example.com", "docs.example.org/api"}));
    EXPECT_EQ(req.web_search->country, "US");
    EXPECT_EQ(req.web_search->city, "San Francisco");
    // Later dated versions are the same tool.
    EXPECT_TRUE(decode_ok(body(R"("tools":[{"type":"web_search_20260209","name":"web_search"}])")).web_search);
    // Other server tools are still skipped.
    EXPECT_FALSE(decode_ok(body(R"("tools":[{"type":"bash_20250124","name":"bash"}])")).web_search);
}

TEST(WebSearchWire, ServerToolSettingsAreValidated) {
    EXPECT_EQ(decode_error(body(R"("tools":[{"type":"web_search_20250305","name":"web_search","max_uses":0}])")),
              "tools.0.max_uses: Input should be greater than 0");
    EXPECT_EQ(decode_error(body(R"("tools":[{"type":"web_search_20250305","name":"web_search",)"
                                R"("allowed_domains":["a.com"],"blocked_domains":["b.com"]}])")),
              "tools.0: Cannot specify both allowed_domains and blocked_domains");
    EXPECT_EQ(decode_error(body(R"("tools":[{"type":"web_search_20250305","name":"web_search","blocked_domains":[1]}])")),
              "tools.0.blocked_domains: Input should be a valid list of strings");
}

// The documented response content, sent back as the next turn's history.
TEST(WebSearchWire, HistoryBlocksAreDecoded) {
    auto req = decode_ok(test::with_messages(
        R"([{"role":"user","content":"When was Claude Shannon born?"},)"
        R"({"role":"assistant","content":[{"type":"text","text":"I'll search."},)"
        R"({"type":"server_tool_use","id":"srvtoolu_01WYG3ziw53XMcoyKL4XcZmE","name":"web_search","input":{"query":"claude shannon birth date"}},)"
        R"({"type":"web_search_tool_result","tool_use_id":"srvtoolu_01WYG3ziw53XMcoyKL4XcZmE","content":[)"
        R"({"type":"web_search_result","url":"https://en.wikipedia.org/wiki/Claude_Shannon","title":"Claude Shannon - Wikipedia","encrypted_content":"EqgfCioIARgB","page_age":"April 30, 2025"}]},)"
        R"({"type":"text","text":"He was born in 1916.","citations":[{"type":"web_search_result_location","url":"https://en.wikipedia.org/wiki/Claude_Shannon","title":"Claude Shannon - Wikipedia","encrypted_index":"Eo8BCioIAhgB","cited_text":"Claude Elwood Shannon (April 30, 1916"}]},)"
        R"({"type":"server_tool_use","id":"srvtoolu_2","name":"web_search","input":{"query":"x"}},)"
        R"({"type":"web_search_tool_result","tool_use_id":"srvtoolu_2","content":{"type":"web_search_tool_result_error","error_code":"max_uses_exceeded"}}]},)"
        R"({"role":"user","content":"thanks"}])"));
    const auto& a = req.messages[1].content;
    ASSERT_EQ(a.size(), 6u);
    EXPECT_EQ(a[1].kind, ir::BlockKind::server_tool_use);
    EXPECT_EQ(a[1].input_json, R"({"query":"claude shannon birth date"})");
    EXPECT_EQ(a[2].kind, ir::BlockKind::web_search_tool_result);
    EXPECT_EQ(a[2].id, "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE");
    ASSERT_EQ(a[2].search_results.size(), 1u);
    EXPECT_EQ(a[2].search_results[0].page_age, "April 30, 2025");
    EXPECT_EQ(a[2].search_results[0].encrypted_content, "EqgfCioIARgB");
    EXPECT_EQ(a[5].error_code, "max_uses_exceeded");
    EXPECT_EQ(decode_error(test::with_messages(
                  R"([{"role":"assistant","content":[{"type":"web_search_tool_result","tool_use_id":"s","content":"x"}]}])")),
              "messages.0.content.0.content: Input should be a valid list or an error object");
}

TEST(WebSearchWire, StreamedBlocksInTheDocumentedShapes) {
    ir::BlockStart use{1, ir::BlockKind::server_tool_use, "srvtoolu_xyz789", "web_search"};
    EXPECT_EQ(sse(use), "event: content_block_start\n"
                        R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use",)"
                        R"("id":"srvtoolu_xyz789","name":"web_search","input":{}}})"
                        "\n\n");
    EXPECT_EQ(sse(ir::BlockDelta{1, ir::DeltaKind::input_json, R"({"query":"quantum"})"}),
              "event: content_block_delta\n"
              R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"quantum\"}"}})"
              "\n\n");
    ir::BlockStart result{2, ir::BlockKind::web_search_tool_result, "srvtoolu_xyz789", ""};
    result.search_results = {shannon(), {"https://example.com/x", "X", "", "acws1."}};
    EXPECT_EQ(sse(result),
              "event: content_block_start\n"
              R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"web_search_tool_result",)"
              R"("tool_use_id":"srvtoolu_xyz789","content":[)"
              R"({"type":"web_search_result","url":"https://en.wikipedia.org/wiki/Claude_Shannon","title":"Claude Shannon - Wikipedia","encrypted_content":"acws1.Qm9ybiAxOTE2","page_age":"April 30, 2025"},)"
              R"({"type":"web_search_result","url":"https://example.com/x","title":"X","encrypted_content":"acws1.","page_age":null}]}})"
              "\n\n");
    ir::BlockStart error{2, ir::BlockKind::web_search_tool_result, "srvtoolu_xyz789", ""};
    error.error_code = "unavailable";
    EXPECT_EQ(sse(error),
              "event: content_block_start\n"
              R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"web_search_tool_result",)"
              R"("tool_use_id":"srvtoolu_xyz789","content":{"type":"web_search_tool_result_error","error_code":"unavailable"}}})"
              "\n\n");
    ir::MessageDelta md;
    md.usage.input_tokens = 6039;
    md.usage.output_tokens = 931;
    md.usage.web_search_requests = 1;
    EXPECT_EQ(sse(md), "event: message_delta\n"
                       R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},)"
                       R"("usage":{"input_tokens":6039,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
                       R"("output_tokens":931,"server_tool_use":{"web_search_requests":1}}})"
                       "\n\n");
}

// stream:false: the documented example's content order and fields.
TEST(WebSearchWire, OneMessageInTheDocumentedShape) {
    MessageAggregator agg;
    ir::Usage u;
    u.input_tokens = 6039;
    ir::BlockStart result{2, ir::BlockKind::web_search_tool_result, "srvtoolu_01", ""};
    result.search_results = {shannon()};
    ir::MessageDelta md{ir::StopReason::end_turn, "", u};
    md.usage.output_tokens = 931;
    md.usage.web_search_requests = 1;
    for (const ir::Event& e : std::vector<ir::Event>{
             ir::MessageStart{"msg_a930390d3a", "claude-x", u}, ir::BlockStart{0, ir::BlockKind::text, "", ""},
             ir::BlockDelta{0, ir::DeltaKind::text, "I'll search for when Claude Shannon was born."}, ir::BlockStop{0},
             ir::BlockStart{1, ir::BlockKind::server_tool_use, "srvtoolu_01", "web_search"},
             ir::BlockDelta{1, ir::DeltaKind::input_json, R"({"query":"claude )"},
             ir::BlockDelta{1, ir::DeltaKind::input_json, R"(shannon birth date"})"}, ir::BlockStop{1}, result,
             ir::BlockStop{2}, ir::BlockStart{3, ir::BlockKind::text, "", ""},
             ir::BlockDelta{3, ir::DeltaKind::text, "Born April 30, 1916."}, ir::BlockStop{3}, md, ir::MessageStop{}})
        agg.add(e);
    auto v = boost::json::parse(agg.to_json());
    EXPECT_EQ(v, boost::json::parse(
                     R"({"id":"msg_a930390d3a","type":"message","role":"assistant","model":"claude-x","content":[)"
                     R"({"type":"text","text":"I'll search for when Claude Shannon was born."},)"
                     R"({"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"claude shannon birth date"}},)"
                     R"({"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result",)"
                     R"("url":"https://en.wikipedia.org/wiki/Claude_Shannon","title":"Claude Shannon - Wikipedia",)"
                     R"("encrypted_content":"acws1.Qm9ybiAxOTE2","page_age":"April 30, 2025"}]},)"
                     R"({"type":"text","text":"Born April 30, 1916."}],)"
                     R"("stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":6039,"cache_creation_input_tokens":0,)"
                     R"("cache_read_input_tokens":0,"output_tokens":931,"server_tool_use":{"web_search_requests":1}}})"));
}

}  // namespace
}  // namespace anyclaude::anthropic
