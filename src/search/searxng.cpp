// SearXNG client: GET {base}/search?q=...&format=json -> results[{url,title,content,publishedDate}].
// The JSON format must be enabled in the instance's settings.yml (search.formats: [html, json]);
// otherwise SearXNG answers 403, which fetch_hits turns into a message saying so.
#include <boost/json.hpp>

#include "search/provider.hpp"

namespace anyclaude::search {

namespace bj = boost::json;

namespace {

std::string str(const bj::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    const auto& s = it->value().get_string();
    return std::string(s.data(), s.size());
}

class Searxng final : public Provider {
public:
    Searxng(http::Url base, http::ClientTimeouts t) : base_(std::move(base)), timeouts_(t) {}

    awaitable<Outcome> search(const Query& q) override {
        http::OutgoingRequest req;
        req.method = bhttp::verb::get;
        req.path = "/search?q=" + url_encode(query_with_site_hints(q)) + "&format=json&pageno=1";
        req.headers.push_back({"Accept", "application/json"});
        co_return co_await fetch_hits(base_, req, timeouts_, describe(), parse_searxng, q);
    }
    std::string describe() const override { return "SearXNG " + base_.to_string(); }

private:
    http::Url base_;
    http::ClientTimeouts timeouts_;
};

}  // namespace

std::vector<Hit> parse_searxng(std::string_view body, std::string* why) {
    std::vector<Hit> hits;
    bj::error_code ec;
    bj::value v = bj::parse(body, ec);
    const bj::object* root = ec ? nullptr : v.if_object();
    const bj::value* results = root ? root->if_contains("results") : nullptr;
    if (!results || !results->is_array()) {
        if (why) *why = ec ? ec.message() : "no \"results\" list";
        return hits;
    }
    for (const auto& r : results->get_array()) {
        const bj::object* o = r.if_object();
        if (!o) continue;
        Hit h{str(*o, "url"), str(*o, "title"), str(*o, "content"), str(*o, "publishedDate")};
        if (!h.url.empty()) hits.push_back(std::move(h));
    }
    return hits;
}

std::unique_ptr<Provider> make_searxng(http::Url base, http::ClientTimeouts t) {
    return std::make_unique<Searxng>(std::move(base), t);
}

}  // namespace anyclaude::search
