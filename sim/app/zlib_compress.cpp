// zlib's compress2() carried out by libdeflate, for the citytwin program (docs/output-format.md#compression).
//
// HDF5's deflate filter compresses each chunk with one compress2() call. Defined in the
// executable, this compress2 takes precedence over zlib's for every library the program loads
// (ELF symbol lookup starts at the executable), so HDF5 compresses with libdeflate: the same zlib
// stream format, which every HDF5 reader inflates unchanged, about twice as fast and a little
// smaller. (HDF5 1.10 refuses to register a user filter under the deflate id.) Decompression
// is untouched: HDF5 inflates with zlib's streaming API.
#include <array>
#include <cstddef>
#include <memory>

#include <libdeflate.h>
#include <zlib.h>

namespace {

// zlib's levels are 0..9 and Z_DEFAULT_COMPRESSION (-1, meaning 6); libdeflate's 0..12
constexpr int kDefaultLevel = 6;
constexpr int kMaxLevel = 9;

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// one compressor (with its hash tables) per level and thread, reused across calls
libdeflate_compressor* compressor(int level) {
  thread_local std::array<std::unique_ptr<libdeflate_compressor, CompressorDeleter>, kMaxLevel + 1>
      cache;
  auto& slot = cache.at(static_cast<std::size_t>(level));
  if (!slot) slot.reset(libdeflate_alloc_compressor(level));
  return slot.get();
}

}  // namespace

// zlib's contract: Z_OK with *dest_len set to the stream's size; Z_BUF_ERROR when the stream
// does not fit in *dest_len bytes; Z_STREAM_ERROR for a level outside -1..9; Z_MEM_ERROR when
// no compressor can be allocated
extern "C" int compress2(Bytef* dest, uLongf* dest_len, const Bytef* source, uLong source_len,
                         int level) {
  if (level == Z_DEFAULT_COMPRESSION) level = kDefaultLevel;
  if (level < 0 || level > kMaxLevel) return Z_STREAM_ERROR;
  libdeflate_compressor* const c = compressor(level);
  if (c == nullptr) return Z_MEM_ERROR;
  const std::size_t n = libdeflate_zlib_compress(c, source, source_len, dest, *dest_len);
  if (n == 0) return Z_BUF_ERROR;
  *dest_len = n;
  return Z_OK;
}
