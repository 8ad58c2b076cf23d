// A streaming JSON object checker (see output_parser_json_prefix.hpp).
#include "engine/output_parser_json_prefix.hpp"

namespace anyclaude::engine {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Continuation bytes a UTF-8 lead byte announces (0 for ASCII and continuation bytes).
int utf8_continuations(unsigned char c) {
    if ((c & 0xE0) == 0xC0) return 1;
    if ((c & 0xF0) == 0xE0) return 2;
    if ((c & 0xF8) == 0xF0) return 3;
    return 0;
}

}  // namespace

void JsonObjectPrefix::append(std::string_view more) {
    for (char c : more) {
        if (failed_) return;
        step(c);
        ++length_;
        if (!failed_ && is_safe()) {
            safe_length_ = length_;
            safe_closing_ = closing_now();
            safe_member_ = safe_member_ || after_colon_;
        }
    }
}

void JsonObjectPrefix::step(char c) {
    if (string_) return in_string(c);
    if (!literal_rest_.empty()) {
        if (c != literal_rest_.front()) {
            failed_ = true;
            return;
        }
        literal_rest_.erase(0, 1);
        if (literal_rest_.empty()) value_done();
        return;
    }
    if (number_ != Number::none) return in_number(c);
    structural(c);
}

void JsonObjectPrefix::in_string(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (escape_ == 1) {
        if (c == 'u') {
            escape_ = 2;
        } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
            escape_ = 0;
        } else {
            failed_ = true;
        }
    } else if (escape_ >= 2) {
        if (!is_hex(c)) failed_ = true;
        escape_ = escape_ == 5 ? 0 : escape_ + 1;
    } else if (c == '\\') {
        escape_ = 1;
    } else if (c == '"') {
        string_ = false;
        if (key_) {
            expect_ = Expect::colon;
        } else {
            value_done();
        }
    } else if (u < 0x20) {
        failed_ = true;  // control characters must be escaped
    } else if (u >= 0x80) {
        utf8_rest_ = (u & 0xC0) == 0x80 ? (utf8_rest_ > 0 ? utf8_rest_ - 1 : 0) : utf8_continuations(u);
    }
}

void JsonObjectPrefix::in_number(char c) {
    const bool digit = is_digit(c);
    const bool exp = c == 'e' || c == 'E';
    Number next = Number::none;
    switch (number_) {
        case Number::sign: next = c == '0' ? Number::zero : digit ? Number::integer : Number::none; break;
        case Number::zero: next = c == '.' ? Number::dot : exp ? Number::exp_mark : Number::none; break;
        case Number::integer:
            next = digit ? Number::integer : c == '.' ? Number::dot : exp ? Number::exp_mark : Number::none;
            break;
        case Number::dot: next = digit ? Number::fraction : Number::none; break;
        case Number::fraction: next = digit ? Number::fraction : exp ? Number::exp_mark : Number::none; break;
        case Number::exp_mark:
            next = (c == '+' || c == '-') ? Number::exp_sign : digit ? Number::exponent : Number::none;
            break;
        case Number::exp_sign:
        case Number::exponent: next = digit ? Number::exponent : Number::none; break;
        case Number::none: break;
    }
    if (next != Number::none) {
        number_ = next;
        return;
    }
    if (!number_complete(number_)) {
        failed_ = true;
        return;
    }
    number_ = Number::none;
    value_done();
    structural(c);  // the character that ended the number
}

void JsonObjectPrefix::structural(char c) {
    if (is_space(c)) return;
    switch (expect_) {
        case Expect::top:
            if (c != '{') {
                failed_ = true;  // tool arguments are an object
                return;
            }
            stack_.push_back('{');
            expect_ = Expect::key_or_end;
            return;
        case Expect::key_or_end:
            if (c == '}') {
                stack_.pop_back();
                return value_done();
            }
            [[fallthrough]];
        case Expect::key:
            if (c != '"') {
                failed_ = true;
                return;
            }
            string_ = key_ = true;
            return;
        case Expect::colon:
            if (c != ':') failed_ = true;
            expect_ = Expect::value;
            after_colon_ = true;
            return;
        case Expect::value_or_end:
            if (c == ']') {
                stack_.pop_back();
                return value_done();
            }
            [[fallthrough]];
        case Expect::value: return start_value(c);
        case Expect::comma_or_end:
            if (c == ',') {
                expect_ = stack_.back() == '{' ? Expect::key : Expect::value;
            } else if ((c == '}' && stack_.back() == '{') || (c == ']' && stack_.back() == '[')) {
                stack_.pop_back();
                value_done();
            } else {
                failed_ = true;
            }
            return;
        case Expect::done: failed_ = true; return;
    }
}

void JsonObjectPrefix::start_value(char c) {
    switch (c) {
        case '"': string_ = true; key_ = false; return;
        case '{': stack_.push_back('{'); expect_ = Expect::key_or_end; return;
        case '[': stack_.push_back('['); expect_ = Expect::value_or_end; return;
        case 't': literal_rest_ = "rue"; return;
        case 'f': literal_rest_ = "alse"; return;
        case 'n': literal_rest_ = "ull"; return;
        case '-': number_ = Number::sign; return;
        default:
            if (!is_digit(c)) {
                failed_ = true;
                return;
            }
            number_ = c == '0' ? Number::zero : Number::integer;
    }
}

void JsonObjectPrefix::value_done() { expect_ = stack_.empty() ? Expect::done : Expect::comma_or_end; }

bool JsonObjectPrefix::number_complete(Number n) {
    return n == Number::zero || n == Number::integer || n == Number::fraction || n == Number::exponent;
}

bool JsonObjectPrefix::is_safe() const {
    if (string_) return !key_ && escape_ == 0 && utf8_rest_ == 0;
    if (!literal_rest_.empty()) return false;
    if (number_ != Number::none) return number_complete(number_);
    return expect_ == Expect::key_or_end || expect_ == Expect::value_or_end || expect_ == Expect::comma_or_end ||
           expect_ == Expect::done;
}

std::string JsonObjectPrefix::closing_now() const {
    std::string out = string_ ? "\"" : "";
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) out += *it == '{' ? '}' : ']';
    return out;
}

}  // namespace anyclaude::engine
