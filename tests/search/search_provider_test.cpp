// The search providers: SearXNG's and Brave's JSON answers parsed from bodies written from their
// documented shapes, the domain rules (allowed/blocked, subdomains, paths), the site: hints put
// in the query, and both clients over real loopback HTTP (a ScriptedUpstream routes their GETs).
#include <gtest/gtest.h>

#include "search/provider.hpp"
#include "support/loopback.hpp"

namespace anyclaude::search {
namespace {

// SearXNG /search?format=json (searx/webapp.py, the json result format): results with url,
// title, content, publishedDate (ISO or null), engine(s), score, category; plus answers etc.
const char* kSearxngBody = R"({"query": "kangaroo speed", "number_of_results": 0,
  "results": [
    {"url": "https://en.wikipedia.org/wiki/Red_kangaroo", "title": "Red kangaroo - Wikipedia",
     "content": "The red kangaroo can reach 70 km/h.", "engine": "wikipedia", "parsed_url": ["https", "en.wikipedia.org", "/wiki/Red_kangaroo", "", "", ""],
     "template": "default.html", "engines": ["wikipedia", "duckduckgo"], "positions": [1, 2], "publishedDate": "2024-11-02T00:00:00",
     "score": 4.5, "category": "general"},
    {"url": "https://www.nationalgeographic.com/animals/kangaroo", "title": "Kangaroo", "content": "Facts.",
     "engine": "bing", "publishedDate": null, "score": 1.0, "category": "general"},
    {"title": "no url: dropped", "content": "x"}
  ],
  "answers": [], "corrections": [], "infoboxes": [], "suggestions": ["kangaroo top speed"], "unresponsive_engines": []})";

// Brave Search API /res/v1/web/search: web.results with title, url, description (with <strong>
// highlights), age (human) and page_age (ISO), among other fields.
const char* kBraveBody = R"({"type": "search",
  "query": {"original": "kangaroo speed", "more_results_available": true},
  "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": false}]},
  "web": {"type": "search", "family_friendly": true, "results": [
    {"title": "Red <strong>kangaroo</strong> facts", "url": "https://roo.example.org/red", "is_source_local": false,
     "description": "Red <strong>kangaroos</strong> hop at up to 71 km/h.", "page_age": "2024-08-01T10:00:00",
     "age": "August 1, 2024", "language": "en", "profile": {"name": "Example", "url": "https://roo.example.org"}},
    {"title": "Kangaroo", "url": "https://animals.example.com/kangaroo", "description": "Marsupial.", "page_age": "2023-01-05T00:00:00"}
  ]}})";

TEST(SearchParse, Searxng) {
    std::string why;
    auto hits = parse_searxng(kSearxngBody, &why);
    EXPECT_EQ(why, "");
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0].url, "https://en.wikipedia.org/wiki/Red_kangaroo");
    EXPECT_EQ(hits[0].title, "Red kangaroo - Wikipedia");
    EXPECT_EQ(hits[0].snippet, "The red kangaroo can reach 70 km/h.");
    EXPECT_EQ(hits[0].page_age, "2024-11-02T00:00:00");
    EXPECT_EQ(hits[1].page_age, "") << "null publishedDate";
    parse_searxng("<html>403</html>", &why);
    EXPECT_NE(why, "");
}

TEST(SearchParse, Brave) {
    std::string why;
    auto hits = parse_brave(kBraveBody, &why);
    EXPECT_EQ(why, "");
    ASSERT_EQ(hits.size(), 2u);
    EXPECT_EQ(hits[0].title, "Red kangaroo facts") << "highlights removed";
    EXPECT_EQ(hits[0].snippet, "Red kangaroos hop at up to 71 km/h.");
    EXPECT_EQ(hits[0].page_age, "August 1, 2024") << "age first";
    EXPECT_EQ(hits[1].page_age, "2023-01-05T00:00:00") << "else page_age";
    EXPECT_TRUE(parse_brave(R"({"type":"search","query":{"original":"zzz"}})", &why).empty()) << "no web: no hits";
    EXPECT_EQ(why, "");
}

TEST(SearchDomains, RulesMatchHostsSubdomainsAndPaths) {
    struct Case { const char* url; const char* rule; bool match; };
    const Case cases[] = {
        {"https://example.com/a", "example.com", true},
        {"https://docs.example.com/a", "example.com", true},
        {"https://notexample.com/a", "example.com", false},
        {"https://example.com.evil.net/", "example.com", false},
        {"https://EXAMPLE.com:8443/x", "example.com", true},
        {"https://example.com/blog/post", "example.com/blog", true},
        {"https://example.com/about", "example.com/blog", false},
        {"https://example.com/", "https://example.com", true},
        {"https://a.example.com/", "*.example.com", true},
    };
    for (const auto& c : cases) EXPECT_EQ(domain_matches(c.url, c.rule), c.match) << c.url << " vs " << c.rule;
}

