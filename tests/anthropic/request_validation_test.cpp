// Every validation rule of the request decoder, with Anthropic's exact message and field path.
#include <gtest/gtest.h>

#include <string>

#include "decode_helpers.hpp"

namespace anyclaude::anthropic {
namespace {

using test::body;
using test::decode_error;
using test::with_messages;

TEST(RequestValidation, MinimalRequestDecodes) { EXPECT_EQ(decode_error(body()), ""); }

TEST(RequestValidation, MalformedJsonNamesTheParserError) {
    EXPECT_EQ(decode_error(R"({"model":)"), "malformed JSON: incomplete JSON");
    EXPECT_EQ(decode_error("{} x"), "malformed JSON: extra data");
    EXPECT_EQ(decode_error(""), "malformed JSON: incomplete JSON");
}

TEST(RequestValidation, InvalidUtf8IsACleanBadRequest) {
    std::string text = body() ;
    text.insert(text.find("hi"), "\xC3\x28");  // broken two-byte sequence inside a string
    EXPECT_EQ(decode_error(text), "malformed JSON: the body is not valid UTF-8");
    std::string overlong = body();
    overlong.insert(overlong.find("hi"), "\xC0\xAF");
    EXPECT_EQ(decode_error(overlong), "malformed JSON: the body is not valid UTF-8");
}

TEST(RequestValidation, ValidMultibyteUtf8Decodes) {
    auto r = test::decode_ok(with_messages(R"([{"role":"user","content":"héllo → 世界 😀"}])"));
    EXPECT_EQ(r.messages.at(0).content.at(0).text, "héllo → 世界 😀");
}

TEST(RequestValidation, NestingDeeperThanTheLimitIsRejected) {
    std::string deep = std::string(70, '[') + std::string(70, ']');
    EXPECT_EQ(decode_error(body(R"("x":)" + deep)), "malformed JSON: nesting deeper than 64 levels");
    DecodeOptions opt;
    opt.max_json_depth = 8;
    EXPECT_EQ(decode_error(body(R"("x":[[[[[[[[1]]]]]]]])"), opt), "malformed JSON: nesting deeper than 8 levels");
    EXPECT_EQ(decode_error(body(R"("x":[[[[1]]]])"), opt), "");
}

TEST(RequestValidation, BodyMustBeAnObject) {
    EXPECT_EQ(decode_error("[1,2]"), "request body: Input should be a valid dictionary");
    EXPECT_EQ(decode_error("\"text\""), "request body: Input should be a valid dictionary");
}

TEST(RequestValidation, ModelIsARequiredNonEmptyString) {
    EXPECT_EQ(decode_error(R"({"max_tokens":10,"messages":[{"role":"user","content":"hi"}]})"),
              "model: Field required");
    EXPECT_EQ(decode_error(R"({"model":5,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]})"),
              "model: Input should be a valid string");
    EXPECT_EQ(decode_error(R"({"model":"","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})"),
              "model: String should have at least 1 character");
}

TEST(RequestValidation, MaxTokensIsRequired) {
    EXPECT_EQ(decode_error(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"),
              "max_tokens: Field required");
    EXPECT_EQ(decode_error(R"({"model":"m","max_tokens":null,"messages":[{"role":"user","content":"hi"}]})"),
              "max_tokens: Field required");
}

TEST(RequestValidation, MaxTokensIsOptionalForCountTokens) {
    DecodeOptions opt;
    opt.require_max_tokens = false;
    auto r = test::decode_ok(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", opt);
    EXPECT_EQ(r.max_tokens, 0);
}

TEST(RequestValidation, MaxTokensMustBeAPositiveInteger) {
    auto with_max = [](const char* v) {
        return std::string(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":)") + v + "}";
    };
    EXPECT_EQ(decode_error(with_max("0")), "max_tokens: Input should be greater than or equal to 1");
    EXPECT_EQ(decode_error(with_max("-5")), "max_tokens: Input should be greater than or equal to 1");
    EXPECT_EQ(decode_error(with_max("\"100\"")), "max_tokens: Input should be a valid integer");
    EXPECT_EQ(decode_error(with_max("true")), "max_tokens: Input should be a valid integer");
    EXPECT_EQ(decode_error(with_max("1.5")),
              "max_tokens: Input should be a valid integer, got a number with a fractional part");
    EXPECT_EQ(decode_error(with_max("100.0")), "");
    EXPECT_EQ(decode_error(with_max("1048576")), "");
    EXPECT_EQ(decode_error(with_max("1048577")), "max_tokens: Input should be less than or equal to 1048576");
    EXPECT_EQ(decode_error(with_max("9223372036854775807")),
              "max_tokens: Input should be less than or equal to 1048576");
    EXPECT_EQ(decode_error(with_max("1e300")), "max_tokens: Input should be less than or equal to 1048576");
    EXPECT_EQ(decode_error(with_max("99999999999999999999999")),
              "max_tokens: Input should be less than or equal to 1048576");
}

TEST(RequestValidation, MessagesAreRequired) {
    EXPECT_EQ(decode_error(R"({"model":"m","max_tokens":10})"), "messages: Field required");
    EXPECT_EQ(decode_error(R"({"model":"m","max_tokens":10,"messages":{}})"), "messages: Input should be a valid list");
}

TEST(RequestValidation, MessagesMustNotBeEmpty) {
    EXPECT_EQ(decode_error(with_messages("[]")), "messages: at least one message is required");
}

TEST(RequestValidation, MessageMustBeAnObjectWithRoleAndContent) {
    EXPECT_EQ(decode_error(with_messages(R"(["hi"])")), "messages.0: Input should be a valid dictionary");
    EXPECT_EQ(decode_error(with_messages(R"([{"content":"hi"}])")), "messages.0.role: Field required");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user"}])")), "messages.0.content: Field required");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":5}])")),
              "messages.0.content: Input should be a valid string or a list of content blocks");
}

