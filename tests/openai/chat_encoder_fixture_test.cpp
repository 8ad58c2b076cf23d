// Encoder tests on the real Claude Code 2.1.328 request shapes: the bodies of consecutive turns
// must share a byte-identical prefix up to where the conversations diverge, and everything that
// does not change between turns (tools, options) must render to the same bytes.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/json.hpp"
#include "openai/chat_encoder.hpp"
#include "openai/fixture_ir.hpp"

namespace anyclaude::openai {
namespace {

using test::fixture_request;

ChatEncodeOptions llama_options() {
    ChatEncodeOptions opt;
    opt.model = "qwen3-coder-30b";
    opt.thinking = ThinkingControl::template_kwargs;
    return opt;
}

// Where the messages array ends in a body with tools ("tools" can only appear there unescaped).
std::size_t messages_end(const std::string& body) {
    std::size_t pos = body.find(R"(],"tools":[)");
    EXPECT_NE(pos, std::string::npos);
    return pos;
}

// The bytes of the body up to the end of its first n messages (the system message included).
std::string prefix_through(ir::Request req, std::size_t n, const ChatEncodeOptions& opt) {
    req.messages.resize(n);
    std::string body = encode_chat_request(req, opt);
    return body.substr(0, messages_end(body));
}

std::size_t common_prefix(const std::string& a, const std::string& b) {
    return std::mismatch(a.begin(), a.begin() + std::min(a.size(), b.size()), b.begin()).first - a.begin();
}

json::bj::object parsed(const std::string& body) {
    auto p = json::parse(body);
    EXPECT_TRUE(p.ok()) << p.error;
    return p.value.as_object();
}

TEST(ChatEncoderFixtures, EveryFixtureEncodesToValidJson) {
    for (const char* name : {"capture-first.json", "capture-followup.json", "capture-toolresult-followup.json",
                             "capture-interactive-first.json", "capture-side-1.json"}) {
        SCOPED_TRACE(name);
        auto body = parsed(encode_chat_request(fixture_request(name), llama_options()));
        EXPECT_EQ(body.at("stream"), true);
        EXPECT_EQ(json::to_text(body.at("stream_options")), R"({"include_usage":true})");
        EXPECT_EQ(body.at("model"), "qwen3-coder-30b");
    }
}

TEST(ChatEncoderFixtures, FirstTurnShape) {
    ir::Request req = fixture_request("capture-first.json");
    ASSERT_EQ(req.system.size(), 2u);  // billing header removed
    auto body = parsed(encode_chat_request(req, llama_options()));
    const auto& messages = body.at("messages").as_array();
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0].at("role"), "system");
    EXPECT_EQ(messages[0].at("content").as_string(), req.system[0].text + "\n\n" + req.system[1].text);
    EXPECT_EQ(messages[1].at("role"), "user");
    EXPECT_EQ(messages[1].at("content").as_array().size(), 3u);  // three text blocks -> three parts
    EXPECT_EQ(messages[2].at("role"), "system");                   // the environment block, in place
    EXPECT_EQ(messages[2].at("content").as_string().size(), 9197u);

    // 12 tools, one deferred: 11 sent, in the client's order.
    const auto& tools = body.at("tools").as_array();
    ASSERT_EQ(tools.size(), 11u);
    EXPECT_EQ(tools[0].at("function").at("name"), "Agent");
    EXPECT_EQ(tools[10].at("function").at("name"), "Write");
    for (const auto& t : tools) EXPECT_NE(t.at("function").at("name"), "DeferredToolPlaceholder");

    EXPECT_EQ(body.at("max_tokens"), 128000);
    EXPECT_EQ(json::to_text(body.at("chat_template_kwargs")), R"({"enable_thinking":true})");
    EXPECT_FALSE(body.contains("tool_choice"));
}

TEST(ChatEncoderFixtures, EnvironmentBlockAsUserStaysInPlace) {
    ChatEncodeOptions opt = llama_options();
    opt.mid_system = MidSystem::as_user;
    auto body = parsed(encode_chat_request(fixture_request("capture-followup.json"), opt));
    const auto& messages = body.at("messages").as_array();
    ASSERT_EQ(messages.size(), 5u);
    std::vector<std::string> roles;
    for (const auto& m : messages) roles.emplace_back(m.at("role").as_string());
    EXPECT_EQ(roles, (std::vector<std::string>{"system", "user", "user", "assistant", "user"}));
    EXPECT_EQ(messages[2].at("content").as_string().size(), 9198u);
}

TEST(ChatEncoderFixtures, ToolTurnMapsToolUseAndToolResult) {
    auto body = parsed(encode_chat_request(fixture_request("capture-toolresult-followup.json"), llama_options()));
    const auto& messages = body.at("messages").as_array();
    ASSERT_EQ(messages.size(), 5u);
    EXPECT_EQ(json::to_text(messages[3]),
              R"({"role":"assistant","content":null,"tool_calls":[{"id":"toolu_stub_4cd664c2531d4b29","type":"function",)"
              R"("function":{"name":"Read","arguments":"{\"file_path\":\"/home/dev/project/util.py\"}"}}]})");
    EXPECT_EQ(json::to_text(messages[4]),
              R"({"role":"tool","tool_call_id":"toolu_stub_4cd664c2531d4b29","content":"branch kappa buffer omega field schema"})");
}

