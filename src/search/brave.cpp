// Brave Search client: GET https://api.search.brave.com/res/v1/web/search?q=...&count=N with
// X-Subscription-Token -> web.results[{url,title,description,age,page_age}]. Descriptions carry
// <strong> highlights, which are removed.
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

// Brave marks query words with <strong>...</strong>; the model gets plain text.
std::string strip_tags(const std::string& s) {
    std::string out;
    bool in_tag = false;
    for (char c : s) {
        if (c == '<') in_tag = true;
        else if (c == '>' && in_tag) in_tag = false;
        else if (!in_tag) out += c;
    }
    return out;
}

class Brave final : public Provider {
public:
    Brave(http::Url endpoint, std::string key, http::ClientTimeouts t)
        : endpoint_(std::move(endpoint)), key_(std::move(key)), timeouts_(t) {}

    awaitable<Outcome> search(const Query& q) override {
        // Brave documents a 400-character, 50-word query limit.
        if (q.text.size() > 400) co_return Outcome::fail("query_too_long", "the query is over Brave's 400 characters");
        http::OutgoingRequest req;
        req.method = bhttp::verb::get;
        req.path = "?q=" + url_encode(query_with_site_hints(q)) + "&count=" + std::to_string(std::min(q.max_results, 20));
        if (q.country.size() == 2) req.path += "&country=" + url_encode(q.country);
        req.headers.push_back({"Accept", "application/json"});
        req.headers.push_back({"X-Subscription-Token", key_});
        co_return co_await fetch_hits(endpoint_, req, timeouts_, describe(), parse_brave, q);
    }
    std::string describe() const override { return "Brave Search " + endpoint_.to_string(); }

private:
    http::Url endpoint_;
    std::string key_;
    http::ClientTimeouts timeouts_;
};

}  // namespace

std::vector<Hit> parse_brave(std::string_view body, std::string* why) {
    std::vector<Hit> hits;
    bj::error_code ec;
    bj::value v = bj::parse(body, ec);
    const bj::object* root = ec ? nullptr : v.if_object();
    if (!root) {
        if (why) *why = ec ? ec.message() : "not a JSON object";
        return hits;
    }
    // A query with no web hits has no "web" at all: an empty answer, not an error.
    const bj::value* web = root->if_contains("web");
    const bj::value* results = web && web->is_object() ? web->get_object().if_contains("results") : nullptr;
    if (!results || !results->is_array()) return hits;
    for (const auto& r : results->get_array()) {
        const bj::object* o = r.if_object();
        if (!o) continue;
        std::string age = str(*o, "age");
        if (age.empty()) age = str(*o, "page_age");
        Hit h{str(*o, "url"), strip_tags(str(*o, "title")), strip_tags(str(*o, "description")), age};
        if (!h.url.empty()) hits.push_back(std::move(h));
    }
    return hits;
}

std::unique_ptr<Provider> make_brave(http::Url endpoint, std::string key, http::ClientTimeouts t) {
    return std::make_unique<Brave>(std::move(endpoint), std::move(key), t);
}

}  // namespace anyclaude::search
