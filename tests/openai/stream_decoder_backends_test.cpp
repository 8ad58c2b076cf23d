// ChatStreamDecoder on streams shaped like what each backend sends (llama-server, MLX-LM, vLLM,
// LM Studio, Ollama; shapes from BACKENDS.md and the servers' sources), and on models that print
// tool calls and thinking as text, fed whole and one character at a time.
#include <gtest/gtest.h>

#include "common/json.hpp"
#include "ir/thinking_signature.hpp"
#include "openai/block_sequence.hpp"
#include "openai/decode_helpers.hpp"
#include "openai/event_text.hpp"

namespace anyclaude::openai {
namespace {

using test::decode_lines;
using Lines = std::vector<std::string>;

const std::string kEnd = "message_stop";

TEST(BackendStreams, LlamaServerReasoningAndFragmentedToolCall) {
    const std::string head = R"({"choices":[{"finish_reason":null,"index":0,"delta":)";
    const std::string tail = R"(}],"created":1764250000,"id":"chatcmpl-hW2x","model":"qwen3-coder","system_fingerprint":"b7123-4f9a1c2","object":"chat.completion.chunk"})";
    Lines stream = {
        head + R"({"role":"assistant","content":null})" + tail,
        head + R"({"reasoning_content":"The user wants"})" + tail,
        head + R"({"reasoning_content":" util.py."})" + tail,
        head + R"({"tool_calls":[{"index":0,"id":"Kx7bq2LmR9aZc4Vd","type":"function","function":{"name":"Read","arguments":""}}]})" + tail,
        head + R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"file_path\":"}}]})" + tail,
        head + R"({"tool_calls":[{"index":0,"function":{"arguments":"\"/home/dev/project/util.py\"}"}}]})" + tail,
        R"({"choices":[{"finish_reason":"tool_calls","index":0,"delta":{}}],"created":1764250000,"id":"chatcmpl-hW2x","model":"qwen3-coder","system_fingerprint":"b7123-4f9a1c2","object":"chat.completion.chunk","timings":{"cache_n":11849,"prompt_n":19,"prompt_ms":61.2,"prompt_per_token_ms":3.2,"prompt_per_second":310.4,"predicted_n":31,"predicted_ms":402.9,"predicted_per_token_ms":13.0,"predicted_per_second":76.9}})",
        R"({"choices":[],"created":1764250000,"id":"chatcmpl-hW2x","model":"qwen3-coder","system_fingerprint":"b7123-4f9a1c2","object":"chat.completion.chunk","usage":{"completion_tokens":31,"prompt_tokens":11868,"total_tokens":11899,"prompt_tokens_details":{"cached_tokens":11849}},"timings":{"cache_n":11849,"prompt_n":19,"predicted_n":31}})",
        "[DONE]",
    };
    EXPECT_EQ(decode_lines(stream),
              (Lines{"start 0 thinking", "delta 0 thinking The user wants", "delta 0 thinking  util.py.",
                     "delta 0 signature " + ir::thinking_signature("The user wants util.py."), "stop 0",
                     "start 1 tool_use Kx7bq2LmR9aZc4Vd Read", "delta 1 input_json {\"file_path\":",
                     "delta 1 input_json \"/home/dev/project/util.py\"}", "stop 1",
                     "message_delta tool_use in=19 out=31 cache_read=11849 cache_creation=0", kEnd}));
}

TEST(BackendStreams, OlderLlamaServerReportsCacheOnlyInTimings) {
    Lines stream = {
        R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hi"}}],"object":"chat.completion.chunk"})",
        R"({"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"object":"chat.completion.chunk","usage":{"completion_tokens":2,"prompt_tokens":11868,"total_tokens":11870},"timings":{"cache_n":11846,"prompt_n":22,"predicted_n":2}})",
        "[DONE]",
    };
    EXPECT_EQ(decode_lines(stream),
              (Lines{"start 0 text", "delta 0 text Hi", "stop 0", "message_delta end_turn in=22 out=2 cache_read=11846 cache_creation=0", kEnd}));
}

