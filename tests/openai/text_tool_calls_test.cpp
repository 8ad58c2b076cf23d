// Tests of the streaming text tool-call / think-tag parser, including every way of splitting the
// input into deltas.
#include <gtest/gtest.h>

#include "openai/text_tool_calls.hpp"

namespace anyclaude::openai {
namespace {

using Kind = TextSegment::Kind;

std::vector<ir::Tool> tools() {
    return {
        {"Read", "", R"({"type":"object","properties":{"file_path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":["integer","null"]}}})", false, false},
        {"Edit", "", R"({"type":"object","properties":{"file_path":{"type":"string"},"replace_all":{"type":"boolean"},"ratio":{"type":"number"},"opts":{"type":"object"},"lines":{"type":"array"}}})", false, false},
    };
}

// Segments as lines: "text:<..>", "thinking:<..>", "call:<name> <args>"; adjacent text merged.
std::vector<std::string> lines(const std::vector<TextSegment>& segs) {
    std::vector<std::string> out;
    Kind last = Kind::tool_call;
    for (const auto& s : segs) {
        if (s.kind == Kind::tool_call) {
            out.push_back("call:" + s.name + " " + s.arguments_json);
        } else {
            std::string prefix = s.kind == Kind::text ? "text:" : "thinking:";
            if (!out.empty() && last == s.kind) {
                out.back() += s.text;
            } else {
                out.push_back(prefix + s.text);
            }
        }
        last = s.kind;
    }
    return out;
}

std::vector<std::string> parse_whole(std::string_view input, bool calls = true, bool think = true) {
    TextToolCallParser p(tools(), calls, think);
    std::vector<TextSegment> segs;
    p.feed(input, segs);
    p.finish(segs);
    return lines(segs);
}

std::vector<std::string> parse_bytewise(std::string_view input, bool calls = true, bool think = true) {
    TextToolCallParser p(tools(), calls, think);
    std::vector<TextSegment> segs;
    for (char c : input) p.feed(std::string_view(&c, 1), segs);
    p.finish(segs);
    return lines(segs);
}

std::vector<std::string> parse_split(std::string_view input, std::size_t at) {
    TextToolCallParser p(tools(), true, true);
    std::vector<TextSegment> segs;
    p.feed(input.substr(0, at), segs);
    p.feed(input.substr(at), segs);
    p.finish(segs);
    return lines(segs);
}

// The result must not depend on how the text was cut into deltas.
void expect_split_invariant(std::string_view input, const std::vector<std::string>& expected) {
    EXPECT_EQ(parse_whole(input), expected);
    EXPECT_EQ(parse_bytewise(input), expected);
    for (std::size_t at = 0; at <= input.size(); ++at) EXPECT_EQ(parse_split(input, at), expected) << "split at " << at;
}

TEST(TextToolCalls, PlainTextFlowsOutImmediately) {
    TextToolCallParser p(tools(), true, true);
    std::vector<TextSegment> segs;
    p.feed("Hello world", segs);
    ASSERT_EQ(segs.size(), 1u);
    EXPECT_EQ(segs[0].text, "Hello world");
    p.feed(" a < b and <b>bold</b>", segs);
    EXPECT_EQ(lines(segs), (std::vector<std::string>{"text:Hello world a < b and <b>bold</b>"}));
}

TEST(TextToolCalls, HoldsBackOnlyWhatCouldStartATag) {
    TextToolCallParser p(tools(), true, true);
    std::vector<TextSegment> segs;
    p.feed("Let me check. <tool_c", segs);
    EXPECT_EQ(lines(segs), (std::vector<std::string>{"text:Let me check. "}));
    segs.clear();
    p.feed("x> is not a tag", segs);
    EXPECT_EQ(lines(segs), (std::vector<std::string>{"text:<tool_cx> is not a tag"}));
}

TEST(TextToolCalls, HeldBackPartialTagIsTextAtTheEnd) {
    EXPECT_EQ(parse_whole("ends with <tool_ca"), (std::vector<std::string>{"text:ends with <tool_ca"}));
    EXPECT_EQ(parse_whole("ends with <"), (std::vector<std::string>{"text:ends with <"}));
}

TEST(TextToolCalls, HermesCall) {
    expect_split_invariant("I'll read it.\n<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/a.py\", \"offset\": 3}}\n</tool_call>",
                           {"text:I'll read it.\n", R"(call:Read {"file_path":"/a.py","offset":3})"});
}

TEST(TextToolCalls, HermesArgumentsAsJsonString) {
    EXPECT_EQ(parse_whole(R"(<tool_call>{"name":"Read","arguments":"{\"file_path\":\"/b\"}"}</tool_call>)"),
              (std::vector<std::string>{R"(call:Read {"file_path":"/b"})"}));
    EXPECT_EQ(parse_whole(R"(<tool_call>{"name":"Read","parameters":{"file_path":"/c"}}</tool_call>)"),
              (std::vector<std::string>{R"(call:Read {"file_path":"/c"})"}));
    EXPECT_EQ(parse_whole(R"(<tool_call>{"name":"ListAgents"}</tool_call>)"), (std::vector<std::string>{"call:ListAgents {}"}));
}

TEST(TextToolCalls, HermesKeepsArgumentKeyOrder) {
    EXPECT_EQ(parse_whole(R"(<tool_call>{"arguments": {"z": 1, "a": {"y": [1, 2], "b": null}}, "name": "X"}</tool_call>)"),
              (std::vector<std::string>{R"(call:X {"z":1,"a":{"y":[1,2],"b":null}})"}));
}

TEST(TextToolCalls, SeveralHermesCallsWithTextBetween) {
    expect_split_invariant(
        "<tool_call>\n{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/a\"}}\n</tool_call>\n<tool_call>\n"
        "{\"name\": \"Read\", \"arguments\": {\"file_path\": \"/b\"}}\n</tool_call>",
        {R"(call:Read {"file_path":"/a"})", "text:\n", R"(call:Read {"file_path":"/b"})"});
}

TEST(TextToolCalls, MalformedHermesFallsBackToText) {
    std::string bad = "<tool_call>{\"name\": \"Read\", \"arguments\": {\"file_path\": }</tool_call> after";
    expect_split_invariant(bad, {"text:" + bad});
    EXPECT_EQ(parse_whole(R"(<tool_call>{"arguments":{}}</tool_call>)"), (std::vector<std::string>{R"(text:<tool_call>{"arguments":{}}</tool_call>)"}));
    EXPECT_EQ(parse_whole(R"(<tool_call>{"name":"X","arguments":"not json"}</tool_call>)"),
              (std::vector<std::string>{R"(text:<tool_call>{"name":"X","arguments":"not json"}</tool_call>)"}));
    EXPECT_EQ(parse_whole("<tool_call>just words</tool_call>"), (std::vector<std::string>{"text:<tool_call>just words</tool_call>"}));
}

TEST(TextToolCalls, UnterminatedCallAtTheEndIsText) {
    expect_split_invariant("<tool_call>\n{\"name\": \"Read\", \"argum", {"text:<tool_call>\n{\"name\": \"Read\", \"argum"});
    expect_split_invariant("<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n",
                           {"text:<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n"});
}

TEST(TextToolCalls, CompleteCallMissingOnlyTheWrapperCloseIsAccepted) {
    EXPECT_EQ(parse_whole("<tool_call>\n<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n</function>\n"),
              (std::vector<std::string>{R"(call:Read {"file_path":"/a"})"}));
    EXPECT_EQ(parse_whole("<tool_call>{\"name\":\"Read\",\"arguments\":{}}"), (std::vector<std::string>{"call:Read {}"}));
}

TEST(TextToolCalls, Qwen3CoderXmlWrapped) {
    expect_split_invariant(
        "Reading.\n<tool_call>\n<function=Read>\n<parameter=file_path>\n/home/dev/a.py\n</parameter>\n"
        "<parameter=offset>\n10\n</parameter>\n</function>\n</tool_call>",
        {"text:Reading.\n", R"(call:Read {"file_path":"/home/dev/a.py","offset":10})"});
}

TEST(TextToolCalls, Qwen3CoderXmlWithoutWrapper) {
    expect_split_invariant("<function=Read>\n<parameter=file_path>\n/x\n</parameter>\n</function>\ndone",
                           {R"(call:Read {"file_path":"/x"})", "text:\ndone"});
}

TEST(TextToolCalls, XmlValuesTypedBySchema) {
    EXPECT_EQ(parse_whole("<tool_call><function=Edit>"
                          "<parameter=ratio>\n0.5\n</parameter>"
                          "<parameter=replace_all>\ntrue\n</parameter>"
                          "<parameter=opts>\n{\"b\": 1, \"a\": 2}\n</parameter>"
                          "<parameter=lines>\n[1, \"two\"]\n</parameter>"
                          "<parameter=file_path>\n123\n</parameter>"
                          "<parameter=unknown>\n42\n</parameter>"
                          "</function></tool_call>"),
              (std::vector<std::string>{R"(call:Edit {"ratio":0.5,"replace_all":true,"opts":{"b":1,"a":2},"lines":[1,"two"],"file_path":"123","unknown":"42"})"}));
}

TEST(TextToolCalls, XmlInvalidTypedValueStaysString) {
    EXPECT_EQ(parse_whole("<function=Read><parameter=offset>\nten\n</parameter><parameter=limit>\n5\n</parameter></function>"),
              (std::vector<std::string>{R"(call:Read {"offset":"ten","limit":5})"}));
}

TEST(TextToolCalls, XmlTrimsOnlyOneNewlineEachSide) {
    EXPECT_EQ(parse_whole("<function=Write><parameter=content>\n\n  line1\nline2\n\n</parameter></function>"),
              (std::vector<std::string>{R"(call:Write {"content":"\n  line1\nline2\n"})"}));
    EXPECT_EQ(parse_whole("<function=Write><parameter=content>no newlines</parameter></function>"),
              (std::vector<std::string>{R"(call:Write {"content":"no newlines"})"}));
}

TEST(TextToolCalls, XmlSeveralFunctionsInOneWrapper) {
    EXPECT_EQ(parse_whole("<tool_call>\n<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n</function>\n"
                          "<function=Read>\n<parameter=file_path>\n/b\n</parameter>\n</function>\n</tool_call>"),
              (std::vector<std::string>{R"(call:Read {"file_path":"/a"})", R"(call:Read {"file_path":"/b"})"}));
}

TEST(TextToolCalls, MalformedXmlFallsBackToText) {
    std::string bad = "<tool_call><function=Read><parameter=file_path>/a</function></tool_call>";
    EXPECT_EQ(parse_whole(bad), (std::vector<std::string>{"text:" + bad}));
    std::string no_name = "<function=>x</function>";
    EXPECT_EQ(parse_whole(no_name), (std::vector<std::string>{"text:" + no_name}));
}

TEST(TextToolCalls, ThinkTagsAtTheStart) {
    expect_split_invariant("<think>\nplan the edit\n</think>\n\nDone.", {"thinking:\nplan the edit\n", "text:\n\nDone."});
    expect_split_invariant("  \n<think>a</think>b", {"text:  \n", "thinking:a", "text:b"});
}

TEST(TextToolCalls, ThinkingStreamsBeforeTheCloseTag) {
    TextToolCallParser p(tools(), true, true);
    std::vector<TextSegment> segs;
    p.feed("<think>step one</th", segs);
    EXPECT_EQ(lines(segs), (std::vector<std::string>{"thinking:step one"}));
}

TEST(TextToolCalls, ThinkAfterTextIsProse) {
    EXPECT_EQ(parse_whole("Use the <think> tag."), (std::vector<std::string>{"text:Use the <think> tag."}));
}

TEST(TextToolCalls, UnterminatedThinkStaysThinking) {
    expect_split_invariant("<think>still thinking </thi", {"thinking:still thinking </thi"});
}

TEST(TextToolCalls, ThinkThenToolCall) {
    expect_split_invariant("<think>need file</think>\n<tool_call>\n{\"name\":\"Read\",\"arguments\":{\"file_path\":\"/a\"}}\n</tool_call>",
                           {"thinking:need file", "text:\n", R"(call:Read {"file_path":"/a"})"});
}

TEST(TextToolCalls, DisabledParsingLeavesTagsAsText) {
    std::string s = "<think>x</think><tool_call>{\"name\":\"Read\"}</tool_call>";
    EXPECT_EQ(parse_whole(s, false, false), (std::vector<std::string>{"text:" + s}));
    EXPECT_EQ(parse_bytewise(s, false, true), (std::vector<std::string>{"thinking:x", "text:<tool_call>{\"name\":\"Read\"}</tool_call>"}));
    EXPECT_EQ(parse_whole(s, true, false), (std::vector<std::string>{"text:<think>x</think>", "call:Read {}"}));
}

TEST(TextToolCalls, Utf8PassesThroughIntact) {
    expect_split_invariant("h\xc3\xa9llo \xe2\x9c\x93 <tool_call>{\"name\":\"Read\",\"arguments\":{\"file_path\":\"/\xc3\xa9\"}}</tool_call>",
                           {"text:h\xc3\xa9llo \xe2\x9c\x93 ", "call:Read {\"file_path\":\"/\xc3\xa9\"}"});
}

TEST(TextToolCalls, ParserIsReusableAfterFinish) {
    TextToolCallParser p(tools(), true, true);
    std::vector<TextSegment> segs;
    p.feed("<tool_call>{\"name\":", segs);
    p.finish(segs);
    p.feed("<tool_call>{\"name\":\"Read\"}</tool_call>", segs);
    p.finish(segs);
    EXPECT_EQ(lines(segs), (std::vector<std::string>{"text:<tool_call>{\"name\":", "call:Read {}"}));
}

}  // namespace
}  // namespace anyclaude::openai
