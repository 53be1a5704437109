// Opening the configured repository: the local directory or the S3 bucket the config names, with
// the passphrase of an encrypted one taken from `repository_password_file` or, when that is not
// set, from the systemd credential `nodebackup-repository-password`
// ($CREDENTIALS_DIRECTORY/nodebackup-repository-password, LoadCredential= in the unit). Both
// programs open it; repo/ takes a Storage and a passphrase source and knows nothing of config/.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "repo/repository.h"
#include "repo/storage/s3/s3_client.h"
#include "repo/storage/storage.h"

namespace nb {

inline constexpr const char* kPasswordCredential = "nodebackup-repository-password";

// The passphrase a file holds: its first line. A file that group or others may read is refused
// (backups hold secrets; so does the key to them), as a configuration error.
Result<std::string> read_passphrase_file(const std::string& path);
// The configured source of the passphrase (file, else credential); a configuration error
// saying neither is there when a passphrase is needed.
Result<std::string> configured_passphrase(const config::Config& config);

// The S3 settings of the config's "s3" object, with the keys its credentials file holds
// (AWS_ACCESS_KEY_ID=… and AWS_SECRET_ACCESS_KEY=… lines, as an EnvironmentFile= or restic's
// environment has them). A file group or others may read is refused, as a configuration error.
Result<repo::s3::S3Settings> read_s3_settings(const config::S3Config& s3);

// The configured Storage: the directory (made 0700 with `create`), or the bucket (made with
// `create` if missing) below which the repository lives.
Result<std::unique_ptr<repo::Storage>> open_configured_storage(const config::Config& config,
                                                               bool create);

// `create`: a missing repository is created plain (the daemon's first run).
Result<std::unique_ptr<repo::Repository>> open_repository(const config::Config& config,
                                                          bool create);

// The target of an off-site copy (`nodebackupctl copy --to`, the config's "copy"): the
// repository at `to`, a directory or s3:// on the store of the config's "s3" object, with the
// config's passphrase source, created plain if missing.
Result<std::unique_ptr<repo::Repository>> open_copy_target(const config::Config& config,
                                                           const std::string& to);

}  // namespace nb
