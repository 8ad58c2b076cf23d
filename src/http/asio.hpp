// Common Boost.Asio / Beast aliases for the HTTP layer and everything built on it.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast.hpp>

namespace anyclaude {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

template <class T = void>
using awaitable = net::awaitable<T>;

using net::use_awaitable;

}  // namespace anyclaude
