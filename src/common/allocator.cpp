// glibc's malloc figures and settings, when it is the allocator in use (see allocator.hpp).
#include "common/allocator.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define ANYCLAUDE_OTHER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define ANYCLAUDE_OTHER_MALLOC 1
#endif
#endif

namespace anyclaude::common {

std::optional<HeapStats> heap_stats() {
#if defined(__GLIBC__) && !defined(ANYCLAUDE_OTHER_MALLOC)
    struct mallinfo2 mi = ::mallinfo2();
    return HeapStats{static_cast<int64_t>(mi.uordblks + mi.hblkhd), static_cast<int64_t>(mi.fordblks)};
#else
    return std::nullopt;
#endif
}

void keep_large_blocks_mapped() {
#if defined(__GLIBC__)
    // Snapshot buffers (a sequence's KV state: megabytes, one or more per request) are
    // allocated and freed all the time. glibc's mmap threshold grows to the size of the largest
    // block freed (up to 32 MiB), after which such buffers come from the heap and can leave it
    // fragmented. A fixed threshold keeps every block of 256 KiB or more in its own mapping,
    // returned to the system when freed (bench/soak: 12-17 MiB held free by the allocator
    // instead of 62-100 MiB; README "Soak" has the runs). (A user who tunes the allocator through
    // GLIBC_TUNABLES=glibc.malloc.*=... keeps their settings and glibc's defaults for the rest.)
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (!tunables || !std::strstr(tunables, "glibc.malloc.")) ::mallopt(M_MMAP_THRESHOLD, 256 << 10);
#endif
}

void trim_heap() {
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
}

}  // namespace anyclaude::common
