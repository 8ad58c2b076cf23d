// The conversation key (src/ir/conversation_key.hpp): the same for every turn of a conversation
// and across sessions (the billing line is left out), different for another conversation, a
// subagent or another tool list. Table-driven: each row changes one thing in a request.
#include <gtest/gtest.h>

#include <functional>

#include "ir/conversation_key.hpp"
#include "ir/prompt_stability.hpp"

using namespace anyclaude;

namespace {

ir::Request turn(int n, const std::string& billing = "cc_version=2.1.328.a1b; cc_entrypoint=cli; cch=00000;") {
    ir::Request r;
    r.model = "claude-sonnet-4-5";
    r.system.push_back(ir::ContentBlock::make_text("x-anthropic-billing-header: " + billing));
    r.system.push_back(ir::ContentBlock::make_text("You are Claude Code.\nBe brief.", true));
    r.tools.push_back({"Read", "Reads a file", R"({"type":"object","properties":{"path":{"type":"string"}}})"});
    r.tools.push_back({"Bash", "Runs a command", R"({"type":"object","properties":{"command":{"type":"string"}}})"});
    r.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("fix the bug in main.cpp")}});
    for (int i = 0; i < n; ++i) {
        r.messages.push_back({ir::Role::assistant, {ir::ContentBlock::make_text("step " + std::to_string(i))}});
        r.messages.push_back({ir::Role::user, {ir::ContentBlock::make_text("go on " + std::to_string(i))}});
    }
    return r;
}

struct Row {
    const char* name;
    std::function<void(ir::Request&)> change;
    bool same;  // the key must stay the same
};

const std::vector<Row>& rows() {
    static const std::vector<Row> table = {
        {"later_turns", [](ir::Request& r) { r = turn(5); }, true},
        {"billing_line_of_another_session",
         [](ir::Request& r) { r = turn(0, "cc_version=2.1.328.ffe; cc_entrypoint=cli; cch=91a2c;"); }, true},
        {"billing_line_stripped", [](ir::Request& r) { ir::strip_billing_header(r); }, true},
        {"last_message_cache_breakpoint",
         [](ir::Request& r) { r.messages.front().content.front().cache_breakpoint = true; }, true},
        {"other_max_tokens", [](ir::Request& r) { r.max_tokens = 77; }, true},
        {"other_first_prompt", [](ir::Request& r) { r.messages.front().content.front().text = "write tests"; }, false},
        {"other_system_prompt_subagent", [](ir::Request& r) { r.system.back().text = "You are a subagent."; }, false},
        {"other_tool_list", [](ir::Request& r) { r.tools.pop_back(); }, false},
        {"tool_schema_changed", [](ir::Request& r) { r.tools.front().input_schema_json = "{}"; }, false},
        {"text_moved_between_fields", [](ir::Request& r) {
             r.tools.front().name = "ReadR";
             r.tools.front().description = "eads a file";
         }, false},
    };
    return table;
}

}  // namespace

TEST(ConversationKey, Table) {
    const uint64_t base = ir::conversation_key(turn(0));
    for (const auto& row : rows()) {
        ir::Request r = turn(0);
        row.change(r);
        if (row.same)
            EXPECT_EQ(ir::conversation_key(r), base) << row.name;
        else
            EXPECT_NE(ir::conversation_key(r), base) << row.name;
    }
}

TEST(ConversationKey, TextIsSixteenHexDigits) {
    EXPECT_EQ(ir::conversation_key_text(0xabcull), "0000000000000abc");
    EXPECT_EQ(ir::conversation_key_text(ir::conversation_key(turn(0))).size(), 16u);
}
