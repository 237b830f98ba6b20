# Build speed (docs/development.md, "How long a first `make run` build takes").
#
# Precompiled headers. Most translation units of libs/ and services/ parse the same third-party
# headers: gRPC and Protobuf (through the generated *.pb.h), Abseil, spdlog/fmt, nlohmann/json,
# libpqxx and prometheus-cpp. Each set below is precompiled once, in a target of its own, and
# the other targets reuse it (target_precompile_headers REUSE_FROM), so it is compiled once per
# build directory, not once per target. Sources still include what they use. A target may reuse
# a precompiled header only when it compiles with the same flags and definitions, hence three:
#   mercato_pch_proto    the generated protobuf/gRPC code (no spdlog definitions)
#   mercato_pch          libs/ and services/ but the gateway
#   mercato_pch_gateway  the gateway: the above plus Boost.Beast and Boost.URL
#
# Unity builds. At -O3 most of a file's compile time is spent optimising the inline functions
# and templates of those headers (gRPC, protobuf, absl, fmt), again in every file. Compiling
# the files of a library together (CMake's UNITY_BUILD) does that once per batch. Helpers in
# anonymous namespaces must therefore have names unique within their library.
#
# Off with -DMERCATO_PCH=OFF and -DMERCATO_UNITY_BUILD=OFF; both off in the fuzz build
# (clang, sanitizers), which keeps one object per file.
if(MERCATO_FUZZ)
  set(mercato_fast_build_default OFF)
else()
  set(mercato_fast_build_default ON)
endif()
option(MERCATO_PCH "Precompile the heavy third-party headers (one header per set, reused)"
  ${mercato_fast_build_default})
option(MERCATO_UNITY_BUILD "Compile the files of each library together (unity build)"
  ${mercato_fast_build_default})
set(MERCATO_UNITY_BUILD_BATCH_SIZE 16 CACHE STRING "Source files per unity translation unit")

set(MERCATO_PCH_PROTO_HEADERS
  <algorithm> <chrono> <functional> <map> <memory> <optional> <string> <string_view>
  <utility> <vector>
  <google/protobuf/arena.h>
  <google/protobuf/arenastring.h>
  <google/protobuf/descriptor.h>
  <google/protobuf/extension_set.h>
  <google/protobuf/generated_enum_reflection.h>
  <google/protobuf/generated_message_bases.h>
  <google/protobuf/generated_message_reflection.h>
  <google/protobuf/generated_message_util.h>
  <google/protobuf/io/coded_stream.h>
  <google/protobuf/message.h>
  <google/protobuf/metadata_lite.h>
  <google/protobuf/reflection_ops.h>
  <google/protobuf/repeated_field.h>
  <google/protobuf/unknown_field_set.h>
  <google/protobuf/wire_format.h>
  <google/protobuf/wire_format_lite.h>
  <google/protobuf/any.pb.h>
  <google/protobuf/field_mask.pb.h>
  <google/protobuf/timestamp.pb.h>
  <grpcpp/client_context.h>
  <grpcpp/completion_queue.h>
  <grpcpp/generic/async_generic_service.h>
  <grpcpp/impl/channel_interface.h>
  <grpcpp/impl/client_unary_call.h>
  <grpcpp/impl/codegen/proto_utils.h>
  <grpcpp/impl/codegen/server_callback_handlers.h>
  <grpcpp/impl/rpc_method.h>
  <grpcpp/impl/rpc_service_method.h>
  <grpcpp/impl/service_type.h>
  <grpcpp/server_context.h>
  <grpcpp/support/async_stream.h>
  <grpcpp/support/async_unary_call.h>
  <grpcpp/support/client_callback.h>
  <grpcpp/support/message_allocator.h>
  <grpcpp/support/method_handler.h>
  <grpcpp/support/server_callback.h>
  <grpcpp/support/status.h>
  <grpcpp/support/stub_options.h>
  <grpcpp/support/sync_stream.h>
)

set(MERCATO_PCH_HEADERS
  ${MERCATO_PCH_PROTO_HEADERS}
  <array> <atomic> <condition_variable> <cstdint> <mutex> <set> <thread> <unordered_map>
  <grpcpp/channel.h>
  <grpcpp/create_channel.h>
  <grpcpp/server.h>
  <grpcpp/server_builder.h>
  <grpcpp/support/client_interceptor.h>
  <grpcpp/support/server_interceptor.h>
  <absl/base/thread_annotations.h>
  <absl/status/status.h>
  <absl/status/statusor.h>
  <absl/strings/str_cat.h>
  <absl/strings/string_view.h>
  <absl/synchronization/mutex.h>
  <absl/time/clock.h>
  <absl/time/time.h>
  <spdlog/spdlog.h>
  <nlohmann/json.hpp>
  <pqxx/pqxx>
  <prometheus/counter.h>
  <prometheus/gauge.h>
  <prometheus/histogram.h>
  <prometheus/registry.h>
)

set(MERCATO_PCH_GATEWAY_HEADERS
  ${MERCATO_PCH_HEADERS}
  <boost/beast/core.hpp>
  <boost/beast/http.hpp>
  <boost/asio/ip/tcp.hpp>
  <boost/url.hpp>
)

# mercato_pch_target(<name> HEADERS <headers>... LIBS <libraries>...)
# An object library whose only job is to compile <name>'s precompiled header with the
# include directories and definitions of LIBS.
function(mercato_pch_target name)
  cmake_parse_arguments(ARG "" "" "HEADERS;LIBS;DEFINITIONS" ${ARGN})
  if(NOT MERCATO_PCH)
    return()
  endif()
  set(source ${CMAKE_BINARY_DIR}/mercato_pch/${name}.cc)
  if(NOT EXISTS ${source})
    file(WRITE ${source} "// The translation unit that builds ${name}'s precompiled header.\n")
  endif()
  add_library(${name} OBJECT ${source})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINITIONS})
  target_precompile_headers(${name} PRIVATE ${ARG_HEADERS})
endfunction()

# mercato_fast_build(<pch target> <targets>...)
# <targets> reuse <pch target>'s precompiled header and are unity builds.
function(mercato_fast_build pch)
  foreach(target IN LISTS ARGN)
    if(MERCATO_PCH)
      target_precompile_headers(${target} REUSE_FROM ${pch})
    endif()
    if(MERCATO_UNITY_BUILD)
      set_target_properties(${target} PROPERTIES UNITY_BUILD ON
        UNITY_BUILD_BATCH_SIZE ${MERCATO_UNITY_BUILD_BATCH_SIZE})
    endif()
  endforeach()
endfunction()
