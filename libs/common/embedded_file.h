// A text file compiled into the binary by the CMake function mercato_embed_files()
// (migrations, seed data), so that services read nothing from disk at run time.
#pragma once

#include <string_view>
#include <vector>

namespace mercato {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

}  // namespace mercato
