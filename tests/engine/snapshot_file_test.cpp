// Tests for the prompt cache's disk format (snapshot_file) and its hash (prompt_cache_hash).
#include "engine/snapshot_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>

#include "engine/prompt_cache_hash.hpp"

namespace anyclaude::engine {
namespace {

namespace fs = std::filesystem;

class SnapshotFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ackv-file-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const Tokens& tokens, const std::vector<uint8_t>& state, std::string fp = "model-a",
                      Priority prio = Priority::checkpoint) {
        std::string name = snapshot_file_name(fp, tokens);
        auto r = write_snapshot_file(dir_, name, fp, prio, tokens, state);
        EXPECT_TRUE(r.ok()) << r.error();
        return dir_ + "/" + name;
    }
    static std::vector<char> bytes_of(const std::string& path) {
        std::ifstream f(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    static void put_bytes(const std::string& path, const std::vector<char>& bytes) {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }

    std::string dir_;
};

std::vector<uint8_t> pattern(std::size_t n) {
    std::vector<uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
    return v;
}

TEST(Hash64, StreamingEqualsOneShotAtEverySplit) {
    auto data = pattern(200);
    uint64_t whole = hash64(data.data(), data.size());
    for (std::size_t a = 0; a <= data.size(); a += 7) {
        for (std::size_t b = a; b <= data.size(); b += 13) {
            Hash64 h;
            h.update(data.data(), a);
            h.update(data.data() + a, b - a);
            h.update(data.data() + b, data.size() - b);
            ASSERT_EQ(h.finish(), whole) << a << " " << b;
        }
    }
}

TEST(Hash64, SensitiveToEveryByteLengthAndSeed) {
    auto data = pattern(100);
    uint64_t base = hash64(data.data(), data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        auto copy = data;
        copy[i] ^= 1;
        EXPECT_NE(hash64(copy.data(), copy.size()), base) << i;
    }
    EXPECT_NE(hash64(data.data(), 99), base);
    std::vector<uint8_t> padded = data;
    padded.push_back(0);  // zero padding of the tail must not collide with a real zero byte
    EXPECT_NE(hash64(padded.data(), padded.size()), base);
    EXPECT_NE(hash64(data.data(), data.size(), 1), base);
}

TEST(SnapshotFileName, DependsOnTokensAndFingerprintOnly) {
    Tokens t = {1, 2, 3};
    std::string a = snapshot_file_name("m", t);
    EXPECT_EQ(a, snapshot_file_name("m", Tokens{1, 2, 3}));
    EXPECT_NE(a, snapshot_file_name("n", t));
    EXPECT_NE(a, snapshot_file_name("m", Tokens{1, 2, 4}));
    EXPECT_NE(a, snapshot_file_name("m", Tokens{1, 2}));
    EXPECT_TRUE(is_snapshot_file_name(a));
    EXPECT_EQ(a.size(), 21u);
    EXPECT_FALSE(is_snapshot_file_name("0123456789abcdef.ackv.tmp"));
    EXPECT_FALSE(is_snapshot_file_name("0123456789ABCDEF.ackv"));
    EXPECT_FALSE(is_snapshot_file_name("notes.txt"));
}

TEST_F(SnapshotFileTest, RoundTrip) {
    Tokens tokens(1000);
    std::iota(tokens.begin(), tokens.end(), -5);
    auto state = pattern(12345);
    std::string path = write(tokens, state, "model-a", Priority::stable_prefix);

    auto header = read_snapshot_header(path, "model-a");
    ASSERT_TRUE(header.ok()) << header.error();
    EXPECT_EQ(header->tokens, tokens);
    EXPECT_EQ(header->priority, Priority::stable_prefix);
    EXPECT_EQ(header->state_bytes, state.size());
    EXPECT_EQ(header->file_bytes, fs::file_size(path));

    auto read = read_snapshot_state(path, "model-a", tokens);
    ASSERT_TRUE(read.ok()) << read.error();
    EXPECT_EQ(*read, state);
    EXPECT_FALSE(fs::exists(path + ".tmp"));
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SnapshotFileTest, EmptyStateAndTokensRoundTrip) {
    std::string path = write({}, {});
    auto read = read_snapshot_state(path, "model-a", {});
    ASSERT_TRUE(read.ok()) << read.error();
    EXPECT_TRUE(read->empty());
}

TEST_F(SnapshotFileTest, EveryFlippedByteIsCaught) {
    Tokens tokens = {10, 20, 30, 40};
    std::string path = write(tokens, pattern(64));
    const auto good = bytes_of(path);
    for (std::size_t i = 0; i < good.size(); ++i) {
        auto bad = good;
        bad[i] ^= 0x10;
        put_bytes(path, bad);
        auto header = read_snapshot_header(path, "model-a");
        auto read = read_snapshot_state(path, "model-a", tokens);
        EXPECT_FALSE(read.ok()) << "byte " << i << " header ok: " << header.ok();
    }
}

TEST_F(SnapshotFileTest, ProblemsAreNamed) {
    Tokens tokens = {1, 2, 3};
    std::string path = write(tokens, pattern(100));
    const auto good = bytes_of(path);

    auto other_model = read_snapshot_header(path, "model-b");
    ASSERT_FALSE(other_model.ok());
    EXPECT_NE(other_model.error().find("another model"), std::string::npos);

    auto other_tokens = read_snapshot_state(path, "model-a", Tokens{1, 2, 4});
    ASSERT_FALSE(other_tokens.ok());

    auto bad_magic = good;
    bad_magic[0] = 'X';
    put_bytes(path, bad_magic);
    EXPECT_EQ(read_snapshot_header(path, "model-a").error(), "bad magic");

    auto bad_version = good;
    bad_version[4] = 9;
    put_bytes(path, bad_version);
    EXPECT_NE(read_snapshot_header(path, "model-a").error().find("version"), std::string::npos);

    auto truncated = good;
    truncated.resize(good.size() - 1);
    put_bytes(path, truncated);
    EXPECT_FALSE(read_snapshot_header(path, "model-a").ok());  // sizes disagree: found at scan time

    auto longer = good;
    longer.push_back(0);
    put_bytes(path, longer);
    EXPECT_FALSE(read_snapshot_header(path, "model-a").ok());

    for (std::size_t cut : {0, 3, 10, 30}) {
        auto stub = good;
        stub.resize(cut);
        put_bytes(path, stub);
        EXPECT_FALSE(read_snapshot_header(path, "model-a").ok()) << cut;
    }

    auto flipped_state = good;
    flipped_state[good.size() - 20] ^= 1;
    put_bytes(path, flipped_state);
    EXPECT_TRUE(read_snapshot_header(path, "model-a").ok());  // the header cannot tell...
    EXPECT_EQ(read_snapshot_state(path, "model-a", tokens).error(), "checksum mismatch");  // ...the load does

    EXPECT_FALSE(read_snapshot_header(dir_ + "/missing.ackv", "model-a").ok());
}

TEST_F(SnapshotFileTest, WriteIntoMissingFolderFailsCleanly) {
    auto r = write_snapshot_file(dir_ + "/nope", "0000000000000000.ackv", "m", Priority::normal, {1}, {1, 2});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("cannot create"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SnapshotFileTest, RewriteReplacesAtomically) {
    Tokens tokens = {5, 6};
    std::string path = write(tokens, pattern(10));
    write(tokens, pattern(20));
    auto read = read_snapshot_state(path, "model-a", tokens);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->size(), 20u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

}  // namespace
}  // namespace anyclaude::engine