TEST(BackendStreams, MlxLmWholeParallelToolCallsAndReasoning) {
    const std::string meta = R"("id":"chatcmpl-5d2c0e9a","system_fingerprint":"0.29.1-0.27.1-Linux","object":"chat.completion.chunk","model":"mlx-community/Qwen3-30B-A3B-4bit","created":1764250000)";
    Lines stream = {
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Two files"},"logprobs":null,"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":" to read."},"logprobs":null,"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"Read","arguments":"{\"file_path\": \"/a.py\"}"},"type":"function","id":"7f3a1d2e-0c4b-4b8e-9a51-2d6f8e1c0b3a","index":0}]},"logprobs":null,"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"Read","arguments":"{\"file_path\": \"/b.py\"}"},"type":"function","id":"b91e6c40-3f7d-4a2b-8c15-6e0d9f2a7b14","index":1}]},"logprobs":null,"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"tool_calls"}]})",
        "{" + meta + R"(,"choices":[],"usage":{"prompt_tokens":2048,"completion_tokens":64,"total_tokens":2112,"prompt_tokens_details":{"cached_tokens":1536}}})",
        "[DONE]",
    };
    EXPECT_EQ(decode_lines(stream),
              (Lines{"start 0 thinking", "delta 0 thinking Two files", "delta 0 thinking  to read.",
                     "delta 0 signature " + ir::thinking_signature("Two files to read."), "stop 0",
                     "start 1 tool_use 7f3a1d2e-0c4b-4b8e-9a51-2d6f8e1c0b3a Read", "delta 1 input_json {\"file_path\": \"/a.py\"}", "stop 1",
                     "start 2 tool_use b91e6c40-3f7d-4a2b-8c15-6e0d9f2a7b14 Read", "delta 2 input_json {\"file_path\": \"/b.py\"}", "stop 2",
                     "message_delta tool_use in=512 out=64 cache_read=1536 cache_creation=0", kEnd}));
}

TEST(BackendStreams, VllmReasoningBothFieldsTextAndToolCall) {
    const std::string meta = R"("id":"chatcmpl-8c1f","object":"chat.completion.chunk","created":1764250000,"model":"Qwen/Qwen3-8B")";
    auto c = [&](const std::string& delta, const std::string& finish = "null") {
        return "{" + meta + R"(,"choices":[{"index":0,"delta":)" + delta + R"(,"logprobs":null,"finish_reason":)" + finish + "}]}";
    };
    Lines stream = {
        c(R"({"role":"assistant","content":""})"),
        c(R"({"reasoning":"Check","reasoning_content":"Check"})"),
        c(R"({"reasoning":" the dir.","reasoning_content":" the dir."})"),
        c(R"({"content":"\n\nRunning ls."})"),
        c(R"({"tool_calls":[{"id":"chatcmpl-tool-3a9e0f","type":"function","index":0,"function":{"name":"Bash"}}]})"),
        c(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"command\": \""}}]})"),
        c(R"({"tool_calls":[{"index":0,"function":{"arguments":"ls\"}"}}]})"),
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}]})",
        "{" + meta + R"(,"choices":[],"usage":{"prompt_tokens":812,"total_tokens":860,"completion_tokens":48,"prompt_tokens_details":null}})",
        "[DONE]",
    };
    EXPECT_EQ(decode_lines(stream),
              (Lines{"start 0 thinking", "delta 0 thinking Check", "delta 0 thinking  the dir.",
                     "delta 0 signature " + ir::thinking_signature("Check the dir."), "stop 0", "start 1 text", "delta 1 text Running ls.",
                     "stop 1", "start 2 tool_use chatcmpl-tool-3a9e0f Bash", "delta 2 input_json {\"command\": \"", "delta 2 input_json ls\"}",
                     "stop 2", "message_delta tool_use in=812 out=48 cache_read=0 cache_creation=0", kEnd}));
}

