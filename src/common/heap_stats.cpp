// glibc's mallinfo2, when glibc's malloc is the one in use (see heap_stats.hpp).
#include "common/heap_stats.hpp"

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

}  // namespace anyclaude::common
