// Web search blocks: tool, results, model text, history rewriting (see web_search_blocks.hpp).
#include "search/web_search_blocks.hpp"

#include "ir/ids.hpp"

#include <boost/json.hpp>

#include <random>

#include "common/json.hpp"

namespace anyclaude::search {

namespace {

constexpr std::string_view kPrefix = "acws1.";  // our encrypted_content, version 1
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace

ir::Tool function_tool(const ir::WebSearchTool& ws) {
    ir::Tool t;
    t.name = ws.name;
    t.description =
        "Search the web for current information. Returns the title, URL, age and text of matching pages. "
        "Call it with one search query, then answer from the results and name the URLs you use.";
    if (!ws.allowed_domains.empty()) t.description += " Only results from these domains are returned: " + join(ws.allowed_domains) + ".";
    if (!ws.blocked_domains.empty()) t.description += " Results from these domains are never returned: " + join(ws.blocked_domains) + ".";
    std::vector<std::string> place;
    for (const auto* p : {&ws.city, &ws.region, &ws.country})
        if (!p->empty()) place.push_back(*p);
    if (!place.empty()) t.description += " The user is in " + join(place) + ".";
    t.input_schema_json =
        R"({"type":"object","properties":{"query":{"type":"string","description":"The search query"}},"required":["query"]})";
    return t;
}

std::string encode_snippet(std::string_view s) {
    std::string out(kPrefix);
    std::size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
        for (int k = 18; k >= 0; k -= 6) out += kB64[(v >> k) & 63];
    }
    if (i < s.size()) {
        unsigned v = (unsigned char)s[i] << 16 | (i + 1 < s.size() ? (unsigned char)s[i + 1] << 8 : 0);
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += i + 1 < s.size() ? kB64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string decode_snippet(std::string_view e) {
    if (!e.starts_with(kPrefix)) return {};
    e.remove_prefix(kPrefix.size());
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char c : e) {
        if (c == '=') break;
        const char* p = std::char_traits<char>::find(kB64, 64, c);
        if (!p) return {};
        v = (v << 6) | static_cast<unsigned>(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xFF);
        }
    }
    return out;
}

ir::WebSearchResult to_result(const Hit& h) { return {h.url, h.title, h.page_age, encode_snippet(h.snippet)}; }

std::string query_of(std::string_view input_json) {
    boost::json::error_code ec;
    auto v = boost::json::parse(input_json, ec);
    if (ec || !v.is_object()) return {};
    const auto* q = v.get_object().if_contains("query");
    if (!q || !q->is_string()) return {};
    return std::string(q->get_string().data(), q->get_string().size());
}

// Anthropic's error codes (web_search_tool_result_error.error_code), in words for the model.
std::string error_text(const std::string& code, bool provider_configured) {
    static const std::map<std::string, std::string> words = {
        {"max_uses_exceeded", "the search limit of this request is used up; answer from the results you have"},
        {"too_many_requests", "the search provider is rate-limiting; try again later"},
        {"query_too_long", "the query is too long; use a shorter one"},
        {"invalid_tool_input", "the search call had no query string"},
    };
    if (code == "unavailable") return provider_configured ? "the web search provider is unavailable" : std::string(kNotConfigured);
    auto it = words.find(code);
    return it != words.end() ? it->second : "web search failed (" + code + ")";
}

std::string result_text(const std::string& query, const ir::ContentBlock& r, const std::string& error_message) {
    if (!r.error_code.empty())
        return "Web search error (" + r.error_code + "): " +
               (error_message.empty() ? error_text(r.error_code, true) : error_message);
    if (r.search_results.empty()) return "No web search results for query: \"" + query + "\"";
    std::string out = "Web search results for query: \"" + query + "\"\n";
    int n = 0;
    for (const auto& hit : r.search_results) {
        out += "\n[" + std::to_string(++n) + "] " + hit.title + "\nURL: " + hit.url + "\n";
        if (!hit.page_age.empty()) out += "Age: " + hit.page_age + "\n";
        std::string snippet = decode_snippet(hit.encrypted_content);
        if (!snippet.empty()) out += snippet + "\n";
    }
    return out;
}

bool has_server_blocks(const ir::Request& req) {
    for (const auto& m : req.messages)
        for (const auto& b : m.content)
            if (b.kind == ir::BlockKind::server_tool_use || b.kind == ir::BlockKind::web_search_tool_result) return true;
    return false;
}

namespace {

// One assistant message split at its web_search_tool_result blocks: assistant (up to and with
// the server_tool_use as tool_use), user (the tool_result), assistant (the rest), ...
void split_assistant(const ir::Message& m, const RewriteOptions& opt, std::map<std::string, std::string>& queries,
                     std::vector<ir::Message>& out) {
    ir::Message cur{ir::Role::assistant, {}};
    for (const auto& b : m.content) {
        if (b.kind == ir::BlockKind::server_tool_use) {
            queries[b.id] = query_of(b.input_json);
            cur.content.push_back(ir::ContentBlock::make_tool_use(b.id, b.name, b.input_json));
            cur.content.back().cache_breakpoint = b.cache_breakpoint;
        } else if (b.kind == ir::BlockKind::web_search_tool_result) {
            auto msg = opt.error_messages.find(b.id);
            std::string words = msg != opt.error_messages.end() ? msg->second
                                : b.error_code.empty()          ? std::string()
                                                                : error_text(b.error_code, opt.provider_configured);
            ir::ContentBlock tr;
            tr.kind = ir::BlockKind::tool_result;
            tr.id = b.id;
            tr.is_error = !b.error_code.empty();
            tr.cache_breakpoint = b.cache_breakpoint;
            tr.content.push_back(ir::ContentBlock::make_text(result_text(queries[b.id], b, words)));
            if (!cur.content.empty()) out.push_back(std::move(cur));
            cur = ir::Message{ir::Role::assistant, {}};
            if (!out.empty() && out.back().role == ir::Role::user)
                out.back().content.push_back(std::move(tr));
            else
                out.push_back(ir::Message{ir::Role::user, {std::move(tr)}});
        } else {
            cur.content.push_back(b);
        }
    }
    if (!cur.content.empty()) out.push_back(std::move(cur));
}

}  // namespace

ir::Request for_backend(const ir::Request& req, const RewriteOptions& opt) {
    ir::Request r = req;
    if (opt.add_tool && req.web_search) r.tools.push_back(function_tool(*req.web_search));
    r.web_search.reset();
    if (!has_server_blocks(req)) return r;
    r.messages.clear();
    std::map<std::string, std::string> queries;
    for (const auto& m : req.messages) {
        if (m.role != ir::Role::assistant) {
            // A user turn right after a search result joins the user turn holding that result.
            if (m.role == ir::Role::user && !r.messages.empty() && r.messages.back().role == ir::Role::user &&
                !r.messages.back().content.empty() && r.messages.back().content.back().kind == ir::BlockKind::tool_result &&
                (req.messages.empty() || &m != &req.messages.front())) {
                for (const auto& b : m.content) r.messages.back().content.push_back(b);
                continue;
            }
            r.messages.push_back(m);
            continue;
        }
        split_assistant(m, opt, queries, r.messages);
    }
    return r;
}

}  // namespace anyclaude::search
