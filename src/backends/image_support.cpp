// Image support of upstream models (see image_support.hpp).
#include "backends/image_support.hpp"

#include <algorithm>
#include <cctype>

#include "common/json.hpp"

namespace anyclaude::backends {

namespace {

namespace bj = boost::json;

const bj::object* parse_object(std::string_view body, bj::value& holder) {
    auto parsed = json::parse(body);
    if (!parsed.ok() || !parsed.value.is_object()) return nullptr;
    holder = std::move(parsed.value);
    return &holder.get_object();
}

// llama-server GET /props: "modalities": {"vision": bool, "audio": bool} (builds of 2025 on;
// true only when started with --mmproj).
std::optional<VisionInfo> llama_props(std::string_view body, const std::string&) {
    bj::value v;
    const auto* o = parse_object(body, v);
    const auto* mod = o ? json::find_object(*o, "modalities") : nullptr;
    auto vision = mod ? json::find_bool(*mod, "vision") : std::nullopt;
    if (!vision) return std::nullopt;
    return VisionInfo{*vision, "llama-server /props modalities.vision"};
}

// LM Studio GET /api/v0/models: {"data":[{"id", "type": "llm" | "vlm" | "embeddings", ...}]}.
std::optional<VisionInfo> lmstudio_models(std::string_view body, const std::string& model) {
    bj::value v;
    const auto* o = parse_object(body, v);
    const auto* data = o ? json::find_array(*o, "data") : nullptr;
    if (!data) return std::nullopt;
    for (const auto& m : *data) {
        const auto* mo = m.if_object();
        const auto* id = mo ? json::find_string(*mo, "id") : nullptr;
        const auto* type = mo ? json::find_string(*mo, "type") : nullptr;
        if (id && type && *id == model) return VisionInfo{*type == "vlm", "LM Studio /api/v0/models type"};
    }
    return std::nullopt;
}

// Ollama POST /api/show: "capabilities": ["completion", "tools", "vision", ...].
std::optional<VisionInfo> ollama_show(std::string_view body, const std::string&) {
    bj::value v;
    const auto* o = parse_object(body, v);
    const auto* caps = o ? json::find_array(*o, "capabilities") : nullptr;
    if (!caps) return std::nullopt;
    bool vision = std::any_of(caps->begin(), caps->end(), [](const bj::value& c) { return c == "vision"; });
    return VisionInfo{vision, "Ollama /api/show capabilities"};
}

struct MetadataReader {
    const char* endpoint;
    std::optional<VisionInfo> (*read)(std::string_view body, const std::string& model);
};
const MetadataReader kReaders[] = {
    {"GET /props", llama_props},
    {"GET /api/v0/models", lmstudio_models},
    {"POST /api/show", ollama_show},
};

// Each server's words for "this model takes no images" (lower case), with where they come from.
const char* const kRejections[] = {
    "image input is not supported",              // llama-server without --mmproj (server-common.cpp)
    "only 'text' content type is supported",     // MLX-LM (server.py process_message_content)
    "does not support image",                    // Ollama ("this model does not support images"), LM Studio
    "missing data required for image input",     // Ollama, older builds
    "is not a multimodal model",                 // vLLM (a text-only model given image_url parts)
    "image_url is only supported by certain models",  // OpenAI and servers copying its wording
    "vision is not supported",                   // LM Studio builds
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool block_has_image(const ir::ContentBlock& b) {
    if (b.kind == ir::BlockKind::image) return true;
    return std::any_of(b.content.begin(), b.content.end(), block_has_image);
}

}  // namespace

std::optional<VisionInfo> vision_from_answer(std::string_view endpoint, std::string_view body, const std::string& model) {
    for (const auto& r : kReaders)
        if (endpoint == r.endpoint) return r.read(body, model);
    return std::nullopt;
}

bool is_image_rejection(std::string_view message) {
    std::string m = lower(message);
    return std::any_of(std::begin(kRejections), std::end(kRejections),
                       [&](const char* words) { return m.find(words) != std::string::npos; });
}

bool has_images(const ir::Request& req) {
    for (const auto& m : req.messages)
        if (std::any_of(m.content.begin(), m.content.end(), block_has_image)) return true;
    return false;
}

}  // namespace anyclaude::backends
