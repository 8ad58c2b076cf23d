// Reading and writing prompt-cache snapshot files (format in snapshot_file.hpp).
#include "engine/snapshot_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "engine/prompt_cache_hash.hpp"

namespace anyclaude::engine {

static_assert(std::endian::native == std::endian::little,
              "the snapshot file format is little-endian; add byte swapping for this host");

namespace {

constexpr char kMagic[4] = {'A', 'C', 'K', 'V'};
constexpr uint32_t kMaxFingerprint = 64 * 1024;
constexpr uint64_t kNameSeed = 0x61636B76u;  // "ackv"

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// The reading side shared by both readers: exact byte counts from Source::fill, hashed.
template <class Source>
class HashingReader {
public:
    bool read(void* data, std::size_t n, bool hash = true) {
        if (!static_cast<Source*>(this)->fill(static_cast<unsigned char*>(data), n)) return false;
        if (hash) hash_.update(data, n);
        return true;
    }
    template <class T>
    bool read_value(T& v) {
        return read(&v, sizeof v);
    }
    uint64_t checksum() const { return hash_.finish(); }

private:
    Hash64 hash_;
};

// Reads from a file.
class FileReader : public HashingReader<FileReader> {
public:
    explicit FileReader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) error_ = errno;
    }
    ~FileReader() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileReader(const FileReader&) = delete;
    FileReader& operator=(const FileReader&) = delete;

    bool opened() const { return fd_ >= 0; }
    int error() const { return error_; }
    std::optional<uint64_t> size() const {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) return std::nullopt;
        return static_cast<uint64_t>(st.st_size);
    }
    bool fill(unsigned char* p, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            ssize_t r = ::read(fd_, p + done, n - done);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            done += static_cast<std::size_t>(r);
        }
        return true;
    }

private:
    int fd_;
    int error_ = 0;
};

// The same reads over bytes held in memory (a whole file's contents).
class MemoryReader : public HashingReader<MemoryReader> {
public:
    explicit MemoryReader(std::string_view bytes) : bytes_(bytes) {}

    bool opened() const { return true; }
    int error() const { return 0; }
    std::optional<uint64_t> size() const { return static_cast<uint64_t>(bytes_.size()); }
    bool fill(unsigned char* p, std::size_t n) {
        if (n > bytes_.size() - pos_) return false;
        if (n > 0) std::memcpy(p, bytes_.data() + pos_, n);
        pos_ += n;
        return true;
    }

private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

// The writing side shared by both writers: bytes go to Sink::put, hashed.
template <class Sink>
class HashingWriter {
public:
    bool write(const void* data, std::size_t n) {
        if (!static_cast<Sink*>(this)->put(static_cast<const unsigned char*>(data), n)) return false;
        hash_.update(data, n);
        return true;
    }
    template <class T>
    bool write_value(const T& v) {
        return write(&v, sizeof v);
    }
    uint64_t checksum() const { return hash_.finish(); }

private:
    Hash64 hash_;
};

// Writes to a new file.
class FileWriter : public HashingWriter<FileWriter> {
public:
    explicit FileWriter(const std::string& path)
        : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
        if (fd_ < 0) error_ = errno;
    }
    ~FileWriter() { close(); }
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    bool opened() const { return fd_ >= 0; }
    int error() const { return error_; }
    bool put(const unsigned char* p, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            ssize_t w = ::write(fd_, p + done, n - done);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return fail();
            done += static_cast<std::size_t>(w);
        }
        return true;
    }
    bool restrict_permissions() { return ::fchmod(fd_, 0600) == 0 || fail(); }
    bool sync() { return ::fsync(fd_) == 0 || fail(); }
    bool close() {
        if (fd_ < 0) return true;
        int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 || fail();
    }

private:
    bool fail() {
        error_ = errno;
        return false;
    }
    int fd_;
    int error_ = 0;
};

