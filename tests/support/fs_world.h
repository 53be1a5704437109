// The files behind a NodeFs under test, for the conformance suite and the job tests: a real
// directory seen through the local, SFTP or exec filesystem, or a MemoryFs. A test arranges entries
// by relative name through the world and looks at them through fs(); the same test then holds every
// implementation to the NodeFs contract.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fs/node_fs.h"

namespace nb::test {

struct NodeUnderTest {
  std::string name;
  // Makes a NodeFs that sees the local directory tree (directly, or through a server).
  std::function<std::unique_ptr<fs::NodeFs>()> make;
};

// The real node filesystems: "local", "sftp", "exec".
std::vector<NodeUnderTest> nodes_under_test();
// The plain local filesystem, for tests that need the source on disk.
const NodeUnderTest& local_node();

class FsWorld {
 public:
  virtual ~FsWorld() = default;
  virtual std::string name() const = 0;
  // The absolute path, on the node, of a relative name ("" is the root of the test tree).
  virtual std::string path(const std::string& rel) const = 0;
  virtual fs::NodeFs& fs() = 0;
  // Drops the NodeFs and opens a new one, as the next scheduled run would (a new connection).
  virtual void reconnect() = 0;

  // Creates or replaces a file (and its missing parents), with an mtime `age_s` seconds ago.
  virtual void write(const std::string& rel, const std::string& content, int64_t age_s = 3600) = 0;
  // Appends to an existing file, as a writer does now (its mtime becomes the present).
  virtual void append(const std::string& rel, const std::string& more) = 0;
  // Sets the mtime `age_s` seconds back, content unchanged (as `touch -d`).
  virtual void touch(const std::string& rel, int64_t age_s) = 0;
  virtual void mkdir(const std::string& rel) = 0;
  virtual void symlink(const std::string& rel, const std::string& target) = 0;
  virtual void mkfifo(const std::string& rel) = 0;
  virtual void remove(const std::string& rel) = 0;
  virtual void chmod(const std::string& rel, unsigned mode) = 0;
  // Makes an entry unreadable by the node's user; false where that cannot be arranged (a
  // local node read as root).
  virtual bool forbid(const std::string& rel) = 0;
  // Called by the NodeFs after the first chunk of each file it reads (to change it mid-read).
  virtual void while_reading(std::function<void(const std::string& path)> action) = 0;
};

// "local", "sftp", "exec" and "memory".
std::vector<std::string> fs_world_names();
// Those, and the ssh transports under the conditions users have: a login shell whose
// start-up files print ("exec heavy shell"), and a 50 ms round trip ("exec 50 ms rtt",
// "sftp 50 ms rtt"). For the seed promises.
std::vector<std::string> real_condition_world_names();
std::unique_ptr<FsWorld> make_fs_world(const std::string& name);
// A real directory tree read through `node`.
std::unique_ptr<FsWorld> make_fs_world(const NodeUnderTest& node);

}  // namespace nb::test
