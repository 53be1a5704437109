// Opening the configured repository: the local directory the config names, with the
// passphrase of an encrypted one taken from `repository_password_file` or, when that is not
// set, from the systemd credential `nodebackup-repository-password`
// ($CREDENTIALS_DIRECTORY/nodebackup-repository-password, LoadCredential= in the unit).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "repo/repository.h"

namespace nb::repo {

inline constexpr const char* kPasswordCredential = "nodebackup-repository-password";

// The passphrase the config points at: the first line of the file. A file that group or
// others may read is refused (backups hold secrets; so does the key to them).
Result<std::string> read_passphrase_file(const std::string& path);
// The configured source of the passphrase (file, else credential); an error saying neither
// is there when a passphrase is needed.
Result<std::string> configured_passphrase(const config::Config& config);

// `create`: a missing repository is created plain (the daemon's first run).
Result<std::unique_ptr<Repository>> open_repository(const config::Config& config, bool create);

}  // namespace nb::repo
