// Fuzzes the parser of tool calls and thinking that models print as text (Hermes JSON,
// Qwen3-Coder XML, <think>): the input is the model's text, fed whole, one byte at a time and in
// chunks chosen from the input, under every combination of the two switches.
//
// Invariants:
//   - the segments (adjacent text / thinking merged) do not depend on how the text was split;
//   - no empty segment; a tool call has a name and its arguments are one JSON object;
//   - with both switches off the text comes out unchanged; with tool calls off none is produced;
//   - valid UTF-8 in gives valid UTF-8 out (no sequence is cut), arguments strictly valid JSON.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"
#include "fuzz_support.hpp"
#include "openai/text_tool_calls.hpp"

namespace {

using namespace anyclaude;
using openai::TextSegment;

std::vector<ir::Tool> fuzz_tools() {
    return {
        {"Read", "Reads a file",
         R"({"type":"object","properties":{"file_path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":["integer","null"]}},"required":["file_path"]})",
         false, false},
        {"Bash", "Runs a command",
         R"({"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"run_in_background":{"type":"boolean"},"env":{"type":"object"},"args":{"type":"array"}},"required":["command"]})",
         false, false},
        {"Broken", "A tool whose schema is not JSON", R"({"type":"object","properties":)", false, false},
    };
}

// Adjacent text (or thinking) segments merged: the parser merges only within one feed() call.
std::vector<TextSegment> merged(const std::vector<TextSegment>& in) {
    std::vector<TextSegment> out;
    for (const auto& s : in) {
        if (!out.empty() && s.kind != TextSegment::Kind::tool_call && out.back().kind == s.kind) {
            out.back().text += s.text;
            continue;
        }
        out.push_back(s);
    }
    return out;
}

bool same(const std::vector<TextSegment>& a, const std::vector<TextSegment>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].kind != b[i].kind || a[i].text != b[i].text || a[i].name != b[i].name ||
            a[i].arguments_json != b[i].arguments_json)
            return false;
    }
    return true;
}

bool is_json_object(std::string_view text, bool strict_utf8) {
    boost::json::parse_options opt;
    opt.max_depth = 100000;
    opt.allow_invalid_utf8 = !strict_utf8;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec, {}, opt);
    return !ec && v.is_object();
}

std::vector<TextSegment> run(const std::vector<std::string_view>& pieces, bool tools, bool think) {
    openai::TextToolCallParser parser(fuzz_tools(), tools, think);
    std::vector<TextSegment> out;
    for (auto p : pieces) parser.feed(p, out);
    parser.finish(out);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const bool utf8 = utf8::is_valid(text);

    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
    const std::vector<std::string_view> whole_input = {text};
    const auto pieces = fuzz::split(text, fuzz::input_hash(text));

    for (int mode = 0; mode < 4; ++mode) {
        const bool tools = mode & 1, think = mode & 2;
        auto whole = merged(run(whole_input, tools, think));
        FUZZ_CHECK(same(whole, merged(run(pieces, tools, think))));
        FUZZ_CHECK(same(whole, merged(run(bytes, tools, think))));

        std::string all_text;
        for (const auto& s : whole) {
            if (s.kind == TextSegment::Kind::tool_call) {
                FUZZ_CHECK(tools);
                FUZZ_CHECK(!s.name.empty());
                FUZZ_CHECK(is_json_object(s.arguments_json, false));
                if (utf8) {
                    FUZZ_CHECK(is_json_object(s.arguments_json, true));
                    FUZZ_CHECK(utf8::is_valid(s.name));
                }
            } else {
                FUZZ_CHECK(!s.text.empty());
                if (s.kind == TextSegment::Kind::thinking) FUZZ_CHECK(think);
                if (utf8) FUZZ_CHECK(utf8::is_valid(s.text));
                all_text += s.text;
            }
        }
        if (!tools && !think) FUZZ_CHECK(whole.size() <= 1 && all_text == text);
    }

    // A parser is reusable after finish(): a second document parses as a fresh one would.
    {
        openai::TextToolCallParser parser(fuzz_tools(), true, true);
        std::vector<TextSegment> first, second;
        parser.feed(text, first);
        parser.finish(first);
        parser.feed("<tool_call>{\"name\":\"Read\",\"arguments\":{\"file_path\":\"/x\"}}</tool_call>", second);
        parser.finish(second);
        FUZZ_CHECK(!second.empty() && second.back().kind == TextSegment::Kind::tool_call);
    }
    return 0;
}
