// A broken or hostile S3 server (tests/support/net/hostile_s3.py) gives the S3 backend a clear
// error, never a crash, an endless loop or a stall.
#include <catch2/catch.hpp>

#include <cerrno>

#include "repo/storage/s3/s3_storage.h"
#include "repo/storage/s3/s3_xml.h"
#include "support/script_server.h"

using namespace nb;
using namespace nb::test;

namespace {

struct HostileS3 : ScriptServer {
  HostileS3() : ScriptServer(NB_SOURCE_DIR "/tests/support/net/hostile_s3.py") {}

  std::unique_ptr<repo::Storage> open(const std::string& bucket) const {
    repo::s3::S3Settings settings;
    settings.endpoint = "http://127.0.0.1:" + std::to_string(port());
    settings.access_key = "key";
    settings.secret_key = "secret";
    settings.stall_timeout = std::chrono::seconds(2);
    settings.attempts = 2;
    settings.first_backoff = std::chrono::milliseconds(10);
    auto storage = repo::s3::open_s3_storage(settings, {bucket, ""}, false);
    if (!storage) FAIL(storage.error().message());
    return std::move(*storage);
  }
};

Error list_error(const HostileS3& server, const std::string& bucket) {
  auto storage = server.open(bucket);
  auto listed = storage->list("data/");
  if (listed) FAIL("listing " << bucket << " succeeded");
  return listed.error();
}

}  // namespace

TEST_CASE("a listing that is not XML is a protocol error naming the bucket", "[s3-hostile]") {
  HostileS3 server;
  const Error e = list_error(server, "badxml");
  CHECK(e.code() == EPROTO);
  CHECK(e.message().find("badxml") != std::string::npos);
}

TEST_CASE("a listing truncated forever with the same token ends in an error", "[s3-hostile]") {
  HostileS3 server;
  const Error e = list_error(server, "loop");
  CHECK(e.code() == EPROTO);
  CHECK(e.detail().find("continuation token") != std::string::npos);
}

TEST_CASE("a listing nested thousands deep, or with a bad size, is refused", "[s3-hostile]") {
  HostileS3 server;
  CHECK(list_error(server, "deep").code() == EPROTO);
  CHECK(list_error(server, "badsize").code() == EPROTO);
}

TEST_CASE("a server that never answers fails the request as transient, it does not stall",
          "[s3-hostile]") {
  HostileS3 server;
  auto storage = server.open("hang");
  auto got = storage->get("config");
  REQUIRE_FALSE(got);
  CHECK(got.error().transient());
  CHECK(got.error().message().find("hang/config") != std::string::npos);
}

TEST_CASE("a server that keeps failing with 500 is retried, then reported as transient",
          "[s3-hostile]") {
  HostileS3 server;
  auto storage = server.open("err500");
  auto put = storage->put("snapshots/x", "data");
  REQUIRE_FALSE(put);
  CHECK(put.error().transient());
  CHECK(put.error().detail().find("InternalError") != std::string::npos);
  // Both tries reached the server (HEAD of the bucket first).
  size_t puts = 0;
  for (const auto& r : server.records()) puts += r["method"] == "PUT" ? 1 : 0;
  CHECK(puts == 2);
}

TEST_CASE("a ranged read answered short is EIO, never a short blob", "[s3-hostile]") {
  HostileS3 server;
  auto storage = server.open("short");
  // A pack is fetched whole and cut; any other name is read by a Range request.
  for (const std::string& name : {std::string("data/ab/pack"), std::string("index/ab")}) {
    auto got = storage->get_range(name, 0, 100);
    REQUIRE_FALSE(got);
    CHECK(got.error().code() == EIO);
    CHECK(got.error().detail().find("shorter") != std::string::npos);
  }
}

TEST_CASE("XML replies: errors, upload ids and listings parse, garbage does not", "[s3-hostile]") {
  auto error = repo::s3::parse_error_reply(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>");
  REQUIRE(error);
  CHECK(error->code == "NoSuchKey");
  CHECK(error->message == "gone");
  CHECK_FALSE(repo::s3::parse_upload_id("<InitiateMultipartUploadResult/>"));
  auto page = repo::s3::parse_list_page(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a/b</Key><Size>12</Size>"
      "<LastModified>2026-12-03T11:44:15.781Z</LastModified></Contents></ListBucketResult>");
  REQUIRE(page);
  REQUIRE(page->objects.size() == 1);
  CHECK(page->objects[0].key == "a/b");
  CHECK(page->objects[0].size == 12);
  CHECK(page->objects[0].last_modified == 1796298255);
  // An entity-expansion bomb is refused by expat, not expanded.
  const std::string bomb =
      "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
      "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
      "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h "
      "\"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]>"
      "<ListBucketResult><Contents><Key>&h;</Key><Size>1</Size></Contents></ListBucketResult>";
  auto exploded = repo::s3::parse_list_page(bomb);
  if (exploded) CHECK(exploded->objects.front().key.size() <= 64 * 1024);
}

TEST_CASE("s3:// repository URLs: bucket and prefix, and bad ones refused", "[s3-hostile]") {
  auto plain = repo::s3::parse_s3_url("s3://backups");
  REQUIRE(plain);
  CHECK(plain->bucket == "backups");
  CHECK(plain->prefix.empty());
  auto nested = repo::s3::parse_s3_url("s3://backups/fleet/a/");
  REQUIRE(nested);
  CHECK(nested->prefix == "fleet/a/");
  CHECK_FALSE(repo::s3::parse_s3_url("s3://Bad_Bucket/x"));
  CHECK_FALSE(repo::s3::parse_s3_url("s3://ab"));
  CHECK_FALSE(repo::s3::parse_s3_url("s3://bucket//x"));
}
