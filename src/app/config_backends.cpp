// The config file's "backends" list (see config_backends.hpp).
#include "app/config_backends.hpp"

#include <functional>

namespace anyclaude::app {

namespace {

namespace bj = json::bj;

// One field of an entry: its key and how it is read ("" or what a valid value looks like).
struct Field {
    const char* name;
    std::function<std::string(BackendEntry&, const bj::value&)> read;
};

const std::vector<Field>& fields() {
    static const std::vector<Field> table = {
        {"url", [](BackendEntry& e, const bj::value& v) {
             if (!v.is_string() || v.get_string().empty()) return std::string("a URL such as http://host:8080/v1");
             e.url = std::string(v.get_string());
             return std::string();
         }},
        {"weight", [](BackendEntry& e, const bj::value& v) {
             if (!v.is_int64() || v.get_int64() < 1 || v.get_int64() > 100) return std::string("a whole number 1-100");
             e.weight = v.get_int64();
             return std::string();
         }},
        {"models", [](BackendEntry& e, const bj::value& v) {
             if (!v.is_array()) return std::string("a list of model names");
             for (const auto& m : v.get_array()) {
                 if (!m.is_string()) return std::string("a list of model names");
                 e.models.emplace_back(m.get_string());
             }
             return std::string();
         }},
        {"key", [](BackendEntry& e, const bj::value& v) {
             if (!v.is_string()) return std::string("an API key (text)");
             e.key = std::string(v.get_string());
             return std::string();
         }},
    };
    return table;
}

std::string read_entry(BackendEntry& e, const bj::object& o, const std::string& where) {
    for (const auto& kv : o) {
        const Field* f = nullptr;
        for (const auto& candidate : fields())
            if (kv.key() == candidate.name) f = &candidate;
        if (!f) return where + ": unknown field '" + std::string(kv.key()) + "' (url, weight, models, key)";
        if (auto what = f->read(e, kv.value()); !what.empty())
            return where + ": '" + std::string(kv.key()) + "' must be " + what;
    }
    if (e.url.empty()) return where + ": 'url' is missing";
    return {};
}

}  // namespace

std::string read_backend_list(Config& c, const bj::value& v) {
    if (!v.is_array() || v.get_array().empty())
        return "'backends' must be a list of {\"url\", \"weight\", \"models\", \"key\"} objects";
    std::vector<BackendEntry> list;
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
        const auto& item = v.get_array()[i];
        const std::string where = "backends[" + std::to_string(i) + "]";
        if (!item.is_object()) return where + " must be an object with a 'url'";
        BackendEntry e;
        if (auto err = read_entry(e, item.get_object(), where); !err.empty()) return err;
        list.push_back(std::move(e));
    }
    c.backend_url = list.front().url;
    if (list.size() == 1 && !list.front().key.empty()) c.backend_key = list.front().key;
    c.backends = list.size() > 1 ? std::move(list) : std::vector<BackendEntry>{};
    return {};
}

}  // namespace anyclaude::app
