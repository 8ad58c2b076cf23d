// The cache-diagnosis beta at the front door, in front of every backend: an event sink that
// puts the request's diagnostics on message_start (and so on the stream:false message) and
// remembers the request under its answer's id for a later request to name
// (anthropic/cache_diagnosis.hpp). Every answered request is remembered, asked or not: the
// request that names it is the one that asks.
#pragma once

#include "anthropic/cache_diagnosis.hpp"
#include "backends/backend.hpp"

namespace anyclaude::app {

// The gateway process's memory of answered requests (bounded LRU).
anthropic::CacheDiagnosis& shared_cache_diagnosis();

class DiagnosedSink final : public backends::EventSink {
public:
    // req after the billing line is stripped: what the model sees is what is compared.
    DiagnosedSink(backends::EventSink& inner, const ir::Request& req,
                  anthropic::CacheDiagnosis& memory = shared_cache_diagnosis());

    awaitable<void> emit(const ir::Event& ev) override;
    bool committed() const override { return inner_.committed(); }

private:
    backends::EventSink& inner_;
    anthropic::CacheDiagnosis& memory_;
    anthropic::RequestShape shape_;
    std::optional<ir::CacheDiagnostics> diagnostics_;
    std::string id_;  // the answer's id, once message_start went out
};

}  // namespace anyclaude::app
