// A JSON field path ("messages.3.content.0.text") built on the stack while decoding and
// rendered to text only when an error needs it, so the happy path allocates nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace anyclaude::anthropic {

class FieldPath {
public:
    FieldPath() = default;  // the root: renders as ""

    // Children keep a pointer to their parent: bind each level to a named variable.
    FieldPath operator/(std::string_view key) const { return FieldPath(this, key, 0); }
    FieldPath operator[](std::size_t index) const { return FieldPath(this, {}, index); }

    bool is_root() const { return parent_ == nullptr; }
    std::string str() const;

private:
    FieldPath(const FieldPath* parent, std::string_view key, std::size_t index)
        : parent_(parent), key_(key), index_(index) {}
    void append_to(std::string& out) const;

    const FieldPath* parent_ = nullptr;
    std::string_view key_;  // empty for an array index
    std::size_t index_ = 0;
};

}  // namespace anyclaude::anthropic
