# Turns the status page's files into one C++ string literal (see src/observe/status_page.hpp).
# Usage: cmake -DDIR=src/observe/status_page -DOUT=generated/status_page.cpp -P embed_status_page.cmake
file(READ "${DIR}/index.html" html)
file(READ "${DIR}/status.css" css)
file(READ "${DIR}/status.js" js)
string(REPLACE "<link rel=\"stylesheet\" href=\"status.css\">" "<style>\n${css}</style>" html "${html}")
string(REPLACE "<script src=\"status.js\"></script>" "<script>\n${js}</script>" html "${html}")
string(FIND "${html}" ")ACPAGE\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "the status page contains the literal's delimiter )ACPAGE\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from src/observe/status_page by cmake/embed_status_page.cmake: do not edit.
#include \"observe/status_page.hpp\"

namespace anyclaude::observe {

std::string_view status_page_html() {
    static constexpr char page[] = R\"ACPAGE(${html})ACPAGE\";
    return {page, sizeof page - 1};
}

}  // namespace anyclaude::observe
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
