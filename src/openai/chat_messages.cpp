// Writes the chat/completions "messages" array (see chat_messages.hpp for the rules).
#include "openai/chat_messages.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace anyclaude::openai {

namespace {

constexpr std::string_view kJoin = "\n\n";  // separator when several text blocks become one string

// One element of a user message's content array.
struct Part {
    bool is_image = false;
    std::string text;  // text part
    std::string url;   // image part: a data: URL or the client's URL
};

std::string join_text_blocks(const std::vector<ir::ContentBlock>& blocks, ir::BlockKind kind) {
    std::string joined;
    bool first = true;
    for (const auto& b : blocks) {
        if (b.kind != kind) continue;
        if (!first) joined += kJoin;
        joined += b.text;
        first = false;
    }
    return joined;
}

std::string image_url(const ir::ContentBlock& b) {
    if (!b.url.empty()) return b.url;
    return "data:" + b.media_type + ";base64," + b.data;
}

// An image for a text-only model: a part of text in its place (ChatEncodeOptions::images_as_text).
Part image_part(const ir::ContentBlock& b, const ChatEncodeOptions& opt) {
    if (opt.images_as_text) return {false, image_placeholder(b), {}};
    return {true, {}, image_url(b)};
}

// A document block becomes text: its text when it has some (plain-text documents), otherwise a
// short note, as chat/completions servers have no document part.
std::string document_text(const ir::ContentBlock& b) {
    if (!b.text.empty()) return b.text;
    return "[document omitted: " + (b.media_type.empty() ? std::string("unknown type") : b.media_type) + "]";
}

void write_parts(json::Writer& w, const std::vector<Part>& parts) {
    if (parts.size() == 1 && !parts[0].is_image) {
        w.value(parts[0].text);
        return;
    }
    w.begin_array();
    for (const auto& p : parts) {
        w.begin_object();
        if (p.is_image) {
            w.key("type").value("image_url");
            w.key("image_url").begin_object().key("url").value(p.url).end_object();
        } else {
            w.key("type").value("text");
            w.key("text").value(p.text);
        }
        w.end_object();
    }
    w.end_array();
}

void write_text_message(json::Writer& w, std::string_view role, std::string_view content) {
    w.begin_object();
    w.key("role").value(role);
    w.key("content").value(content);
    w.end_object();
}

// The text a tool message carries for a tool_result block.
std::string tool_result_text(const ir::ContentBlock& result, bool has_images) {
    std::string text;
    if (result.content.empty()) {
        text = result.text;  // a decoder may keep a string content here
    } else {
        bool first = true;
        for (const auto& b : result.content) {
            if (b.kind != ir::BlockKind::text && b.kind != ir::BlockKind::document) continue;
            if (!first) text += kJoin;
            text += b.kind == ir::BlockKind::text ? b.text : document_text(b);
            first = false;
        }
    }
    if (text.empty() && has_images) text = "(image attached below)";
    if (result.is_error) return text.empty() ? std::string("Error") : "Error: " + text;
    return text;
}

void write_user(json::Writer& w, const ir::Message& msg, const ChatEncodeOptions& opt) {
    std::vector<Part> images_from_results;
    bool had_tool_results = false;

    for (const auto& b : msg.content) {
        if (b.kind != ir::BlockKind::tool_result) continue;
        had_tool_results = true;
        bool has_images = false;
        for (const auto& inner : b.content) {
            if (inner.kind == ir::BlockKind::image) {
                images_from_results.push_back(image_part(inner, opt));
                has_images = true;
            }
        }
        w.begin_object();
        w.key("role").value("tool");
        w.key("tool_call_id").value(b.id);
        w.key("content").value(tool_result_text(b, has_images));
        w.end_object();
    }

    std::vector<Part> parts = std::move(images_from_results);
    for (const auto& b : msg.content) {
        switch (b.kind) {
            case ir::BlockKind::text: parts.push_back({false, b.text, {}}); break;
            case ir::BlockKind::image: parts.push_back(image_part(b, opt)); break;
            case ir::BlockKind::document: parts.push_back({false, document_text(b), {}}); break;
            default: break;  // tool_result handled above; others do not belong in a user turn
        }
    }
    if (parts.empty()) {
        if (had_tool_results) return;  // the tool messages said it all
        parts.push_back({false, {}, {}});  // an empty user turn stays a turn
    }
    w.begin_object();
    w.key("role").value("user");
    w.key("content");
    write_parts(w, parts);
    w.end_object();
}

void write_assistant(json::Writer& w, const ir::Message& msg, const ChatEncodeOptions& opt) {
    std::string text = join_text_blocks(msg.content, ir::BlockKind::text);
    std::string thinking = opt.send_thinking_history ? join_text_blocks(msg.content, ir::BlockKind::thinking)
                                                     : std::string();
    bool has_tool_calls = false;
    for (const auto& b : msg.content) has_tool_calls |= b.kind == ir::BlockKind::tool_use;

    w.begin_object();
    w.key("role").value("assistant");
    w.key("content");
    if (!text.empty()) {
        w.value(text);
    } else if (has_tool_calls) {
        w.null();
    } else {
        w.value("");
    }
    if (!thinking.empty()) w.key("reasoning_content").value(thinking);
    if (has_tool_calls) {
        w.key("tool_calls").begin_array();
        for (const auto& b : msg.content) {
            if (b.kind != ir::BlockKind::tool_use) continue;
            w.begin_object();
            w.key("id").value(b.id);
            w.key("type").value("function");
            w.key("function").begin_object();
            w.key("name").value(b.name);
            w.key("arguments").value(b.input_json.empty() ? std::string_view("{}") : std::string_view(b.input_json));
            w.end_object();
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

}  // namespace

std::string image_placeholder(const ir::ContentBlock& b) {
    constexpr const char* tail = ", not shown: the model reads text only]";
    if (!b.url.empty()) return "[image: " + b.url + tail;
    // base64: 4 characters carry 3 bytes.
    std::size_t kb = (b.data.size() / 4 * 3 + 1023) / 1024;
    return "[image: " + (b.media_type.empty() ? std::string("image") : b.media_type) + ", " + std::to_string(kb) +
           " KB" + tail;
}

void write_chat_messages(json::Writer& w, const ir::Request& req, const ChatEncodeOptions& opt) {
    w.begin_array();
    bool wrote_any = false;
    if (!req.system.empty()) {
        write_text_message(w, "system", join_text_blocks(req.system, ir::BlockKind::text));
        wrote_any = true;
    }
    for (const auto& msg : req.messages) {
        switch (msg.role) {
            case ir::Role::system: {
                // In place, never hoisted. At the very front it is simply the system message.
                bool as_user = wrote_any && opt.mid_system == MidSystem::as_user;
                write_text_message(w, as_user ? "user" : "system", join_text_blocks(msg.content, ir::BlockKind::text));
                break;
            }
            case ir::Role::assistant: write_assistant(w, msg, opt); break;
            case ir::Role::user: write_user(w, msg, opt); break;
        }
        wrote_any = true;
    }
    w.end_array();
}

}  // namespace anyclaude::openai
