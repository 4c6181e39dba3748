#pragma once

// A read-only element tree of a SUMO XML file, shared by the SUMO readers (internal header):
// the file mapped into memory, parsed by pugixml, a small view of its elements and attributes
// (values are pugixml's NUL-terminated strings, names compared in place), and IdIndex, the
// table that maps the ids the elements use to their indices.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <pugixml.hpp>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <citytwin/sim/error.hpp>

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

// True when the NUL-terminated names `a` and `b` are equal (inline: the readers compare every
// attribute name they pass, and a call to strlen or memcmp for each costs more than the compare).
inline bool same_name(const char* a, const char* b) {
  while (*a == *b) {
    if (*a == '\0') return true;
    ++a;
    ++b;
  }
  return false;
}

// The text of `path` read as a stream, for what FileText does not map (an empty file, a pipe).
// Throws InputError naming the path: `cannot_open` when it cannot be opened, and a message of
// its own for a directory (whose reads would fail with std::ios_failure).
inline std::string read_stream(const std::filesystem::path& path, const std::string& cannot_open) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(InputIssue{path.string(), 0, 0, "", "is a folder; give the path of the file in it"});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputIssue{path.string(), 0, 0, "", cannot_open});
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// an attribute as found: false when absent; its value is a NUL-terminated string in the tree,
// measured only when asked for
class Attr {
 public:
  Attr() = default;
  explicit Attr(const char* value) : value_(value) {}

  explicit operator bool() const { return value_ != nullptr; }
  // the value ("" when absent)
  [[nodiscard]] std::string_view value() const {
    return value_ != nullptr ? std::string_view(value_) : std::string_view();
  }
  // the value, or `fallback` when absent (pugi::xml_attribute::as_string)
  [[nodiscard]] std::string_view as_string(std::string_view fallback = {}) const {
    return value_ != nullptr ? std::string_view(value_) : fallback;
  }
  // the value as a C string ("" when absent)
  [[nodiscard]] const char* c_str() const { return value_ != nullptr ? value_ : ""; }
  // the first character of the value, '\0' when absent or empty
  [[nodiscard]] char front() const { return value_ != nullptr ? *value_ : '\0'; }

 private:
  const char* value_ = nullptr;
};

// an element of a Tree, or none (false)
class Node {
 public:
  Node() = default;
  explicit Node(pugi::xml_node node) : node_(node), valid_(static_cast<bool>(node)) {}

  explicit operator bool() const { return valid_; }
  [[nodiscard]] std::string_view name() const { return node_.name(); }
  // true when the element is named `element_name`
  [[nodiscard]] bool is(const char* element_name) const {
    return same_name(node_.name(), element_name);
  }
  // byte offset of the element name in the text (pugi::xml_node::offset_debug), -1 for none
  [[nodiscard]] std::ptrdiff_t offset() const { return valid_ ? node_.offset_debug() : -1; }
  // the first attribute named `attr_name` (pugixml's own search)
  [[nodiscard]] Attr attribute(const char* attr_name) const {
    const pugi::xml_attribute a = node_.attribute(attr_name);
    return a ? Attr(a.value()) : Attr();
  }
  // attribute(names[i]) for each i (the first of repeated names, as pugixml), in one pass over
  // the attributes that stops once all are found or once done(found so far) says the rest
  // are not needed. The names must differ; listed in the order files write them, each is
  // found with one compare.
  template <std::size_t N, typename Done>
  [[nodiscard]] std::array<Attr, N> attributes(const std::array<const char*, N>& names,
                                               Done&& done) const {
    std::array<Attr, N> out{};
    std::size_t left = N;
    std::size_t expected = 0;  // the name after the last one found
    for (pugi::xml_attribute a = node_.first_attribute();; a = a.next_attribute()) {
      // past the last one: pugixml names a null attribute "", and a parsed one is never ""
      const char* const name = a.name();
      if (*name == '\0') break;
      // the name after the last one found, else any name not found yet (N: none)
      std::size_t i = expected;
      if (i == N || out[i] || !same_name(name, names[i])) i = unfound_index(name, names, out);
      if (i == N) continue;
      out[i] = Attr(a.value());
      if (--left == 0 || done(std::as_const(out))) break;
      expected = i + 1;
    }
    return out;
  }
  template <std::size_t N>
  [[nodiscard]] std::array<Attr, N> attributes(const std::array<const char*, N>& names) const {
    return attributes(names, [](const std::array<Attr, N>&) { return false; });
  }
  [[nodiscard]] Node first_child() const { return element_from(node_.first_child()); }
  [[nodiscard]] Node next_sibling() const { return element_from(node_.next_sibling()); }
  // first child element named `child_name`
  [[nodiscard]] Node child(const char* child_name) const {
    return named_element_from(node_.child(child_name), child_name);
  }
  // next sibling element named `sibling_name`
  [[nodiscard]] Node next_sibling(const char* sibling_name) const {
    return named_element_from(node_.next_sibling(sibling_name), sibling_name);
  }

