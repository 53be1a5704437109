// Faithful copies (issue 16): hard links, extended attributes (an ACL and a file capability
// among them), a sparse file, a fifo and a device node, backed up through the local and the
// exec transport and restored as root, compared field by field with what the tools see.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "common/node_restore.h"
#include "fs/ssh/extract_on_node.h"
#include "fs/xattr_read.h"
#include "repo/browse.h"
#include "repo/restore.h"
#include "repo/restore_archive.h"
#include "support/backup_fixture.h"
#include "support/sshd_fixture.h"

using namespace nb;
using namespace nb::test;

namespace {

// What a command prints, with every occurrence of `strip` removed (paths differ between the
// source and the restore).
std::string output_of(const std::string& command, const std::string& strip = {}) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  for (size_t at; !strip.empty() && (at = out.find(strip)) != std::string::npos;) {
    out.erase(at, strip.size());
  }
  return out;
}

void run(const std::string& command) {
  REQUIRE(std::system(command.c_str()) == 0);
}

// The 1 GiB of holes; the sanitizer builds check the same paths with 128 MiB (their
// chunker and hash run an order of magnitude slower, and a hole is a hole at any size).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr const char* kSparseSize = "128M";
#else
constexpr const char* kSparseSize = "1G";
#endif

struct ::stat lstat_of(const std::string& path) {
  struct ::stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

// The tree of the issue: hard-link groups, xattrs in user. and security., an ACL, a default
// ACL on a directory, a file capability, a 1 GiB sparse file holding 1 MiB, a fifo and a
// character device.
void make_faithful_tree(BackupFixture& fx) {
  fx.write("plain", "plain content");
  fx.write("linked/a", "one inode, three names");
  run("ln " + fx.file("linked/a") + " " + fx.file("linked/b"));
  fx.world->mkdir("linked/sub");
  run("ln " + fx.file("linked/a") + " " + fx.file("linked/sub/c"));
  fx.write("pair1", "two names");
  run("ln " + fx.file("pair1") + " " + fx.file("pair2"));
  fx.write("noted", "has xattrs");
  run("setfattr -n user.note -v 'hello world' " + fx.file("noted"));
  run("setfattr -n user.binary -v 0x00ff10 " + fx.file("noted"));
  fx.write("acl", "has an ACL");
  run("setfacl -m u:nobody:rw,g:nogroup:r " + fx.file("acl"));
  fx.world->mkdir("shared");
  run("setfacl -d -m u:nobody:rwx " + fx.file("shared"));
  fx.write("ping", "pretend binary");
  run("setcap cap_net_raw+ep " + fx.file("ping"));
  run(std::string("truncate -s ") + kSparseSize + " " + fx.file("sparse") +
      " && dd if=/dev/urandom of=" + fx.file("sparse") +
      " bs=1M count=1 seek=100 conv=notrunc status=none");
  fx.mkfifo("fifo");
  run("mknod " + fx.file("null") + " c 1 3 && chmod 0640 " + fx.file("null"));
  // Restore puts back the mtime last; the links' shared mtime is the tree's own. Files written
  // just now would be racy (read again next run, however long the first read took): every
  // regular file gets a past mtime.
  run("touch -d '2026-01-02 03:04:05' " + fx.file("linked/a") + " " + fx.file("pair1") + " " +
      fx.file("sparse"));
}

std::vector<std::string> faithful_names() {
  return {"plain", "linked/a", "linked/b", "linked/sub/c", "pair1", "pair2", "noted",
          "acl",   "shared",   "ping",     "sparse",       "fifo",  "null"};
}

void check_restored(BackupFixture& fx, const std::string& out) {
  for (const auto& name : faithful_names()) {
    INFO(name);
    const std::string src = fx.file(name), dst = out + fx.file(name);
    const auto a = lstat_of(src), b = lstat_of(dst);
    CHECK(b.st_mode == a.st_mode);
    CHECK(b.st_uid == a.st_uid);
    CHECK(b.st_gid == a.st_gid);
    CHECK(b.st_size == a.st_size);
    CHECK(b.st_mtim.tv_sec == a.st_mtim.tv_sec);
    CHECK(b.st_rdev == a.st_rdev);
    if (!S_ISDIR(a.st_mode)) CHECK(b.st_nlink == a.st_nlink);
    auto xa = fs::read_xattrs(-1, src), xb = fs::read_xattrs(-1, dst);
    REQUIRE(xa);
    REQUIRE(xb);
    CHECK(*xb == *xa);
    // As an operator would check: the tools' own view.
    CHECK(output_of("getfattr -h -d -m - --absolute-names " + dst + " 2>&1", out) ==
          output_of("getfattr -h -d -m - --absolute-names " + src + " 2>&1"));
    if (!S_ISFIFO(a.st_mode) && !S_ISCHR(a.st_mode)) {
      CHECK(output_of("getfacl -cn " + dst + " 2>&1", out) ==
            output_of("getfacl -cn " + src + " 2>&1"));
    }
  }
  CHECK_THAT(output_of("getcap " + out + fx.file("ping")), Catch::Contains("cap_net_raw=ep"));
  // Hard links: the names of one inode on the node are one inode again.
  const auto ino = [&](const std::string& name) { return lstat_of(out + fx.file(name)).st_ino; };
  CHECK(ino("linked/a") == ino("linked/b"));
  CHECK(ino("linked/a") == ino("linked/sub/c"));
  CHECK(ino("pair1") == ino("pair2"));
  CHECK(ino("pair1") != ino("linked/a"));
  // Sparse: 1 MiB of data takes about 1 MiB on disk, not 1 GiB (du's measure).
  const auto sparse = lstat_of(out + fx.file("sparse"));
  CHECK(uint64_t(sparse.st_blocks) * 512 < (4u << 20));
  CHECK(output_of("cmp " + fx.file("sparse") + " " + out + fx.file("sparse") + " && echo same") ==
        "same\n");
  CHECK(S_ISFIFO(lstat_of(out + fx.file("fifo")).st_mode));
  CHECK(S_ISCHR(lstat_of(out + fx.file("null")).st_mode));
}

}  // namespace

