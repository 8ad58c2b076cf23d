// UTF-8-safe, stop-sequence-aware text streaming (see text_stream.hpp).
#include "engine/text_stream.hpp"

namespace anyclaude::engine {

namespace {

// Bytes of s that form whole UTF-8 characters (an incomplete last character is excluded).
std::size_t complete_utf8(const std::string& s) {
    std::size_t n = s.size();
    // Look back at most 3 bytes for the lead byte of the last character.
    for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
        unsigned char c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
        return back >= len ? n : n - back;
    }
    return n;
}

}  // namespace

TextStream::TextStream(std::vector<std::string> stop_sequences) {
    for (auto& s : stop_sequences)
        if (!s.empty()) stops_.push_back(std::move(s));
}

std::string TextStream::push(const std::string& bytes) {
    if (stopped()) return {};
    pending_ += bytes;
    std::size_t complete = complete_utf8(pending_);
    // A complete stop sequence ends the output before it.
    std::size_t first = std::string::npos;
    for (const auto& s : stops_) {
        auto p = pending_.find(s);
        if (p != std::string::npos && p + s.size() <= complete && p < first) {
            first = p;
            stop_ = s;
        }
    }
    if (first != std::string::npos) {
        std::string out = pending_.substr(0, first);
        pending_.clear();
        return out;
    }
    // Hold back the longest tail that is a prefix of some stop sequence.
    std::size_t hold = 0;
    for (const auto& s : stops_) {
        for (std::size_t k = std::min(s.size() - 1, complete); k > hold; --k) {
            if (pending_.compare(complete - k, k, s, 0, k) == 0) {
                hold = k;
                break;
            }
        }
    }
    std::size_t emit = complete - hold;
    std::string out = pending_.substr(0, emit);
    pending_.erase(0, emit);
    return out;
}

std::string TextStream::flush() {
    if (stopped()) return {};
    std::size_t complete = complete_utf8(pending_);
    std::string out = pending_.substr(0, complete);
    if (complete < pending_.size()) out += "\xEF\xBF\xBD";
    pending_.clear();
    return out;
}

}  // namespace anyclaude::engine