TEST(SearchDomains, AllowedAndBlockedFilterHitsAndLimit) {
    std::vector<Hit> hits = {{"https://a.com/1", "", "", ""}, {"https://b.com/2", "", "", ""},
                             {"https://sub.a.com/3", "", "", ""}, {"https://c.org/4", "", "", ""}};
    Query allow;
    allow.allowed_domains = {"a.com"};
    auto kept = apply_domain_rules(hits, allow);
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[1].url, "https://sub.a.com/3");
    Query block;
    block.blocked_domains = {"a.com", "c.org"};
    kept = apply_domain_rules(hits, block);
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0].url, "https://b.com/2");
    Query few;
    few.max_results = 3;
    EXPECT_EQ(apply_domain_rules(hits, few).size(), 3u);
}

TEST(SearchDomains, SiteHintsInTheQuery) {
    Query q;
    q.text = "rust async";
    EXPECT_EQ(query_with_site_hints(q), "rust async");
    q.allowed_domains = {"docs.rs"};
    EXPECT_EQ(query_with_site_hints(q), "rust async site:docs.rs");
    q.allowed_domains = {"docs.rs", "rust-lang.org/learn"};
    EXPECT_EQ(query_with_site_hints(q), "rust async (site:docs.rs OR site:rust-lang.org)");
    q.allowed_domains.clear();
    q.blocked_domains = {"spam.com", "junk.net"};
    EXPECT_EQ(query_with_site_hints(q), "rust async -site:spam.com -site:junk.net");
    EXPECT_EQ(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

TEST(SearchProvider, SearxngWinsAndBadUrlsAreReported) {
    std::string why;
    EXPECT_EQ(make_provider({}, &why), nullptr);
    EXPECT_EQ(why, "") << "nothing configured is no error";
    ProviderSettings s;
    s.searxng_url = "http://127.0.0.1:8888/search";
    s.brave_api_key = "k";
    auto p = make_provider(s, &why);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->describe(), "SearXNG http://127.0.0.1:8888");
    s.searxng_url.clear();
    EXPECT_EQ(make_provider(s, &why)->describe(), "Brave Search https://api.search.brave.com:443/res/v1/web/search");
    s.searxng_url = "ftp://x";
    EXPECT_EQ(make_provider(s, &why), nullptr);
    EXPECT_NE(why.find("search-url"), std::string::npos) << why;
}

// Both clients against a loopback server: the GET they send, and what comes back.
struct Loopback {
    test::IoThread io;
    test::ScriptedUpstream server{io.executor()};
    std::string root() const {  // base_url() ends in /v1
        auto u = server.base_url();
        return u.substr(0, u.size() - 3);
    }
    Outcome run(Provider& p, const Query& q) {
        auto f = net::co_spawn(io.executor(), p.search(q), net::use_future);
        return f.get();
    }
};

TEST(SearchProvider, SearxngClientOverHttp) {
    Loopback lb;
    lb.server.route("GET /search?q=kangaroo%20speed%20-site%3Awww.nationalgeographic.com&format=json&pageno=1", 200,
                    kSearxngBody);
    ProviderSettings s;
    s.searxng_url = lb.root();
    std::string why;
    auto p = make_provider(s, &why);
    Query q;
    q.text = "kangaroo speed";
    q.blocked_domains = {"www.nationalgeographic.com"};
    auto out = lb.run(*p, q);
    ASSERT_TRUE(out.ok()) << out.message;
    ASSERT_EQ(out.hits.size(), 1u) << "the blocked hit is filtered even though the hint was sent";
    EXPECT_EQ(out.hits[0].title, "Red kangaroo - Wikipedia");
    // JSON not enabled on the instance: SearXNG answers 403.
    lb.server.route("GET /search?q=x&format=json&pageno=1", 403, "<html>Forbidden</html>");
    Query x;
    x.text = "x";
    out = lb.run(*p, x);
    EXPECT_EQ(out.error_code, "unavailable");
    EXPECT_NE(out.message.find("search.formats"), std::string::npos) << out.message;
}

TEST(SearchProvider, BraveClientOverHttp) {
    Loopback lb;
    lb.server.route("GET /res/v1/web/search?q=kangaroo&count=10&country=AU", 200, kBraveBody);
    lb.server.route("GET /res/v1/web/search?q=busy&count=10", 429, R"({"type":"ErrorResponse"})");
    ProviderSettings s;
    s.brave_api_key = "BSA-test";
    s.brave_url = lb.root() + "/res/v1/web/search";
    std::string why;
    auto p = make_provider(s, &why);
    Query q;
    q.text = "kangaroo";
    q.country = "AU";
    auto out = lb.run(*p, q);
    ASSERT_TRUE(out.ok()) << out.message;
    EXPECT_EQ(out.hits.size(), 2u);
    q.text = "busy";
    q.country.clear();
    EXPECT_EQ(lb.run(*p, q).error_code, "too_many_requests");
    q.text = std::string(401, 'q');
    EXPECT_EQ(lb.run(*p, q).error_code, "query_too_long");
}

TEST(SearchProvider, UnreachableProviderIsUnavailable) {
    ProviderSettings s;
    s.searxng_url = "http://127.0.0.1:1";
    std::string why;
    auto p = make_provider(s, &why);
    test::IoThread io;
    Query q;
    q.text = "x";
    auto out = net::co_spawn(io.executor(), p->search(q), net::use_future).get();
    EXPECT_EQ(out.error_code, "unavailable");
    EXPECT_NE(out.message.find("could not be reached"), std::string::npos) << out.message;
}

}  // namespace
}  // namespace anyclaude::search
