// fmt (and so spdlog) formatting for Abseil types. Debian's Abseil has its own
// absl::string_view (not std::string_view), which fmt cannot print by itself:
//
//   spdlog::warn("call failed: {}", status);            // absl::Status -> ToString()
//   spdlog::warn("call failed: {}", status.message());  // absl::string_view
#pragma once

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

template <>
struct fmt::formatter<absl::Status> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(const absl::Status& status, FormatContext& ctx) const {
    const std::string text = status.ToString();
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text), ctx);
  }
};
