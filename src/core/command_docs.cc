#include "src/core/command_docs.h"

#include <algorithm>
#include <map>

#include "resp/text.h"
#include "src/core/command.h"
#include "src/security/acl.h"

namespace dkv::server {
namespace {

std::vector<std::string_view> Tokenize(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ') {
      ++i;
    } else if (c == '[' || c == ']' || c == '(' || c == ')' || c == '|') {
      tokens.push_back(s.substr(i, 1));
      ++i;
    } else {
      size_t j = i;
      while (j < s.size() && s[j] != ' ' && s[j] != '[' && s[j] != ']' && s[j] != '(' &&
             s[j] != ')' && s[j] != '|') {
        ++j;
      }
      tokens.push_back(s.substr(i, j - i));
      i = j;
    }
  }
  return tokens;
}

bool IsUpperWord(std::string_view w) {
  bool letter = false;
  for (char c : w) {
    if (c >= 'A' && c <= 'Z') {
      letter = true;
    } else if (c != '-') {
      return false;
    }
  }
  return letter;
}

using text::ToLower;

std::string TypeOfValue(std::string_view name) {
  static const char* kKeys[] = {"key",    "key1",        "key2",    "newkey",
                                "source", "destination", "destkey", "sourcekey"};
  static const char* kInts[] = {"seconds",        "milliseconds",  "increment", "decrement",
                                "count",          "start",         "end",       "offset",
                                "index",          "index1",        "index2",    "db",
                                "destination-db", "min-match-len", "maxage",    "client-id",
                                "protover",       "cursor"};
  for (const char* k : kKeys) {
    if (name == k) return "key";
  }
  for (const char* k : kInts) {
    if (name == k) return "integer";
  }
  if (name == "longitude" || name == "latitude" || name == "radius" || name == "width" ||
      name == "height") {
    return "double";
  }
  if (name.substr(0, 9) == "unix-time") return "unix-time";
  if (name == "pattern") return "pattern";
  return "string";
}

class SyntaxParser {
 public:
  explicit SyntaxParser(std::string_view s) : tokens_(Tokenize(s)) {}

  std::vector<DocArg> Parse() { return Sequence(); }

 private:
  bool AtEnd() const { return pos_ >= tokens_.size(); }
  std::string_view Peek() const { return AtEnd() ? std::string_view() : tokens_[pos_]; }

  // alternatives: item* ('|' item*)*
  std::vector<DocArg> Sequence() {
    std::vector<std::vector<DocArg>> alternatives(1);
    while (!AtEnd() && Peek() != "]" && Peek() != ")") {
      if (Peek() == "|") {
        ++pos_;
        alternatives.emplace_back();
        continue;
      }
      Item(&alternatives.back());
    }
    if (alternatives.size() == 1) return std::move(alternatives[0]);
    DocArg oneof;
    oneof.type = "oneof";
    for (auto& alt : alternatives) {
      if (alt.size() == 1) {
        oneof.arguments.push_back(std::move(alt[0]));
      } else {
        DocArg block;
        block.type = "block";
        block.name = alt.empty() ? "block" : alt[0].name;
        block.arguments = std::move(alt);
        oneof.arguments.push_back(std::move(block));
      }
    }
    for (size_t i = 0; i < oneof.arguments.size() && i < 2; ++i) {
      oneof.name += (i ? "-" : "") + oneof.arguments[i].name;
    }
    return {std::move(oneof)};
  }