TEST_CASE("faithful copies through local and exec: links, xattrs, ACLs, caps, holes, specials",
          "[metadata][ssh]") {
  const auto node = nodes_under_test().at(static_cast<size_t>(GENERATE(0, 2)));
  INFO("node filesystem: " << node.name);
  BackupFixture fx(node);
  make_faithful_tree(fx);
  const auto first = fx.run();
  REQUIRE(first.ok);
  CHECK(first.counts.errors == 0);
  CHECK(first.counts.skipped == 0);
  // 1 GiB of holes is chunked as zeros, which deduplicate to almost nothing: what is stored
  // is the 1 MiB of data and the chunks at its edges.
  CHECK(first.counts.bytes_stored < (8u << 20));
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  auto report =
      repo::restore(*fx.repo, *latest, {}, fx.dir / "out", repo::RestoreOptions{.ownership = true});
  REQUIRE(report);
  for (const auto& e : report->errors) FAIL_CHECK(e.message());
  CHECK(report->hardlinks == 3);  // linked/b, linked/sub/c, pair2
  CHECK(report->specials == 2);
  check_restored(fx, fx.dir / "out");

  SECTION("a change of xattrs alone is recorded without storing content again") {
    run("setfattr -n user.note -v changed " + fx.file("noted"));
    run("setfacl -m u:nobody:r " + fx.file("acl"));
    const auto second = fx.run();
    REQUIRE(second.ok);
    CHECK(second.counts.bytes_stored == 0);
    auto newest = fx.repo->find_snapshot("01_node", "latest");
    REQUIRE(newest);
    auto noted = repo::find_entry(*fx.repo, *newest, fx.file("noted"));
    REQUIRE(noted);
    bool seen = false;
    for (const auto& x : noted->xattrs) seen |= x.name == "user.note" && x.value == "changed";
    CHECK(seen);
    auto again = repo::restore(*fx.repo, *newest, {}, fx.dir / "out2",
                               repo::RestoreOptions{.ownership = true});
    REQUIRE(again);
    CHECK(again->errors.empty());
    check_restored(fx, fx.dir / "out2");
  }

  SECTION("nothing changed: the next run reads nothing and stores no listing") {
    const auto second = fx.run();
    REQUIRE(second.ok);
    CHECK(second.counts.bytes_read == 0);
    CHECK(second.listings_read == 0);
    CHECK(second.counts.unchanged == second.counts.scanned);
  }
}

