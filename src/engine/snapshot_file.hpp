// The prompt cache's disk format: one file per snapshot (the key/value state of a sequence
// holding some tokens), written atomically and verified before use.
//
// Layout, little-endian:
//   "ACKV"                      magic, 4 bytes
//   u32  format version         kSnapshotFormatVersion
//   u32  n, n bytes             model fingerprint (files of another model are never loaded)
//   u32  priority               Priority as a number
//   u64  t, t x i32             token ids the state holds
//   u64  s, s bytes             state bytes (llama_state_seq_get_data)
//   u64  checksum               Hash64 of every byte before it
// A file is named "<16 hex digits>.ackv": Hash64 of the fingerprint and the token ids (never of
// request text), so the same tokens always map to the same file. It is written as
// "<name>.tmp", fsynced, renamed over the name, and the folder fsynced; files are 0600.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/prompt_cache.hpp"
#include "engine/tokens.hpp"

namespace anyclaude::engine {

inline constexpr uint32_t kSnapshotFormatVersion = 1;
inline constexpr std::string_view kSnapshotSuffix = ".ackv";
inline constexpr std::string_view kSnapshotTmpSuffix = ".ackv.tmp";

// A value, or a message saying why there is none.
template <class T>
class FileResult {
public:
    FileResult(T value) : value_(std::move(value)) {}
    static FileResult failure(std::string why) {
        FileResult r;
        r.error_ = std::move(why);
        return r;
    }
    bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }
    T& value() { return *value_; }
    const T& value() const { return *value_; }
    T& operator*() { return *value_; }
    T* operator->() { return &*value_; }
    const std::string& error() const { return error_; }

private:
    FileResult() = default;
    std::optional<T> value_;
    std::string error_;
};

// What a scan learns from a file without reading its state.
struct SnapshotFileHeader {
    Priority priority = Priority::normal;
    Tokens tokens;
    uint64_t state_bytes = 0;
    uint64_t file_bytes = 0;
};

// "<hash>.ackv" for these tokens under this model.
std::string snapshot_file_name(std::string_view fingerprint, const Tokens& tokens);
bool is_snapshot_file_name(std::string_view name);

// Writes dir/name atomically; returns the file's size in bytes.
FileResult<uint64_t> write_snapshot_file(const std::string& dir, const std::string& name,
                                         std::string_view fingerprint, Priority priority,
                                         const Tokens& tokens, const std::vector<uint8_t>& state);

// Reads and checks the header and token ids (magic, version, fingerprint, priority, and that
// the file's size is exactly what the header says); the checksum needs the whole file and is
// checked by read_snapshot_state.
FileResult<SnapshotFileHeader> read_snapshot_header(const std::string& path, std::string_view fingerprint);

// Reads the whole file, checks everything (header, the token ids equal `tokens`, size,
// checksum) and returns the state bytes.
FileResult<std::vector<uint8_t>> read_snapshot_state(const std::string& path, std::string_view fingerprint,
                                                     const Tokens& tokens);

// The same two readers over a whole file's bytes held in memory (the file readers and these
// share one parser; the fuzzer drives it through these). file_bytes is bytes.size().
FileResult<SnapshotFileHeader> parse_snapshot_header(std::string_view bytes, std::string_view fingerprint);
FileResult<std::vector<uint8_t>> parse_snapshot_state(std::string_view bytes, std::string_view fingerprint,
                                                      const Tokens& tokens);

// The exact bytes write_snapshot_file writes for these contents.
std::string snapshot_file_bytes(std::string_view fingerprint, Priority priority, const Tokens& tokens,
                                const std::vector<uint8_t>& state);

}  // namespace anyclaude::engine
