// The process's allocator, in one place: its own figures for /health and the soak benchmark
// (what is allocated and not yet freed, and free memory it keeps), the fixed mmap threshold the
// embedded engine runs with, and handing free memory back to the system. Only glibc's malloc
// has these; under AddressSanitizer (its own allocator) or another libc they do nothing.
#pragma once

#include <cstdint>
#include <optional>

namespace anyclaude::common {

struct HeapStats {
    int64_t in_use_bytes = 0;     // allocated and not freed (heap arenas and mmapped blocks)
    int64_t free_held_bytes = 0;  // freed, still held by the allocator
};

std::optional<HeapStats> heap_stats();

// Blocks of 256 KiB or more each in their own mapping, returned to the system when freed,
// unless the user tunes the allocator through GLIBC_TUNABLES=glibc.malloc.*.
void keep_large_blocks_mapped();

// Gives free heap pages back to the system (malloc_trim).
void trim_heap();

}  // namespace anyclaude::common