TEST_CASE("sftp cannot capture the metadata and says so", "[metadata][ssh]") {
  const auto node = nodes_under_test().at(1);
  BackupFixture fx(node);
  fx.write("noted", "has xattrs");
  run("setfattr -n user.note -v x " + fx.file("noted"));
  const auto caps = fx.fs->capabilities();
  CHECK_FALSE(caps.xattrs);
  CHECK_FALSE(caps.hardlinks);
  CHECK_FALSE(caps.sparse);
  CHECK_FALSE(caps.specials);
  const auto missing = fs::missing_metadata(caps);
  CHECK_THAT(missing, Catch::Contains("extended attributes"));
  CHECK_THAT(missing, Catch::Contains("hard links"));
}

namespace {

// The node as an exec node reached through the test sshd as root (or its unprivileged test
// user): the node is this machine.
config::NodeConfig exec_node_as_root(bool root = true) {
  const auto target = (root ? SshServer::as_root() : SshServer::instance()).target();
  config::NodeConfig node;
  node.id = "01_node";
  node.type = config::NodeType::ssh;
  node.ssh = config::SshSettings{.host = target.host,
                                 .port = target.port,
                                 .user = target.user,
                                 .identity_file = target.identity_file,
                                 .known_hosts = target.known_hosts,
                                 .transport = config::Transport::exec};
  return node;
}

// A tmpfs mounted for a test, unmounted when it ends however it ends.
struct Mounted {
  std::string path;
  Mounted(const std::string& at, const std::string& options) : path(at) {
    std::filesystem::create_directories(at);
    run("mount -t tmpfs -o " + options + " nbtest-tmpfs " + at);
  }
  ~Mounted() { (void)std::system(("umount " + path).c_str()); }
};

// What `dir` holds, by name.
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// No staging directory is left behind in `dir`.
void check_no_staging(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    CHECK_FALSE(e.path().filename().string().starts_with(".nbrestore"));
  }
}

}  // namespace

