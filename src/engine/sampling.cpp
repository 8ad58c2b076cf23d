// Sampler setup (see sampling.hpp).
#include "engine/sampling.hpp"

#include <sampling.h>
#include <spdlog/spdlog.h>

#include "engine/engine.hpp"

namespace anyclaude::engine {

namespace {

common_grammar_trigger_type to_common(GrammarTrigger::Kind k) {
    switch (k) {
        case GrammarTrigger::Kind::word: return COMMON_GRAMMAR_TRIGGER_TYPE_WORD;
        case GrammarTrigger::Kind::pattern: return COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN;
        case GrammarTrigger::Kind::pattern_full: return COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL;
        case GrammarTrigger::Kind::token: return COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN;
    }
    return COMMON_GRAMMAR_TRIGGER_TYPE_WORD;
}

void add_grammar(const Model& model, const EngineJob& job, common_params_sampling& sp) {
    sp.grammar = common_grammar(job.json_output ? COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT : COMMON_GRAMMAR_TYPE_TOOL_CALLS,
                                job.prompt.grammar);
    sp.grammar_lazy = job.prompt.grammar_lazy;
    for (const auto& t : job.prompt.grammar_triggers) {
        common_grammar_trigger ct;
        ct.type = to_common(t.kind);
        ct.value = t.value;
        ct.token = t.token;
        sp.grammar_triggers.push_back(std::move(ct));
    }
    for (const auto& p : job.prompt.preserved_tokens) {
        Tokens ids = model.tokenize(p, true);
        if (ids.size() == 1) sp.preserved_tokens.insert(ids[0]);
    }
}

}  // namespace

common_sampler* make_sampler(const Model& model, const EngineJob& job) {
    common_params_sampling sp;
    sp.seed = job.gen.seed;
    sp.temp = static_cast<float>(job.gen.temperature);
    sp.top_k = job.gen.top_k > 0 ? job.gen.top_k : 0;
    sp.top_p = static_cast<float>(job.gen.top_p);
    sp.min_p = 0.0f;
    sp.penalty_last_n = 0;
    sp.dry_multiplier = 0.0f;
    if (!job.prompt.grammar.empty()) add_grammar(model, job, sp);
    common_sampler* sampler = nullptr;
    try {
        sampler = common_sampler_init(model.get(), sp);
    } catch (const std::exception& e) {
        spdlog::warn("sampler setup failed ({}); generating without a grammar", e.what());
    }
    if (!sampler) {
        sp.grammar = {};
        sp.grammar_triggers.clear();
        sampler = common_sampler_init(model.get(), sp);
    }
    return sampler;
}

}  // namespace anyclaude::engine
