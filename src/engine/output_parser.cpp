// Streaming output parsing with llama.cpp's chat parser (see output_parser.hpp).
//
// Every piece re-parses the whole output so far (is_partial = true) and the difference with the
// previous parse becomes events. A parse that fails, or that disagrees with what was already sent,
// is skipped: the text stays buffered for the next piece. At the end the output is parsed as
// complete; if that fails, the longest part that parses up to a closing tag is taken and what was
// not sent yet goes out as plain text.
#include "engine/output_parser.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <random>

#include "engine/chat_render_parser_setup.hpp"
#include "engine/output_parser_json_prefix.hpp"
#include "ir/block_writer.hpp"

namespace anyclaude::engine {

namespace {

std::string make_tool_id() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
    std::string id = "toolu_";
    for (int i = 0; i < 24; ++i) id += alphabet[pick(rng)];
    return id;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Position just after `needle` at or after pos in text; pos itself when not found.
std::size_t find_after(const std::string& text, const std::string& needle, std::size_t pos) {
    if (needle.empty()) return pos;
    std::size_t at = text.find(needle, pos);
    return at == std::string::npos ? pos : at + needle.size();
}

// Skips what closes a tool call after its arguments: whitespace, '}' and closing tags ("</...>").
std::size_t skip_closers(const std::string& text, std::size_t pos) {
    for (;;) {
        while (pos < text.size() && (std::isspace(static_cast<unsigned char>(text[pos])) || text[pos] == '}')) ++pos;
        if (text.compare(pos, 2, "</") != 0) return pos;
        std::size_t gt = text.find('>', pos);
        if (gt == std::string::npos) return pos;
        pos = gt + 1;
    }
}

// One tool call as parsed so far and as sent so far.
struct ToolProgress {
    std::string id, name, args;  // as parsed
    std::string sent;            // arguments sent as input_json deltas (a safe JSON prefix)
    JsonObjectPrefix json;       // follows args
    std::size_t fed = 0;         // bytes of args given to json
    bool started = false, closed = false;
};

// What went out, in order: used to find the part of the output that was not sent when the final
// parse fails.
struct SentPiece {
    ir::BlockKind kind;
    std::string text;       // text / thinking / tool arguments (as sent)
    std::string tool_name;  // tool_use
};

}  // namespace

struct OutputParser::Impl {
    common_chat_parser_params params;
    std::string raw;         // everything generated so far
    common_chat_msg parsed;  // the last parse that was turned into events
    ir::BlockWriter blocks;
    std::vector<ToolProgress> tools;
    int open_tool = -1;
    std::vector<SentPiece> sent;
    bool finished = false, produced_tools = false;

