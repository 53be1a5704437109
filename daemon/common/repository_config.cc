#include "common/repository_config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "repo/storage/s3/s3_storage.h"
#include "repo/storage/storage.h"
#include "util/file.h"

namespace nb {

namespace {

// A secret's file: refused when group or others may read it.
Result<std::string> read_secret_file(const std::string& op, const std::string& path) {
  struct ::stat st;
  if (::stat(path.c_str(), &st) != 0) return errno_error(op, path, errno);
  if ((st.st_mode & 077) != 0) {
    return std::unexpected(
        Error(op, path, EPERM, "the file may be read by group or others; chmod 0600 it")
            .with_kind(ErrorKind::config));
  }
  return read_file(path);
}

}  // namespace

Result<repo::s3::S3Settings> read_s3_settings(const config::S3Config& s3) {
  const std::string op = "read S3 credentials";
  auto text = read_secret_file(op, s3.credentials_file);
  if (!text) return std::unexpected(text.error());
  repo::s3::S3Settings settings;
  settings.endpoint = s3.endpoint;
  settings.region = s3.region;
  for (const auto& line : text_lines(*text)) {
    const auto eq = line.find('=');
    if (line.empty() || line.starts_with('#') || eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    if (key == "AWS_ACCESS_KEY_ID") settings.access_key = line.substr(eq + 1);
    if (key == "AWS_SECRET_ACCESS_KEY") settings.secret_key = line.substr(eq + 1);
  }
  if (settings.access_key.empty() || settings.secret_key.empty()) {
    return std::unexpected(Error(op, s3.credentials_file, 0,
                                 "needs AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… lines")
                               .with_kind(ErrorKind::config));
  }
  return settings;
}

Result<std::unique_ptr<repo::Storage>> open_configured_storage(const config::Config& config,
                                                               bool create) {
  if (!repo::s3::is_s3_url(config.repository)) {
    if (create) {
      if (auto r = make_dirs(config.repository, 0700); !r) return std::unexpected(r.error());
    }
    return repo::open_local_storage(config.repository);
  }
  auto location = repo::s3::parse_s3_url(config.repository);
  if (!location) return std::unexpected(Error(location.error()).with_kind(ErrorKind::config));
  if (!config.s3) {
    return std::unexpected(Error("open repository", config.repository, 0,
                                 "an s3:// repository needs the \"s3\" object in the config")
                               .with_kind(ErrorKind::config));
  }
  auto settings = read_s3_settings(*config.s3);
  if (!settings) return std::unexpected(settings.error());
  repo::s3::S3StorageOptions options;
  options.lease = config.s3->lease;
  return repo::s3::open_s3_storage(*settings, *location, create, options);
}

Result<std::string> read_passphrase_file(const std::string& path) {
  auto text = read_secret_file("read passphrase", path);
  if (!text) return std::unexpected(text.error());
  const auto end = text->find_first_of("\r\n");
  std::string passphrase = text->substr(0, end);
  if (passphrase.empty()) {
    return std::unexpected(
        Error("read passphrase", path, 0, "the passphrase is empty").with_kind(ErrorKind::config));
  }
  return passphrase;
}

Result<std::string> configured_passphrase(const config::Config& config) {
  if (config.repository_password_file) {
    return read_passphrase_file(*config.repository_password_file);
  }
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY")) {
    // systemd makes credential files readable by the service alone.
    auto text = read_file(std::string(dir) + "/" + kPasswordCredential);
    if (text) {
      std::string passphrase = text->substr(0, text->find_first_of("\r\n"));
      if (!passphrase.empty()) return passphrase;
    }
  }
  return std::unexpected(Error("read passphrase", config.source, ENOENT,
                               "the repository is encrypted and no passphrase is configured: set "
                               "repository_password_file, or pass the systemd credential " +
                                   std::string(kPasswordCredential))
                             .with_kind(ErrorKind::config));
}

Result<std::unique_ptr<repo::Repository>> open_repository(const config::Config& config,
                                                          bool create) {
  auto storage = open_configured_storage(config, create);
  if (!storage) return std::unexpected(storage.error());
  repo::OpenOptions options;
  options.create = create;
  options.passphrase = [&config] { return configured_passphrase(config); };
  return repo::Repository::open(std::move(*storage), options);
}

Result<std::unique_ptr<repo::Repository>> open_copy_target(const config::Config& config,
                                                           const std::string& to) {
  config::Config target;
  target.source = config.source;
  target.repository = to;
  target.s3 = config.s3;
  target.repository_password_file = config.repository_password_file;
  return open_repository(target, /*create=*/true);
}

}  // namespace nb
