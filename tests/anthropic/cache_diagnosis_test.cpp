// The cache-diagnosis-2026-04-07 beta and automatic caching at the front door: the request
// fields decoded (only with the beta; an unknown beta changes nothing), the reasons in prompt
// order with their approximate token counts, the bounded memory of answers, and the
// diagnostics object on message_start and on the stream:false message.
#include <gtest/gtest.h>

#include "anthropic/cache_diagnosis.hpp"
#include "anthropic/caching_decoder.hpp"
#include "anthropic/sse_encoder.hpp"
#include "anthropic/message_aggregator.hpp"
#include "decode_helpers.hpp"

namespace anyclaude::anthropic {
namespace {

using test::body;
using test::decode_error;
using test::decode_ok;

DecodeOptions with_beta(std::string header) {
    DecodeOptions o;
    o.anthropic_beta = std::move(header);
    return o;
}

const char* kDiag = R"("diagnostics":{"previous_message_id":"msg_prev"})";

TEST(CacheDiagnosisDecode, PreviousMessageIdReadOnlyWithTheBeta) {
    EXPECT_FALSE(decode_ok(body(kDiag)).diagnose_against);
    EXPECT_FALSE(decode_ok(body(kDiag), with_beta("interleaved-thinking-2025-05-14")).diagnose_against);
    auto r = decode_ok(body(kDiag), with_beta("interleaved-thinking-2025-05-14, cache-diagnosis-2026-04-07"));
    ASSERT_TRUE(r.diagnose_against);
    EXPECT_EQ(*r.diagnose_against, "msg_prev");
    EXPECT_FALSE(decode_ok(body(R"("diagnostics":{})"), with_beta("cache-diagnosis-2026-04-07")).diagnose_against);
    EXPECT_EQ(decode_error(body(R"("diagnostics":{"previous_message_id":7})"), with_beta("cache-diagnosis-2026-04-07")),
              "diagnostics.previous_message_id: Input should be a valid string");
    // Without the beta a malformed field is ignored like any unknown one.
    EXPECT_EQ(decode_error(body(R"("diagnostics":5)")), "");
}

TEST(CacheDiagnosisDecode, HasBetaMatchesWholeNames) {
    EXPECT_TRUE(has_beta("cache-diagnosis-2026-04-07", kCacheDiagnosisBeta));
    EXPECT_TRUE(has_beta(" a-1 ,cache-diagnosis-2026-04-07 ", kCacheDiagnosisBeta));
    EXPECT_FALSE(has_beta("cache-diagnosis-2026-04-070", kCacheDiagnosisBeta));
    EXPECT_FALSE(has_beta("", kCacheDiagnosisBeta));
}

TEST(AutomaticCaching, TopLevelCacheControlMarksTheLastCacheableBlock) {
    const char* msgs =
        R"([{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"a"},)"
        R"({"type":"thinking","thinking":"t","signature":"s"}]}])";
    auto r = decode_ok(body(R"("cache_control":{"type":"ephemeral"})", msgs));
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_TRUE(r.messages[1].content[0].cache_breakpoint);  // the text, not the thinking after it
    EXPECT_FALSE(r.messages[1].content[1].cache_breakpoint);
    EXPECT_FALSE(r.messages[0].content[0].cache_breakpoint);
    // Without it nothing is marked.
    EXPECT_FALSE(decode_ok(body("", msgs)).messages[1].content[0].cache_breakpoint);
}

TEST(AutomaticCaching, FallsBackToSystemAndCountsTowardTheLimit) {
    auto r = decode_ok(body(R"("cache_control":{"type":"ephemeral"},"system":"s")",
                            R"([{"role":"user","content":[]}])"));
    ASSERT_EQ(r.system.size(), 1u);
    EXPECT_TRUE(r.system[0].cache_breakpoint);
    const char* four =
        R"([{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},)"
        R"({"type":"text","text":"b","cache_control":{"type":"ephemeral"}},)"
        R"({"type":"text","text":"c","cache_control":{"type":"ephemeral"}},)"
        R"({"type":"text","text":"d","cache_control":{"type":"ephemeral"}},{"type":"text","text":"e"}]}])";
    EXPECT_EQ(decode_error(body(R"("cache_control":{"type":"ephemeral"})", four)),
              "A maximum of 4 blocks with cache_control may be provided. Found 5.");
    // The last block already marked: no new breakpoint, still within the limit.
    const char* marked =
        R"([{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},)"
        R"({"type":"text","text":"b","cache_control":{"type":"ephemeral"}},)"
        R"({"type":"text","text":"c","cache_control":{"type":"ephemeral"}},)"
        R"({"type":"text","text":"d","cache_control":{"type":"ephemeral"}}]}])";
    EXPECT_EQ(decode_error(body(R"("cache_control":{"type":"ephemeral"})", marked)), "");
    EXPECT_NE(decode_error(body(R"("cache_control":{"type":"lasting"})")), "");
}

ir::Request conversation(std::string system, std::vector<std::string> turns, std::string model = "m") {
    ir::Request r;
    r.model = std::move(model);
    r.system.push_back(ir::ContentBlock::make_text(std::move(system)));
    r.tools.push_back(ir::Tool{"Read", "Reads a file.", R"({"type":"object"})"});
    for (std::size_t i = 0; i < turns.size(); ++i)
        r.messages.push_back(ir::Message{i % 2 ? ir::Role::assistant : ir::Role::user,
                                         {ir::ContentBlock::make_text(turns[i])}});
    return r;
}

std::string reason(const ir::Request& before, const ir::Request& now, int64_t tokens = 1000) {
    return compare_shapes(shape_of(before), tokens, shape_of(now)).reason;
}

TEST(CacheDiagnosis, ReasonsInPromptOrder) {
    auto first = conversation("sys", {"hello"});
    EXPECT_EQ(reason(first, conversation("sys", {"hello", "hi", "more"})), "");  // appended only
    EXPECT_EQ(reason(first, conversation("sys", {"hello"})), "");
    EXPECT_EQ(reason(first, conversation("sys", {"hello"}, "other")), "model_changed");
    EXPECT_EQ(reason(first, conversation("sys 2", {"hello"})), "system_changed");
    EXPECT_EQ(reason(first, conversation("sys", {"HELLO", "hi", "more"})), "messages_changed");
    EXPECT_EQ(reason(first, conversation("sys", {})), "messages_changed");  // dropped, not appended
    auto tools = conversation("sys 2", {"hello"});
    tools.tools[0].description = "Reads.";
    EXPECT_EQ(reason(first, tools), "tools_changed");  // before system: tools come first in the prompt
    // A breakpoint moved is no change; a string echoed as one text block is the same message.
    auto marked = conversation("sys", {"hello"});
    marked.messages[0].content[0].cache_breakpoint = true;
    EXPECT_EQ(reason(first, marked), "");
}

TEST(CacheDiagnosis, MissedTokensAreTheShareFromTheFirstDifference) {
    auto first = conversation(std::string(100, 's'), {std::string(100, 'u')});
    auto d = compare_shapes(shape_of(first), 1000, shape_of(conversation(std::string(100, 's'), {"x"})));
    ASSERT_TRUE(d.missed_input_tokens);
    // The user message's 100 bytes (+ 'user' and 'text' labels) of ~240: about 0.44 of 1000 tokens.
    EXPECT_GT(*d.missed_input_tokens, 350);
    EXPECT_LT(*d.missed_input_tokens, 550);
    d = compare_shapes(shape_of(first), 1000, shape_of(conversation("s", {"hello"}, "other")));
    EXPECT_EQ(d.missed_input_tokens, 1000);
}

TEST(CacheDiagnosis, RemembersByMessageIdWithinItsBound) {
    CacheDiagnosis memory(2);
    auto first = conversation("sys", {"hello"});
    auto next = conversation("sys 2", {"hello", "hi", "more"});
    EXPECT_FALSE(memory.diagnose(next, shape_of(next)));  // names nothing: no diagnostics
    next.diagnose_against = "msg_1";
    EXPECT_EQ(memory.diagnose(next, shape_of(next))->reason, "previous_message_not_found");
    EXPECT_FALSE(memory.diagnose(next, shape_of(next))->missed_input_tokens);
    memory.remember("msg_1", shape_of(first), 500);
    auto d = memory.diagnose(next, shape_of(next));
    EXPECT_EQ(d->reason, "system_changed");
    memory.set_prompt_tokens("msg_1", 800);
    EXPECT_GT(*memory.diagnose(next, shape_of(next))->missed_input_tokens, *d->missed_input_tokens);
    memory.remember("msg_2", shape_of(first), 1);
    memory.diagnose(next, shape_of(next));  // msg_1 used last: msg_2 is the one to go
    memory.remember("msg_3", shape_of(first), 1);
    EXPECT_EQ(memory.size(), 2u);
    EXPECT_EQ(memory.diagnose(next, shape_of(next))->reason, "system_changed");
    next.diagnose_against = "msg_2";
    EXPECT_EQ(memory.diagnose(next, shape_of(next))->reason, "previous_message_not_found");
}

std::string sse(const ir::Event& ev) {
    std::string out;
    encode_sse(ev, out);
    return out;
}

TEST(CacheDiagnosisEncode, OnMessageStartAndTheWholeMessage) {
    ir::MessageStart start{"msg_1", "m", {}};
    EXPECT_EQ(sse(start).find("diagnostics"), std::string::npos);  // not asked: not there
    start.diagnostics = ir::CacheDiagnostics{};
    EXPECT_NE(sse(start).find(R"("output_tokens":0},"diagnostics":{"cache_miss_reason":null}}})"), std::string::npos)
        << sse(start);
    start.diagnostics = ir::CacheDiagnostics{"system_changed", 1234};
    EXPECT_NE(sse(start).find(
                  R"("diagnostics":{"cache_miss_reason":{"type":"system_changed","cache_missed_input_tokens":1234}})"),
              std::string::npos);
    start.diagnostics = ir::CacheDiagnostics{"previous_message_not_found", std::nullopt};
    EXPECT_NE(sse(start).find(R"("diagnostics":{"cache_miss_reason":{"type":"previous_message_not_found"}})"),
              std::string::npos);
    MessageAggregator agg;
    agg.add(start);
    agg.add(ir::MessageDelta{});
    agg.add(ir::MessageStop{});
    EXPECT_NE(agg.to_json().find(R"("diagnostics":{"cache_miss_reason":{"type":"previous_message_not_found"}})"),
              std::string::npos)
        << agg.to_json();
}

}  // namespace
}  // namespace anyclaude::anthropic
