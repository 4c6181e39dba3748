#pragma once

// A read-only element tree of a SUMO XML file, shared by the SUMO readers (internal header):
// the file mapped into memory, parsed by pugixml, and a small view of its elements and
// attributes (string views into pugixml's buffer, element names compared without copies).

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <pugixml.hpp>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace citytwin::mobility::sumo_xml {

// The bytes of a regular, non-empty file, mapped read-only (no copy: the readers never write
// to the text). mapped() is false for anything else (missing, a directory, a pipe, empty);
// the readers then read the path as a stream, as before.
class FileText {
 public:
  explicit FileText(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      const auto size = static_cast<std::size_t>(st.st_size);
      void* const map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (map != MAP_FAILED) {
        map_ = map;
        text_ = std::string_view(static_cast<const char*>(map), size);
      }
    }
    ::close(fd);
  }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;
  ~FileText() {
    if (map_ != nullptr) ::munmap(map_, text_.size());
  }

  [[nodiscard]] bool mapped() const { return map_ != nullptr; }
  [[nodiscard]] std::string_view text() const { return text_; }

 private:
  void* map_ = nullptr;
  std::string_view text_;
};

// an attribute as found: `found` false when absent
struct Attr {
  bool found = false;
  std::string_view value;

  explicit operator bool() const { return found; }
  // the value, or `fallback` when absent (pugi::xml_attribute::as_string)
  [[nodiscard]] std::string_view as_string(std::string_view fallback = {}) const {
    return found ? value : fallback;
  }
};

// an element of a Tree, or none (false)
class Node {
 public:
  Node() = default;
  explicit Node(pugi::xml_node node) : node_(node) {}

  explicit operator bool() const { return static_cast<bool>(node_); }
  [[nodiscard]] std::string_view name() const { return node_.name(); }
  // byte offset of the element name in the text (pugi::xml_node::offset_debug), -1 for none
  [[nodiscard]] std::ptrdiff_t offset() const { return node_ ? node_.offset_debug() : -1; }
  [[nodiscard]] Attr attribute(std::string_view attr_name) const {
    // pugixml compares names up to their NUL, as xml_node::attribute(const char*) does
    for (pugi::xml_attribute a = node_.first_attribute(); a; a = a.next_attribute()) {
      if (std::string_view(a.name()) == attr_name) return {true, a.value()};
    }
    return {};
  }
  // attribute(names[i]) for each i, in one pass over the attributes (the first of repeated
  // names, as pugixml)
  template <std::size_t N>
  [[nodiscard]] std::array<Attr, N> attributes(const std::array<std::string_view, N>& names) const {
    std::array<Attr, N> out{};
    std::size_t left = N;
    for (pugi::xml_attribute a = node_.first_attribute(); a && left > 0; a = a.next_attribute()) {
      const std::string_view name = a.name();
      for (std::size_t i = 0; i < N; ++i) {
        if (!out[i].found && names[i] == name) {
          out[i] = {true, a.value()};
          --left;
        }
      }
    }
    return out;
  }
  [[nodiscard]] Node first_child() const { return element_from(node_.first_child()); }
  [[nodiscard]] Node next_sibling() const { return element_from(node_.next_sibling()); }
  // first child element named `child_name`
  [[nodiscard]] Node child(std::string_view child_name) const {
    for (Node c = first_child(); c; c = c.next_sibling()) {
      if (c.name() == child_name) return c;
    }
    return {};
  }

 private:
  // `n` or the first element sibling after it
  static Node element_from(pugi::xml_node n) {
    while (n && n.type() != pugi::node_element) n = n.next_sibling();
    return Node(n);
  }
  pugi::xml_node node_;
};

// calls f(child) for each child element of `parent` named `name` (all when empty), in order
template <typename F>
void for_each_child(const Node& parent, std::string_view name, F&& f) {
  for (Node c = parent.first_child(); c; c = c.next_sibling()) {
    if (name.empty() || c.name() == name) f(c);
  }
}

class Tree {
 public:
  // Parses `text` with pugixml (`options`, `encoding`; pugixml keeps its own copy) and returns
  // the document's child `root_name`, none when absent. `result` is pugixml's outcome; on a
  // failed parse the tree is empty.
  Node load(std::string_view text, std::string_view root_name, unsigned int options,
            pugi::xml_encoding encoding, pugi::xml_parse_result& result) {
    result = doc_.load_buffer(text.data(), text.size(), options, encoding);
    if (!result) return {};
    for (pugi::xml_node n = doc_.first_child(); n; n = n.next_sibling()) {
      if (n.type() == pugi::node_element && std::string_view(n.name()) == root_name) return Node(n);
    }
    return {};
  }

  // first node of the document (for "wrong root" messages)
  [[nodiscard]] Node pugi_first_child() const { return Node(doc_.first_child()); }

 private:
  pugi::xml_document doc_;
};

}  // namespace citytwin::mobility::sumo_xml