TEST(RequestValidation, RoleMustBeUserAssistantOrSystem) {
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":"a"},{"role":"tool","content":"b"}])")),
              "messages.1.role: Input should be 'user' or 'assistant'");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":1,"content":"a"}])")),
              "messages.0.role: Input should be 'user' or 'assistant'");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"system","content":"a"},{"role":"user","content":"b"}])")), "");
}

TEST(RequestValidation, FirstMessageMayBeAssistantAndLastMayBePrefill) {
    auto r = test::decode_ok(with_messages(
        R"([{"role":"assistant","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"{"}])"));
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[0].role, ir::Role::assistant);
    EXPECT_EQ(r.messages[2].content[0].text, "{");
}

TEST(RequestValidation, UnknownBlockTypeNamesTheExpectedTags) {
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"foo","text":"x"}]}])")),
              "messages.1.content.0.type: Input tag 'foo' found using 'type' does not match any of the expected tags: "
              "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', "
              "'server_tool_use', 'web_search_tool_result'");
}

TEST(RequestValidation, BlockWithoutTypeCannotBeDiscriminated) {
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"text":"x"}]}])")),
              "messages.0.content.0: Unable to extract tag using discriminator 'type'");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":["x"]}])")),
              "messages.0.content.0: Input should be a valid dictionary");
}

TEST(RequestValidation, TextBlockNeedsStringText) {
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"text"}]}])")),
              "messages.0.content.0.text: Field required");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"text","text":7}]}])")),
              "messages.0.content.0.text: Input should be a valid string");
}

TEST(RequestValidation, ImageNeedsASource) {
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"image"}]}])")),
              "messages.0.content.0.source: Field required");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}])")),
              "messages.0.content.0.source.type: Input tag 'file' found using 'type' does not match any of the "
              "expected tags: 'base64', 'url'");
}

TEST(RequestValidation, ImageMediaTypeMustBeASupportedImageType) {
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AAAA"}}]}])")),
              "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
              "'image/webp'");
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"AAAA"}}]}])")),
              "messages.0.content.0.source.media_type: Field required");
}

TEST(RequestValidation, ImageDataMustBeValidBase64) {
    auto image = [](const char* data) {
        return with_messages(std::string(R"([{"role":"user","content":[{"type":"image","source":{"type":"base64",)"
                                         R"("media_type":"image/png","data":")") +
                             data + R"("}}]}])");
    };
    const char* bad = "messages.0.content.0.source.data: Input should be valid base64 data";
    EXPECT_EQ(decode_error(image("iVBORw0KGgo=")), "");
    EXPECT_EQ(decode_error(image("iVBORw0KGg==")), "");
    EXPECT_EQ(decode_error(image("iVBORw0KGgoA")), "");
    EXPECT_EQ(decode_error(image("iVBORw0KGgo")), bad);    // length not a multiple of 4
    EXPECT_EQ(decode_error(image("iVBO*w0KGgo=")), bad);   // outside the alphabet
    EXPECT_EQ(decode_error(image("iVB=Rw0KGgo=")), bad);   // padding in the middle
    EXPECT_EQ(decode_error(image("iVBORw0KG===")), bad);   // three padding characters
    EXPECT_EQ(decode_error(image("")), bad);
    EXPECT_EQ(decode_error(image("iVBO Rw0KGgo")), bad);  // whitespace
}

