// The allocator's own figures for the whole process, for /health and the soak benchmark: what
// is allocated and not yet freed, and free memory the allocator keeps. Only glibc's malloc can
// say; under AddressSanitizer (its own allocator) or another libc there are none.
#pragma once

#include <cstdint>
#include <optional>

namespace anyclaude::common {

struct HeapStats {
    int64_t in_use_bytes = 0;     // allocated and not freed (heap arenas and mmapped blocks)
    int64_t free_held_bytes = 0;  // freed, still held by the allocator
};

std::optional<HeapStats> heap_stats();

}  // namespace anyclaude::common
