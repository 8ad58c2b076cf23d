// Parsing of upstream base URLs with Boost.URL (see url.hpp).
#include "http/url.hpp"

#include <boost/url/parse.hpp>

namespace anyclaude::http {

std::optional<Url> Url::parse(const std::string& text, std::string* why) {
    auto r = boost::urls::parse_uri(text);
    if (!r) {
        if (why) *why = "not a valid URL: '" + text + "'";
        return std::nullopt;
    }
    Url u;
    std::string scheme(r->scheme());
    if (scheme == "https") {
        u.tls = true;
    } else if (scheme != "http") {
        if (why) *why = "URL scheme must be http or https: '" + text + "'";
        return std::nullopt;
    }
    u.host = std::string(r->host_address());
    if (u.host.empty()) {
        if (why) *why = "URL has no host: '" + text + "'";
        return std::nullopt;
    }
    if (u.host.size() > 2 && u.host.front() == '[' && u.host.back() == ']') u.host = u.host.substr(1, u.host.size() - 2);
    u.port = r->has_port() ? std::string(r->port()) : (u.tls ? "443" : "80");
    u.prefix = std::string(r->encoded_path());
    while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
    return u;
}

std::string Url::to_string() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? "https://" : "http://") + h + ":" + port + prefix;
}

}  // namespace anyclaude::http
