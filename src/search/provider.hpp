// Web search providers the gateway runs Anthropic's web_search tool through: one interface, a
// SearXNG client (its JSON API, self-hosted, no key) and a Brave Search client (hosted, key).
// Each answers a query with hits or an error code from Anthropic's web_search_tool_result_error
// set (unavailable, too_many_requests, query_too_long, invalid_tool_input, max_uses_exceeded)
// plus a sentence the model can pass on. Domain rules (allowed/blocked) are applied here to
// every provider's hits, after site: hints were put in the query for providers that read them.
// The JSON parsers are pure functions, tested on recorded bodies (tests/search).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/asio.hpp"
#include "http/client.hpp"
#include "http/url.hpp"

namespace anyclaude::search {

struct Query {
    std::string text;
    std::vector<std::string> allowed_domains;  // only hits from these (and their subdomains)
    std::vector<std::string> blocked_domains;  // never hits from these
    std::string country;                       // user_location.country, "" when unknown
    int max_results = 10;
};

struct Hit {
    std::string url;
    std::string title;
    std::string snippet;   // the page text the provider returned (SearXNG content, Brave description)
    std::string page_age;  // as the provider said it ("" when it did not)
};

struct Outcome {
    std::vector<Hit> hits;
    std::string error_code;  // "" on success; else one of Anthropic's web search error codes
    std::string message;     // for the model and the log when error_code is set
    bool ok() const { return error_code.empty(); }
    static Outcome fail(std::string code, std::string message) { return {{}, std::move(code), std::move(message)}; }
};

class Provider {
public:
    virtual ~Provider() = default;
    virtual awaitable<Outcome> search(const Query& q) = 0;
    virtual std::string describe() const = 0;  // e.g. "SearXNG http://127.0.0.1:8888"
};

struct ProviderSettings {
    std::string searxng_url;    // setting search-url ("" = none)
    std::string brave_api_key;  // setting brave-api-key ("" = none)
    std::string brave_url = "https://api.search.brave.com/res/v1/web/search";  // setting brave-url (tests)
    http::ClientTimeouts timeouts{std::chrono::milliseconds(5000), std::chrono::milliseconds(15000),
                                  std::chrono::milliseconds(15000)};
};

// The configured provider (SearXNG wins when both are set), or null with *why saying what is
// wrong with a setting ("" when simply nothing is configured).
std::unique_ptr<Provider> make_provider(const ProviderSettings& s, std::string* why);

// What the model and the log are told when no provider is configured.
inline constexpr std::string_view kNotConfigured =
    "web search is not configured on this anyclaude gateway: set --search-url URL (a SearXNG "
    "instance with its JSON format enabled) or ANYCLAUDE_BRAVE_API_KEY (a Brave Search API key), "
    "then restart it";

// The two clients (make_provider picks one).
std::unique_ptr<Provider> make_searxng(http::Url base, http::ClientTimeouts t);
std::unique_ptr<Provider> make_brave(http::Url endpoint, std::string key, http::ClientTimeouts t);

// One search round trip, the same for every provider: GET its JSON answer, parse it with the
// provider's parser (which says why a body is not its JSON), keep the hits the query's domain
// rules allow. Errors name the provider and what its status means (401/403: key or format
// refused, 429: too_many_requests; else unavailable).
using HitParser = std::vector<Hit> (*)(std::string_view body, std::string* why);
awaitable<Outcome> fetch_hits(const http::Url& url, const http::OutgoingRequest& req, const http::ClientTimeouts& t,
                              const std::string& who, HitParser parse, const Query& q);

// Pure parts, tested on recorded bodies.
std::vector<Hit> parse_searxng(std::string_view body, std::string* why);
std::vector<Hit> parse_brave(std::string_view body, std::string* why);
// "a.com" matches a.com and *.a.com; "a.com/docs" also needs the path to start with /docs.
bool domain_matches(std::string_view url, std::string_view rule);
// Drops hits outside allowed_domains or inside blocked_domains; keeps at most max_results.
std::vector<Hit> apply_domain_rules(std::vector<Hit> hits, const Query& q);
// The query text with site: hints (" site:a.com" for one allowed domain, " (site:a OR site:b)"
// for several, " -site:b" for each blocked one); paths are left to the filter.
std::string query_with_site_hints(const Query& q);
// RFC 3986 percent-encoding of a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace anyclaude::search