TEST_CASE("restore --to-node writes the snapshot onto an exec node, never through its symlinks",
          "[metadata][restore][ssh]") {
  BackupFixture fx(nodes_under_test().at(0));
  make_faithful_tree(fx);
  REQUIRE(fx.run().ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  const auto node = exec_node_as_root();
  const std::string target = fx.dir / "node";
  const std::string outside = fx.dir / "outside";
  std::filesystem::create_directories(outside);
  run("echo precious > " + outside + "/victim");
  const auto outside_unchanged = [&] {
    CHECK(names_in(outside) == std::vector<std::string>{"victim"});
    CHECK(output_of("cat " + outside + "/victim") == "precious\n");
  };
  // The first component of the tree's path, above the snapshot's root ("/tmp"): planted as a
  // symlink, it would carry the whole restore elsewhere.
  const std::string top = (++std::filesystem::path(fx.src).begin())->string();
  std::filesystem::create_directories(target);
  std::filesystem::create_directory_symlink(outside, target + "/" + top);

  auto first = restore_to_node(*fx.repo, *latest, {}, node, target);
  REQUIRE(first);
  for (const auto& e : first->report.errors) FAIL_CHECK(e.message());
  CHECK(first->report.hardlinks == 3);
  CHECK(first->report.specials == 2);
  check_restored(fx, target);
  CHECK(std::filesystem::is_directory(std::filesystem::symlink_status(target + "/" + top)));
  outside_unchanged();
  check_no_staging(target);

  SECTION("over what is there: symlinks planted in the tree are replaced, not written through") {
    const std::string there = target + fx.src;
    run("echo changed > " + there + "/plain");
    run("echo mine > " + there + "/extra");  // not in the snapshot: left alone
    std::filesystem::remove_all(there + "/linked/sub");
    std::filesystem::create_directory_symlink(outside, there + "/linked/sub");
    std::filesystem::remove(there + "/noted");
    std::filesystem::create_symlink(outside + "/victim", there + "/noted");
    std::filesystem::remove(there + "/pair1");
    std::filesystem::create_directory_symlink(outside, there + "/pair1");
    auto again = restore_to_node(*fx.repo, *latest, {}, node, target);
    REQUIRE(again);
    for (const auto& e : again->report.errors) FAIL_CHECK(e.message());
    check_restored(fx, target);
    CHECK(output_of("cat " + there + "/plain") == "plain content");
    CHECK(output_of("cat " + there + "/extra") == "mine\n");
    CHECK(std::filesystem::is_directory(std::filesystem::symlink_status(there + "/linked/sub")));
    CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(there + "/noted")));
    outside_unchanged();
    check_no_staging(target);
  }

  SECTION("a directory of the node that is another filesystem: its entries are staged on it") {
    const std::string there = target + fx.src;
    std::filesystem::remove_all(there + "/linked");
    Mounted tmpfs(there + "/linked", "size=16m,mode=0755");
    auto again = restore_to_node(*fx.repo, *latest, {}, node, target);
    REQUIRE(again);
    for (const auto& e : again->report.errors) FAIL_CHECK(e.message());
    check_restored(fx, target);  // the links within linked/ too
    CHECK(lstat_of(there + "/linked/a").st_dev != lstat_of(there + "/plain").st_dev);
    check_no_staging(there + "/linked");
    check_no_staging(target);
    outside_unchanged();
  }

  SECTION("one path, into the node's own tree") {
    const std::string elsewhere = fx.dir / "node2";
    auto one = restore_to_node(*fx.repo, *latest, {fx.file("linked")}, node, elsewhere);
    REQUIRE(one);
    CHECK(one->report.errors.empty());
    CHECK(one->report.files == 1);
    CHECK(one->report.hardlinks == 2);
    CHECK(lstat_of(elsewhere + fx.file("linked/a")).st_ino ==
          lstat_of(elsewhere + fx.file("linked/sub/c")).st_ino);
    CHECK_FALSE(std::filesystem::exists(elsewhere + fx.file("plain")));
  }
}