TEST(BackendStreams, LmStudioThinkTagsInContent) {
    const std::string meta = R"("id":"chatcmpl-lmx4","object":"chat.completion.chunk","created":1764250000,"model":"qwen/qwen3-8b","system_fingerprint":"qwen/qwen3-8b")";
    auto c = [&](const std::string& content) {
        std::string quoted;
        json::write_string(content, quoted);
        return "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":)" + quoted + R"(},"logprobs":null,"finish_reason":null}]})";
    };
    Lines stream = {c("<think>"), c("\n"), c("Say"), c(" hi"), c(".\n"), c("</think>"), c("\n\n"), c("Hi"), c("!"),
                    "{" + meta + R"(,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]})",
                    "{" + meta + R"(,"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}})", "[DONE]"};
    EXPECT_EQ(decode_lines(stream, {}, true),
              (Lines{"start 0 thinking", "delta 0 thinking Say hi.\n", "delta 0 signature " + ir::thinking_signature("Say hi.\n"), "stop 0",
                     "start 1 text", "delta 1 text Hi!", "stop 1", "message_delta end_turn in=40 out=12 cache_read=0 cache_creation=0",
                     kEnd}));
}

TEST(BackendStreams, LmStudioFragmentedToolCall) {
    const std::string meta = R"("id":"chatcmpl-lm9","object":"chat.completion.chunk","created":1764250000,"model":"qwen/qwen3-coder-30b","system_fingerprint":"qwen/qwen3-coder-30b")";
    Lines stream = {
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"365174485","type":"function","function":{"name":"Read","arguments":""}}]},"logprobs":null,"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"type":"function","function":{"arguments":"{\"file_path\":\"/a\"}"}}]},"logprobs":null,"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]})",
        "{" + meta + R"(,"choices":[],"usage":{"prompt_tokens":9000,"completion_tokens":20,"total_tokens":9020}})",
        "[DONE]",
    };
    EXPECT_EQ(decode_lines(stream),
              (Lines{"start 0 tool_use 365174485 Read", "delta 0 input_json {\"file_path\":\"/a\"}", "stop 0",
                     "message_delta tool_use in=9000 out=20 cache_read=0 cache_creation=0", kEnd}));
}

TEST(BackendStreams, OllamaWholeToolCallAndReasoning) {
    const std::string meta = R"("id":"chatcmpl-417","object":"chat.completion.chunk","created":1764250000,"model":"qwen3:8b","system_fingerprint":"fp_ollama")";
    Lines stream = {
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Need the file."},"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"id":"call_q8v2k1ma","index":0,"type":"function","function":{"name":"Read","arguments":"{\"file_path\":\"/etc/hosts\"}"}}]},"finish_reason":null}]})",
        "{" + meta + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"tool_calls"}]})",
        "{" + meta + R"(,"choices":[],"usage":{"prompt_tokens":300,"completion_tokens":25,"total_tokens":325}})",
        "[DONE]",
    };
    EXPECT_EQ(decode_lines(stream),
              (Lines{"start 0 thinking", "delta 0 thinking Need the file.", "delta 0 signature " + ir::thinking_signature("Need the file."),
                     "stop 0", "start 1 tool_use call_q8v2k1ma Read", "delta 1 input_json {\"file_path\":\"/etc/hosts\"}", "stop 1",
                     "message_delta tool_use in=300 out=25 cache_read=0 cache_creation=0", kEnd}));
}

