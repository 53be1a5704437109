// How nodebackupctl shows the daemon's replies to a person.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status_schema.h"

namespace nb::ctl {

// status: a table (node, state, last run, result, changed/scanned, stored, next run, alarms),
// then one line per raised alarm.
std::string status_table(const status::Report& status);
// A finished run: "01_node ok: 10 scanned, 1 changed, ... (snapshot …)".
std::string run_line(const std::string& node, const nlohmann::json& event);
// diff: the counts, then one line per file a run would read, with why.
std::string diff_text(const nlohmann::json& diff);

}  // namespace nb::ctl