TEST(RequestValidation, ToolUseNeedsIdNameAndObjectInput) {
    auto use = [](const char* block) {
        return with_messages(std::string(R"([{"role":"user","content":"a"},{"role":"assistant","content":[)") + block +
                             "]}]");
    };
    EXPECT_EQ(decode_error(use(R"({"type":"tool_use","name":"Read","input":{}})")),
              "messages.1.content.0.id: Field required");
    EXPECT_EQ(decode_error(use(R"({"type":"tool_use","id":"t1","input":{}})")),
              "messages.1.content.0.name: Field required");
    EXPECT_EQ(decode_error(use(R"({"type":"tool_use","id":"t1","name":"Read"})")),
              "messages.1.content.0.input: Field required");
    EXPECT_EQ(decode_error(use(R"({"type":"tool_use","id":"t1","name":"Read","input":"{}"})")),
              "messages.1.content.0.input: Input should be a valid dictionary");
}

TEST(RequestValidation, ToolResultNeedsToolUseId) {
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"tool_result","content":"x"}]}])")),
              "messages.0.content.0.tool_use_id: Field required");
}

TEST(RequestValidation, ToolResultMustAnswerAToolUseOfThePreviousMessage) {
    const char* expected =
        "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_B. Each `tool_result` "
        "block must have a corresponding `tool_use` block in the previous message.";
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":"a"},
                      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"Read","input":{}}]},
                      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_A","content":"ok"},
                                               {"type":"tool_result","tool_use_id":"toolu_B","content":"ok"}]}])")),
              expected);
}

TEST(RequestValidation, ToolResultMayNotAnswerAnOlderMessage) {
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":"a"},
                      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"Read","input":{}}]},
                      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_A"}]},
                      {"role":"assistant","content":"done"},
                      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_A"}]}])")),
              "messages.4.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_A. Each "
              "`tool_result` block must have a corresponding `tool_use` block in the previous message.");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"x"}]}])")),
              "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: x. Each `tool_result` "
              "block must have a corresponding `tool_use` block in the previous message.");
}

TEST(RequestValidation, ToolResultLooksPastARoleSystemMessage) {
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":"a"},
                      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"Read","input":{}}]},
                      {"role":"system","content":"reminder"},
                      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_A","content":"ok"}]}])")),
              "");
}

TEST(RequestValidation, TooManyCacheBreakpointsCountsSystemMessagesAndTools) {
    std::string cc = R"("cache_control":{"type":"ephemeral"})";
    std::string system = R"("system":[{"type":"text","text":"a",)" + cc + R"(},{"type":"text","text":"b",)" + cc + "}]";
    std::string tools = R"("tools":[{"name":"T","input_schema":{"type":"object"},)" + cc + "}]";
    std::string messages = R"([{"role":"user","content":[{"type":"text","text":"a",)" + cc +
                           R"(},{"type":"text","text":"b",)" + cc + "}]}]";
    EXPECT_EQ(decode_error(body(system + "," + tools, messages)),
              "A maximum of 4 blocks with cache_control may be provided. Found 5.");
    EXPECT_EQ(decode_error(body(system, messages)), "");
    DecodeOptions opt;
    opt.max_cache_breakpoints = 2;
    EXPECT_EQ(decode_error(body(system, messages), opt),
              "A maximum of 2 blocks with cache_control may be provided. Found 4.");
}

TEST(RequestValidation, CacheControlMustBeEphemeral) {
    EXPECT_EQ(decode_error(with_messages(
                  R"([{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"forever"}}]}])")),
              "messages.0.content.0.cache_control.type: Input tag 'forever' found using 'type' does not match any of "
              "the expected tags: 'ephemeral'");
    EXPECT_EQ(decode_error(with_messages(R"([{"role":"user","content":[{"type":"text","text":"a","cache_control":1}]}])")),
              "messages.0.content.0.cache_control: Input should be a valid dictionary");
}

