// The sampler of one request: llama.cpp's common sampler set up from the request's generation
// parameters and, where the rendered prompt asks for one, its grammar (tool calls, JSON output).
// A grammar llama.cpp cannot build is dropped with a warning rather than failing the request.
#pragma once

struct common_sampler;

namespace anyclaude::engine {

class Model;
struct EngineJob;

// Never null; free with common_sampler_free.
common_sampler* make_sampler(const Model& model, const EngineJob& job);

}  // namespace anyclaude::engine
