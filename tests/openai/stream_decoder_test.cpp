// Tests of ChatStreamDecoder's rules: block order and indices, tool calls (fragmented, whole,
// parallel, late fragments), stop reasons, usage, errors, finish vs fail.
#include <gtest/gtest.h>

#include "ir/thinking_signature.hpp"
#include "openai/block_sequence.hpp"
#include "openai/decode_helpers.hpp"
#include "openai/event_text.hpp"
#include "openai/stream_decoder.hpp"

namespace anyclaude::openai {
namespace {

using test::chunk;
using test::content_chunk;
using test::decode_lines;
using Lines = std::vector<std::string>;

const std::string kEnd = "message_stop";

std::string tool_delta(const std::string& calls_json) { return chunk(R"({"tool_calls":)" + calls_json + "}"); }

TEST(StreamDecoder, TextThenStop) {
    EXPECT_EQ(decode_lines({chunk(R"({"role":"assistant","content":""})"), content_chunk("Hel"), content_chunk("lo"), chunk("{}", "stop"), "[DONE]"}),
              (Lines{"start 0 text", "delta 0 text Hel", "delta 0 text lo", "stop 0",
                     "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, EmptyStreamStillEndsProperly) {
    EXPECT_EQ(decode_lines({"[DONE]"}), (Lines{"message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, ReasoningThenTextGetsSignature) {
    EXPECT_EQ(decode_lines({chunk(R"({"reasoning_content":"Think"})"), chunk(R"({"reasoning_content":"ing."})"),
                            content_chunk("Answer"), chunk("{}", "stop")}),
              (Lines{"start 0 thinking", "delta 0 thinking Think", "delta 0 thinking ing.",
                     "delta 0 signature " + ir::thinking_signature("Thinking."), "stop 0", "start 1 text", "delta 1 text Answer",
                     "stop 1", "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, ThinkingSignatureIsStableAndShaped) {
    std::string sig = ir::thinking_signature("some thoughts");
    EXPECT_EQ(sig, ir::thinking_signature("some thoughts"));
    EXPECT_NE(sig, ir::thinking_signature("other thoughts"));
    EXPECT_TRUE(sig.starts_with("anyclaude-"));
    EXPECT_EQ(sig.size(), std::string("anyclaude-").size() + 16);
}

TEST(StreamDecoder, ReasoningFieldCopiedIntoBothNamesIsTakenOnce) {
    EXPECT_EQ(decode_lines({chunk(R"({"reasoning":"abc","reasoning_content":"abc"})"), chunk("{}", "stop")}),
              (Lines{"start 0 thinking", "delta 0 thinking abc", "delta 0 signature " + ir::thinking_signature("abc"), "stop 0",
                     "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, LeadingWhitespaceOpensNoBlock) {
    EXPECT_EQ(decode_lines({content_chunk("\n\n"), content_chunk("  Hi"), content_chunk(" there\n"), chunk("{}", "stop")}),
              (Lines{"start 0 text", "delta 0 text Hi", "delta 0 text  there\n", "stop 0",
                     "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, FragmentedToolCallAfterText) {
    EXPECT_EQ(decode_lines({content_chunk("Let me look."),
                            tool_delta(R"([{"index":0,"id":"call_1","type":"function","function":{"name":"Read","arguments":""}}])"),
                            tool_delta(R"([{"index":0,"function":{"arguments":"{\"file_path\""}}])"),
                            tool_delta(R"([{"index":0,"function":{"arguments":": \"/a\"}"}}])"), chunk("{}", "tool_calls")}),
              (Lines{"start 0 text", "delta 0 text Let me look.", "stop 0", "start 1 tool_use call_1 Read",
                     "delta 1 input_json {\"file_path\"", "delta 1 input_json : \"/a\"}", "stop 1",
                     "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, ParallelFragmentedCallsAreSequentialBlocks) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","type":"function","function":{"name":"Read","arguments":"{\"file_path\":"}}])"),
                            tool_delta(R"([{"index":0,"function":{"arguments":"\"/a\"}"}}])"),
                            tool_delta(R"([{"index":1,"id":"b","type":"function","function":{"name":"Bash","arguments":""}}])"),
                            tool_delta(R"([{"index":1,"function":{"arguments":"{\"command\":\"ls\"}"}}])"),
                            chunk("{}", "tool_calls")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {\"file_path\":", "delta 0 input_json \"/a\"}", "stop 0",
                     "start 1 tool_use b Bash", "delta 1 input_json {\"command\":\"ls\"}", "stop 1",
                     "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

// A fragment for an earlier call after a later call started: its block is closed and cannot be
// reopened, so the fragment is kept in that call's buffer and not emitted.
TEST(StreamDecoder, LateFragmentForClosedCallIsNotEmitted) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":"{\"file_path\":\"/a\""}}])"),
                            tool_delta(R"([{"index":1,"id":"b","function":{"name":"Read","arguments":"{\"file_path\":\"/b\"}"}}])"),
                            tool_delta(R"([{"index":0,"function":{"arguments":"}"}}])"),
                            tool_delta(R"([{"index":1,"function":{"arguments":" "}}])"), chunk("{}", "tool_calls")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {\"file_path\":\"/a\"", "stop 0", "start 1 tool_use b Read",
                     "delta 1 input_json {\"file_path\":\"/b\"}", "delta 1 input_json  ", "stop 1",
                     "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, TwoCallsInOneDelta) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":"{}"}},)"
                                       R"({"index":1,"id":"b","function":{"name":"Bash","arguments":"{\"command\":\"pwd\"}"}}])"),
                            chunk("{}", "tool_calls")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {}", "stop 0", "start 1 tool_use b Bash",
                     "delta 1 input_json {\"command\":\"pwd\"}", "stop 1", "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0",
                     kEnd}));
}