 private:
  Node(pugi::xml_node node, bool valid) : node_(node), valid_(valid) {}

  // the i with names[i] == name and out[i] not found yet, N when none
  template <std::size_t N>
  static std::size_t unfound_index(const char* name, const std::array<const char*, N>& names,
                                   const std::array<Attr, N>& out) {
    for (std::size_t i = 0; i < N; ++i) {
      if (!out[i] && same_name(name, names[i])) return i;
    }
    return N;
  }

  // `n` or the first element sibling after it (type() is node_null past the last)
  static Node element_from(pugi::xml_node n) {
    while (true) {
      const pugi::xml_node_type type = n.type();
      if (type == pugi::node_element) return Node(n, true);
      if (type == pugi::node_null) return Node();
      n = n.next_sibling();
    }
  }
  // `n` (named `name`) or the first element sibling named `name` after it
  static Node named_element_from(pugi::xml_node n, const char* name) {
    while (true) {
      const pugi::xml_node_type type = n.type();
      if (type == pugi::node_element) return Node(n, true);
      if (type == pugi::node_null) return Node();
      n = n.next_sibling(name);
    }
  }

  pugi::xml_node node_;
  bool valid_ = false;  // node_ is not null
};

// calls f(child) for each child element of `parent` named `name`, in order (pugixml skips the
// other children itself)
template <typename F>
void for_each_child(const Node& parent, const char* name, F&& f) {
  for (Node c = parent.child(name); c; c = c.next_sibling(name)) f(c);
}

// An id as IdIndex keeps it: its size and first 16 bytes packed into two words (zero padded),
// so that ids of up to 16 bytes, nearly all, compare in three word compares; the rest of a
// longer id is compared byte by byte.
struct IdKey {
  std::uint64_t head0 = 0;
  std::uint64_t head1 = 0;
  std::uint32_t size = 0;

  IdKey(std::uint64_t h0, std::uint64_t h1, std::uint32_t n) : head0(h0), head1(h1), size(n) {}
  explicit IdKey(std::string_view id) : size(static_cast<std::uint32_t>(id.size())) {
    // whole-word loads, overlapping for the last bytes (no loop over the bytes, no read past
    // the id); every byte lands in its own place of a little-endian word
    static_assert(std::endian::native == std::endian::little);
    const char* const p = id.data();
    const std::size_t n = id.size();
    if (n >= 8) {
      head0 = load<8>(p);
      if (n >= 16) {
        head1 = load<8>(p + 8);
      } else if (n > 8) {
        head1 = load<8>(p + n - 8) >> (8 * (16 - n));
      }
    } else if (n >= 4) {
      head0 = load<4>(p) | load<4>(p + n - 4) << (8 * (n - 4));
    } else if (n > 0) {
      // bytes 0, n / 2 and n - 1: all of them for n = 1, 2 or 3
      head0 = load<1>(p) | load<1>(p + n / 2) << (8 * (n / 2)) |
              load<1>(p + n - 1) << (8 * (n - 1));
    }
  }

  // true when the ids have the same size and first 16 bytes
  [[nodiscard]] bool same_head(const IdKey& other) const {
    return head0 == other.head0 && head1 == other.head1 && size == other.size;
  }

