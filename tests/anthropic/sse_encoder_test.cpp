// Byte-exact Anthropic SSE frames for every event type.
#include <gtest/gtest.h>

#include "anthropic/sse_encoder.hpp"

namespace anyclaude::anthropic {
namespace {

std::string sse(const ir::Event& ev) {
    std::string out;
    encode_sse(ev, out);
    return out;
}

ir::Usage usage(int64_t in, int64_t out, int64_t read = 0, int64_t created = 0) {
    ir::Usage u;
    u.input_tokens = in;
    u.output_tokens = out;
    u.cache_read_input_tokens = read;
    u.cache_creation_input_tokens = created;
    return u;
}

TEST(SseEncoder, MessageStart) {
    ir::MessageStart e{"msg_01", "claude-opus-5-5", usage(12, 1, 9000, 300)};
    EXPECT_EQ(sse(e),
              "event: message_start\n"
              R"(data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant",)"
              R"("model":"claude-opus-5-5","content":[],"stop_reason":null,"stop_sequence":null,)"
              R"("usage":{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":9000,"output_tokens":1}}})"
              "\n\n");
}

TEST(SseEncoder, TextBlockStart) {
    EXPECT_EQ(sse(ir::BlockStart{0, ir::BlockKind::text, "", ""}),
              "event: content_block_start\n"
              R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
              "\n\n");
}

TEST(SseEncoder, ThinkingBlockStart) {
    EXPECT_EQ(sse(ir::BlockStart{1, ir::BlockKind::thinking, "", ""}),
              "event: content_block_start\n"
              R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"","signature":""}})"
              "\n\n");
}

TEST(SseEncoder, ToolUseBlockStart) {
    EXPECT_EQ(sse(ir::BlockStart{2, ir::BlockKind::tool_use, "toolu_01A", "Read"}),
              "event: content_block_start\n"
              R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01A","name":"Read","input":{}}})"
              "\n\n");
}

TEST(SseEncoder, RedactedThinkingBlockStart) {
    EXPECT_EQ(sse(ir::BlockStart{0, ir::BlockKind::redacted_thinking, "", ""}),
              "event: content_block_start\n"
              R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":""}})"
              "\n\n");
}

TEST(SseEncoder, TextDeltaEscapesJson) {
    EXPECT_EQ(sse(ir::BlockDelta{0, ir::DeltaKind::text, "Hi \"there\"\n\ttab \\ é"}),
              "event: content_block_delta\n"
              R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \"there\"\n\ttab \\ é"}})"
              "\n\n");
}

TEST(SseEncoder, ControlCharactersAreEscapedSoTheFrameStaysOneLine) {
    std::string out = sse(ir::BlockDelta{0, ir::DeltaKind::text, std::string("a\r\nb\x01", 5)});
    EXPECT_EQ(out,
              "event: content_block_delta\n"
              R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\r\nb\u0001"}})"
              "\n\n");
}

TEST(SseEncoder, ThinkingAndSignatureDeltas) {
    EXPECT_EQ(sse(ir::BlockDelta{1, ir::DeltaKind::thinking, "step 1"}),
              "event: content_block_delta\n"
              R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"step 1"}})"
              "\n\n");
    EXPECT_EQ(sse(ir::BlockDelta{1, ir::DeltaKind::signature, "EqQBCgIY"}),
              "event: content_block_delta\n"
              R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"EqQBCgIY"}})"
              "\n\n");
}

TEST(SseEncoder, InputJsonDelta) {
    EXPECT_EQ(sse(ir::BlockDelta{2, ir::DeltaKind::input_json, R"({"file_path": "/a)"}),
              "event: content_block_delta\n"
              R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"file_path\": \"/a"}})"
              "\n\n");
}

TEST(SseEncoder, BlockStop) {
    EXPECT_EQ(sse(ir::BlockStop{3}),
              "event: content_block_stop\n"
              R"(data: {"type":"content_block_stop","index":3})"
              "\n\n");
}

TEST(SseEncoder, MessageDeltaWithNullStopSequence) {
    EXPECT_EQ(sse(ir::MessageDelta{ir::StopReason::tool_use, "", usage(12, 87, 9000, 300)}),
              "event: message_delta\n"
              R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},)"
              R"("usage":{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":9000,"output_tokens":87}})"
              "\n\n");
}

TEST(SseEncoder, MessageDeltaWithStopSequence) {
    EXPECT_EQ(sse(ir::MessageDelta{ir::StopReason::stop_sequence, "END", usage(1, 2)}),
              "event: message_delta\n"
              R"(data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},)"
              R"("usage":{"input_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}})"
              "\n\n");
}

TEST(SseEncoder, EveryStopReasonName) {
    auto reason = [](ir::StopReason r) {
        std::string s = sse(ir::MessageDelta{r, "", {}});
        auto start = s.find("\"stop_reason\":\"") + 15;
        return s.substr(start, s.find('"', start) - start);
    };
    EXPECT_EQ(reason(ir::StopReason::end_turn), "end_turn");
    EXPECT_EQ(reason(ir::StopReason::max_tokens), "max_tokens");
    EXPECT_EQ(reason(ir::StopReason::stop_sequence), "stop_sequence");
    EXPECT_EQ(reason(ir::StopReason::tool_use), "tool_use");
    EXPECT_EQ(reason(ir::StopReason::refusal), "refusal");
}

TEST(SseEncoder, MessageStopAndPing) {
    EXPECT_EQ(sse(ir::MessageStop{}), "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    EXPECT_EQ(sse(ir::Ping{}), "event: ping\ndata: {\"type\":\"ping\"}\n\n");
}

TEST(SseEncoder, Error) {
    EXPECT_EQ(sse(ir::StreamError{ir::ApiError::overloaded("Overloaded")}),
              "event: error\n"
              R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
              "\n\n");
}

TEST(SseEncoder, AppendsToWhatIsAlreadyThere) {
    std::string out = "prefix";
    encode_sse(ir::Ping{}, out);
    encode_sse(ir::MessageStop{}, out);
    EXPECT_EQ(out, "prefixevent: ping\ndata: {\"type\":\"ping\"}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

}  // namespace
}  // namespace anyclaude::anthropic
