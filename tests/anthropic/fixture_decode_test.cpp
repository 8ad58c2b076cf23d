// Decodes the real Claude Code 2.1.328 request shapes and checks what the rest of anyclaude
// relies on: system blocks in order, tools with byte-stable schemas, role-system messages in
// place, cache breakpoints, thinking/effort/output schema. Also prints the decode time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "anthropic/request_decoder.hpp"
#include "decode_helpers.hpp"
#include "support/test_support.hpp"

namespace anyclaude::anthropic {
namespace {

using ir::BlockKind;
using ir::Role;
using test::decode_ok;

ir::Request decode_fixture(const std::string& name) { return decode_ok(anyclaude::test::fixture(name)); }

const char* kToolNames[] = {"Agent",    "Bash",      "Edit",     "ListAgents", "Read", "ReportFindings",
                            "ScheduleWakeup", "Skill", "ToolSearch", "Workflow", "DeferredToolPlaceholder",
                            "Write"};

TEST(FixtureDecode, FirstTurnSystemHasThreeBlocksBillingHeaderFirst) {
    ir::Request r = decode_fixture("capture-first.json");
    ASSERT_EQ(r.system.size(), 3u);
    EXPECT_EQ(r.system[0].text, "x-anthropic-billing-header: cc_version=2.1.328.593; cc_entrypoint=sdk-cli;");
    EXPECT_FALSE(r.system[0].cache_breakpoint);
    EXPECT_TRUE(r.system[1].cache_breakpoint);
    EXPECT_TRUE(r.system[2].cache_breakpoint);
    EXPECT_EQ(r.system[1].text.size(), 61u);
    EXPECT_EQ(r.system[2].text.size(), 7028u);
    for (const auto& b : r.system) EXPECT_EQ(b.kind, BlockKind::text);
}

TEST(FixtureDecode, FirstTurnTopLevelSettings) {
    ir::Request r = decode_fixture("capture-first.json");
    EXPECT_EQ(r.model, "claude-opus-5-5");
    EXPECT_EQ(r.max_tokens, 128000);
    EXPECT_TRUE(r.stream);
    EXPECT_EQ(r.thinking.kind, ir::Thinking::Kind::adaptive);
    EXPECT_TRUE(r.thinking.wanted());
    EXPECT_EQ(r.effort, "medium");
    EXPECT_EQ(r.output_schema_json, "");
    EXPECT_EQ(r.user_id.rfind("{\"device_id\": \"0000", 0), 0u);
    EXPECT_FALSE(r.temperature.has_value());
    EXPECT_FALSE(r.tool_choice.has_value());
}

TEST(FixtureDecode, FirstTurnToolsInOrderWithOneDeferred) {
    ir::Request r = decode_fixture("capture-first.json");
    ASSERT_EQ(r.tools.size(), 12u);
    int deferred = 0;
    for (std::size_t i = 0; i < r.tools.size(); ++i) {
        EXPECT_EQ(r.tools[i].name, kToolNames[i]);
        EXPECT_FALSE(r.tools[i].cache_breakpoint);
        EXPECT_FALSE(r.tools[i].description.empty());
        if (r.tools[i].defer_loading) {
            ++deferred;
            EXPECT_EQ(r.tools[i].name, "DeferredToolPlaceholder");
        }
    }
    EXPECT_EQ(deferred, 1);
}

TEST(FixtureDecode, ToolSchemasKeepTheClientsKeyOrderByteForByte) {
    std::string text = anyclaude::test::fixture("capture-first.json");
    ir::Request r = decode_ok(text);
    ASSERT_EQ(r.tools.size(), 12u);
    for (std::size_t i = 0; i < r.tools.size(); ++i) {
        std::string expected = test::minify(test::raw_object_member(text, "input_schema", static_cast<int>(i)));
        ASSERT_FALSE(expected.empty());
        EXPECT_EQ(r.tools[i].input_schema_json, expected) << r.tools[i].name;
    }
}

TEST(FixtureDecode, FirstTurnRoleSystemMessageStaysAtIndexOneWithBreakpoint) {
    ir::Request r = decode_fixture("capture-first.json");
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].role, Role::user);
    ASSERT_EQ(r.messages[0].content.size(), 3u);
    EXPECT_EQ(r.messages[0].content[2].text, "delta\n");
    EXPECT_EQ(r.messages[1].role, Role::system);
    ASSERT_EQ(r.messages[1].content.size(), 1u);
    EXPECT_EQ(r.messages[1].content[0].kind, BlockKind::text);
    EXPECT_EQ(r.messages[1].content[0].text.size(), 9197u);
    EXPECT_TRUE(r.messages[1].content[0].cache_breakpoint);
}

