// Changing an encrypted repository's passphrase: the same secrets, wrapped again. The new key
// file is put durably before the old ones are removed, so at every instant at least one key
// file opens the repository (the old passphrase until the removal, the new one from its put).
#pragma once

#include <string_view>

#include "repo/repository.h"

namespace nb::repo {

Result<> change_passphrase(Repository& repo, std::string_view new_passphrase,
                           const KdfParams& kdf = {});

}  // namespace nb::repo
