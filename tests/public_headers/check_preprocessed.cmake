# Preprocesses SOURCE (a translation unit that includes only <fastactor/fastactor.hpp>) with
# the compiler CXX, the standard STD and the flags that FLAGS_FILE (written by file(GENERATE)
# from the fastactor target's interface) sets, and fails if the output holds Beast, Asio or
# one of the library's private types: the public headers must hide them.
# PRIVATE_ROOT is the source tree, whose actors/, protocol/ and server/ hold the private headers.
#   cmake -DCXX=... -DSTD=17 -DFLAGS_FILE=... -DSOURCE=... -DPRIVATE_ROOT=...
#         -P check_preprocessed.cmake
include(${FLAGS_FILE})  # sets INCLUDE_DIRS and DEFINES (lists)

set(args -std=c++${STD} -E)
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND args -I${dir})
endforeach()
foreach(def IN LISTS DEFINES)
  list(APPEND args -D${def})
endforeach()
execute_process(COMMAND ${CXX} ${args} ${SOURCE}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "preprocessing ${SOURCE} failed (${rc}):\n${err}")
endif()

# Pairs: a regular expression, and what it means when found. A private type may be named
# (context.hpp declares `struct request_scope;`, an opaque handle); its definition, which is
# what a user would then see of it, may not be there.
set(ws "[ \t\r\n]*")
string(REGEX REPLACE "([][+.*()^$?|\\])" "\\\\\\1" root "${PRIVATE_ROOT}")
set(forbidden
  "boost/beast" "Beast, the HTTP parser"
  "boost/asio" "Asio"
  "class session${ws}(final${ws})?[:{]" "the private class session"
  "struct request_scope${ws}(final${ws})?[:{]" "the private struct request_scope"
  "(class|struct) session_registry${ws}(final${ws})?[:{]" "the private session_registry"
  "response_writer" "the private response_writer"
  "(class|struct) incoming_request${ws}(final${ws})?[:{]" "the private incoming_request"
  "\"${root}/[^\"]*(actors|protocol|server)/[^\"/]*\"" "a private header")
set(found "")
list(LENGTH forbidden n)
math(EXPR last "${n} - 1")
foreach(i RANGE 0 ${last} 2)
  math(EXPR j "${i} + 1")
  list(GET forbidden ${i} regex)
  list(GET forbidden ${j} meaning)
  string(REGEX MATCH "[^\n]*${regex}[^\n]*" line "${out}")
  if(line)
    string(APPEND found "  ${meaning}, first seen in: ${line}\n")
  endif()
endforeach()
if(found)
  message(FATAL_ERROR "<fastactor/fastactor.hpp> exposes internals:\n${found}")
endif()
message(STATUS "<fastactor/fastactor.hpp> hides Beast, Asio and the private types")
