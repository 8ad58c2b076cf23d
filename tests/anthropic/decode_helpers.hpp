// Helpers for the anthropic decoder tests: minimal request bodies with extra fields spliced in,
// decoding to an error message, and extraction of raw JSON members from fixture text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "anthropic/request_decoder.hpp"

namespace anyclaude::anthropic::test {

// {"model":"m","max_tokens":1000,"messages":MESSAGES,EXTRA}
inline std::string body(std::string_view extra = "",
                        std::string_view messages = R"([{"role":"user","content":"hi"}])") {
    std::string b = R"({"model":"m","max_tokens":1000,"messages":)";
    b.append(messages);
    if (!extra.empty()) {
        b += ',';
        b.append(extra);
    }
    b += '}';
    return b;
}

// A request whose messages are MESSAGES and nothing else extra.
inline std::string with_messages(std::string_view messages) { return body("", messages); }

// The error message of decoding text, or "" when it decodes.
inline std::string decode_error(std::string_view text, const DecodeOptions& opt = {}) {
    auto r = decode_messages_request(text, opt);
    if (r) return "";
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid_request_error");
    return r.error().message;
}

// Decodes text, failing the test (with the message) when it does not decode.
inline ir::Request decode_ok(std::string_view text, const DecodeOptions& opt = {}) {
    auto r = decode_messages_request(text, opt);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r.value()) : ir::Request{};
}

// Removes whitespace outside strings: pretty-printed JSON -> compact, keeping key order.
inline std::string minify(std::string_view text) {
    std::string out;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            out.push_back(c);
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
            out.push_back(c);
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            out.push_back(c);
        }
    }
    return out;
}

// The raw text of the nth (0-based) object value of "key" in text, brackets balanced.
inline std::string raw_object_member(std::string_view text, std::string_view key, int nth) {
    std::string needle(1, '"');
    needle.append(key);
    needle += "\":";
    std::size_t pos = 0;
    for (int i = 0; i <= nth; ++i) {
        pos = text.find(needle, pos);
        if (pos == std::string_view::npos) return "";
        pos += needle.size();
    }
    pos = text.find('{', pos);
    int depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t i = pos; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{') ++depth;
        else if (c == '}' && --depth == 0) return std::string(text.substr(pos, i - pos + 1));
    }
    return "";
}

}  // namespace anyclaude::anthropic::test
