// Incremental Server-Sent Events reader: feed it bytes as they arrive, get whole events out
// (event name + data lines joined with "\n"). Handles \n, \r\n and \r line ends, comments, and
// events split across reads at any byte.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace anyclaude::http {

struct SseEvent {
    std::string event;  // "" when the event had no "event:" line
    std::string data;
};

class SseReader {
public:
    // Appends every event completed by these bytes to out.
    void feed(std::string_view bytes, std::vector<SseEvent>& out);
    // End of stream: an event still missing its blank line is delivered if it has data.
    void finish(std::vector<SseEvent>& out);
    std::size_t buffered() const { return line_.size(); }

private:
    void on_line(std::string_view line, std::vector<SseEvent>& out);
    std::string line_;
    SseEvent current_;
    bool has_data_ = false;
    bool last_was_cr_ = false;
};

}  // namespace anyclaude::http
