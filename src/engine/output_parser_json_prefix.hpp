// Follows a JSON object (tool arguments) as it streams in, to know how much of it can be sent
// now: a "safe" prefix is one that closing quotes and brackets alone turn into valid JSON (not
// inside a key, a partial literal, a UTF-8 character or a number ending in '.', 'e' or '-').
// Whatever happens later, what was sent can always be closed into a valid object.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace anyclaude::engine {

class JsonObjectPrefix {
public:
    void append(std::string_view more);

    // Everything so far can still become a valid JSON object.
    bool viable() const { return !failed_; }
    // A whole JSON object (whitespace after it allowed).
    bool complete() const { return !failed_ && expect_ == Expect::done; }
    // Length of the longest safe prefix seen so far, and the text that closes it into a valid
    // object ("" when complete; "{}" when nothing safe was seen yet).
    std::size_t safe_length() const { return safe_length_; }
    const std::string& closing() const { return safe_closing_; }
    // Some member's value has begun and was seen at a safe place (more than a bare "{").
    bool has_safe_member() const { return safe_member_; }

private:
    enum class Expect { top, key_or_end, key, colon, value, value_or_end, comma_or_end, done };
    enum class Number { none, sign, zero, integer, dot, fraction, exp_mark, exp_sign, exponent };

    void step(char c);
    void in_string(char c);
    void in_number(char c);
    void structural(char c);
    void start_value(char c);
    void value_done();
    bool is_safe() const;
    std::string closing_now() const;
    static bool number_complete(Number n);

    std::vector<char> stack_;  // '{' or '['
    Expect expect_ = Expect::top;
    bool failed_ = false;
    bool string_ = false, key_ = false;
    int escape_ = 0;  // 0 none, 1 after '\', 2..5 inside \uXXXX
    int utf8_rest_ = 0;  // continuation bytes still due for the current character
    std::string literal_rest_;  // rest of true/false/null being read
    Number number_ = Number::none;
    std::size_t length_ = 0;
    std::size_t safe_length_ = 0;
    bool after_colon_ = false, safe_member_ = false;
    std::string safe_closing_ = "{}";
};

}  // namespace anyclaude::engine
