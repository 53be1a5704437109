#include "nodebackupd/http/snapshot_browser.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nodebackupd/http/html.h"
#include "repo/browse.h"
#include "repo/chunk_list.h"
#include "util/clock.h"

namespace nb::daemon::http {

namespace {

const char* kind_name(FileType type) {
  switch (type) {
    case FileType::directory:
      return "directory";
    case FileType::symlink:
      return "symlink";
    default:
      return "file";
  }
}

nlohmann::json entry_json(const std::string& name, const repo::TreeEntry& e) {
  nlohmann::json j{{"name", name},
                   {"type", kind_name(e.type)},
                   {"mode", e.mode},
                   {"uid", e.uid},
                   {"gid", e.gid},
                   {"size", e.size},
                   {"mtime", rfc3339(e.mtime_ns)}};
  if (e.type == FileType::symlink) j["target"] = e.target;
  return j;
}

BrowseReply error_reply(unsigned status, const std::string& why, bool api) {
  if (api) return {status, "application/json", nlohmann::json{{"error", why}}.dump(), {}};
  return {status,
          "text/html; charset=utf-8",
          page("Not available", "<h1>Not available</h1><p>" + escape(why) + "</p>"),
          {}};
}

BrowseReply failure(const Error& error, bool api) {
  return error_reply(error.code() == ENOENT ? 404 : 500, error.message(), api);
}

// A listing: the entries as (name, link path, entry).
struct Listed {
  std::string name;
  std::string path;
  const repo::TreeEntry* entry;
};

BrowseReply listing(const repo::SnapshotRecord& record, const std::string& path,
                    const std::vector<Listed>& entries, bool api) {
  if (api) {
    nlohmann::json out{{"node", record.node},
                       {"snapshot", record.id},
                       {"path", path},
                       {"entries", nlohmann::json::array()}};
    for (const auto& e : entries) out["entries"].push_back(entry_json(e.name, *e.entry));
    return {200,
            "application/json",
            out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            {}};
  }
  const std::string base =
      "/nodes/" + url_segment(record.node) + "/snapshots/" + url_segment(record.id);
  std::string body = fmt::format(
      "<h1><a href=\"/nodes/{}\">{}</a> · snapshot {}</h1><p>{}</p>"
      "<table "
      "class=\"listing\"><tr><th>Mode</th><th>Size</th><th>Modified</th><th>Name</th></tr>\n",
      url_segment(record.node), escape(record.node), escape(record.id),
      escape(path.empty() ? "roots" : path));
  for (const auto& e : entries) {
    std::string name =
        fmt::format("<a href=\"{}{}\">{}</a>", base, url_path(e.path), escape(e.name));
    if (e.entry->type == FileType::directory) name += "/";
    if (e.entry->type == FileType::symlink) name = escape(e.name) + " → " + escape(e.entry->target);
    body += fmt::format(
        "<tr class=\"entry\"><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        mode_string(*e.entry), e.entry->size, short_time(e.entry->mtime_ns), name);
  }
  body += "</table>";
  return {200, "text/html; charset=utf-8", page(record.node + " " + path, body), {}};
}

BrowseReply download(const repo::Repository& repo, const std::string& name,
                     const repo::TreeEntry& entry) {
  if (entry.size > kMaxDownloadBytes) {
    return error_reply(413,
                       fmt::format("{} bytes is more than the dashboard serves; use "
                                   "nodebackupctl restore",
                                   entry.size),
                       false);
  }
  auto chunks = repo::file_chunks(repo, entry);
  if (!chunks) return failure(chunks.error(), false);
  std::string content;
  content.reserve(entry.size);
  for (const auto& id : *chunks) {
    auto blob = repo.read_blob(id);
    if (!blob) return failure(blob.error(), false);
    content += *blob;
  }
  return {200, "application/octet-stream", std::move(content), name};
}

}  // namespace

BrowseReply browse_snapshot(repo::Repository& repo, const repo::SnapshotRecord& record,
                            const std::vector<std::string>& components, bool api) {
  // Shared, as a backup: a prune (exclusive) cannot remove what is being read meanwhile.
  auto lock = repo.lock(/*exclusive=*/false, /*wait=*/false);
  if (!lock) return error_reply(503, "the repository is busy (prune); try again", api);
  std::string path;
  repo::TreeEntry entry;
  if (components.empty()) {
    // A node that backs up "/" has that one root, and its children are the top of the tree.
    const auto whole =
        std::find_if(record.roots.begin(), record.roots.end(),
                     [](const repo::SnapshotRoot& root) { return root.path == "/"; });
    if (whole == record.roots.end()) {
      std::vector<Listed> roots;
      for (const auto& root : record.roots) roots.push_back({root.path, root.path, &root.entry});
      return listing(record, "", roots, api);
    }
    entry = whole->entry;
  } else {
    for (const auto& c : components) path += "/" + c;
    auto found = repo::find_entry(repo, record, path);
    if (!found) return failure(found.error(), api);
    entry = std::move(*found);
  }
  if (entry.type == FileType::directory) {
    repo::Tree tree;
    if (entry.tree) {
      auto loaded = repo::load_tree(repo, *entry.tree);
      if (!loaded) return failure(loaded.error(), api);
      tree = std::move(*loaded);
    }
    std::vector<Listed> children;
    for (const auto& child : tree.entries) {
      children.push_back({child.name, path + "/" + child.name, &child});
    }
    return listing(record, path.empty() ? "/" : path, children, api);
  }
  if (api) {
    return {200,
            "application/json",
            entry_json(components.back(), entry)
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            {}};
  }
  if (entry.type == FileType::symlink) {
    return {200,
            "text/html; charset=utf-8",
            page(path, "<h1>" + escape(path) + "</h1><p>symbolic link to <code>" +
                           escape(entry.target) + "</code></p>"),
            {}};
  }
  return download(repo, components.back(), entry);
}

}  // namespace nb::daemon::http
