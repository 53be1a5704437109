#include "support/temp_dir.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "util/file.h"

namespace nb::test {

namespace stdfs = std::filesystem;

TempDir::TempDir() {
  char pattern[] = "/tmp/nbtest.XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  stdfs::remove_all(path_, ignored);
}

void set_mtime_age(const std::string& path, int64_t age_s) {
  const auto when = stdfs::file_time_type::clock::now() - std::chrono::seconds(age_s);
  stdfs::last_write_time(path, when);
}

void write_file(const std::string& path, const std::string& content, int64_t age_s) {
  stdfs::create_directories(stdfs::path(path).parent_path());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  set_mtime_age(path, age_s);
}

void append_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << content;
}

std::string read_whole(const std::string& path) {
  auto text = read_file(path);
  if (!text) throw std::runtime_error(text.error().message());
  return *text;
}

uint64_t tree_bytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && !e.is_symlink()) total += e.file_size();
  }
  return total;
}

std::string describe_tree(const std::string& dir) {
  std::ostringstream out;
  std::vector<stdfs::path> paths;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    struct ::stat st;
    ::lstat(p.c_str(), &st);
    out << stdfs::relative(p, dir).string() << " mode=" << std::oct << (st.st_mode & 0177777)
        << std::dec << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISREG(st.st_mode)) out << " size=" << st.st_size << " content=" << read_whole(p);
    if (S_ISLNK(st.st_mode)) out << " -> " << stdfs::read_symlink(p).string();
    out << "\n";
  }
  return out.str();
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

}  // namespace nb::test
