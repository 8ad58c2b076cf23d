// Typed reads of one field of a JSON object, with Anthropic-style errors on a wrong type
// ("temperature: Input should be a valid number") or a missing required field ("Field required").
// A JSON null counts as absent. Each function returns false after recording an error.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "anthropic/decode_context.hpp"

namespace anyclaude::anthropic {

namespace bj = boost::json;

enum class Need { optional, required };

// The field's value, or nullptr when it is absent or null.
const bj::value* field(const bj::object& o, std::string_view key);

bool read_string(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                 std::string& out, bool* present = nullptr);
bool read_int(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
              std::optional<int64_t>& out);
bool read_number(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                 std::optional<double>& out);
bool read_bool(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, bool& out);
// out stays nullptr when the optional field is absent.
bool read_object(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                 const bj::object*& out);
bool read_array(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                const bj::array*& out);

// The value itself must be an object ("Input should be a valid dictionary").
const bj::object* as_object(DecodeContext& ctx, const bj::value& v, const FieldPath& path);

// Reads the discriminator "type" of a tagged object; tags lists the accepted ones, for the
// message "Input tag 'x' found using 'type' does not match any of the expected tags: 'a', 'b'".
// Returns the index of the matching tag, or -1 after recording an error.
int read_tag(DecodeContext& ctx, const bj::object& o, const FieldPath& path, std::initializer_list<std::string_view> tags);

// Reads an optional cache_control ({"type":"ephemeral", "ttl"?}) and counts it as a breakpoint.
bool read_cache_control(DecodeContext& ctx, const bj::object& o, const FieldPath& parent, bool& breakpoint);

// Messages shared by several decoders.
inline constexpr std::string_view kFieldRequired = "Field required";

}  // namespace anyclaude::anthropic