TEST(StreamDecoder, MissingIdIsGenerated) {
    openai::ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    d.on_data(tool_delta(R"([{"index":0,"function":{"name":"Read","arguments":"{}"}}])"), events);
    d.on_data(tool_delta(R"([{"index":1,"function":{"name":"Read","arguments":"{}"}}])"), events);
    d.finish(events);
    auto* first = std::get_if<ir::BlockStart>(&events[0]);
    ASSERT_NE(first, nullptr);
    EXPECT_TRUE(first->tool_id.starts_with("toolu_"));
    EXPECT_EQ(first->tool_id.size(), 30u);
    auto* second = std::get_if<ir::BlockStart>(&events[3]);
    ASSERT_NE(second, nullptr);
    EXPECT_TRUE(second->tool_id.starts_with("toolu_"));
    EXPECT_NE(first->tool_id, second->tool_id);
}

TEST(StreamDecoder, EmptyArgumentsBecomeEmptyObject) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"ListAgents","arguments":""}}])"),
                            tool_delta(R"([{"index":1,"id":"b","function":{"name":"ListAgents"}}])"), chunk("{}", "tool_calls")}),
              (Lines{"start 0 tool_use a ListAgents", "delta 0 input_json {}", "stop 0", "start 1 tool_use b ListAgents",
                     "delta 1 input_json {}", "stop 1", "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, ArgumentsBeforeTheNameAreBuffered) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"arguments":"{\"x\":"}}])"),
                            tool_delta(R"([{"index":0,"function":{"name":"Read","arguments":"1}"}}])"), chunk("{}", "tool_calls")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {\"x\":1}", "stop 0",
                     "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, ArgumentsSentAsAnObject) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":{"file_path":"/a","limit":5}}}])")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {\"file_path\":\"/a\",\"limit\":5}", "stop 0",
                     "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, ReusedIndexWithNewIdIsANewCall) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":"{}"}}])"),
                            tool_delta(R"([{"index":0,"id":"b","function":{"name":"Bash","arguments":"{}"}}])")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {}", "stop 0", "start 1 tool_use b Bash", "delta 1 input_json {}",
                     "stop 1", "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, LegacyFunctionCall) {
    auto lines = test::without_generated_ids(decode_lines({chunk(R"({"function_call":{"name":"Read","arguments":"{\"file_path\":"}})"),
                                                           chunk(R"({"function_call":{"arguments":"\"/a\"}"}})"), chunk("{}", "function_call")}));
    EXPECT_EQ(lines, (Lines{"start 0 tool_use toolu_* Read", "delta 0 input_json {\"file_path\":", "delta 0 input_json \"/a\"}", "stop 0",
                            "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, TextAfterToolCallOpensNewBlock) {
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":"{}"}}])"), content_chunk("\n\n"),
                            content_chunk("more"), chunk("{}", "stop")}),
              (Lines{"start 0 tool_use a Read", "delta 0 input_json {}", "stop 0", "start 1 text", "delta 1 text more", "stop 1",
                     "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, FinishReasonLengthIsMaxTokens) {
    EXPECT_EQ(decode_lines({content_chunk("abc"), chunk("{}", "length")}).at(3),
              "message_delta max_tokens in=0 out=0 cache_read=0 cache_creation=0");
    // Cut off in the middle of a tool call: still max_tokens.
    EXPECT_EQ(decode_lines({tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":"{\"fi"}}])"), chunk("{}", "length")})
                  .at(3),
              "message_delta max_tokens in=0 out=0 cache_read=0 cache_creation=0");
}