TEST(FixtureDecode, FollowupKeepsSystemMessageAsPlainStringInPlace) {
    ir::Request r = decode_fixture("capture-followup.json");
    ASSERT_EQ(r.messages.size(), 4u);
    EXPECT_EQ(r.messages[1].role, Role::system);
    ASSERT_EQ(r.messages[1].content.size(), 1u);
    EXPECT_EQ(r.messages[1].content[0].text.size(), 9198u);
    EXPECT_FALSE(r.messages[1].content[0].cache_breakpoint);
    EXPECT_EQ(r.messages[2].role, Role::assistant);
    EXPECT_EQ(r.messages[2].content[0].text, "delta gamma commit sig");
    EXPECT_EQ(r.messages[3].role, Role::user);
    EXPECT_TRUE(r.messages[3].content[0].cache_breakpoint);
}

TEST(FixtureDecode, ToolResultFollowupCarriesToolUseAndResult) {
    ir::Request r = decode_fixture("capture-toolresult-followup.json");
    ASSERT_EQ(r.messages.size(), 4u);
    EXPECT_EQ(r.thinking.kind, ir::Thinking::Kind::adaptive);
    const ir::ContentBlock& use = r.messages[2].content.at(0);
    EXPECT_EQ(use.kind, BlockKind::tool_use);
    EXPECT_EQ(use.id, "toolu_stub_4cd664c2531d4b29");
    EXPECT_EQ(use.name, "Read");
    EXPECT_EQ(use.input_json, R"({"file_path":"/home/dev/project/util.py"})");
    const ir::ContentBlock& result = r.messages[3].content.at(0);
    EXPECT_EQ(result.kind, BlockKind::tool_result);
    EXPECT_EQ(result.id, "toolu_stub_4cd664c2531d4b29");
    EXPECT_FALSE(result.is_error);
    EXPECT_TRUE(result.cache_breakpoint);
    ASSERT_EQ(result.content.size(), 1u);
    EXPECT_EQ(result.content[0].kind, BlockKind::text);
    EXPECT_EQ(result.content[0].text, "branch kappa buffer omega field schema");
}

TEST(FixtureDecode, ToolUseInputIsByteEqualToTheFixturesKeyOrder) {
    std::string text = anyclaude::test::fixture("capture-toolresult-followup.json");
    ir::Request r = decode_ok(text);
    EXPECT_EQ(r.messages[2].content.at(0).input_json, test::minify(test::raw_object_member(text, "input", 0)));
}

TEST(FixtureDecode, InteractiveFirstHasThirteenToolsAndIgnoresSafeguards) {
    ir::Request r = decode_fixture("capture-interactive-first.json");
    ASSERT_EQ(r.tools.size(), 13u);
    EXPECT_EQ(r.tools[1].name, "AskUserQuestion");
    EXPECT_EQ(r.system.size(), 3u);
    EXPECT_EQ(r.system[0].text, "x-anthropic-billing-header: cc_version=2.1.328.593; cc_entrypoint=cli;");
    EXPECT_EQ(r.messages.at(1).role, Role::system);
    EXPECT_TRUE(r.messages.at(1).content.at(0).cache_breakpoint);
    EXPECT_EQ(r.thinking.kind, ir::Thinking::Kind::adaptive);
}

TEST(FixtureDecode, SideRequestCarriesOutputSchemaAndNoThinking) {
    ir::Request r = decode_fixture("capture-side-1.json");
    EXPECT_EQ(r.output_schema_json,
              R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"],)"
              R"("additionalProperties":false})");
    EXPECT_EQ(r.effort, "medium");
    EXPECT_EQ(r.thinking.kind, ir::Thinking::Kind::unset);
    EXPECT_FALSE(r.thinking.wanted());
    EXPECT_TRUE(r.tools.empty());
    ASSERT_EQ(r.system.size(), 3u);
    for (const auto& b : r.system) EXPECT_FALSE(b.cache_breakpoint);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].content.at(0).text.size(), 211u);
}

TEST(FixtureDecode, FollowupSharesTheFirstTurnsToolsAndSystemExactly) {
    ir::Request a = decode_fixture("capture-first.json");
    ir::Request b = decode_fixture("capture-followup.json");
    ASSERT_EQ(a.tools.size(), b.tools.size());
    for (std::size_t i = 0; i < a.tools.size(); ++i) {
        EXPECT_EQ(a.tools[i].input_schema_json, b.tools[i].input_schema_json);
        EXPECT_EQ(a.tools[i].description, b.tools[i].description);
    }
    EXPECT_EQ(a.system[2].text, b.system[2].text);
}

TEST(FixtureDecode, DecodeTimeOfTheLargestFixture) {
    std::string text = anyclaude::test::fixture("capture-interactive-first.json");
    constexpr int kRuns = 200;
    auto start = std::chrono::steady_clock::now();
    std::size_t sink = 0;
    for (int i = 0; i < kRuns; ++i) {
        auto r = decode_messages_request(text);
        ASSERT_TRUE(r.ok());
        sink += r->tools.size();
    }
    auto elapsed = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ timing ] decode of a %zu-byte Claude Code request: %.1f us per request (%zu)\n", text.size(),
                elapsed / kRuns, sink / kRuns);
}

}  // namespace
}  // namespace anyclaude::anthropic