  // the `k` bytes at `p` as a little-endian word
  template <std::size_t k>
  static std::uint64_t load(const char* p) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, k);
    return w;
  }

  // a hash of the id whose bytes from 16 on are `tail` (any hash gives the same lookups; this
  // one mixes the packed words and 8 bytes at a time of the tail, then murmur3's finaliser)
  [[nodiscard]] std::uint64_t hash(std::string_view tail) const {
    constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;
    std::uint64_t h = (kMul ^ size) * kMul;
    h = (h ^ head0) * kMul;
    h = (h ^ head1) * kMul;
    for (std::size_t i = 0; i < tail.size(); i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, tail.data() + i, std::min<std::size_t>(8, tail.size() - i));
      h = (h ^ w) * kMul;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    return h;
  }
};

// bytes 16.. of an id (empty for ids of up to 16 bytes)
inline std::string_view id_tail(std::string_view id) {
  return id.size() > 16 ? id.substr(16) : std::string_view();
}

// Ids mapped to values, the first insert of an id winning. Every connection or route edge looks
// an id up, so this is a flat table rather than std::unordered_map (node chains, prime-modulo
// buckets, an out-of-line hash, and keys that point back into the document): linear probing
// over a power-of-two table at most half full, each slot holding the IdKey of its id (the
// bytes of longer ids from 16 on packed together elsewhere) and its value, so that a lookup
// reads about one cache line.
template <typename Value>
class IdIndex {
 public:
  // room for `n` ids without growing
  void reserve(std::size_t n) {
    if (2 * n > slots_.size()) rehash(2 * n);
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  // the value of `id`, nullptr when absent
  [[nodiscard]] const Value* find(std::string_view id) const {
    if (size_ == 0) return nullptr;
    const IdKey key(id);
    const std::string_view tail = id_tail(id);
    for (std::size_t i = key.hash(tail) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (same(s, key, tail)) return &s.value;
    }
  }

  // the value of `id`, set to `value` first when absent (`inserted` says which)
  const Value& insert(std::string_view id, const Value& value, bool& inserted) {
    return insert(IdKey(id), id, value, inserted);
  }
  // same with `id` packed as `key` already
  const Value& insert(const IdKey& key, std::string_view id, const Value& value, bool& inserted) {
    if (2 * (size_ + 1) > slots_.size()) rehash(2 * (size_ + 1));
    const std::string_view tail = id_tail(id);
    for (std::size_t i = key.hash(tail) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        const auto tail_begin = static_cast<std::uint32_t>(tails_.size());
        s = {key.head0, key.head1, key.size, tail_begin, value, true};
        tails_.append(tail);
        ++size_;
        inserted = true;
        return s.value;
      }
      if (same(s, key, tail)) {
        inserted = false;
        return s.value;
      }
    }
  }
  // same, for callers that only need to know whether `id` was new
  bool insert(std::string_view id, const Value& value) {
    bool inserted = false;
    insert(id, value, inserted);
    return inserted;
  }

 private:
  // an id (an IdKey spelled out, so that the members pack into 32 bytes for int values) and
  // its value
  struct Slot {
    std::uint64_t head0 = 0;
    std::uint64_t head1 = 0;
    std::uint32_t size = 0;
    std::uint32_t tail_begin = 0;  // bytes 16.. of a longer id: tails_[tail_begin, + size - 16)
    Value value{};
    bool used = false;

    [[nodiscard]] IdKey key() const { return IdKey(head0, head1, size); }
  };

  [[nodiscard]] std::string_view tail_of(const Slot& s) const {
    return s.size > 16 ? std::string_view(tails_).substr(s.tail_begin, s.size - 16)
                       : std::string_view();
  }
  // true when slot `s` holds the id packed as `key` with bytes from 16 on `tail`
  [[nodiscard]] bool same(const Slot& s, const IdKey& key, std::string_view tail) const {
    return key.same_head(s.key()) && (tail.empty() || tail_of(s) == tail);
  }

