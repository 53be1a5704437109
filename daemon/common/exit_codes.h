// Exit codes of both programs (DESIGN §7).
#pragma once

namespace nb {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoDaemon = 3;  // nodebackupctl: daemon not reachable
inline constexpr int kExitConfig = 78;   // EX_CONFIG

}  // namespace nb
