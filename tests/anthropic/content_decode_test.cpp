// What each accepted content block and request field decodes into.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "decode_helpers.hpp"

namespace anyclaude::anthropic {
namespace {

using ir::BlockKind;
using test::body;
using test::decode_ok;
using test::with_messages;

const ir::ContentBlock& only_block(const ir::Request& r, std::size_t message = 0) {
    EXPECT_EQ(r.messages.at(message).content.size(), 1u);
    return r.messages.at(message).content.at(0);
}

TEST(ContentDecode, StringContentIsOneTextBlock) {
    auto r = decode_ok(with_messages(R"([{"role":"user","content":"hello"}])"));
    EXPECT_EQ(only_block(r).kind, BlockKind::text);
    EXPECT_EQ(only_block(r).text, "hello");
    EXPECT_FALSE(only_block(r).cache_breakpoint);
}

TEST(ContentDecode, SystemAsStringIsOneBlock) {
    auto r = decode_ok(body(R"("system":"You are terse.")"));
    ASSERT_EQ(r.system.size(), 1u);
    EXPECT_EQ(r.system[0].text, "You are terse.");
    EXPECT_TRUE(decode_ok(body(R"("system":"")")).system.empty());
}

TEST(ContentDecode, RoleSystemMessageWithBlocksKeepsItsPlace) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":"a"},{"role":"system","content":[{"type":"text","text":"env","cache_control":{"type":"ephemeral","ttl":"1h"}}]},{"role":"user","content":"b"}])"));
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[1].role, ir::Role::system);
    EXPECT_EQ(only_block(r, 1).text, "env");
    EXPECT_TRUE(only_block(r, 1).cache_breakpoint);
}

TEST(ContentDecode, Base64Image) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/webp","data":"UklGRg=="}}]}])"));
    const auto& b = only_block(r);
    EXPECT_EQ(b.kind, BlockKind::image);
    EXPECT_EQ(b.media_type, "image/webp");
    EXPECT_EQ(b.data, "UklGRg==");
    EXPECT_EQ(b.url, "");
}

TEST(ContentDecode, UrlImage) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}])"));
    EXPECT_EQ(only_block(r).kind, BlockKind::image);
    EXPECT_EQ(only_block(r).url, "https://example.com/a.png");
}

TEST(ContentDecode, PdfDocument) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}}]}])"));
    const auto& b = only_block(r);
    EXPECT_EQ(b.kind, BlockKind::document);
    EXPECT_EQ(b.media_type, "application/pdf");
    EXPECT_EQ(b.data, "JVBERi0x");
    EXPECT_EQ(test::decode_error(with_messages(
                  R"([{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"image/png","data":"JVBERi0x"}}]}])")),
              "messages.0.content.0.source.media_type: Input should be 'application/pdf'");
}

TEST(ContentDecode, PlainTextDocument) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":[{"type":"document","title":"notes","source":{"type":"text","media_type":"text/plain","data":"line one"}}]}])"));
    const auto& b = only_block(r);
    EXPECT_EQ(b.kind, BlockKind::document);
    EXPECT_EQ(b.media_type, "text/plain");
    EXPECT_EQ(b.text, "line one");
}

TEST(ContentDecode, ContentDocumentHoldsItsBlocks) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"text","text":"p1"},{"type":"text","text":"p2"}]}}]}])"));
    const auto& b = only_block(r);
    ASSERT_EQ(b.content.size(), 2u);
    EXPECT_EQ(b.content[1].text, "p2");
}

TEST(ContentDecode, ToolUseInputKeepsKeyOrderAndNumbers) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{ "z": 1, "command" : "ls -la", "a": [true, null, 2.5], "nested": {"y": "\u00e9\"", "b": {}} }}]}])"));
    const auto& use = r.messages[1].content.at(1);
    EXPECT_EQ(use.kind, BlockKind::tool_use);
    EXPECT_EQ(use.id, "toolu_1");
    EXPECT_EQ(use.name, "Bash");
    EXPECT_EQ(use.input_json, R"({"z":1,"command":"ls -la","a":[true,null,2.5],"nested":{"y":"é\"","b":{}}})");
}

TEST(ContentDecode, ToolResultWithBlocksAndError) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":"go"},
            {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{}},{"type":"tool_use","id":"t2","name":"Read","input":{}}]},
            {"role":"user","content":[
              {"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"boom"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]},
              {"type":"tool_result","tool_use_id":"t2"},
              {"type":"text","text":"and?"}]}])"));
    const auto& blocks = r.messages[2].content;
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0].kind, BlockKind::tool_result);
    EXPECT_TRUE(blocks[0].is_error);
    ASSERT_EQ(blocks[0].content.size(), 2u);
    EXPECT_EQ(blocks[0].content[0].text, "boom");
    EXPECT_EQ(blocks[0].content[1].kind, BlockKind::image);
    EXPECT_EQ(blocks[1].id, "t2");
    EXPECT_TRUE(blocks[1].content.empty());
    EXPECT_FALSE(blocks[1].is_error);
    EXPECT_EQ(blocks[2].text, "and?");
}