TEST_CASE(
    "restore --to-node as an unprivileged user: what it may not set is reported, the rest "
    "is restored",
    "[metadata][restore][ssh]") {
  BackupFixture fx(nodes_under_test().at(0));
  make_faithful_tree(fx);
  REQUIRE(fx.run().ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  const std::string target = fx.dir / "mine";
  std::filesystem::create_directories(target);
  run(std::string("chown ") + SshServer::kUser + " " + target + " && chmod o+x " + fx.dir.path());
  auto restored = restore_to_node(*fx.repo, *latest, {}, exec_node_as_root(false), target);
  if (!restored) FAIL(restored.error().message());
  std::string errors;
  for (const auto& e : restored->report.errors) errors += e.message() + "\n";
  INFO(errors);
  CHECK_THAT(errors, Catch::Contains("ping"));  // the capability
  CHECK_THAT(errors, Catch::Contains("null"));  // the device node
  CHECK(output_of("cat " + target + fx.file("plain")) == "plain content");
  CHECK(lstat_of(target + fx.file("linked/a")).st_ino ==
        lstat_of(target + fx.file("linked/sub/c")).st_ino);
  CHECK(lstat_of(target + fx.file("plain")).st_mode == lstat_of(fx.file("plain")).st_mode);
  CHECK(output_of("getfattr -h --only-values -n user.note " + target + fx.file("noted")) ==
        "hello world");
  CHECK(uint64_t(lstat_of(target + fx.file("sparse")).st_blocks) * 512 < (4u << 20));
  CHECK(S_ISFIFO(lstat_of(target + fx.file("fifo")).st_mode));
  check_no_staging(target);
}

TEST_CASE(
    "restore --to-node: names with newlines, quotes and bytes that are not UTF-8 arrive as "
    "they are",
    "[restore][ssh][hostile]") {
  BackupFixture fx(nodes_under_test().at(0));
  const std::vector<std::string> names = {"new\nline", "quote'\"$(x)", "latin1-\xe9\xff", "-dash",
                                          ".hidden",   "..dots",       "sp ace/in\ndir"};
  for (const auto& name : names) fx.write(name, "content of " + name);
  REQUIRE(fx.run().ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  const std::string target = fx.dir / "node";
  auto restored = restore_to_node(*fx.repo, *latest, {}, exec_node_as_root(), target);
  REQUIRE(restored);
  for (const auto& e : restored->report.errors) FAIL_CHECK(e.message());
  for (const auto& name : names) {
    INFO(name);
    CHECK(read_whole(target + fx.file(name)) == "content of " + name);
  }
  check_no_staging(target);
}

TEST_CASE("restore --to-node onto a node that cannot store it all changes nothing",
          "[metadata][restore][ssh]") {
  BackupFixture fx(nodes_under_test().at(0));
  fx.write("small", "small");
  fx.write("big", random_bytes(4 << 20, 1));
  REQUIRE(fx.run().ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  const std::string target = fx.dir / "small-disk";
  Mounted tmpfs(target, "size=1m");
  write_file(target + "/keep", "kept");
  auto restored = restore_to_node(*fx.repo, *latest, {}, exec_node_as_root(), target);
  REQUIRE_FALSE(restored);
  CHECK_THAT(restored.error().message(), Catch::Contains("No space left on device"));
  CHECK_THAT(restored.error().message(), Catch::Contains("nothing on the node was changed"));
  CHECK(names_in(target) == std::vector<std::string>{"keep"});
  CHECK(read_whole(target + "/keep") == "kept");
}

TEST_CASE("restore --to-node refuses an sftp node and an archive cut short changes nothing",
          "[metadata][restore][ssh]") {
  BackupFixture fx(nodes_under_test().at(0));
  fx.write("plain", "plain content");
  REQUIRE(fx.run().ok);
  auto latest = fx.repo->find_snapshot("01_node", "latest");
  REQUIRE(latest);
  auto node = exec_node_as_root();
  node.ssh->transport = config::Transport::sftp;
  auto refused = restore_to_node(*fx.repo, *latest, {}, node, fx.dir / "node");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message(), Catch::Contains("sftp"));
  CHECK_FALSE(std::filesystem::exists(fx.dir / "node"));

  // An archive without its proof member (as one cut short by a broken link would be): the
  // script puts nothing in place.
  auto c = fs::ssh::SshConnection::open(SshServer::as_root().target());
  REQUIRE(c);
  const std::string target = fx.dir / "node";
  auto outcome = fs::ssh::extract_on_node(
      **c, {target, ".nbrestore-done-test"}, [&](const OutputSink& write) -> Result<> {
        auto archive = repo::write_restore_archive(*fx.repo, *latest, {}, "", write);
        if (!archive) return std::unexpected(archive.error());
        return {};
      });
  REQUIRE(outcome);
  CHECK(outcome->exit_code == 4);
  CHECK_THAT(outcome->output, Catch::Contains("did not arrive whole"));
  CHECK(std::filesystem::is_empty(target));

  // A whole archive whose list of files the stage does not match (a file the node stored
  // short): nothing is put in place either.
  const std::string made = fx.dir / "made";
  write_file(made + "/a", "twelve bytes");
  write_file(made + "/C.discard", "");
  write_file(made + "/C.files", std::string("999 a") + '\0');
  write_file(made + "/C", "complete");
  run("tar -cf " + made + ".tar -C " + made + " a C.discard C.files C");
  auto mismatch = fs::ssh::extract_on_node(
      **c, {target, "C"},
      [&](const OutputSink& write) -> Result<> { return write(read_whole(made + ".tar")); });
  REQUIRE(mismatch);
  CHECK(mismatch->exit_code == 4);
  CHECK_THAT(mismatch->output, Catch::Contains("could not store all it was sent"));
  CHECK(std::filesystem::is_empty(target));
}
