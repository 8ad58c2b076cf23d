// Shared response JSON fragments (see wire_shapes.hpp).
#include "anthropic/wire_shapes.hpp"

namespace anyclaude::anthropic {

void write_usage(json::Writer& w, const ir::Usage& usage) {
    w.begin_object();
    w.key("input_tokens").value(usage.input_tokens);
    w.key("cache_creation_input_tokens").value(usage.cache_creation_input_tokens);
    w.key("cache_read_input_tokens").value(usage.cache_read_input_tokens);
    w.key("output_tokens").value(usage.output_tokens);
    w.end_object();
}

void write_stop_sequence(json::Writer& w, const std::string& stop_sequence) {
    if (stop_sequence.empty())
        w.null();
    else
        w.value(stop_sequence);
}

}  // namespace anyclaude::anthropic
