// Cache diagnostics on the way out (see diagnosed_sink.hpp).
#include "app/diagnosed_sink.hpp"

namespace anyclaude::app {

namespace {
int64_t prompt_tokens(const ir::Usage& u) {
    return u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
}
}  // namespace

anthropic::CacheDiagnosis& shared_cache_diagnosis() {
    static anthropic::CacheDiagnosis memory;
    return memory;
}

DiagnosedSink::DiagnosedSink(backends::EventSink& inner, const ir::Request& req, anthropic::CacheDiagnosis& memory)
    : inner_(inner), memory_(memory), shape_(anthropic::shape_of(req)), diagnostics_(memory.diagnose(req, shape_)) {}

awaitable<void> DiagnosedSink::emit(const ir::Event& ev) {
    if (const auto* start = std::get_if<ir::MessageStart>(&ev); start && id_.empty()) {
        id_ = start->id;
        memory_.remember(id_, shape_, prompt_tokens(start->usage));
        ir::MessageStart with = *start;
        with.diagnostics = diagnostics_;
        co_await inner_.emit(with);
        co_return;
    }
    if (const auto* delta = std::get_if<ir::MessageDelta>(&ev); delta && !id_.empty())
        memory_.set_prompt_tokens(id_, prompt_tokens(delta->usage));
    co_await inner_.emit(ev);
}

}  // namespace anyclaude::app
