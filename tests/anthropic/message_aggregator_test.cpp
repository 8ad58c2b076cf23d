// The stream:false message built from events, accumulated the way the official SDK does.
#include <gtest/gtest.h>

#include <vector>

#include "anthropic/message_aggregator.hpp"

namespace anyclaude::anthropic {
namespace {

ir::Usage usage(int64_t in, int64_t out, int64_t read = 0, int64_t created = 0) {
    ir::Usage u;
    u.input_tokens = in;
    u.output_tokens = out;
    u.cache_read_input_tokens = read;
    u.cache_creation_input_tokens = created;
    return u;
}

MessageAggregator aggregate(const std::vector<ir::Event>& events) {
    MessageAggregator agg;
    for (const auto& e : events) agg.add(e);
    return agg;
}

TEST(MessageAggregator, TextMessage) {
    auto agg = aggregate({ir::MessageStart{"msg_1", "claude-x", usage(10, 1)}, ir::Ping{},
                          ir::BlockStart{0, ir::BlockKind::text, "", ""},
                          ir::BlockDelta{0, ir::DeltaKind::text, "Hel"}, ir::BlockDelta{0, ir::DeltaKind::text, "lo"},
                          ir::BlockStop{0}, ir::MessageDelta{ir::StopReason::end_turn, "", usage(10, 5, 100, 7)},
                          ir::MessageStop{}});
    EXPECT_TRUE(agg.complete());
    EXPECT_FALSE(agg.failed());
    EXPECT_EQ(agg.to_json(),
              R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x",)"
              R"("content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","stop_sequence":null,)"
              R"("usage":{"input_tokens":10,"cache_creation_input_tokens":7,"cache_read_input_tokens":100,"output_tokens":5}})");
}

TEST(MessageAggregator, ThinkingTextAndToolUse) {
    auto agg = aggregate({ir::MessageStart{"msg_2", "m", usage(3, 0)},
                          ir::BlockStart{0, ir::BlockKind::thinking, "", ""},
                          ir::BlockDelta{0, ir::DeltaKind::thinking, "let me "},
                          ir::BlockDelta{0, ir::DeltaKind::thinking, "see"},
                          ir::BlockDelta{0, ir::DeltaKind::signature, "sig"},
                          ir::BlockStop{0},
                          ir::BlockStart{1, ir::BlockKind::text, "", ""},
                          ir::BlockDelta{1, ir::DeltaKind::text, "Reading."},
                          ir::BlockStop{1},
                          ir::BlockStart{2, ir::BlockKind::tool_use, "toolu_9", "Read"},
                          ir::BlockDelta{2, ir::DeltaKind::input_json, R"({"file_path": )"},
                          ir::BlockDelta{2, ir::DeltaKind::input_json, R"("/a.py", "limit": 5})"},
                          ir::BlockStop{2},
                          ir::MessageDelta{ir::StopReason::tool_use, "", usage(3, 40)},
                          ir::MessageStop{}});
    EXPECT_EQ(agg.to_json(),
              R"({"id":"msg_2","type":"message","role":"assistant","model":"m","content":[)"
              R"({"type":"thinking","thinking":"let me see","signature":"sig"},)"
              R"({"type":"text","text":"Reading."},)"
              R"({"type":"tool_use","id":"toolu_9","name":"Read","input":{"file_path":"/a.py","limit":5}}],)"
              R"("stop_reason":"tool_use","stop_sequence":null,)"
              R"("usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":40}})");
}

TEST(MessageAggregator, SignatureDeltaReplacesLikeTheSdk) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockStart{0, ir::BlockKind::thinking, "", ""},
                          ir::BlockDelta{0, ir::DeltaKind::signature, "first"},
                          ir::BlockDelta{0, ir::DeltaKind::signature, "second"}, ir::MessageStop{}});
    EXPECT_NE(agg.to_json().find(R"("signature":"second")"), std::string::npos);
}