TEST(StreamDecoder, FinishReasonToolCallsWithoutAnyCallIsEndTurn) {
    EXPECT_EQ(decode_lines({content_chunk("hm"), chunk("{}", "tool_calls")}).at(3),
              "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0");
}

TEST(StreamDecoder, ContentFilterIsRefusal) {
    EXPECT_EQ(decode_lines({content_chunk("no"), chunk("{}", "content_filter")}).at(3),
              "message_delta refusal in=0 out=0 cache_read=0 cache_creation=0");
}

TEST(StreamDecoder, StopSequenceNamedByTheBackend) {
    StreamDecoderOptions opt;
    opt.stop_sequences = {"###", "END"};
    std::string vllm_final = R"({"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop","stop_reason":"END"}]})";
    EXPECT_EQ(decode_lines({content_chunk("a"), vllm_final}, opt).at(3),
              "message_delta stop_sequence END in=0 out=0 cache_read=0 cache_creation=0");
    std::string llama_final = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"stopping_word":"###"})";
    EXPECT_EQ(decode_lines({content_chunk("a"), llama_final}, opt).at(3),
              "message_delta stop_sequence ### in=0 out=0 cache_read=0 cache_creation=0");
    // A reported stop string that the request did not ask for is not a stop sequence.
    std::string other = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"<|im_end|>"}]})";
    EXPECT_EQ(decode_lines({content_chunk("a"), other}, opt).at(3), "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0");
}

TEST(StreamDecoder, StopSequenceAtTheEndOfTheText) {
    StreamDecoderOptions opt;
    opt.stop_sequences = {"###"};
    EXPECT_EQ(decode_lines({content_chunk("answer #"), content_chunk("##"), chunk("{}", "stop")}, opt).at(4),
              "message_delta stop_sequence ### in=0 out=0 cache_read=0 cache_creation=0");
    EXPECT_EQ(decode_lines({content_chunk("answer ## x"), chunk("{}", "stop")}, opt).at(3),
              "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0");
}

TEST(StreamDecoder, UsageWithCachedTokens) {
    std::string usage = R"({"choices":[],"usage":{"prompt_tokens":11868,"completion_tokens":7,"total_tokens":11875,"prompt_tokens_details":{"cached_tokens":11849}}})";
    EXPECT_EQ(decode_lines({content_chunk("hi"), chunk("{}", "stop"), usage}).at(3),
              "message_delta end_turn in=19 out=7 cache_read=11849 cache_creation=0");
}

TEST(StreamDecoder, UsageFromTimingsWhenCachedTokensAbsent) {
    std::string final = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"timings":{"cache_n":900,"prompt_n":100,"predicted_n":12}})";
    EXPECT_EQ(decode_lines({content_chunk("hi"), final}).at(3), "message_delta end_turn in=100 out=12 cache_read=900 cache_creation=0");
    std::string with_usage = R"({"choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":12},"timings":{"cache_n":900,"prompt_n":100}})";
    EXPECT_EQ(decode_lines({content_chunk("hi"), with_usage}).at(3), "message_delta end_turn in=100 out=12 cache_read=900 cache_creation=0");
}

TEST(StreamDecoder, ErrorPayloadSetsErrorAndStopsDecoding) {
    ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    d.on_data(content_chunk("partial"), events);
    d.on_data(R"({"error":{"code":500,"message":"Compute error.","type":"server_error"}})", events);
    ASSERT_TRUE(d.error().has_value());
    EXPECT_EQ(d.error()->status, 500);
    EXPECT_EQ(d.error()->type, "api_error");
    EXPECT_EQ(d.error()->message, "upstream error during the stream: Compute error.");
    d.on_data(content_chunk("ignored"), events);
    d.fail(*d.error(), events);
    EXPECT_EQ(test::event_lines(events),
              (Lines{"start 0 text", "delta 0 text partial", "stop 0", "error api_error upstream error during the stream: Compute error."}));
}

