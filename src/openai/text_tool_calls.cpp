// Streaming recogniser of tool calls and thinking that models print as text (see text_tool_calls.hpp).
// Text flows out as soon as it cannot be the start of a tag; a tool call is held back whole and
// emitted when its closing tag arrives. Rules:
//   - <think> is honoured only before any non-whitespace text came out (models open with it; later
//     mentions of the tag are prose). An unterminated <think> at the end stays thinking.
//   - <tool_call>...</tool_call> holds Hermes JSON or Qwen3-Coder XML; <function=...>...</function>
//     may also stand alone. A body that does not parse falls back to text, tags included.
//   - At the end, a tool call missing its closing tag is accepted when its body is a complete
//     call (Qwen3-Coder may stop right after </function>); otherwise it is text.
#include "openai/text_tool_calls.hpp"

#include <cctype>

#include "openai/tool_call_formats.hpp"

namespace anyclaude::openai {

namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kToolCallOpen = "<tool_call>";
constexpr std::string_view kToolCallClose = "</tool_call>";
constexpr std::string_view kFunctionOpen = "<function=";
constexpr std::string_view kFunctionClose = "</function>";

bool has_non_space(std::string_view s) {
    for (unsigned char c : s)
        if (!std::isspace(c)) return true;
    return false;
}

// Length of the longest suffix of s that is a proper prefix of tag (it may complete later).
std::size_t partial_suffix(std::string_view s, std::string_view tag) {
    std::size_t max = std::min(s.size(), tag.size() - 1);
    for (std::size_t n = max; n > 0; --n)
        if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
    return 0;
}

void append(std::vector<TextSegment>& out, TextSegment::Kind kind, std::string_view s) {
    if (s.empty()) return;
    if (!out.empty() && out.back().kind == kind) {
        out.back().text.append(s);
        return;
    }
    TextSegment seg;
    seg.kind = kind;
    seg.text = std::string(s);
    out.push_back(std::move(seg));
}

// Emits the tool call(s) in body; false when body is neither Hermes JSON nor Qwen3-Coder XML.
bool parse_body(std::string_view body, const std::vector<ir::Tool>& tools, std::vector<TextSegment>& out) {
    std::size_t first = 0;
    while (first < body.size() && std::isspace(static_cast<unsigned char>(body[first]))) ++first;
    std::string_view rest = body.substr(first);
    if (rest.starts_with("{") || rest.starts_with("[")) return parse_hermes_calls(rest, out);
    if (rest.starts_with(kFunctionOpen)) return parse_xml_function_calls(rest, tools, out);
    return false;
}

}  // namespace

TextToolCallParser::TextToolCallParser(std::vector<ir::Tool> tools, bool parse_tool_calls, bool parse_think_tags)
    : tools_(std::move(tools)), parse_tool_calls_(parse_tool_calls), parse_think_(parse_think_tags) {}

void TextToolCallParser::feed(std::string_view delta, std::vector<TextSegment>& out) {
    buf_.append(delta);
    drain(out, false);
}

void TextToolCallParser::finish(std::vector<TextSegment>& out) {
    drain(out, true);
    buf_.clear();
    open_tag_.clear();
    searched_ = 0;
    state_ = State::text;
}

void TextToolCallParser::emit_text(std::string_view s, std::vector<TextSegment>& out) {
    if (has_non_space(s)) seen_text_ = true;
    append(out, TextSegment::Kind::text, s);
}

void TextToolCallParser::emit_thinking(std::string_view s, std::vector<TextSegment>& out) {
    append(out, TextSegment::Kind::thinking, s);
}

TextToolCallParser::TagMatch TextToolCallParser::match_open_tag() const {
    std::string_view b = buf_;
    bool any_partial = false;
    auto check = [&](std::string_view tag) {
        if (b.size() >= tag.size()) return b.starts_with(tag);
        if (tag.starts_with(b)) any_partial = true;
        return false;
    };
    if (parse_think_ && !seen_text_ && check(kThinkOpen)) return TagMatch::think;
    if (parse_tool_calls_ && check(kToolCallOpen)) return TagMatch::tool_call;
    if (parse_tool_calls_ && check(kFunctionOpen)) return TagMatch::function;
    return any_partial ? TagMatch::partial : TagMatch::none;
}

bool TextToolCallParser::drain_body(std::string_view close_tag, std::vector<TextSegment>& out, bool at_end) {
    std::size_t from = searched_ >= close_tag.size() ? searched_ - (close_tag.size() - 1) : 0;
    std::size_t end = buf_.find(close_tag, from);
    if (end == std::string::npos) {
        searched_ = buf_.size();
        if (!at_end) return false;
        // Missing closing tag at the very end: accept a complete call, else it was text.
        // (A bare <function=..> without </function> is never complete.)
        if (!parse_body(buf_, tools_, out)) emit_text(open_tag_ + buf_, out);
        buf_.clear();
    } else {
        std::string_view whole(buf_);
        std::string body(whole.substr(0, end));
        if (state_ == State::function_body) body += kFunctionClose;  // the XML parser wants it
        if (!parse_body(body, tools_, out)) emit_text(open_tag_ + std::string(whole.substr(0, end + close_tag.size())), out);
        buf_.erase(0, end + close_tag.size());
    }
    open_tag_.clear();
    searched_ = 0;
    state_ = State::text;
    return true;
}

void TextToolCallParser::drain(std::vector<TextSegment>& out, bool at_end) {
    while (true) {
        switch (state_) {
            case State::text: {
                std::size_t lt = buf_.find('<');
                if (lt == std::string::npos || (!parse_tool_calls_ && (!parse_think_ || seen_text_))) {
                    emit_text(buf_, out);
                    buf_.clear();
                    return;
                }
                if (lt > 0) {
                    emit_text(std::string_view(buf_).substr(0, lt), out);
                    buf_.erase(0, lt);
                }
                switch (match_open_tag()) {
                    case TagMatch::partial:
                        if (at_end) {
                            emit_text(buf_, out);
                            buf_.clear();
                        }
                        return;
                    case TagMatch::none:
                        emit_text("<", out);
                        buf_.erase(0, 1);
                        break;
                    case TagMatch::think:
                        buf_.erase(0, kThinkOpen.size());
                        state_ = State::think;
                        break;
                    case TagMatch::tool_call:
                        open_tag_ = std::string(kToolCallOpen);
                        buf_.erase(0, kToolCallOpen.size());
                        state_ = State::tool_call_body;
                        break;
                    case TagMatch::function:
                        open_tag_.clear();  // "<function=" stays in buf_: it is part of the body
                        state_ = State::function_body;
                        break;
                }
                break;
            }
            case State::think: {
                std::size_t end = buf_.find(kThinkClose);
                if (end != std::string::npos) {
                    emit_thinking(std::string_view(buf_).substr(0, end), out);
                    buf_.erase(0, end + kThinkClose.size());
                    state_ = State::text;
                    break;
                }
                std::size_t keep = at_end ? 0 : partial_suffix(buf_, kThinkClose);
                emit_thinking(std::string_view(buf_).substr(0, buf_.size() - keep), out);
                buf_.erase(0, buf_.size() - keep);
                return;
            }
            case State::tool_call_body:
                if (!drain_body(kToolCallClose, out, at_end)) return;
                break;
            case State::function_body:
                if (!drain_body(kFunctionClose, out, at_end)) return;
                break;
        }
        if (buf_.empty() && !at_end) return;
        if (buf_.empty() && state_ == State::text) return;
    }
}

}  // namespace anyclaude::openai