  // a table of at least `min_slots` slots (1024 at least), the ids filed again
  void rehash(std::size_t min_slots) {
    std::size_t n = slots_.empty() ? 1024 : slots_.size();
    while (n < min_slots) n *= 2;
    std::vector<Slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    for (const Slot& s : old) {
      if (!s.used) continue;
      std::size_t i = s.key().hash(tail_of(s)) & mask_;
      while (slots_[i].used) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::string tails_;     // bytes 16.. of the longer ids, back to back
  std::size_t size_ = 0;  // ids held
  std::size_t mask_ = 0;  // slots_.size() - 1
};

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

// The offset of the first tag named one of `tags` ('<' and the name, then white space, '/' or
// '>') at or after `from`, npos when none: where a document may be cut into pieces.
inline std::size_t next_cut(std::string_view text, std::span<const std::string_view> tags,
                            std::size_t from) {
  while (from < text.size()) {
    const std::size_t at = text.find('<', from);
    if (at == std::string_view::npos) break;
    const std::string_view rest = text.substr(at + 1);
    for (const std::string_view tag : tags) {
      if (rest.size() > tag.size() && rest.substr(0, tag.size()) == tag) {
        const char c = rest[tag.size()];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>') return at;
      }
    }
    from = at + 1;
  }
  return std::string_view::npos;
}

// The text a document read in pieces leaves its names and values in (read_in_pieces()); it
// must outlive every view into them.
struct PieceText {
  std::string head;        // the head, with the root closed
  std::vector<char> body;  // a copy of the document, parsed in place piece by piece
  std::int64_t n_pieces = 0;
};

// Reads `text`, a document whose root element is `root`, as read_whole would, in pieces of
// about `piece_bytes`, each cut just before a tag named one of `cut_tags` (never nested in the
// documents read) and parsed in place (in storage.body) as a sequence of the root's children
// (pugixml's parse_fragment), into one tree that is cleared and reused: a whole tree takes
// several times the file and is walked once, from memory; a piece's tree stays in the cache and
// its memory is reused. The head (up to the first cut) is parsed with the root's end tag
// appended and the tail (from the last end tag of the root) with a start tag prepended, so
// that every part is checked as XML. Calls visit(child, base) for each child of the root in
// file order, `base` being the offset in `text` of the piece that Node::offset() counts from.
// False when the document cannot be cut so or a part does not parse (a cut inside a comment,
// CDATA or a processing instruction leaves the construct open; a syntax error; not UTF-8):
// what was visited is then to be dropped and the whole document read instead.
template <typename Visit>
bool read_in_pieces(std::string_view text, const std::string& root,
                    std::span<const std::string_view> cut_tags, std::size_t piece_bytes,
                    pugi::xml_encoding encoding, PieceText& storage, Visit&& visit) {
  const std::size_t first = next_cut(text, cut_tags, 0);
  const std::size_t close = text.rfind("</" + root);
  if (first == std::string_view::npos || close == std::string_view::npos || close < first) {
    return false;
  }
  pugi::xml_document doc;
  constexpr unsigned int kOptions = pugi::parse_default;
  // the head, alone under the root, in UTF-8 (the pieces cannot be converted alike)
  storage.head.assign(text.substr(0, first));
  storage.head += "</" + root + ">";
  const pugi::xml_parse_result head =
      doc.load_buffer_inplace(storage.head.data(), storage.head.size(), kOptions, encoding);
  const pugi::xml_node head_root = doc.document_element();
  if (!head || head.encoding != pugi::encoding_utf8 || !head_root || root != head_root.name()) {
    return false;
  }
  for (Node child = Node(head_root).first_child(); child; child = child.next_sibling()) {
    visit(child, std::size_t{0});
  }
  // the tail, after the last piece
  std::string tail = "<" + root + ">";
  tail += text.substr(close);
  if (!doc.load_buffer_inplace(tail.data(), tail.size(), kOptions, pugi::encoding_utf8))
    return false;
  // the pieces
  storage.body.assign(text.begin(), text.end());
  storage.n_pieces = 0;
  for (std::size_t begin = first; begin < close;) {
    const std::size_t end = std::min(next_cut(text, cut_tags, begin + piece_bytes), close);
    if (!doc.load_buffer_inplace(storage.body.data() + begin, end - begin,
                                 kOptions | pugi::parse_fragment, pugi::encoding_utf8)) {
      return false;
    }
    for (Node child = Node(doc).first_child(); child; child = child.next_sibling())
      visit(child, begin);
    ++storage.n_pieces;
    begin = end;
  }
  return true;
}

}  // namespace citytwin::mobility::sumo_xml