TEST(RequestValidation, TemperatureFollowsAnthropicsRange) {
    EXPECT_EQ(decode_error(body(R"("temperature":"hot")")), "temperature: Input should be a valid number");
    EXPECT_EQ(decode_error(body(R"("temperature":1.5)")), "temperature: Input should be less than or equal to 1");
    EXPECT_EQ(decode_error(body(R"("temperature":-0.1)")), "temperature: Input should be greater than or equal to 0");
    EXPECT_EQ(decode_error(body(R"("temperature":0)")), "");
    EXPECT_EQ(decode_error(body(R"("temperature":1)")), "");
    EXPECT_EQ(decode_error(body(R"("temperature":null)")), "");
}

TEST(RequestValidation, TopPAndTopK) {
    EXPECT_EQ(decode_error(body(R"("top_p":1.01)")), "top_p: Input should be less than or equal to 1");
    EXPECT_EQ(decode_error(body(R"("top_p":-1)")), "top_p: Input should be greater than or equal to 0");
    EXPECT_EQ(decode_error(body(R"("top_p":true)")), "top_p: Input should be a valid number");
    EXPECT_EQ(decode_error(body(R"("top_k":-1)")), "top_k: Input should be greater than or equal to 0");
    EXPECT_EQ(decode_error(body(R"("top_k":2.5)")),
              "top_k: Input should be a valid integer, got a number with a fractional part");
    EXPECT_EQ(decode_error(body(R"("top_k":"5")")), "top_k: Input should be a valid integer");
    auto r = test::decode_ok(body(R"("top_p":0.9,"top_k":40,"temperature":0.7)"));
    EXPECT_DOUBLE_EQ(*r.top_p, 0.9);
    EXPECT_EQ(*r.top_k, 40);
    EXPECT_DOUBLE_EQ(*r.temperature, 0.7);
}

TEST(RequestValidation, StopSequencesMustBeStrings) {
    EXPECT_EQ(decode_error(body(R"("stop_sequences":"END")")), "stop_sequences: Input should be a valid list");
    EXPECT_EQ(decode_error(body(R"("stop_sequences":["END",3])")), "stop_sequences.1: Input should be a valid string");
    auto r = test::decode_ok(body(R"("stop_sequences":["END","\n\nHuman:"])"));
    ASSERT_EQ(r.stop_sequences.size(), 2u);
    EXPECT_EQ(r.stop_sequences[1], "\n\nHuman:");
}

TEST(RequestValidation, StreamMustBeABoolean) {
    EXPECT_EQ(decode_error(body(R"("stream":"yes")")), "stream: Input should be a valid boolean");
    EXPECT_FALSE(test::decode_ok(body()).stream);
    EXPECT_TRUE(test::decode_ok(body(R"("stream":true)")).stream);
}

TEST(RequestValidation, ThinkingBudgetAtLeast1024AndBelowMaxTokens) {
    EXPECT_EQ(decode_error(body(R"("thinking":{"type":"enabled","budget_tokens":1000})")),
              "thinking.budget_tokens: Input should be greater than or equal to 1024");
    EXPECT_EQ(decode_error(body(R"("thinking":{"type":"enabled"})")), "thinking.budget_tokens: Field required");
    DecodeOptions count_tokens;
    count_tokens.require_max_tokens = false;
    EXPECT_EQ(decode_error(R"({"model":"m","messages":[{"role":"user","content":"hi"}],)"
                           R"("thinking":{"type":"enabled","budget_tokens":5000}})",
                           count_tokens),
              "");
    std::string at_max = R"({"model":"m","max_tokens":2048,"messages":[{"role":"user","content":"hi"}],)"
                         R"("thinking":{"type":"enabled","budget_tokens":2048}})";
    EXPECT_EQ(decode_error(at_max),
              "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
              "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size");
    std::string below = R"({"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],)"
                        R"("thinking":{"type":"enabled","budget_tokens":2048}})";
    auto r = test::decode_ok(below);
    EXPECT_EQ(r.thinking.kind, ir::Thinking::Kind::enabled);
    EXPECT_EQ(r.thinking.budget_tokens, 2048);
}

