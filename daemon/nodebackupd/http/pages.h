// The dashboard's two status pages, server-rendered from the `status` report and the run
// histories: the fleet overview (one row per node) and a node's page (its charts, alarms and
// snapshots). Pure functions: they run off the event loop on copies of the daemon's state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status_schema.h"
#include "nodebackupd/http/run_history.h"

namespace nb::daemon::http {

using RunsByNode = std::map<std::string, std::vector<RunRow>>;

std::string overview_page(const status::Report& report, const RunsByNode& runs);

std::string node_page(const status::Node& node, const std::vector<RunRow>& runs);

// What an alarm means for the operator, in a sentence.
std::string alarm_explanation(const std::string& kind);

}  // namespace nb::daemon::http