TEST(MessageAggregator, ToolUseWithoutInputDeltasHasEmptyObject) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockStart{0, ir::BlockKind::tool_use, "t", "Now"},
                          ir::BlockStop{0}, ir::MessageStop{}});
    EXPECT_NE(agg.to_json().find(R"({"type":"tool_use","id":"t","name":"Now","input":{}})"), std::string::npos);
}

TEST(MessageAggregator, TruncatedToolInputIsCompleted) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockStart{0, ir::BlockKind::tool_use, "t", "Write"},
                          ir::BlockDelta{0, ir::DeltaKind::input_json, R"({"path":"/x","content":"hel)"},
                          ir::MessageDelta{ir::StopReason::max_tokens, "", {}}, ir::MessageStop{}});
    EXPECT_NE(agg.to_json().find(R"("input":{"path":"/x","content":"hel"}})"), std::string::npos);
    EXPECT_NE(agg.to_json().find(R"("stop_reason":"max_tokens")"), std::string::npos);
}

TEST(MessageAggregator, StopSequenceIsReported) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockStart{0, ir::BlockKind::text, "", ""},
                          ir::BlockDelta{0, ir::DeltaKind::text, "a"},
                          ir::MessageDelta{ir::StopReason::stop_sequence, "END", {}}, ir::MessageStop{}});
    EXPECT_NE(agg.to_json().find(R"("stop_reason":"stop_sequence","stop_sequence":"END")"), std::string::npos);
}

TEST(MessageAggregator, RedactedThinkingBlock) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockStart{0, ir::BlockKind::redacted_thinking, "", ""},
                          ir::BlockStop{0}, ir::MessageStop{}});
    EXPECT_NE(agg.to_json().find(R"("content":[{"type":"redacted_thinking","data":""}])"), std::string::npos);
}

TEST(MessageAggregator, StreamErrorFails) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockStart{0, ir::BlockKind::text, "", ""},
                          ir::StreamError{ir::ApiError::overloaded("Overloaded")},
                          ir::BlockDelta{0, ir::DeltaKind::text, "late"}, ir::MessageStop{}});
    EXPECT_TRUE(agg.failed());
    EXPECT_FALSE(agg.complete());
    EXPECT_EQ(agg.error().status, 529);
    EXPECT_EQ(agg.error().type, "overloaded_error");
    EXPECT_EQ(agg.error().message, "Overloaded");
}

TEST(MessageAggregator, IncompleteBeforeMessageStopAndNullStopReasonBeforeDelta) {
    auto agg = aggregate({ir::MessageStart{"m", "m", usage(4, 1)}, ir::BlockStart{0, ir::BlockKind::text, "", ""}});
    EXPECT_FALSE(agg.complete());
    EXPECT_FALSE(agg.failed());
    EXPECT_NE(agg.to_json().find(R"("stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":4,)"),
              std::string::npos);
}

TEST(MessageAggregator, DeltasForUnknownBlocksAreIgnoredAndBlocksKeepIndexOrder) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::BlockDelta{5, ir::DeltaKind::text, "lost"},
                          ir::BlockStart{1, ir::BlockKind::text, "", ""}, ir::BlockDelta{1, ir::DeltaKind::text, "b"},
                          ir::BlockStart{0, ir::BlockKind::text, "", ""}, ir::BlockDelta{0, ir::DeltaKind::text, "a"},
                          ir::BlockDelta{-1, ir::DeltaKind::text, "neg"}, ir::MessageStop{}});
    EXPECT_NE(agg.to_json().find(R"("content":[{"type":"text","text":"a"},{"type":"text","text":"b"}])"),
              std::string::npos);
}

TEST(MessageAggregator, EventsAfterMessageStopAreIgnored) {
    auto agg = aggregate({ir::MessageStart{"m", "m", {}}, ir::MessageStop{},
                          ir::BlockStart{0, ir::BlockKind::text, "", ""}, ir::MessageStart{"other", "x", {}}});
    EXPECT_NE(agg.to_json().find(R"("id":"m")"), std::string::npos);
    EXPECT_NE(agg.to_json().find(R"("content":[])"), std::string::npos);
}

}  // namespace
}  // namespace anyclaude::anthropic
