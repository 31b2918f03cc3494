# Writes a C++ source that holds the bytes of IN as `const char SYMBOL[]` (NUL-terminated) and `SYMBOL_size`, in
# namespace NAMESPACE. Run with cmake -P; jinguo_embed_file() in the top-level CMakeLists.txt wires it up.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "// Generated from ${IN} by cmake/embed_file.cmake; do not edit.\n#include <cstddef>\n"
     "namespace ${NAMESPACE} {\nextern const char ${SYMBOL}[];\nextern const size_t ${SYMBOL}_size;\n"
     "const char ${SYMBOL}[] = {\n${bytes}'\\0'};\nconst size_t ${SYMBOL}_size = ${size};\n}\n")
