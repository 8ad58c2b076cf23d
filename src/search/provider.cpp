// Provider selection, domain rules and the HTTP fetch shared by the clients (see provider.hpp).
#include "search/provider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace anyclaude::search {

std::unique_ptr<Provider> make_provider(const ProviderSettings& s, std::string* why) {
    if (why) why->clear();
    if (!s.searxng_url.empty()) {
        std::string err;
        auto url = http::Url::parse(s.searxng_url, &err);
        if (!url) {
            if (why) *why = "search-url: " + err;
            return nullptr;
        }
        // Accept the instance's root or its /search endpoint.
        if (url->prefix.size() >= 7 && url->prefix.ends_with("/search")) url->prefix.resize(url->prefix.size() - 7);
        return make_searxng(*url, s.timeouts);
    }
    if (!s.brave_api_key.empty()) {
        std::string err;
        auto url = http::Url::parse(s.brave_url, &err);
        if (!url) {
            if (why) *why = "brave-url: " + err;
            return nullptr;
        }
        return make_brave(*url, s.brave_api_key, s.timeouts);
    }
    return nullptr;
}

namespace {

std::string_view host_of(std::string_view url, std::string_view* path) {
    auto scheme = url.find("://");
    if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    auto end = url.find_first_of("/?#");
    std::string_view host = url.substr(0, end);
    *path = end == std::string_view::npos ? std::string_view("/") : url.substr(end);
    if (auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
    if (auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']') == std::string_view::npos)
        host = host.substr(0, colon);
    return host;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

bool domain_matches(std::string_view url, std::string_view rule) {
    if (auto scheme = rule.find("://"); scheme != std::string_view::npos) rule.remove_prefix(scheme + 3);
    std::string_view rule_path;
    if (auto slash = rule.find('/'); slash != std::string_view::npos) {
        rule_path = rule.substr(slash);
        rule = rule.substr(0, slash);
    }
    if (rule.starts_with("*.")) rule.remove_prefix(2);
    std::string_view path;
    std::string_view host = host_of(url, &path);
    bool host_ok = iequals(host, rule) ||
                   (host.size() > rule.size() && host[host.size() - rule.size() - 1] == '.' &&
                    iequals(host.substr(host.size() - rule.size()), rule));
    return host_ok && (rule_path.empty() || path.starts_with(rule_path));
}

std::vector<Hit> apply_domain_rules(std::vector<Hit> hits, const Query& q) {
    std::vector<Hit> kept;
    for (auto& h : hits) {
        auto matches = [&](const std::string& rule) { return domain_matches(h.url, rule); };
        if (!q.allowed_domains.empty() && std::none_of(q.allowed_domains.begin(), q.allowed_domains.end(), matches))
            continue;
        if (std::any_of(q.blocked_domains.begin(), q.blocked_domains.end(), matches)) continue;
        if (static_cast<int>(kept.size()) >= q.max_results) break;
        kept.push_back(std::move(h));
    }
    return kept;
}

std::string query_with_site_hints(const Query& q) {
    auto host_only = [](const std::string& rule) { return rule.substr(0, rule.find('/')); };
    std::string out = q.text;
    if (q.allowed_domains.size() == 1) {
        out += " site:" + host_only(q.allowed_domains[0]);
    } else if (!q.allowed_domains.empty()) {
        out += " (";
        for (std::size_t i = 0; i < q.allowed_domains.size(); ++i)
            out += (i ? " OR site:" : "site:") + host_only(q.allowed_domains[i]);
        out += ")";
    }
    for (const auto& b : q.blocked_domains) out += " -site:" + host_only(b);
    return out;
}

std::string url_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

namespace {

// The body of a 200, or why there is none.
struct Fetched {
    std::string body;
    Outcome error;  // ok() when body is the answer
};

awaitable<Fetched> fetch_json(const http::Url& url, const http::OutgoingRequest& req, const http::ClientTimeouts& t,
                              const std::string& who) {
    Fetched f;
    auto sent = co_await http::send_request(url, req, t);
    if (!sent.response) {
        f.error = Outcome::fail("unavailable", who + " could not be reached: " + sent.error);
        co_return f;
    }
    unsigned status = sent.response->status();
    f.body = co_await sent.response->read_all(4u << 20);
    if (!sent.response->error().empty()) {
        f.error = Outcome::fail("unavailable", who + " failed: " + sent.response->error());
    } else if (status == 429) {
        f.error = Outcome::fail("too_many_requests", who + " answered 429: too many requests");
    } else if (status == 401 || status == 403) {
        f.error = Outcome::fail("unavailable", who + " refused the request (" + std::to_string(status) +
                                                   "): check the API key, or that SearXNG's settings.yml lists json "
                                                   "under search.formats");
    } else if (status != 200) {
        f.error = Outcome::fail("unavailable", who + " answered HTTP " + std::to_string(status));
    }
    if (!f.error.ok()) f.body.clear();
    co_return f;
}

}  // namespace

awaitable<Outcome> fetch_hits(const http::Url& url, const http::OutgoingRequest& req, const http::ClientTimeouts& t,
                              const std::string& who, HitParser parse, const Query& q) {
    auto f = co_await fetch_json(url, req, t, who);
    if (!f.error.ok()) co_return f.error;
    std::string why;
    auto hits = parse(f.body, &why);
    if (!why.empty()) co_return Outcome::fail("unavailable", who + " answered something that is not its JSON: " + why);
    co_return Outcome{apply_domain_rules(std::move(hits), q), {}, {}};
}

}  // namespace anyclaude::search
