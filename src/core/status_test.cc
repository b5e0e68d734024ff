// Tests for Status and Result: codes travel with errors and through WithContext, OK has none,
// and the I/O seams say which kind of failure a missing or shrunken file is.
#include "core/status.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/mapped_file.h"

namespace llms {
namespace {

TEST(StatusTest, CodesTravelWithTheError) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().code(), StatusCode::kOk);
  const Status s = Status::Error(StatusCode::kNotFound, "no such model");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.WithContext("serve").code(), StatusCode::kNotFound);
  EXPECT_EQ(s.WithContext("serve").message(), "serve: no such model");
  EXPECT_EQ(Status::Error("plain").code(), StatusCode::kUnknown);
  EXPECT_EQ(Status::Error(StatusCode::kOk, "an error is never OK").code(), StatusCode::kUnknown);
  const Result<int> r = Result<int>::Error(StatusCode::kDataLoss, "truncated");
  EXPECT_EQ(r.code(), StatusCode::kDataLoss);
  EXPECT_EQ(Result<int>(3).code(), StatusCode::kOk);
  EXPECT_EQ(StatusCodeName(StatusCode::kResourceExhausted), "resource_exhausted");
}

TEST(StatusTest, FileErrorsSayWhatKindTheyAre) {
  const std::string dir = ::testing::TempDir() + "/status_test";
  std::filesystem::create_directories(dir);
  EXPECT_EQ(MappedFile::Open(dir + "/absent").code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadFileToString(dir + "/absent").code(), StatusCode::kNotFound);
  const std::string path = dir + "/shrinks";
  std::ofstream(path) << std::string(10000, 'x');
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(file->CheckIntact().ok());
  std::filesystem::resize_file(path, 100);
  EXPECT_EQ(file->CheckIntact().code(), StatusCode::kDataLoss);
  // A file replaced by another one (renamed over it) leaves the mapping intact.
  std::ofstream(path + ".new") << "y";
  std::filesystem::rename(path + ".new", path);
  EXPECT_TRUE(file->CheckIntact().ok());
}

}  // namespace
}  // namespace llms