  void Item(std::vector<DocArg>* siblings) {
    std::string_view t = tokens_[pos_++];
    if (t == "[") {
      size_t start = pos_;
      bool repeats = false;
      std::vector<DocArg> inner = Sequence();
      if (pos_ > start && tokens_[pos_ - 1] == "..." && !inner.empty() &&
          inner.back().name == "...") {
        inner.pop_back();
        repeats = true;
      }
      if (!AtEnd()) ++pos_;  // ']'
      if (repeats) return MarkRepeated(siblings, std::move(inner));
      if (inner.size() == 1) {
        inner[0].optional = true;
        siblings->push_back(std::move(inner[0]));
      } else if (!inner.empty()) {
        DocArg block;
        block.type = "block";
        block.name = inner[0].name;
        block.optional = true;
        block.arguments = std::move(inner);
        siblings->push_back(std::move(block));
      }
    } else if (t == "(") {
      std::vector<DocArg> inner = Sequence();
      if (!AtEnd()) ++pos_;  // ')'
      for (auto& a : inner) siblings->push_back(std::move(a));
    } else if (t == "...") {
      DocArg dots;
      dots.name = "...";
      siblings->push_back(std::move(dots));
    } else if (IsUpperWord(t)) {
      std::string_view next = Peek();
      if (next == "(") {
        ++pos_;
        std::vector<DocArg> inner = Sequence();
        if (!AtEnd()) ++pos_;
        if (inner.size() == 1) {
          inner[0].token = std::string(t);
          inner[0].name = ToLower(t);
          siblings->push_back(std::move(inner[0]));
        }
      } else if (!next.empty() && next != "[" && next != "]" && next != "(" && next != ")" &&
                 next != "|" && next != "..." && !IsUpperWord(next)) {
        ++pos_;
        DocArg arg;
        arg.name = std::string(next);
        arg.type = TypeOfValue(next);
        arg.token = std::string(t);
        siblings->push_back(std::move(arg));
      } else {
        DocArg arg;
        arg.name = ToLower(t);
        arg.type = "pure-token";
        arg.token = std::string(t);
        siblings->push_back(std::move(arg));
      }
    } else {
      DocArg arg;
      arg.name = std::string(t);
      arg.type = TypeOfValue(t);
      siblings->push_back(std::move(arg));
    }
  }

  // "key [key ...]": the bracket repeats the siblings just before it.
  static void MarkRepeated(std::vector<DocArg>* siblings, std::vector<DocArg> repeated) {
    size_t n = repeated.size();
    bool same = n > 0 && siblings->size() >= n;
    for (size_t i = 0; same && i < n; ++i) {
      same = (*siblings)[siblings->size() - n + i].name == repeated[i].name;
    }
    if (!same) {
      // "[argument ...]" with nothing before it: optional and repeatable.
      for (auto& a : repeated) {
        a.optional = a.multiple = true;
        siblings->push_back(std::move(a));
      }
      return;
    }
    if (n == 1) {
      siblings->back().multiple = true;
      return;
    }
    DocArg block;
    block.type = "block";
    block.name = "data";
    block.multiple = true;
    block.arguments.assign(std::make_move_iterator(siblings->end() - static_cast<long>(n)),
                           std::make_move_iterator(siblings->end()));
    siblings->resize(siblings->size() - n);
    siblings->push_back(std::move(block));
  }

  std::vector<std::string_view> tokens_;
  size_t pos_ = 0;
};