TEST(RequestValidation, ThinkingTypes) {
    EXPECT_EQ(test::decode_ok(body(R"("thinking":{"type":"adaptive"})")).thinking.kind, ir::Thinking::Kind::adaptive);
    EXPECT_EQ(test::decode_ok(body(R"("thinking":{"type":"disabled"})")).thinking.kind, ir::Thinking::Kind::disabled);
    EXPECT_EQ(decode_error(body(R"("thinking":{"type":"always"})")),
              "thinking.type: Input tag 'always' found using 'type' does not match any of the expected tags: "
              "'enabled', 'adaptive', 'disabled'");
    EXPECT_EQ(decode_error(body(R"("thinking":true)")), "thinking: Input should be a valid dictionary");
}

TEST(RequestValidation, SystemMustBeStringOrTextBlocks) {
    EXPECT_EQ(decode_error(body(R"("system":5)")), "system: Input should be a valid string or a list of text blocks");
    EXPECT_EQ(decode_error(body(R"("system":[{"type":"image","source":{}}])")),
              "system.0.type: Input tag 'image' found using 'type' does not match any of the expected tags: 'text'");
    EXPECT_EQ(decode_error(body(R"("system":[{"type":"text"}])")), "system.0.text: Field required");
}

TEST(RequestValidation, ToolsNeedNameAndSchema) {
    EXPECT_EQ(decode_error(body(R"("tools":{})")), "tools: Input should be a valid list");
    EXPECT_EQ(decode_error(body(R"("tools":[{"input_schema":{}}])")), "tools.0.name: Field required");
    EXPECT_EQ(decode_error(body(R"("tools":[{"name":"A","input_schema":{}},{"name":"B"}])")),
              "tools.1.input_schema: Field required");
    EXPECT_EQ(decode_error(body(R"("tools":[{"name":"A","input_schema":[]}])")),
              "tools.0.input_schema: Input should be a valid dictionary");
    EXPECT_EQ(decode_error(body(R"("tools":[{"name":"bad name","input_schema":{}}])")),
              "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    EXPECT_EQ(decode_error(body(R"("tools":[{"name":"A","input_schema":{}},{"name":"A","input_schema":{}}])")),
              "tools: Tool names must be unique.");
    EXPECT_EQ(decode_error(body(R"("tools":[{"name":"A","input_schema":{},"defer_loading":"yes"}])")),
              "tools.0.defer_loading: Input should be a valid boolean");
}

TEST(RequestValidation, ToolChoiceKinds) {
    EXPECT_EQ(decode_error(body(R"("tool_choice":{"type":"tool"})")), "tool_choice.name: Field required");
    EXPECT_EQ(decode_error(body(R"("tool_choice":{"type":"some"})")),
              "tool_choice.type: Input tag 'some' found using 'type' does not match any of the expected tags: "
              "'auto', 'any', 'tool', 'none'");
    EXPECT_EQ(decode_error(body(R"("tool_choice":"auto")")), "tool_choice: Input should be a valid dictionary");
}

TEST(RequestValidation, OutputConfigFormatMustBeJsonSchema) {
    EXPECT_EQ(decode_error(body(R"("output_config":{"format":{"type":"regex"}})")),
              "output_config.format.type: Input tag 'regex' found using 'type' does not match any of the expected "
              "tags: 'json_schema'");
    EXPECT_EQ(decode_error(body(R"("output_config":{"format":{"type":"json_schema"}})")),
              "output_config.format.schema: Field required");
    EXPECT_EQ(decode_error(body(R"("output_config":{"effort":3})")), "output_config.effort: Input should be a valid string");
}

TEST(RequestValidation, MetadataUserIdMustBeAString) {
    EXPECT_EQ(decode_error(body(R"("metadata":{"user_id":5})")), "metadata.user_id: Input should be a valid string");
    EXPECT_EQ(decode_error(body(R"("metadata":"u")")), "metadata: Input should be a valid dictionary");
    EXPECT_EQ(test::decode_ok(body(R"("metadata":{"user_id":"u-1"})")).user_id, "u-1");
}

TEST(RequestValidation, UnknownFieldsAreIgnored) {
    EXPECT_EQ(decode_error(body(
                  R"("context_management":{"edits":[]},"safeguards":[{"type":"x"}],"service_tier":"auto",)"
                  R"("container":"c","mcp_servers":[{"type":"url"}],"future_field":{"a":[1,2,3]})")),
              "");
}

}  // namespace
}  // namespace anyclaude::anthropic
