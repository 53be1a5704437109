// What the repository commands share: usage and failure messages with their exit codes, and
// opening the repository a config names.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "nodebackupctl/commands.h"
#include "repo/repository.h"

namespace nb::ctl {

// Prints "usage: nodebackupctl TEXT"; returns the usage exit code.
int usage(const std::string& text);
// Prints the error; returns the exit code for it (configuration or failure).
int failure(const Error& error);

// Loads the config and opens the repository it names; on failure prints why and sets `code`.
std::unique_ptr<repo::Repository> open_repo(const Invocation& inv, int& code,
                                            config::Config* loaded = nullptr);

// The repository lock, shared, for commands that read many objects (verify, restore): a prune
// then waits for them instead of deleting what they are about to read. A repository this user
// cannot lock (a read-only copy) is read without it.
std::optional<repo::RepoLock> read_lock(repo::Repository& repo);

}  // namespace nb::ctl