// Appends to a string (snapshot_file_bytes).
class StringWriter : public HashingWriter<StringWriter> {
public:
    bool put(const unsigned char* p, std::size_t n) {
        if (n > 0) out_.append(reinterpret_cast<const char*>(p), n);
        return true;
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// Everything from the magic to the checksum, to a FileWriter or a StringWriter.
template <class Writer>
bool write_contents(Writer& out, std::string_view fingerprint, Priority priority, const Tokens& tokens,
                    const std::vector<uint8_t>& state) {
    uint32_t fp_len = static_cast<uint32_t>(fingerprint.size());
    uint32_t prio = static_cast<uint32_t>(priority);
    uint64_t n_tokens = tokens.size(), n_state = state.size();
    bool ok = out.write(kMagic, 4) && out.write_value(kSnapshotFormatVersion) && out.write_value(fp_len) &&
              out.write(fingerprint.data(), fp_len) && out.write_value(prio) && out.write_value(n_tokens) &&
              out.write(tokens.data(), n_tokens * sizeof(Token)) && out.write_value(n_state) &&
              out.write(state.data(), n_state);
    uint64_t checksum = out.checksum();
    return ok && out.write_value(checksum);
}

bool sync_folder(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Reads everything up to the state bytes; on success the reader stands at the state.
template <class Reader>
std::optional<std::string> read_header(Reader& in, std::string_view fingerprint, SnapshotFileHeader& out) {
    if (!in.opened()) return "cannot open: " + errno_text(in.error());
    auto size = in.size();
    if (!size) return "cannot stat";
    out.file_bytes = *size;

    char magic[4];
    uint32_t version = 0, fp_len = 0, priority = 0;
    if (!in.read(magic, 4)) return std::string("truncated (magic)");
    if (std::string_view(magic, 4) != std::string_view(kMagic, 4)) return std::string("bad magic");
    if (!in.read_value(version)) return std::string("truncated (version)");
    if (version != kSnapshotFormatVersion) return "format version " + std::to_string(version);
    if (!in.read_value(fp_len) || fp_len > kMaxFingerprint || fp_len > *size)
        return std::string("truncated or bad fingerprint length");
    std::string fp(fp_len, '\0');
    if (!in.read(fp.data(), fp_len)) return std::string("truncated (fingerprint)");
    if (fp != fingerprint) return "made with another model (" + fp + ")";
    if (!in.read_value(priority)) return std::string("truncated (priority)");
    if (priority > static_cast<uint32_t>(Priority::stable_prefix)) return "bad priority " + std::to_string(priority);
    out.priority = static_cast<Priority>(priority);

    uint64_t n_tokens = 0;
    if (!in.read_value(n_tokens)) return std::string("truncated (token count)");
    if (n_tokens > *size / sizeof(Token)) return std::string("token count larger than the file");
    out.tokens.resize(n_tokens);
    if (!in.read(out.tokens.data(), n_tokens * sizeof(Token))) return std::string("truncated (tokens)");
    if (!in.read_value(out.state_bytes)) return std::string("truncated (state size)");
    if (out.state_bytes > *size) return std::string("state size larger than the file");

    uint64_t expected = 4 + 4 + 4 + fp_len + 4 + 8 + n_tokens * sizeof(Token) + 8 + out.state_bytes + 8;
    if (expected != *size)
        return "size " + std::to_string(*size) + " bytes, header says " + std::to_string(expected);
    return std::nullopt;
}

template <class Reader>
FileResult<SnapshotFileHeader> header_from(Reader& in, std::string_view fingerprint) {
    SnapshotFileHeader header;
    if (auto error = read_header(in, fingerprint, header)) return FileResult<SnapshotFileHeader>::failure(*error);
    return header;
}

template <class Reader>
FileResult<std::vector<uint8_t>> state_from(Reader& in, std::string_view fingerprint, const Tokens& tokens) {
    using Result = FileResult<std::vector<uint8_t>>;
    SnapshotFileHeader header;
    if (auto error = read_header(in, fingerprint, header)) return Result::failure(*error);
    if (header.tokens != tokens) return Result::failure("holds other tokens than its index entry");
    std::vector<uint8_t> state(header.state_bytes);
    if (!in.read(state.data(), state.size())) return Result::failure("truncated (state)");
    uint64_t expected = in.checksum(), stored = 0;
    if (!in.read(&stored, sizeof stored, /*hash=*/false)) return Result::failure("truncated (checksum)");
    if (stored != expected) return Result::failure("checksum mismatch");
    return state;
}

}  // namespace

std::string snapshot_file_name(std::string_view fingerprint, const Tokens& tokens) {
    Hash64 h(kNameSeed);
    uint64_t fp_len = fingerprint.size();
    h.update(&fp_len, sizeof fp_len);
    h.update(fingerprint);
    h.update(tokens.data(), tokens.size() * sizeof(Token));
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h.finish()));
    return std::string(buf) + std::string(kSnapshotSuffix);
}

bool is_snapshot_file_name(std::string_view name) {
    if (name.size() != 16 + kSnapshotSuffix.size() || !name.ends_with(kSnapshotSuffix)) return false;
    for (std::size_t i = 0; i < 16; ++i)
        if (!is_hex_digit(name[i])) return false;
    return true;
}

FileResult<uint64_t> write_snapshot_file(const std::string& dir, const std::string& name,
                                         std::string_view fingerprint, Priority priority,
                                         const Tokens& tokens, const std::vector<uint8_t>& state) {
    const std::string path = dir + "/" + name;
    const std::string tmp = path + ".tmp";
    auto failed = [&](const char* what, int err) {
        ::unlink(tmp.c_str());
        return FileResult<uint64_t>::failure(std::string(what) + " " + tmp + ": " + errno_text(err));
    };

    FileWriter out(tmp);
    if (!out.opened()) return failed("cannot create", out.error());
    uint32_t fp_len = static_cast<uint32_t>(fingerprint.size());
    uint64_t n_tokens = tokens.size(), n_state = state.size();
    bool ok = out.restrict_permissions() && write_contents(out, fingerprint, priority, tokens, state) && out.sync() &&
              out.close();
    if (!ok) return failed("cannot write", out.error());
    if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("cannot rename", errno);
    sync_folder(dir);  // the rename is durable once the folder is; a failure here loses nothing now
    return uint64_t{4 + 4 + 4 + fp_len + 4 + 8 + n_tokens * sizeof(Token) + 8 + n_state + 8};
}

FileResult<SnapshotFileHeader> read_snapshot_header(const std::string& path, std::string_view fingerprint) {
    FileReader in(path);
    return header_from(in, fingerprint);
}

FileResult<std::vector<uint8_t>> read_snapshot_state(const std::string& path, std::string_view fingerprint,
                                                     const Tokens& tokens) {
    FileReader in(path);
    return state_from(in, fingerprint, tokens);
}

FileResult<SnapshotFileHeader> parse_snapshot_header(std::string_view bytes, std::string_view fingerprint) {
    MemoryReader in(bytes);
    return header_from(in, fingerprint);
}

FileResult<std::vector<uint8_t>> parse_snapshot_state(std::string_view bytes, std::string_view fingerprint,
                                                      const Tokens& tokens) {
    MemoryReader in(bytes);
    return state_from(in, fingerprint, tokens);
}

std::string snapshot_file_bytes(std::string_view fingerprint, Priority priority, const Tokens& tokens,
                                const std::vector<uint8_t>& state) {
    StringWriter out;
    write_contents(out, fingerprint, priority, tokens, state);
    return out.take();
}

}  // namespace anyclaude::engine