// The keys column of docs/commands.md: each key spec, its positions and flags.
std::string KeysColumn(const CommandSpec& spec) {
  std::string out;
  for (const KeySpec& s : spec.keys.all()) {
    if (!out.empty()) out += "; ";
    if (s.keynum) {
      out += "numkeys at " + std::to_string(s.index + s.keynumidx);
      if (s.keystep != 1) out += ", step " + std::to_string(s.keystep);
    } else if (s.unknown) {
      out += "unknown";
    } else if (!s.keyword.empty()) {
      out += "after " + std::string(s.keyword);
    } else {
      const int last = s.lastkey < 0 ? s.lastkey : s.index + s.lastkey;
      out +=
          std::to_string(s.index) + ", " + std::to_string(last) + ", " + std::to_string(s.keystep);
    }
    for (std::string_view name : KeyFlagNames(s.flags)) out += " " + std::string(name);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::vector<DocArg> ParseSyntax(std::string_view syntax) { return SyntaxParser(syntax).Parse(); }

std::string CommandDocsMarkdown() {
  std::string md =
      "# dkv command reference\n\n"
      "Generated from the command table (`src/commands/command_table.cc`) by\n"
      "`dkv-server --gen-command-docs`; do not edit by hand. Semantics, replies and error texts\n"
      "are Redis 7.2's unless [differences.md](differences.md) says otherwise. Arity: N means\n"
      "exactly N words including the command name, -N at least N. Keys: the key specs, each as\n"
      "first, last (-1 = the last argument) and step, or `numkeys at I` (a count at argument I,\n"
      "then the keys), with Redis 7's key flags (RO, RW, OW, RM; access = the command reads the\n"
      "value).\n\n"
      "Client-side caching (`CLIENT TRACKING`): the invalidation messages, their RESP2 and RESP3\n"
      "shapes and dkv's prefix invalidation (one message for a subtree delete, pattern reads)\n"
      "are in [client-tracking.md](client-tracking.md).\n";
  std::map<std::string_view, std::vector<const CommandSpec*>> groups;
  std::vector<std::string_view> order;
  for (const CommandSpec& spec : CommandTable()) {
    if (groups.find(spec.group) == groups.end()) order.push_back(spec.group);
    groups[spec.group].push_back(&spec);
  }
  for (std::string_view group : order) {
    md += "\n## " + std::string(group) + "\n\n";
    md += "| command | arity | keys | since | summary | complexity |\n";
    md += "|---|---|---|---|---|---|\n";
    for (const CommandSpec* spec : groups[group]) {
      std::string name = text::ToUpper(spec->name);
      std::replace(name.begin(), name.end(), '|', ' ');
      std::string usage = name;
      if (!spec->syntax.empty()) usage += " " + std::string(spec->syntax);
      std::string escaped;
      for (char c : usage) {
        if (c == '|') escaped += '\\';
        escaped += c;
      }
      std::string keys = KeysColumn(*spec);
      md += "| `" + escaped + "` | " + std::to_string(spec->arity) + " | " + keys + " | " +
            std::string(spec->since) + " | " + std::string(spec->summary) + " | " +
            std::string(spec->complexity) + " |\n";
    }
  }
  md += R"(
## Hierarchical keys: patterns and examples

A key is a path of segments joined by the separator (`key-separator`, `.` by default). The `KV.*`
commands take a hierarchical glob: `*` matches within one segment, `**` across segments, `?` one
character other than the separator, `[abc]`, `[a-z]`, `[!a-c]`/`[^a-c]` one character (never the
separator), `{dev,prod}` alternatives (which may hold other tokens), `\x` a literal `x`. `NOCASE`
ignores case. A malformed pattern (unclosed `[` or `{`, longer than 16 KiB) is refused with
`-ERR invalid pattern: <why>`. `KEYS` and `SCAN MATCH` keep Redis' glob, where `*` also crosses
separators. Every command visits only the keys that start with the pattern's literal prefix.

```text
> MSET app.config.debug 1 app.config.database.host db1 app.config.database.port 5432
> MSET app.dev.config a app.prod.config b user.7.settings s
> KV.KEYS app.config.*                  # one segment below app.config
1) "app.config.debug"
> KV.KEYS **.database.**                # anywhere in the tree
1) "app.config.database.host"
2) "app.config.database.port"
> KV.KEYS app.{dev,prod}.config
1) "app.dev.config"
2) "app.prod.config"
> KV.KEYS app.** LIMIT 2                # byte order, at most 2
1) "app.config.database.host"
2) "app.config.database.port"
> KV.COUNT app.**                       # a subtree: answered from the tree's counts
(integer) 5
> KV.MGET app.*.config                  # key/value pairs (a map in RESP3)
1) "app.dev.config"
2) "a"
3) "app.prod.config"
4) "b"
> KV.TREE app                           # children: [path, keys below, has a value itself]
1) 1) "app.config"
   2) (integer) 3
   3) (integer) 0
2) 1) "app.dev"
   2) (integer) 1
   3) (integer) 0
3) 1) "app.prod"
   2) (integer) 1
   3) (integer) 0
> KV.TREE app DEPTH 2                   # also their children, all in byte order
> KV.SCAN 0 MATCH app.** COUNT 2        # [next cursor, keys]; cursor 0 starts and ends
1) "1"
2) 1) "app.config.database.host"
   2) "app.config.database.port"
> KV.DEL app.config.**                  # a subtree leaves at once, whatever its size
(integer) 3
```

`KV.DEL` of a subtree pattern (`prefix**`) detaches the whole subtree from the index in time
proportional to the prefix length: every client sees all of it or none of it, and its memory is
freed in the background in small slices. Other patterns delete the matching keys one by one.
`KV.COUNT` of a subtree pattern, like `DBSIZE`, may include keys whose TTL has passed but that the
expiry cycle has not removed yet (at most one cycle, 1/hz seconds).

SCAN and KV.SCAN cursors name the last key returned; the server keeps the newest 16,384 of them.
An older cursor, or one from before a restart, answers `-ERR invalid cursor`.
)";
  md += R"(
## Values with types and metadata

Every key carries metadata, kept by every command that writes it, Redis' own included:

| field | meaning |
|---|---|
| `type` | `string` (what Redis commands write), `json`, `binary`, `number` (the INCR family writes it), `boolean`, `document`, `image`, `custom`; `hash` or `set` for a hash or a set |
| `version` | 1 when created, +1 at every change of the value; TTL and metadata changes leave it |
| `created_at`, `updated_at`, `accessed_at` | Unix time in ms of creation, of the last value change, of the last read |
| `size` | the value's length in bytes; for a hash or a set, its number of elements |
| `checksum` | XXH3-64 of the value, 16 hex digits (the same as `DIGEST`); for a hash or a set, of its canonical form (below) |
| `content_type` | free text such as `application/json`, or nil |
| `user` | a map of user fields (owner, tags, ...), kept only for keys that have some |

```text
> KV.SET app.config.port 5432 TYPE number META owner ops content_type text/plain EX 3600
OK
> KV.GET app.config.port                # value + metadata (a map in RESP3)
 1) "value"        2) "5432"
 3) "type"         4) "number"
 5) "version"      6) (integer) 1
 7) "ttl_ms"       8) (integer) 3599998
 9) "created_at"  10) (integer) 1795686481095
   ...
19) "user"        20) 1) "owner" 2) "ops"
> KV.SET app.config.port 5433 TYPE number IFVERSION 1   # only if nobody wrote meanwhile
OK
> KV.SET app.config.port x TYPE number
(error) ERR invalid value for type number: value is not a number
> KV.CAS app.config.port 5433 5434      # 1 swapped, 0 the value differed or the key is missing
(integer) 1
> KV.SETMETA app.config.port owner dba  # content_type as a field name sets the content type
(integer) 1
> KV.DELMETA app.config.port owner
(integer) 1
> KV.IMPORT app.db '{"host":"db1","port":5432,"tls":true,"replicas":["r1","r2"]}'
(integer) 4
> KV.EXPORT app.db.**
"{\"app\":{\"db\":{\"host\":\"db1\",\"port\":5432,\"replicas\":[\"r1\",\"r2\"],\"tls\":true}}}"
> KV.CLEANUP                            # expired keys removed now
(integer) 0
> SELECT tenant42                       # a named namespace, created on first use
OK
> KV.NAMESPACES
1) "0"
2) (integer) 9
3) "tenant42"
4) (integer) 0
```

`KV.SET` options: `TYPE t` validates the value (`number` must parse as a number, `json` as JSON,
`boolean` must be `true` or `false`); `META field value ...` merges user fields (stop words: the
option names, so such field names go through `KV.SETMETA`); `EX | PX | EXAT | PXAT | KEEPTTL` as
in `SET`; `NX | XX`; `IFVERSION v` writes only at version `v` (`0`: only if the key does not
exist). Keys written by `KV.*` commands must not have empty segments (`a..b`, `.a`, `a.`).

`KV.IMPORT prefix json [EX s]` flattens a JSON object into keys under `prefix`: strings become
`string` keys, numbers `number`, booleans `boolean`; arrays, `null` and empty objects are kept
whole as `json` keys. A member name holding the separator is refused, and so is invalid JSON;
nothing is written unless everything can be. Every key repeats the prefix and its ancestors'
names, so the import is bounded: no key longer than `proto-max-bulk-len`, and the keys and values
together at most 8 times the size of the prefix and the document plus 1 MB (an error naming the
limit, nothing written). `KV.EXPORT pattern` nests the matching keys by
segment and turns each value back by its type. When a path is both a value and a parent
(`a.b` and `a.b.c`), the value is exported under the member `""` (`{"a":{"b":{"":1,"c":2}}}`),
and `KV.IMPORT` reads `""` back the same way, so export and import round-trip losslessly.

Hashes, sets, lists and sorted sets (`HSET`, `SADD`, `RPUSH`, `ZADD`) carry the same metadata
and show as JSON: `KV.GET` and `KV.META` give `type` `hash`, `set`, `list` or `zset`, `size` the
number of fields, members or elements, and the value (`KV.GET`, `KV.MGET`, `KV.EXPORT`, the HTTP
API) a JSON object of fields and values for a hash, a JSON array of members for a set (both in
byte order, so that the same contents always look the same), a JSON array of the elements in
list order for a list, and a JSON object of members and their scores (numbers; `inf` and `-inf`,
which JSON cannot write, as the strings `"inf"` and `"-inf"`) for a sorted set, its members in
byte order. A stream (`XADD`) has `type` `stream`, `size` its number of entries, and shows as a
JSON array of its entries in ID order, each `{"fields": ["field", "value", ...], "id": "1-1"}`
(fields and values alternating, as `XRANGE` gives them, since an entry may repeat a field; its
consumer groups are not shown). Bytes that are not UTF-8 become U+FFFD, as for strings in
`KV.EXPORT`. The checksum
of a container is XXH3-64 of its canonical form: one byte `0x01` for a hash, `0x04` for a set,
`0x07` for a list, `0x09` for a sorted set, then the number of items (a hash has two per field,
a sorted set two per member) and each item (field then value, or member, in byte order; a list's
elements in order; a sorted set's member then score, by score then member, the score as the
portable form writes it, [snapshot-format.md](snapshot-format.md)), each number an unsigned
LEB128 varint and each item its length as a varint followed by its bytes; equal contents give
equal checksums whatever their encoding or history (a stream's canonical form is its portable
form, groups included). `KV.KEYS`, `KV.COUNT`, `KV.TREE`, `KV.SCAN`
and `KV.DEL` see a container as one key like any other; `KV.SET` and `KV.IMPORT` overwrite one
as `SET` does, and `KV.SETMETA`/`KV.DELMETA` work on it. `KV.CAS`, which compares string values,
answers `WRONGTYPE` on a container, as `DIGEST`, `DELEX IFxx` and `SET IFxx` do. `KV.IMPORT`
does not create containers: the JSON a hash or a sorted set exports as is imported as nested
keys, and a set's or a list's array as one `json` key.

Conditional writes are described in [conditional-writes.md](conditional-writes.md).
)";
  return md;
}