// capture-first and capture-followup share the system text and the first user message; the
// environment block (messages[1]) differs (the fixtures' filler text was drawn per capture).
TEST(ChatEncoderFixtures, FirstAndFollowupShareBytePrefixUpToDivergence) {
    ir::Request first = fixture_request("capture-first.json");
    ir::Request followup = fixture_request("capture-followup.json");
    ChatEncodeOptions opt = llama_options();
    std::string a = encode_chat_request(first, opt);
    std::string b = encode_chat_request(followup, opt);

    std::string shared = prefix_through(first, 1, opt);
    ASSERT_EQ(shared, prefix_through(followup, 1, opt));
    EXPECT_TRUE(a.starts_with(shared + ","));
    EXPECT_TRUE(b.starts_with(shared + ","));

    // The first differing byte is inside the environment block's text, not before it.
    std::string env_head = shared + R"(,{"role":"system","content":")";
    EXPECT_TRUE(a.starts_with(env_head));
    EXPECT_TRUE(b.starts_with(env_head));
    EXPECT_GE(common_prefix(a, b), env_head.size());
    EXPECT_GT(shared.size(), 8000u);  // system text + first user message
}

// capture-followup and capture-toolresult-followup diverge inside the first user message
// (its third text block differs): they share the system message and the first two parts.
TEST(ChatEncoderFixtures, FollowupAndToolResultShareBytePrefixUpToDivergence) {
    ir::Request followup = fixture_request("capture-followup.json");
    ir::Request toolturn = fixture_request("capture-toolresult-followup.json");
    ChatEncodeOptions opt = llama_options();
    std::string b = encode_chat_request(followup, opt);
    std::string c = encode_chat_request(toolturn, opt);

    std::string system_only = prefix_through(followup, 0, opt);
    ASSERT_EQ(system_only, prefix_through(toolturn, 0, opt));
    std::size_t common = common_prefix(b, c);
    EXPECT_GT(common, system_only.size());

    const auto& parts = followup.messages[0].content;
    ASSERT_EQ(parts.size(), 3u);
    ASSERT_EQ(parts[0].text, toolturn.messages[0].content[0].text);
    ASSERT_EQ(parts[1].text, toolturn.messages[0].content[1].text);
    std::string third_part_head = R"({"type":"text","text":"delta\n)";
    std::size_t third = b.find(third_part_head, system_only.size());
    ASSERT_NE(third, std::string::npos);
    EXPECT_EQ(common, third + third_part_head.size());  // they differ right after "delta\n"
}

// Everything after the messages (tools, max_tokens, thinking control, stream options) is the same
// bytes on every turn of the session.
TEST(ChatEncoderFixtures, ToolsAndOptionsAreByteIdenticalAcrossTurns) {
    ChatEncodeOptions opt = llama_options();
    std::string a = encode_chat_request(fixture_request("capture-first.json"), opt);
    std::string b = encode_chat_request(fixture_request("capture-followup.json"), opt);
    std::string c = encode_chat_request(fixture_request("capture-toolresult-followup.json"), opt);
    std::string tail = a.substr(messages_end(a));
    EXPECT_GT(tail.size(), 25000u);
    EXPECT_EQ(tail, b.substr(messages_end(b)));
    EXPECT_EQ(tail, c.substr(messages_end(c)));
}

// The next turn of a real session repeats the previous request's messages and appends new ones:
// its body must begin with the previous body's bytes through its last message.
TEST(ChatEncoderFixtures, AppendingTurnsKeepsThePreviousBodyAsPrefix) {
    ChatEncodeOptions opt = llama_options();
    for (MidSystem mid : {MidSystem::keep, MidSystem::as_user}) {
        opt.mid_system = mid;
        ir::Request turn = fixture_request("capture-toolresult-followup.json");
        std::string before = encode_chat_request(turn, opt);
        std::string before_messages = before.substr(0, messages_end(before));

        ir::Message assistant{ir::Role::assistant, {}};
        ir::ContentBlock think;
        think.kind = ir::BlockKind::thinking;
        think.text = "The file is short.";
        think.signature = "anyclaude-0123456789abcdef";
        assistant.content.push_back(think);
        assistant.content.push_back(ir::ContentBlock::make_text("It defines one helper."));
        turn.messages.push_back(assistant);
        turn.messages.push_back(ir::Message{ir::Role::user, {ir::ContentBlock::make_text("thanks")}});
        std::string after = encode_chat_request(turn, opt);

        EXPECT_TRUE(after.starts_with(before_messages + ",")) << "mid_system " << static_cast<int>(mid);
        EXPECT_EQ(after.substr(messages_end(after)), before.substr(messages_end(before)));
    }
}

TEST(ChatEncoderFixtures, SideRequestAsksForJsonSchemaOutput) {
    ir::Request side = fixture_request("capture-side-1.json");
    auto body = parsed(encode_chat_request(side, llama_options()));
    EXPECT_FALSE(body.contains("tools"));
    EXPECT_FALSE(body.contains("chat_template_kwargs"));  // no thinking field in the side request
    EXPECT_EQ(json::to_text(body.at("response_format")),
              R"({"type":"json_schema","json_schema":{"name":"output","schema":{"type":"object","properties":)"
              R"({"title":{"type":"string"}},"required":["title"],"additionalProperties":false},"strict":true}})");
}

}  // namespace
}  // namespace anyclaude::openai
