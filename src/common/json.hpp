// JSON helpers shared by every adapter: parsing with limits (Boost.JSON), a canonical
// serialiser that keeps key order and prints numbers the same way every time, and a small
// streaming writer for building request/response bodies with raw JSON spliced in.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anyclaude::common::json {

namespace bj = boost::json;

struct ParseResult {
    bj::value value;
    std::string error;  // empty on success
    bool ok() const { return error.empty(); }
};

// Parses text as one JSON document. max_depth bounds nesting (deeply nested input is rejected).
ParseResult parse(std::string_view text, std::size_t max_depth = 64);

// Appends the canonical text of v to out: object keys in stored (client) order, no spaces,
// integers as integers, doubles in shortest round-trip form. Same input -> same bytes.
void write(const bj::value& v, std::string& out);
std::string to_text(const bj::value& v);

// Appends s as a JSON string literal (with quotes) to out.
void write_string(std::string_view s, std::string& out);

// A streaming writer with automatic commas. Usage:
//   Writer w(out); w.begin_object(); w.key("a"); w.value(1); w.key("b"); w.raw("{...}"); w.end_object();
class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    Writer& begin_object();
    Writer& end_object();
    Writer& begin_array();
    Writer& end_array();
    Writer& key(std::string_view k);
    Writer& value(std::string_view s);
    Writer& value(const char* s) { return value(std::string_view(s)); }
    Writer& value(const std::string& s) { return value(std::string_view(s)); }
    Writer& value(int64_t n);
    Writer& value(int n) { return value(static_cast<int64_t>(n)); }
    Writer& value(double d);
    Writer& value(bool b);
    Writer& null();
    Writer& json(const bj::value& v);    // a parsed value, canonical form
    Writer& raw(std::string_view text);  // already-serialised JSON text, spliced as is

private:
    void before_value();
    std::string& out_;
    bool need_comma_ = false;
};

// Small typed lookups on an object; nullptr / nullopt when absent or of another type.
const bj::value* find(const bj::object& o, std::string_view key);
const bj::string* find_string(const bj::object& o, std::string_view key);
const bj::object* find_object(const bj::object& o, std::string_view key);
const bj::array* find_array(const bj::object& o, std::string_view key);
std::optional<int64_t> find_int(const bj::object& o, std::string_view key);
std::optional<double> find_number(const bj::object& o, std::string_view key);
std::optional<bool> find_bool(const bj::object& o, std::string_view key);

}  // namespace anyclaude::common::json

// Callers anywhere in anyclaude write json::...
namespace anyclaude {
namespace json = common::json;
}  // namespace anyclaude
