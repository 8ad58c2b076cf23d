// A parsed http(s) base URL for upstream servers: scheme, host, port, path prefix.
#pragma once

#include <optional>
#include <string>

namespace anyclaude::http {

struct Url {
    bool tls = false;
    std::string host;
    std::string port;    // always set ("80"/"443" by default)
    std::string prefix;  // path without a trailing slash, e.g. "/v1"

    // "http://localhost:1234/v1" -> Url; nullopt for anything else (error text in *why).
    static std::optional<Url> parse(const std::string& text, std::string* why = nullptr);
    std::string to_string() const;  // scheme://host:port/prefix
    std::string target(const std::string& path) const { return prefix + path; }
};

}  // namespace anyclaude::http