std::string SecurityDocsMarkdown() {
  std::string md =
      "# dkv commands and their access checks\n\n"
      "Generated from the command table (`src/commands/command_table.cc`: categories and tenancy\n"
      "in each row) by `dkv-server --gen-security-docs`; do not edit by hand\n"
      "([security.md](security.md) explains users and namespaces). Every command first needs\n"
      "authentication (unless marked *before AUTH*), then the user's command rules\n"
      "(its categories below), then: a read-only user runs no command marked *write*, and a user\n"
      "bound to namespaces stays in them by the check in the last column. A command that names\n"
      "keys reaches them only in the session's namespace, and a session's namespace is always\n"
      "one of its user's: AUTH moves it to the user's first namespace, SELECT refuses the "
      "others.\n\n"
      "| command | categories | write | check |\n|---|---|---|---|\n";
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.handler == nullptr) continue;
    std::string cats;
    for (std::string_view c : Acl::Categories()) {
      if (c == "all" || !Acl::InCategory(spec, c)) continue;
      if (!cats.empty()) cats += " ";
      cats += "@" + std::string(c);
    }
    std::string name = text::ToUpper(spec.name);
    std::replace(name.begin(), name.end(), '|', ' ');
    std::string check(TenancyText(spec.tenancy));
    if (spec.flags & kNoAuth) check += "; before AUTH";
    md += "| " + name + " | " + cats + " | " + ((spec.flags & kWrite) ? "write" : "") + " | " +
          check + " |\n";
  }
  return md;
}

}  // namespace dkv::server
