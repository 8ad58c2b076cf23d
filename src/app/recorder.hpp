// `anyclaude serve --record DIR`: records every request as it was received and what was answered,
// for bug reports and for replaying real Claude Code sessions (bench/session/replay.mjs).
//
// Contract of DIR (format 1; bench/session/README.md "Recordings" documents it for readers):
//   requests/NNNNNN.json   the body exactly as received, byte for byte (with --record-redact:
//                          redact_body()'s same-length filler, see redact.hpp)
//   index.jsonl            one JSON line per request, written when its answer has ended:
//     {"format":1, "seq":N, "file":"requests/NNNNNN.json", "arrived_epoch_ms":..., "conn":"ip:port",
//      "method":"POST", "target":"/v1/messages?beta=true", "headers":{lower-case name: value},
//      "in_flight":[seqs still unanswered when it arrived], "bytes":N, "redacted":bool,
//      "status":200, "stream":bool, "ttft_ms":x|null, "total_ms":x, "usage":{...}|null,
//      "complete":bool, "error":"text"|absent}
//   Lines are in completion order; seq is arrival order and keeps counting across restarts of
//   the gateway on the same DIR. Headers that carry credentials are never written.
// Disk work (and redaction) happens on the recorder's own thread: the I/O loop only copies the
// body and queues it. What was answered comes from the shared per-request summary
// (observe/request_summary.hpp): the recorder is one consumer of the gateway's observation point.
#pragma once

#include <memory>
#include <string>

#include "http/server.hpp"
#include "observe/observer.hpp"

namespace anyclaude::app {

struct RecorderOptions {
    std::string dir;
    bool redact = false;
};

class Recorder final : public observe::Consumer {
public:
    // Creates DIR (and DIR/requests) and starts the writer thread; nullptr with *why on failure.
    static std::shared_ptr<Recorder> open(const RecorderOptions& opt, std::string* why);
    ~Recorder() override;  // writes everything queued, then joins the writer thread

    std::shared_ptr<void> begin(const http::Request& req, const observe::RequestSummary& s) override;
    void end(const observe::RequestSummary& s, const std::shared_ptr<void>& state) override;

    struct Impl;

private:
    explicit Recorder(std::unique_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

// Whether a request header is written to the recording (credentials never are).
bool recorded_header(std::string_view lower_name);

}  // namespace anyclaude::app
