// The files of the browser page (src/http/*), compiled into the binary: users need no build step
// and nothing next to the executable. Generated at build time by cmake/embed_assets.cmake.
#pragma once

#include <span>
#include <string_view>

namespace dkv::server {

struct HttpAsset {
  std::string_view path;  // "/index.html", "/app.js", ...
  std::string_view content_type;
  std::string_view data;
};

std::span<const HttpAsset> HttpAssets();

}  // namespace dkv::server
