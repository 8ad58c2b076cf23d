// Typed field reads with Anthropic-style validation messages (see field_reader.hpp).
#include "anthropic/field_reader.hpp"

#include <cmath>

namespace anyclaude::anthropic {

const bj::value* field(const bj::object& o, std::string_view key) {
    const bj::value* v = o.if_contains(key);
    return (v && !v->is_null()) ? v : nullptr;
}

// Looks the field up; false (with "Field required") when a required one is missing.
static bool lookup(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                   const bj::value*& v) {
    v = field(o, key);
    if (!v && need == Need::required) return ctx.fail(parent / key, kFieldRequired);
    return true;
}

bool read_string(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                 std::string& out, bool* present) {
    const bj::value* v = nullptr;
    if (!lookup(ctx, o, key, parent, need, v)) return false;
    if (present) *present = v != nullptr;
    if (!v) return true;
    const bj::string* s = v->if_string();
    if (!s) return ctx.fail(parent / key, "Input should be a valid string");
    out.assign(s->data(), s->size());
    return true;
}

bool read_int(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
              std::optional<int64_t>& out) {
    const bj::value* v = nullptr;
    if (!lookup(ctx, o, key, parent, need, v)) return false;
    if (!v) return true;
    if (v->is_int64()) {
        out = v->get_int64();
    } else if (v->is_uint64()) {
        out = INT64_MAX;  // beyond int64: only ever compared against upper limits
    } else if (v->is_double()) {
        double d = v->get_double();
        if (std::floor(d) != d || !std::isfinite(d))
            return ctx.fail(parent / key, "Input should be a valid integer, got a number with a fractional part");
        out = std::fabs(d) < 9.2e18 ? static_cast<int64_t>(d) : (d > 0 ? INT64_MAX : INT64_MIN);
    } else {
        return ctx.fail(parent / key, "Input should be a valid integer");
    }
    return true;
}

bool read_number(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                 std::optional<double>& out) {
    const bj::value* v = nullptr;
    if (!lookup(ctx, o, key, parent, need, v)) return false;
    if (!v) return true;
    if (v->is_double())
        out = v->get_double();
    else if (v->is_int64())
        out = static_cast<double>(v->get_int64());
    else if (v->is_uint64())
        out = static_cast<double>(v->get_uint64());
    else
        return ctx.fail(parent / key, "Input should be a valid number");
    return true;
}

bool read_bool(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, bool& out) {
    const bj::value* v = field(o, key);
    if (!v) return true;
    if (!v->is_bool()) return ctx.fail(parent / key, "Input should be a valid boolean");
    out = v->get_bool();
    return true;
}

bool read_object(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                 const bj::object*& out) {
    const bj::value* v = nullptr;
    out = nullptr;
    if (!lookup(ctx, o, key, parent, need, v)) return false;
    if (!v) return true;
    out = v->if_object();
    if (!out) return ctx.fail(parent / key, "Input should be a valid dictionary");
    return true;
}

bool read_array(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& parent, Need need,
                const bj::array*& out) {
    const bj::value* v = nullptr;
    out = nullptr;
    if (!lookup(ctx, o, key, parent, need, v)) return false;
    if (!v) return true;
    out = v->if_array();
    if (!out) return ctx.fail(parent / key, "Input should be a valid list");
    return true;
}

const bj::object* as_object(DecodeContext& ctx, const bj::value& v, const FieldPath& path) {
    const bj::object* o = v.if_object();
    if (!o) ctx.fail(path, "Input should be a valid dictionary");
    return o;
}

int read_tag(DecodeContext& ctx, const bj::object& o, const FieldPath& path,
             std::initializer_list<std::string_view> tags) {
    const bj::value* v = field(o, "type");
    const bj::string* s = v ? v->if_string() : nullptr;
    if (!s) {
        ctx.fail(path, "Unable to extract tag using discriminator 'type'");
        return -1;
    }
    std::string_view tag(s->data(), s->size());
    int i = 0;
    for (std::string_view t : tags) {
        if (t == tag) return i;
        ++i;
    }
    std::string msg = "Input tag '";
    msg.append(tag);
    msg += "' found using 'type' does not match any of the expected tags: ";
    bool first = true;
    for (std::string_view t : tags) {
        if (!first) msg += ", ";
        first = false;
        msg += '\'';
        msg.append(t);
        msg += '\'';
    }
    ctx.fail(path / "type", msg);
    return -1;
}

bool read_cache_control(DecodeContext& ctx, const bj::object& o, const FieldPath& parent, bool& breakpoint) {
    const bj::object* cc = nullptr;
    if (!read_object(ctx, o, "cache_control", parent, Need::optional, cc)) return false;
    if (!cc) return true;
    FieldPath path = parent / "cache_control";
    if (read_tag(ctx, *cc, path, {"ephemeral"}) < 0) return false;
    breakpoint = true;
    ++ctx.cache_breakpoints;
    return true;
}

}  // namespace anyclaude::anthropic