// Qwen3 with thinking switched off still prints an empty think block: no block comes of it.
TEST(BackendStreams, EmptyThinkBlockProducesNothing) {
    EXPECT_EQ(decode_lines({test::content_chunk("<think>\n\n</think>\n\n"), test::content_chunk("Hello"), test::chunk("{}", "stop")}),
              (Lines{"start 0 text", "delta 0 text Hello", "stop 0", "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

// Text content delivered one character per chunk, and whole.
Lines decode_text(const std::string& content, bool one_char_per_chunk, StreamDecoderOptions opt) {
    Lines payloads;
    if (one_char_per_chunk) {
        for (char ch : content) payloads.push_back(test::content_chunk(std::string(1, ch)));
    } else {
        payloads.push_back(test::content_chunk(content));
    }
    payloads.push_back(test::chunk("{}", "stop"));
    return test::without_generated_ids(decode_lines(payloads, std::move(opt), true));
}

void expect_same_whole_and_by_char(const std::string& content, const Lines& expected) {
    StreamDecoderOptions opt;
    opt.tools = test::sample_tools();
    EXPECT_EQ(decode_text(content, false, opt), expected);
    EXPECT_EQ(decode_text(content, true, opt), expected);
}

TEST(TextPrintedToolCalls, HermesThroughTheDecoder) {
    expect_same_whole_and_by_char(
        "I'll check.\n<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls -la\", \"timeout\": 5}}\n</tool_call>",
        {"start 0 text", "delta 0 text I'll check.\n", "stop 0", "start 1 tool_use toolu_* Bash",
         "delta 1 input_json {\"command\":\"ls -la\",\"timeout\":5}", "stop 1",
         "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd});
}

TEST(TextPrintedToolCalls, Qwen3CoderXmlThroughTheDecoder) {
    expect_same_whole_and_by_char(
        "<tool_call>\n<function=Bash>\n<parameter=command>\necho \"a < b\"\n</parameter>\n<parameter=timeout>\n30\n</parameter>\n"
        "<parameter=run_in_background>\nfalse\n</parameter>\n</function>\n</tool_call>\n"
        "<tool_call>\n<function=Read>\n<parameter=file_path>\n/x.py\n</parameter>\n<parameter=offset>\n1\n</parameter>\n</function>\n</tool_call>",
        {"start 0 tool_use toolu_* Bash", "delta 0 input_json {\"command\":\"echo \\\"a < b\\\"\",\"timeout\":30,\"run_in_background\":false}",
         "stop 0", "start 1 tool_use toolu_* Read", "delta 1 input_json {\"file_path\":\"/x.py\",\"offset\":1}", "stop 1",
         "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd});
}

TEST(TextPrintedToolCalls, ThinkThenTextThenCall) {
    expect_same_whole_and_by_char(
        "<think>\nRead first.\n</think>\n\nReading.\n<function=Read>\n<parameter=file_path>\n/a\n</parameter>\n</function>",
        {"start 0 thinking", "delta 0 thinking Read first.\n", "delta 0 signature " + ir::thinking_signature("Read first.\n"), "stop 0",
         "start 1 text", "delta 1 text Reading.\n", "stop 1", "start 2 tool_use toolu_* Read", "delta 2 input_json {\"file_path\":\"/a\"}",
         "stop 2", "message_delta tool_use in=0 out=0 cache_read=0 cache_creation=0", kEnd});
}

TEST(TextPrintedToolCalls, BrokenCallEndsAsText) {
    expect_same_whole_and_by_char("Trying <tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": ",
                                  {"start 0 text", "delta 0 text Trying <tool_call>{\"name\": \"Bash\", \"arguments\": {\"command\": ",
                                   "stop 0", "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd});
}

TEST(TextPrintedToolCalls, ParsingOffLeavesText) {
    StreamDecoderOptions opt;
    opt.parse_text_tool_calls = false;
    opt.parse_think_tags = false;
    std::string content = "<think>x</think><tool_call>{\"name\":\"Read\"}</tool_call>";
    EXPECT_EQ(decode_text(content, true, opt),
              (Lines{"start 0 text", "delta 0 text " + content, "stop 0", "message_delta end_turn in=0 out=0 cache_read=0 cache_creation=0", kEnd}));
}

}  // namespace
}  // namespace anyclaude::openai
