// The HTTP server and client talking over real loopback sockets: bodies, streaming, limits,
// timeouts, disconnect detection, TLS-less client errors naming the URL. Tests wait on what the
// server reports (its on_connection_closed hook, counters its handler bumps), never on a sleep.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "http/client.hpp"
#include "http/server.hpp"
#include "support/loopback.hpp"

using namespace anyclaude;
using namespace anyclaude::test;

namespace {

template <class T>
T run_on(IoThread& io, std::function<awaitable<T>()> f) {
    return net::co_spawn(io.ioc(), f(), net::use_future).get();
}

struct EchoServer {
    // What the server has done, counted under mu (declared before io, so they outlive the I/O
    // thread that updates them): sessions ended (its on_connection_closed hook), /wait handlers
    // started waiting and /wait handlers that saw their client go.
    std::mutex mu;
    std::condition_variable cv;
    int closed = 0;
    int waiting = 0;
    int gone = 0;
    IoThread io;
    std::unique_ptr<http::Server> server;
    explicit EchoServer(http::ServerLimits limits = {}) {
        server = std::make_unique<http::Server>(io.executor(), limits,
                                                [this](const http::Request& req, http::ResponseWriter& w) {
                                                    return handle(req, w);
                                                });
        EXPECT_EQ(server->listen("127.0.0.1", 0), "");
        server->on_connection_closed([this] { bump(closed); });
        server->start();
    }
    void bump(int& counter) {
        std::lock_guard lock(mu);
        ++counter;
        cv.notify_all();
    }
    // Waits until counter reaches n; the 10 s bound only turns a hang into a failure.
    bool wait_for(const int& counter, int n) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, std::chrono::seconds(10), [&] { return counter >= n; });
    }
    int read(const int& counter) {
        std::lock_guard lock(mu);
        return counter;
    }
    awaitable<void> handle(const http::Request& req, http::ResponseWriter& w) {
        std::string target(req.target());
        if (target == "/stream") {
            co_await w.start_stream(200, "text/event-stream");
            for (int i = 0; i < 3; ++i) co_await w.write_chunk("data: " + std::to_string(i) + "\n\n");
            co_return;
        }
        if (target == "/wait") {
            bump(waiting);
            co_await w.wait_client_gone();
            bump(gone);
            co_return;
        }
        co_await w.send(200, "text/plain", "echo:" + req.body());
    }
};

}  // namespace

TEST(HttpServer, AnswersAndKeepsConnectionsAlive) {
    EchoServer s;
    auto r = http_request(s.server->port(), "POST", "/x", "hello");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "echo:hello");
}

TEST(HttpServer, StreamsChunksToTheClient) {
    EchoServer s;
    auto url = *http::Url::parse("http://127.0.0.1:" + std::to_string(s.server->port()));
    IoThread client;
    auto pieces = run_on<std::string>(client, [&]() -> awaitable<std::string> {
        http::OutgoingRequest req;
        req.method = bhttp::verb::get;
        req.path = "/stream";
        auto sent = co_await http::send_request(url, req);
        EXPECT_EQ(sent.error, "");
        auto& res = sent.response;
        EXPECT_EQ(res->status(), 200u);
        EXPECT_EQ(res->header("content-type"), "text/event-stream");
        auto body = co_await res->read_all();
        EXPECT_EQ(res->error(), "");
        co_return body;
    });
    EXPECT_EQ(pieces, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

TEST(HttpServer, RejectsBodiesOverTheLimitWith413) {
    http::ServerLimits limits;
    limits.max_body_bytes = 1000;
    EchoServer s(limits);
    auto r = http_request(s.server->port(), "POST", "/x", std::string(5000, 'a'));
    EXPECT_EQ(r.status, 413u);
    EXPECT_NE(r.body.find("maximum allowed size"), std::string::npos);  // the app shapes it (anthropic::transport_error_body)
    // The server keeps serving.
    EXPECT_EQ(http_request(s.server->port(), "POST", "/x", "ok").status, 200u);
}

TEST(HttpServer, RejectsHeaderFloodsWith431) {
    http::ServerLimits limits;
    limits.max_header_bytes = 4096;
    EchoServer s(limits);
    std::vector<std::pair<std::string, std::string>> headers;
    for (int i = 0; i < 200; ++i) headers.push_back({"x-flood-" + std::to_string(i), std::string(100, 'v')});
    auto r = http_request(s.server->port(), "GET", "/x", "", headers);
    EXPECT_EQ(r.status, 431u);
}

TEST(HttpServer, CutsOffSlowSenders) {
    http::ServerLimits limits;
    limits.read_timeout = std::chrono::milliseconds(300);
    EchoServer s(limits);
    net::io_context ioc;
    tcp::socket sock(ioc);
    sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server->port()));
    std::string partial = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc";
    net::write(sock, net::buffer(partial));
    auto t0 = std::chrono::steady_clock::now();
    std::string reply;
    beast::error_code ec;
    char buf[1024];
    for (;;) {
        std::size_t n = sock.read_some(net::buffer(buf), ec);
        reply.append(buf, n);
        if (ec) break;
    }
    auto waited = std::chrono::steady_clock::now() - t0;
    // Once the read timeout passes the client gets a 408 saying so, then the
    // connection is closed.
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(5));
    EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
    EXPECT_NE(reply.find("not received in full"), std::string::npos) << reply;
    EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
}

