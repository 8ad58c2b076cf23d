// Token counts from a chat/completions stream (see stream_usage.hpp).
#include "openai/stream_usage.hpp"

#include <algorithm>

namespace anyclaude::openai {

void StreamUsage::read_chunk(const json::bj::object& chunk) {
    if (const auto* usage = json::find_object(chunk, "usage")) {
        if (auto v = json::find_int(*usage, "prompt_tokens")) prompt_ = v;
        if (auto v = json::find_int(*usage, "completion_tokens")) completion_ = v;
        if (const auto* details = json::find_object(*usage, "prompt_tokens_details")) {
            if (auto v = json::find_int(*details, "cached_tokens")) cached_ = v;
        }
    }
    if (const auto* timings = json::find_object(chunk, "timings")) {
        if (auto v = json::find_int(*timings, "cache_n")) timings_cache_n_ = v;
        if (auto v = json::find_int(*timings, "prompt_n")) timings_prompt_n_ = v;
        if (auto v = json::find_int(*timings, "predicted_n")) timings_predicted_n_ = v;
    }
}

ir::Usage StreamUsage::to_anthropic() const {
    int64_t cached = cached_.value_or(timings_cache_n_.value_or(0));
    int64_t prompt = 0;
    if (prompt_) {
        prompt = *prompt_;
    } else if (timings_prompt_n_) {
        prompt = *timings_prompt_n_ + timings_cache_n_.value_or(0);
    }
    int64_t completion = completion_.value_or(timings_predicted_n_.value_or(0));

    ir::Usage u;
    cached = std::clamp<int64_t>(cached, 0, std::max<int64_t>(prompt, 0));
    u.cache_read_input_tokens = cached;
    u.input_tokens = std::max<int64_t>(prompt - cached, 0);
    u.cache_creation_input_tokens = 0;
    u.output_tokens = std::max<int64_t>(completion, 0);
    return u;
}

}  // namespace anyclaude::openai
