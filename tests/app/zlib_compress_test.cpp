// The program's compress2 (sim/app/zlib_compress.cpp): zlib's contract, libdeflate's bytes, and
// HDF5's deflate filter going through it.
#include <array>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>
#include <libdeflate.h>
#include <zlib.h>

namespace {

// 64 KiB of doubles with a pattern deflate can shrink (a slow ramp)
std::vector<double> ramp(std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i / 7) * 0.25;
  return v;
}

// libdeflate's zlib stream of `data` at `level`
std::vector<Bytef> libdeflate_stream(const void* data, std::size_t n, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  std::vector<Bytef> out(libdeflate_zlib_compress_bound(c, n));
  out.resize(libdeflate_zlib_compress(c, data, n, out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

TEST(ZlibCompress, RoundTripsThroughZlibAndIsLibdeflatesStream) {
  const std::vector<double> data = ramp(8192);
  const std::size_t n = data.size() * sizeof(double);
  for (const int level : {1, 4, 9}) {
    std::vector<Bytef> packed(compressBound(n));
    uLongf packed_n = packed.size();
    ASSERT_EQ(compress2(packed.data(), &packed_n, reinterpret_cast<const Bytef*>(data.data()), n, level),
              Z_OK);
    packed.resize(packed_n);
    // libdeflate's bytes exactly (zlib's own output differs), and much smaller than the input
    EXPECT_EQ(packed, libdeflate_stream(data.data(), n, level)) << "level " << level;
    EXPECT_LT(packed_n, n / 10);
    // zlib inflates it back to the input
    std::vector<double> back(data.size());
    uLongf back_n = n;
    ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(back.data()), &back_n, packed.data(), packed_n), Z_OK);
    EXPECT_EQ(back_n, n);
    EXPECT_EQ(back, data);
  }
}

TEST(ZlibCompress, KeepsZlibsErrors) {
  const std::vector<double> data = ramp(1024);
  const auto* src = reinterpret_cast<const Bytef*>(data.data());
  const std::size_t n = data.size() * sizeof(double);
  std::vector<Bytef> out(compressBound(n));
  // Z_DEFAULT_COMPRESSION is level 6
  uLongf out_n = out.size();
  ASSERT_EQ(compress2(out.data(), &out_n, src, n, Z_DEFAULT_COMPRESSION), Z_OK);
  EXPECT_EQ(std::vector<Bytef>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(out_n)),
            libdeflate_stream(data.data(), n, 6));
  // levels outside -1..9
  out_n = out.size();
  EXPECT_EQ(compress2(out.data(), &out_n, src, n, 10), Z_STREAM_ERROR);
  EXPECT_EQ(compress2(out.data(), &out_n, src, n, -2), Z_STREAM_ERROR);
  // a destination too small for the stream
  out_n = 8;
  EXPECT_EQ(compress2(out.data(), &out_n, src, n, 6), Z_BUF_ERROR);
}

TEST(ZlibCompress, Hdf5DeflateFilterWritesLibdeflatesChunks) {
  // one chunk of 4096 doubles with deflate level 4 and no shuffle: the stored chunk is
  // libdeflate's stream of the raw bytes, and HDF5 reads the values back
  const std::vector<double> data = ramp(4096);
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "citytwin_zlib_compress_test.h5";
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hsize_t dims[1] = {data.size()};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  ASSERT_GE(H5Pset_chunk(dcpl, 1, dims), 0);
  ASSERT_GE(H5Pset_deflate(dcpl, 4), 0);
  const hid_t dset = H5Dcreate2(file, "x", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), 0);
  ASSERT_GE(H5Dflush(dset), 0);

  const hsize_t origin[1] = {0};
  hsize_t stored = 0;
  ASSERT_GE(H5Dget_chunk_storage_size(dset, origin, &stored), 0);
  std::vector<Bytef> chunk(stored);
  std::uint32_t filters = 0;
  ASSERT_GE(H5Dread_chunk(dset, H5P_DEFAULT, origin, &filters, chunk.data()), 0);
  EXPECT_EQ(filters, 0U);  // the filter ran (an optional filter that failed would set bit 0)
  EXPECT_EQ(chunk, libdeflate_stream(data.data(), data.size() * sizeof(double), 4));

  std::vector<double> back(data.size());
  ASSERT_GE(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
  EXPECT_EQ(back, data);
  H5Dclose(dset);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(file);
  std::filesystem::remove(path);
}

}  // namespace