    std::optional<common_chat_msg> parse(const std::string& text, bool partial) const;
    bool apply(const common_chat_msg& msg, bool final, std::vector<ir::Event>& out);
    void track_tools(const common_chat_msg& msg);
    void write_text(ir::BlockKind kind, const std::string& delta, std::vector<ir::Event>& out);
    void advance_tools(bool final, std::vector<ir::Event>& out);
    void start_tool(std::size_t i, std::vector<ir::Event>& out);
    void follow_args(ToolProgress& t);
    void stream_args(ToolProgress& t, std::vector<ir::Event>& out);
    void close_block(std::vector<ir::Event>& out);
    bool finish_with_parsable_prefix(std::vector<ir::Event>& out);
    void fallback(std::vector<ir::Event>& out);
    void write_rest_as_text(std::size_t from, std::vector<ir::Event>& out);
    std::size_t sent_up_to() const;
};

std::optional<common_chat_msg> OutputParser::Impl::parse(const std::string& text, bool partial) const {
    try {
        return common_chat_parse(text, partial, params);
    } catch (const std::exception& e) {
        if (!partial) spdlog::debug("output_parser: output does not match the chat format: {}", e.what());
        return std::nullopt;
    }
}

bool OutputParser::Impl::apply(const common_chat_msg& msg, bool final, std::vector<ir::Event>& out) {
    std::vector<common_chat_msg_diff> diffs;
    try {
        diffs = common_chat_msg_diff::compute_diffs(parsed, msg);
    } catch (const std::exception&) {
        return false;  // this parse takes back something already sent: wait for more text
    }
    parsed = msg;
    track_tools(msg);
    for (const auto& d : diffs) {
        write_text(ir::BlockKind::thinking, d.reasoning_content_delta, out);
        write_text(ir::BlockKind::text, d.content_delta, out);
    }
    advance_tools(final, out);
    return true;
}

// Tool calls only grow: a name or id is taken until the call is started, arguments while they
// extend what was seen before.
void OutputParser::Impl::track_tools(const common_chat_msg& msg) {
    if (tools.size() < msg.tool_calls.size()) tools.resize(msg.tool_calls.size());
    for (std::size_t i = 0; i < msg.tool_calls.size(); ++i) {
        const auto& call = msg.tool_calls[i];
        auto& t = tools[i];
        if (!t.started) {
            t.name = call.name;
            t.id = call.id;
        }
        if (!t.closed && starts_with(call.arguments, t.args)) t.args = call.arguments;
    }
}

void OutputParser::Impl::write_text(ir::BlockKind kind, const std::string& delta, std::vector<ir::Event>& out) {
    if (delta.empty()) return;
    if (blocks.open_kind() != kind) {
        close_block(out);
        blocks.start(kind, out);
        sent.push_back({kind, {}, {}});
    }
    blocks.delta(delta, out);
    sent.back().text += delta;
}

// Starts tool calls in order once their name is known for sure (arguments begun, a later call
// seen, or the output complete) and streams the open one's arguments.
void OutputParser::Impl::advance_tools(bool final, std::vector<ir::Event>& out) {
    for (std::size_t i = 0; i < tools.size(); ++i) {
        auto& t = tools[i];
        if (t.closed) continue;
        follow_args(t);
        if (!t.started) {
            // Started once the arguments really begin (a member value at a safe place, so a call
            // whose arguments are not JSON stays text), a later call shows up, or output is done.
            const bool settled = t.json.complete() || t.json.has_safe_member() || i + 1 < tools.size() || final;
            if (t.name.empty() || !settled) return;
            start_tool(i, out);
        }
        if (open_tool == static_cast<int>(i)) stream_args(t, out);
    }
}

void OutputParser::Impl::start_tool(std::size_t i, std::vector<ir::Event>& out) {
    close_block(out);
    auto& t = tools[i];
    if (t.id.empty()) t.id = make_tool_id();
    blocks.start_tool(t.id, t.name, out);
    t.started = true;
    open_tool = static_cast<int>(i);
    produced_tools = true;
    sent.push_back({ir::BlockKind::tool_use, {}, t.name});
}

void OutputParser::Impl::follow_args(ToolProgress& t) {
    t.json.append(std::string_view(t.args).substr(t.fed));
    t.fed = t.args.size();
}

// Sends the arguments up to their longest safe prefix (one that can always be closed validly).
void OutputParser::Impl::stream_args(ToolProgress& t, std::vector<ir::Event>& out) {
    follow_args(t);
    if (t.json.safe_length() <= t.sent.size()) return;
    std::string delta = t.args.substr(t.sent.size(), t.json.safe_length() - t.sent.size());
    blocks.delta(delta, out);
    t.sent += delta;
    sent.back().text += delta;
}

void OutputParser::Impl::close_block(std::vector<ir::Event>& out) {
    if (open_tool >= 0) {
        auto& t = tools[static_cast<std::size_t>(open_tool)];
        stream_args(t, out);
        // Arguments left incomplete (output cut off or malformed): close what was sent so the
        // input is valid JSON; "{}" when nothing was sent.
        if (!t.json.complete()) blocks.delta(t.json.closing(), out);
        t.closed = true;
        open_tool = -1;
    }
    blocks.stop(out);
}

// The final parse failed. When the output parses up to the end of some closing tag ("</...>",
// e.g. text after a tool call), that part is taken and the rest becomes text.
bool OutputParser::Impl::finish_with_parsable_prefix(std::vector<ir::Event>& out) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = raw.find("</", sent_up_to()); at != std::string::npos; at = raw.find("</", at + 2)) {
        std::size_t gt = raw.find('>', at);
        if (gt == std::string::npos) break;
        cuts.push_back(gt + 1);
    }
    constexpr std::size_t max_tries = 8;
    for (std::size_t tried = 0; tried < max_tries && !cuts.empty(); ++tried, cuts.pop_back()) {
        const std::size_t cut = cuts.back();
        auto msg = parse(raw.substr(0, cut), false);
        if (!msg || !apply(*msg, true, out)) continue;
        write_rest_as_text(cut, out);
        return true;
    }
    return false;
}

// Nothing more parses: everything after what was already sent goes out as plain text.
void OutputParser::Impl::fallback(std::vector<ir::Event>& out) {
    write_rest_as_text(sent_up_to(), out);
}

// The rest continues an open text block as is; after another kind of block it starts a new text
// block without its leading whitespace.
void OutputParser::Impl::write_rest_as_text(std::size_t from, std::vector<ir::Event>& out) {
    if (blocks.open_kind() != ir::BlockKind::text) {
        close_block(out);
        from = std::min(raw.find_first_not_of(" \t\r\n", from), raw.size());
    }
    write_text(ir::BlockKind::text, raw.substr(from), out);
}

// Where the sent pieces end in the raw output (a lower bound: text is repeated rather than lost).
std::size_t OutputParser::Impl::sent_up_to() const {
    std::size_t pos = 0;
    for (const auto& piece : sent) {
        if (piece.kind != ir::BlockKind::tool_use) {
            pos = find_after(raw, piece.text, pos);
            continue;
        }
        std::size_t after_name = find_after(raw, piece.tool_name, pos);
        if (after_name == pos) continue;  // not found: the call stays in the text
        pos = find_after(raw, piece.text, after_name);
        if (pos != after_name) pos = skip_closers(raw, pos);  // arguments found verbatim
    }
    return pos;
}

OutputParser::OutputParser(const RenderedPrompt& prompt, const std::vector<ir::Tool>& /*tools: known to the parser*/)
    : impl_(std::make_unique<Impl>()) {
    if (prompt.parser) impl_->params = prompt.parser->params;  // else: plain content
    if (impl_->params.is_continuation) {
        // The prompt ends inside a prefilled assistant message: that part is not output.
        if (auto prefill = impl_->parse("", true)) impl_->parsed = *prefill;
    }
}

OutputParser::~OutputParser() = default;

void OutputParser::feed(const std::string& piece, std::vector<ir::Event>& out) {
    if (impl_->finished || piece.empty()) return;
    impl_->raw += piece;
    if (auto msg = impl_->parse(impl_->raw, true)) impl_->apply(*msg, false, out);
}

void OutputParser::finish(std::vector<ir::Event>& out) {
    if (impl_->finished) return;
    impl_->finished = true;
    auto msg = impl_->parse(impl_->raw, false);
    if (!msg || !impl_->apply(*msg, true, out)) {
        if (!impl_->finish_with_parsable_prefix(out)) impl_->fallback(out);
    }
    impl_->close_block(out);
}

bool OutputParser::produced_tool_calls() const { return impl_->produced_tools; }

}  // namespace anyclaude::engine