TEST(StreamDecoder, ErrorPayloadShapes) {
    ChatStreamDecoder plain({});
    std::vector<ir::Event> events;
    plain.on_data(R"({"error":"model crashed"})", events);
    ASSERT_TRUE(plain.error());
    EXPECT_EQ(plain.error()->message, "upstream error during the stream: model crashed");

    ChatStreamDecoder overflow({});
    overflow.on_data(R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}})",
                     events);
    ASSERT_TRUE(overflow.error());
    EXPECT_EQ(overflow.error()->status, 400);
    EXPECT_EQ(overflow.error()->type, "invalid_request_error");
    EXPECT_TRUE(overflow.error()->message.starts_with("prompt is too long: ")) << overflow.error()->message;
    EXPECT_TRUE(events.empty());
}

TEST(StreamDecoder, MalformedPayloadSetsError) {
    ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    d.on_data(": keep-alive", events);
    d.on_data("", events);
    d.on_data("   ", events);
    EXPECT_FALSE(d.error());
    d.on_data(R"({"choices":[{"delta":{"content":"a"}})", events);  // truncated JSON
    ASSERT_TRUE(d.error());
    EXPECT_EQ(d.error()->type, "api_error");
    EXPECT_EQ(d.error()->message, R"(upstream sent malformed data: {"choices":[{"delta":{"content":"a"}})");

    ChatStreamDecoder not_object({});
    not_object.on_data("42", events);
    ASSERT_TRUE(not_object.error());
    EXPECT_TRUE(events.empty());
}

TEST(StreamDecoder, LongMalformedPayloadIsCut) {
    ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    d.on_data("<html>" + std::string(5000, 'x'), events);
    ASSERT_TRUE(d.error());
    EXPECT_LT(d.error()->message.size(), 300u);
    EXPECT_TRUE(d.error()->message.ends_with("..."));
}

TEST(StreamDecoder, Flags) {
    ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    EXPECT_FALSE(d.saw_any_delta());
    d.on_data(chunk(R"({"role":"assistant","content":""})"), events);
    EXPECT_FALSE(d.saw_any_delta());  // role only: no token yet
    d.on_data(chunk(R"({"reasoning_content":"x"})"), events);
    EXPECT_TRUE(d.saw_any_delta());
    EXPECT_FALSE(d.saw_finish_reason());
    d.on_data(chunk("{}", "stop"), events);
    EXPECT_TRUE(d.saw_finish_reason());
    EXPECT_FALSE(d.saw_done());
    d.on_data("[DONE]", events);
    EXPECT_TRUE(d.saw_done());
    EXPECT_FALSE(d.error());
}

TEST(StreamDecoder, FailClosesBlocksAndEmitsErrorWithoutMessageStop) {
    ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    d.on_data(chunk(R"({"reasoning_content":"hmm"})"), events);
    d.on_data(tool_delta(R"([{"index":0,"id":"a","function":{"name":"Read","arguments":"{\"file"}}])"), events);
    d.fail(ir::ApiError::api("connection reset"), events);
    d.finish(events);  // no effect after fail
    EXPECT_EQ(test::event_lines(events),
              (Lines{"start 0 thinking", "delta 0 thinking hmm", "delta 0 signature " + ir::thinking_signature("hmm"), "stop 0",
                     "start 1 tool_use a Read", "delta 1 input_json {\"file", "stop 1", "error api_error connection reset"}));
}

TEST(StreamDecoder, FinishTwiceEmitsOnce) {
    ChatStreamDecoder d({});
    std::vector<ir::Event> events;
    d.on_data(content_chunk("x"), events);
    d.finish(events);
    d.finish(events);
    d.fail(ir::ApiError::api("late"), events);
    EXPECT_EQ(test::event_lines(events).size(), 5u);
}

TEST(StreamDecoder, HeldBackTextComesBeforeAStructuredToolCall) {
    EXPECT_EQ(decode_lines({content_chunk("a <"), tool_delta(R"([{"index":0,"id":"t","function":{"name":"Read","arguments":"{}"}}])")}),
              (Lines{"start 0 text", "delta 0 text a ", "delta 0 text <", "stop 0", "start 1 tool_use t Read", "delta 1 input_json {}",
                     "stop 1", "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

TEST(StreamDecoder, OtherChoicesAreIgnored) {
    std::string two = R"({"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]})";
    EXPECT_EQ(decode_lines({two}).at(1), "delta 0 text A");
}

}  // namespace
}  // namespace anyclaude::openai
