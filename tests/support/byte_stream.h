// Test support: a Boost.Asio SyncReadStream over bytes in memory, for driving the gateway's
// RequestReader (services/gateway/http_request_reader.h) without a socket, in unit tests and
// fuzz targets. Each read hands out at most `piece` bytes (as a slow client would), then the
// stream ends with asio's eof.
//
//   ByteStream stream("GET / HTTP/1.1\r\n\r\n", /*piece=*/3);
//   ReadRequest(stream, buffer, reader);
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <cstddef>
#include <string_view>

namespace mercato::testing {

class ByteStream {
 public:
  explicit ByteStream(std::string_view data, size_t piece = 0)
      : data_(data), piece_(piece == 0 ? data.size() + 1 : piece) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec = {};
    if (data_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(data_.data(), std::min(piece_, data_.size())));
    data_.remove_prefix(n);
    return n;
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  size_t remaining() const { return data_.size(); }

 private:
  std::string_view data_;
  size_t piece_;
};

}  // namespace mercato::testing
