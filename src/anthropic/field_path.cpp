// Rendering of FieldPath (see field_path.hpp).
#include "anthropic/field_path.hpp"

namespace anyclaude::anthropic {

void FieldPath::append_to(std::string& out) const {
    if (is_root()) return;
    parent_->append_to(out);
    if (!parent_->is_root()) out.push_back('.');
    if (!key_.empty())
        out.append(key_);
    else
        out += std::to_string(index_);
}

std::string FieldPath::str() const {
    std::string out;
    append_to(out);
    return out;
}

}  // namespace anyclaude::anthropic