TEST(HttpServer, NoticesWhenTheClientGoes) {
    EchoServer s;
    {
        net::io_context ioc;
        tcp::socket sock(ioc);
        sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.server->port()));
        std::string req = "GET /wait HTTP/1.1\r\nHost: a\r\n\r\n";
        net::write(sock, net::buffer(req));
        ASSERT_TRUE(s.wait_for(s.waiting, 1)) << "the handler never started waiting";
        EXPECT_EQ(s.read(s.gone), 0);  // the client is still there
    }  // closed
    ASSERT_TRUE(s.wait_for(s.gone, 1)) << "the handler never noticed the client go";
    EXPECT_EQ(s.read(s.gone), 1);
}

TEST(HttpClient, ConnectionRefusedNamesTheUrl) {
    // Find a port nobody listens on.
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    auto port = a.local_endpoint().port();
    a.close();
    auto url = *http::Url::parse("http://127.0.0.1:" + std::to_string(port) + "/v1");
    IoThread client;
    auto msg = run_on<std::string>(client, [&]() -> awaitable<std::string> {
        auto sent = co_await http::send_request(url, http::OutgoingRequest{});
        co_return sent.response ? std::string("no error") : sent.error;
    });
    EXPECT_NE(msg.find("cannot connect to http://127.0.0.1:" + std::to_string(port) + "/v1"), std::string::npos) << msg;
}

TEST(HttpUrl, ParsesSchemesHostsPortsAndPrefixes) {
    auto u = http::Url::parse("http://localhost:1234/v1/");
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->tls);
    EXPECT_EQ(u->host, "localhost");
    EXPECT_EQ(u->port, "1234");
    EXPECT_EQ(u->prefix, "/v1");
    auto t = http::Url::parse("https://api.example.com/openai/v1");
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->tls);
    EXPECT_EQ(t->port, "443");
    EXPECT_EQ(t->target("/chat/completions"), "/openai/v1/chat/completions");
    std::string why;
    EXPECT_FALSE(http::Url::parse("ftp://x/", &why));
    EXPECT_NE(why.find("http or https"), std::string::npos);
    EXPECT_FALSE(http::Url::parse("not a url", &why));
}

TEST(HttpClient, PoolReusesKeepAliveConnections) {
    EchoServer s;
    auto url = *http::Url::parse("http://127.0.0.1:" + std::to_string(s.server->port()));
    IoThread client;
    http::ConnectionPool pool;
    auto bodies = run_on<std::string>(client, [&]() -> awaitable<std::string> {
        std::string all;
        for (int i = 0; i < 3; ++i) {
            http::OutgoingRequest req;
            req.path = "/x";
            req.body = std::to_string(i);
            auto sent = co_await http::send_request(url, req, {}, &pool);
            if (!sent.response) co_return sent.error;
            all += co_await sent.response->read_all() + ";";
        }
        co_return all;
    });
    EXPECT_EQ(bodies, "echo:0;echo:1;echo:2;");
    EXPECT_EQ(pool.reused(), 2u);
}

TEST(HttpClient, PoolDropsConnectionsTheServerClosed) {
    http::ServerLimits limits;
    limits.idle_timeout = std::chrono::milliseconds(100);  // the server closes idle keep-alive connections
    EchoServer s(limits);
    auto url = *http::Url::parse("http://127.0.0.1:" + std::to_string(s.server->port()));
    IoThread client;
    http::ConnectionPool pool;
    auto once = [&](std::string body) {
        return run_on<std::string>(client, [&]() -> awaitable<std::string> {
            http::OutgoingRequest req;
            req.path = "/x";
            req.body = body;
            auto sent = co_await http::send_request(url, req, {}, &pool);
            co_return sent.response ? co_await sent.response->read_all() : sent.error;
        });
    };
    EXPECT_EQ(once("a"), "echo:a");
    EXPECT_EQ(pool.idle_connections(), 1u);
    ASSERT_TRUE(s.wait_for(s.closed, 1)) << "the server never closed the idle connection";
    EXPECT_EQ(once("b"), "echo:b");  // the dead connection is noticed and replaced
    EXPECT_EQ(pool.reused(), 0u);
}

TEST(HttpServer, SignalsEachSessionThatEnds) {
    EchoServer s;
    for (int i = 1; i <= 3; ++i) {
        EXPECT_EQ(http_request(s.server->port(), "POST", "/x", "hi").status, 200u);  // closes after the answer
        ASSERT_TRUE(s.wait_for(s.closed, i)) << "session " << i;
    }
    EXPECT_EQ(s.read(s.closed), 3);
}
