// Fuzzes the prompt cache's disk snapshot reader (engine/snapshot_file): the input is a whole
// .ackv file. Seeds are real files written by write_snapshot_file (fuzz/make_snapshot_seeds.cpp,
// run by scripts/fuzz.sh) under kFingerprint.
//
// Invariants:
//   - nothing crashes or allocates beyond the input's size: every length is checked against it;
//   - a header that reads is consistent: file_bytes is the input size, which is exactly what the
//     header's lengths add up to, and the priority is a known one;
//   - a state that reads round-trips: writing the same contents gives the input, byte for byte;
//     the state never reads when the header does not, nor with other tokens;
//   - the file reader (read_snapshot_*) agrees with the bytes reader on the same bytes (checked
//     on one input in 16, through a file under $TMPDIR);
//   - Hash64 fed in pieces equals the one-shot hash of the input; snapshot names are names.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/prompt_cache_hash.hpp"
#include "engine/snapshot_file.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace anyclaude;
using namespace anyclaude::engine;

constexpr std::string_view kFingerprint = "fuzz-model.gguf:1234567:q4_k_m";

template <class A, class B>
bool same_result(const A& a, const B& b) {
    return a.ok() == b.ok() && (a.ok() || a.error() == b.error());
}

std::string temp_path() {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/fuzz_snapshot_" + std::to_string(::getpid()) + ".ackv";
}

bool put_file(const std::string& path, std::string_view bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (w <= 0) break;
        done += static_cast<std::size_t>(w);
    }
    ::close(fd);
    return done == bytes.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const uint64_t h = fuzz::input_hash(bytes);

    auto header = parse_snapshot_header(bytes, kFingerprint);
    Tokens tokens;
    if (header) {
        tokens = header->tokens;
        FUZZ_CHECK(header->file_bytes == size);
        FUZZ_CHECK(static_cast<uint32_t>(header->priority) <= static_cast<uint32_t>(Priority::stable_prefix));
        uint64_t expected = 4 + 4 + 4 + kFingerprint.size() + 4 + 8 + tokens.size() * sizeof(Token) + 8 +
                            header->state_bytes + 8;
        FUZZ_CHECK(expected == size);
    } else {
        FUZZ_CHECK(!header.error().empty());
    }

    auto state = parse_snapshot_state(bytes, kFingerprint, tokens);
    if (!header) FUZZ_CHECK(!state.ok() && state.error() == header.error());
    if (state) {
        FUZZ_CHECK(state->size() == header->state_bytes);
        std::string again = snapshot_file_bytes(kFingerprint, header->priority, tokens, *state);
        FUZZ_CHECK(again == bytes);
        Tokens other = tokens;
        other.push_back(static_cast<Token>(h));
        FUZZ_CHECK(!parse_snapshot_state(bytes, kFingerprint, other).ok());
        FUZZ_CHECK(is_snapshot_file_name(snapshot_file_name(kFingerprint, tokens)));
    }
    // A file names one model: another model's reader does not accept it.
    if (header) FUZZ_CHECK(!parse_snapshot_header(bytes, "another-model").ok());

    // The file readers share the parser: same answers on the same bytes.
    if ((h & 15) == 0) {
        static const std::string path = temp_path();
        if (put_file(path, bytes)) {
            FUZZ_CHECK(same_result(read_snapshot_header(path, kFingerprint), header));
            auto file_state = read_snapshot_state(path, kFingerprint, tokens);
            FUZZ_CHECK(same_result(file_state, state));
            if (state) FUZZ_CHECK(*file_state == *state);
            ::unlink(path.c_str());
        }
    }

    // Hash64 in two input-chosen pieces equals the one-shot hash.
    std::size_t cut = size ? (h >> 8) % (size + 1) : 0;
    Hash64 streamed(h);
    streamed.update(bytes.substr(0, cut));
    streamed.update(bytes.substr(cut));
    FUZZ_CHECK(streamed.finish() == hash64(bytes.data(), bytes.size(), h));
    return 0;
}
