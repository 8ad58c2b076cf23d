// Incremental SSE parsing (see sse_reader.hpp).
#include "http/sse_reader.hpp"

namespace anyclaude::http {

void SseReader::feed(std::string_view bytes, std::vector<SseEvent>& out) {
    for (char c : bytes) {
        if (c == '\n' && last_was_cr_) {  // the \n of a \r\n pair
            last_was_cr_ = false;
            continue;
        }
        last_was_cr_ = (c == '\r');
        if (c == '\n' || c == '\r') {
            on_line(line_, out);
            line_.clear();
        } else {
            line_.push_back(c);
        }
    }
}

void SseReader::finish(std::vector<SseEvent>& out) {
    if (!line_.empty()) {
        on_line(line_, out);
        line_.clear();
    }
    if (has_data_) on_line("", out);
}

void SseReader::on_line(std::string_view line, std::vector<SseEvent>& out) {
    if (line.empty()) {  // dispatch
        if (has_data_) out.push_back(std::move(current_));
        current_ = {};
        has_data_ = false;
        return;
    }
    if (line.front() == ':') return;  // comment
    auto colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
        if (has_data_) current_.data.push_back('\n');
        current_.data.append(value);
        has_data_ = true;
    } else if (field == "event") {
        current_.event = std::string(value);
    }
}

}  // namespace anyclaude::http