TEST(ContentDecode, ToolResultContentAcceptsOnlyTextImageDocument) {
    EXPECT_EQ(test::decode_error(with_messages(
                  R"([{"role":"user","content":"go"},
                      {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{}}]},
                      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"thinking","thinking":"x"}]}]}])")),
              "messages.2.content.0.content.0.type: Input tag 'thinking' found using 'type' does not match any of the "
              "expected tags: 'text', 'image', 'document'");
}

TEST(ContentDecode, ThinkingAndRedactedThinking) {
    auto r = decode_ok(with_messages(
        R"([{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig=="},{"type":"redacted_thinking","data":"opaque"},{"type":"thinking","thinking":"no sig"}]}])"));
    const auto& blocks = r.messages[1].content;
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0].kind, BlockKind::thinking);
    EXPECT_EQ(blocks[0].text, "hmm");
    EXPECT_EQ(blocks[0].signature, "sig==");
    EXPECT_EQ(blocks[1].kind, BlockKind::redacted_thinking);
    EXPECT_EQ(blocks[1].text, "opaque");
    EXPECT_EQ(blocks[2].signature, "");
    EXPECT_EQ(test::decode_error(with_messages(
                  R"([{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"redacted_thinking"}]}])")),
              "messages.1.content.0.data: Field required");
}

TEST(ContentDecode, ToolsWithDescriptionDeferLoadingAndCacheControl) {
    auto r = decode_ok(body(
        R"("tools":[{"name":"Read","description":"Reads","input_schema":{"type":"object","properties":{"p":{"type":"string"}}}},{"name":"Later","input_schema":{"type":"object"},"defer_loading":true,"cache_control":{"type":"ephemeral"}},{"type":"custom","name":"Typed","input_schema":{}}])"));
    ASSERT_EQ(r.tools.size(), 3u);
    EXPECT_EQ(r.tools[0].description, "Reads");
    EXPECT_EQ(r.tools[0].input_schema_json, R"({"type":"object","properties":{"p":{"type":"string"}}})");
    EXPECT_TRUE(r.tools[1].defer_loading);
    EXPECT_TRUE(r.tools[1].cache_breakpoint);
    EXPECT_EQ(r.tools[1].description, "");
    EXPECT_EQ(r.tools[2].name, "Typed");
}

TEST(ContentDecode, ServerToolsWithoutSchemaAreSkipped) {
    auto r = decode_ok(body(
        R"("tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5},{"name":"Read","input_schema":{}},{"type":"bash_20250124","name":"bash"}])"));
    ASSERT_EQ(r.tools.size(), 1u);
    EXPECT_EQ(r.tools[0].name, "Read");
}

TEST(ContentDecode, ToolChoice) {
    auto r = decode_ok(body(R"("tool_choice":{"type":"tool","name":"Read","disable_parallel_tool_use":true})"));
    ASSERT_TRUE(r.tool_choice.has_value());
    EXPECT_EQ(r.tool_choice->kind, ir::ToolChoice::Kind::tool);
    EXPECT_EQ(r.tool_choice->name, "Read");
    EXPECT_TRUE(r.tool_choice->disable_parallel);
    EXPECT_EQ(decode_ok(body(R"("tool_choice":{"type":"any"})")).tool_choice->kind, ir::ToolChoice::Kind::any);
    EXPECT_EQ(decode_ok(body(R"("tool_choice":{"type":"none"})")).tool_choice->kind, ir::ToolChoice::Kind::none);
    EXPECT_EQ(decode_ok(body(R"("tool_choice":{"type":"auto"})")).tool_choice->kind, ir::ToolChoice::Kind::auto_);
}

TEST(ContentDecode, LegacyOutputFormatIsAnOutputSchema) {
    auto r = decode_ok(body(R"("output_format":{"type":"json_schema","schema":{"type":"object","required":["a"]}})"));
    EXPECT_EQ(r.output_schema_json, R"({"type":"object","required":["a"]})");
    auto both = decode_ok(body(
        R"("output_config":{"format":{"type":"json_schema","schema":{"b":1}}},"output_format":{"type":"json_schema","schema":{"a":1}})"));
    EXPECT_EQ(both.output_schema_json, R"({"b":1})");
}

TEST(ContentDecode, FromAnAlreadyParsedValue) {
    boost::json::value v = boost::json::parse(body(R"("stream":true)"));
    auto r = decode_messages_request(v);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->stream);
    EXPECT_EQ(r->model, "m");
    EXPECT_EQ(r->max_tokens, 1000);
}

}  // namespace
}  // namespace anyclaude::anthropic
