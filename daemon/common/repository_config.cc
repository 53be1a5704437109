#include "common/repository_config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "repo/storage/storage.h"
#include "util/file.h"

namespace nb {

Result<std::string> read_passphrase_file(const std::string& path) {
  struct ::stat st;
  if (::stat(path.c_str(), &st) != 0) return errno_error("read passphrase", path, errno);
  if ((st.st_mode & 077) != 0) {
    return std::unexpected(Error("read passphrase", path, EPERM,
                                 "the file may be read by group or others; chmod 0600 it")
                               .with_kind(ErrorKind::config));
  }
  auto text = read_file(path);
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
  if (create) {
    if (auto r = make_dirs(config.repository, 0700); !r) return std::unexpected(r.error());
  }
  repo::OpenOptions options;
  options.create = create;
  options.passphrase = [&config] { return configured_passphrase(config); };
  return repo::Repository::open(repo::open_local_storage(config.repository), options);
}

}  // namespace nb
