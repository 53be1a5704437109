// nodebackupctl init, migrate and key passwd: the repository's administration, on the
// repository the config names (with or without a daemon).
#include <cstdio>
#include <iostream>

#include "common/exit_codes.h"
#include "common/repository_config.h"
#include "nodebackupctl/repo_access.h"
#include "repo/key_passwd.h"
#include "repo/migrate/migrate.h"
#include "repo/storage/s3/s3_storage.h"
#include "util/file.h"

namespace nb::ctl {

namespace {

Result<repo::InitOptions> init_options(const config::Config& config, bool encrypt) {
  repo::InitOptions options;
  options.encrypt = encrypt;
  if (encrypt) {
    auto passphrase = configured_passphrase(config);
    if (!passphrase) return std::unexpected(passphrase.error());
    options.passphrase = std::move(*passphrase);
  }
  return options;
}

}  // namespace

int init(const Invocation& inv) {
  if (!inv.args.empty()) return usage("init [--encrypt]");
  auto config = config::load_config(inv.config);
  if (!config) return failure(config.error());
  auto options = init_options(*config, inv.encrypt);
  if (!options) return failure(options.error());
  auto storage = open_configured_storage(*config, /*create=*/true);
  if (!storage) return failure(storage.error());
  auto listed = (*storage)->list("");
  if (!listed) return failure(listed.error());
  if (!listed->empty()) {
    return failure(Error("init repository", config->repository, EEXIST,
                         "the directory is not empty (a repository is already there?)"));
  }
  if (auto r = repo::Repository::init(**storage, *options); !r) return failure(r.error());
  std::printf("created %s repository %s\n", inv.encrypt ? "an encrypted" : "a plain",
              config->repository.c_str());
  return kExitOk;
}

int migrate(const Invocation& inv) {
  if (!inv.args.empty()) return usage("migrate [--encrypt]");
  auto config = config::load_config(inv.config);
  if (!config) return failure(config.error());
  auto init = init_options(*config, inv.encrypt);
  if (!init) return failure(init.error());
  repo::MigrateOptions options;
  options.init = std::move(*init);
  const config::Config& c = *config;
  if (repo::s3::is_s3_url(c.repository)) {
    return failure(Error("migrate", c.repository, 0,
                         "format 1 only ever lived in a directory: migrate there, then copy"));
  }
  options.passphrase = [&c] { return configured_passphrase(c); };
  auto report = repo::migrate([&] { return repo::open_local_storage(c.repository); }, options);
  if (!report) return failure(report.error());
  if (report->already_format2) {
    std::printf("%s is format 2 already (%llu format-1 leftovers removed)\n", c.repository.c_str(),
                static_cast<unsigned long long>(report->leftovers_removed));
    return kExitOk;
  }
  std::printf(
      "migrated %s to format 2: %llu snapshots converted (%llu by an earlier run), %llu "
      "objects read, %s stored, %llu format-1 files removed\n",
      c.repository.c_str(), static_cast<unsigned long long>(report->snapshots_converted),
      static_cast<unsigned long long>(report->snapshots_skipped),
      static_cast<unsigned long long>(report->objects_read),
      format_bytes(report->bytes_stored).c_str(),
      static_cast<unsigned long long>(report->leftovers_removed));
  return kExitOk;
}

int key(const Invocation& inv) {
  const char* const text = "key passwd --new-password-file PATH";
  if (inv.args != std::vector<std::string>{"passwd"} || inv.new_password_file.empty()) {
    return usage(text);
  }
  auto passphrase = read_passphrase_file(inv.new_password_file);
  if (!passphrase) return failure(passphrase.error());
  int code = kExitOk;
  config::Config config;
  auto repo = open_repo(inv, code, &config);
  if (!repo) return code;
  if (auto r = repo::change_passphrase(*repo, *passphrase); !r) return failure(r.error());
  std::printf(
      "the repository key is now wrapped by the passphrase in %s; point "
      "repository_password_file at it (or replace the old file's content)\n",
      inv.new_password_file.c_str());
  return kExitOk;
}

}  // namespace nb::ctl
