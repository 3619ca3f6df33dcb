// The function library registry. See functions.h.
#include "src/scripting/functions.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <strings.h>

#include <cstring>
#include <utility>

#include "engine/pattern.h"
#include "resp/text.h"
#include "src/core/server_state.h"
#include "src/scripting/lua_guards.h"
#include "src/scripting/lua_sandbox.h"
#include "src/tools/rdb_file.h"

namespace dkv::server {
namespace {

constexpr char kRegistryKey[] = "dkv.functions";
// What a library's code may take at load (Redis' LOAD_TIMEOUT_MS).
constexpr int64_t kLoadTimeoutMs = 500;
constexpr int kLoadHookInstructions = 100000;
// RDB: the function opcode (and the pre-GA one Redis refuses), the version FUNCTION DUMP writes
// (as DUMP does: Redis 7.0's) and the newest FUNCTION RESTORE reads (Redis 7.2's).
constexpr uint8_t kOpcodeFunction2 = 245;
constexpr uint8_t kOpcodeFunctionPreGa = 246;
constexpr uint16_t kDumpRdbVersion = 10;
constexpr uint16_t kMaxRdbVersion = 11;

struct FlagName {
  uint32_t flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kFnNoWrites, "no-writes"},
    {kFnAllowOom, "allow-oom"},
    {kFnAllowStale, "allow-stale"},
    {kFnNoCluster, "no-cluster"},
    {kFnAllowCrossSlot, "allow-cross-slot-keys"},
};

constexpr std::string_view kBadName =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Splits the shebang line into words as Redis' sdssplitargs does for the simple cases: spaces
// separate, "..." and '...' quote (with \ escapes inside double quotes). False when unbalanced.
bool SplitWords(std::string_view line, std::vector<std::string>* words) {
  size_t i = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size()) return true;
    std::string word;
    char quote = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (quote == 0) {
        if (c == ' ' || c == '\t' || c == '\r') break;
        if (c == '"' || c == '\'') {
          quote = c;
          continue;
        }
        word.push_back(c);
      } else if (c == quote) {
        quote = 0;
        // A closing quote must be followed by a space or the end.
        if (i + 1 < line.size() && line[i + 1] != ' ' && line[i + 1] != '\t') return false;
      } else if (quote == '"' && c == '\\' && i + 1 < line.size()) {
        word.push_back(line[++i]);
      } else {
        word.push_back(c);
      }
    }
    if (quote != 0) return false;
    words->push_back(std::move(word));
  }
}

// The shebang: "#!<engine> name=<library>". Returns false with the error reply in *error.
bool ParseMetadata(std::string_view payload, std::string* engine, std::string* name,
                   size_t* code_at, std::string* error) {
  if (payload.substr(0, 2) != "#!") {
    *error = "ERR Missing library metadata";
    return false;
  }
  size_t eol = payload.find('\n');
  std::vector<std::string> words;
  if (eol == std::string_view::npos || !SplitWords(payload.substr(0, eol), &words) ||
      words.empty()) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  *engine = words[0].substr(2);
  bool named = false;
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i].size() >= 5 && text::ToLower(words[i].substr(0, 5)) == "name=") {
      if (named) {
        *error = "ERR Invalid metadata value, name argument was given multiple times";
        return false;
      }
      *name = words[i].substr(5);
      named = true;
      continue;
    }
    *error = "ERR Invalid metadata value given: " + words[i];
    return false;
  }
  if (!named) {
    *error = "ERR Library name was not given";
    return false;
  }
  *code_at = eol;  // the newline stays: line numbers count from the shebang
  return true;
}

// Reads an RDB length at `*pos`; false when the bytes end first. *encoded says it is a special
// encoding (its number in *len).
bool ReadLength(std::string_view d, size_t* pos, uint64_t* len, bool* encoded) {
  if (*pos >= d.size()) return false;
  auto b = static_cast<unsigned char>(d[(*pos)++]);
  *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3F;
      return true;
    case 1:
      if (*pos >= d.size()) return false;
      *len = (static_cast<uint64_t>(b & 0x3F) << 8) | static_cast<unsigned char>(d[(*pos)++]);
      return true;
    case 3:
      *encoded = true;
      *len = b & 0x3F;
      return true;
    default: {
      size_t n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (n == 0 || d.size() - *pos < n) return false;
      *len = 0;
      for (size_t i = 0; i < n; ++i) *len = (*len << 8) | static_cast<unsigned char>(d[(*pos)++]);
      return true;
    }
  }
}

// Reads one RDB string at `*pos` (any encoding: plain, integer, LZF) into *out.
bool ReadRdbString(std::string_view d, size_t* pos, uint64_t max_bytes, std::string* out) {
  size_t start = *pos;
  uint64_t len;
  bool encoded;
  if (!ReadLength(d, pos, &len, &encoded)) return false;
  uint64_t skip = len;
  if (encoded) {
    if (len <= 2) {
      skip = uint64_t{1} << len;  // 8, 16 or 32 bits
    } else if (len == 3) {
      uint64_t clen, ulen;
      bool e1, e2;
      if (!ReadLength(d, pos, &clen, &e1) || !ReadLength(d, pos, &ulen, &e2) || e1 || e2) {
        return false;
      }
      skip = clen;
    } else {
      return false;
    }
  }
  if (d.size() - *pos < skip) return false;
  *pos += static_cast<size_t>(skip);
  // The string's bytes, decoded by the RDB reader as a string value (type 0).
  std::string value(1, '\0');
  value.append(d.substr(start, *pos - start));
  rdb::RdbKey key;
  if (!rdb::DecodeRdbValue(value, &key, max_bytes).empty() || key.type != "string") return false;
  *out = std::move(key.value);
  return true;
}

}  // namespace

void FunctionLibraries::Attach(lua_State* L) {
  lua_ = L;
  libraries_.clear();
  by_name_.clear();
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kRegistryKey);
  // The globals proxy's metatable: its __index (the runtime lookup) is kept, and the upvalue of
  // that lookup is the real globals table, where the runtime `redis` is.
  lua_getmetatable(L, LUA_GLOBALSINDEX);
  lua_getfield(L, -1, "__index");
  lua_pushvalue(L, -1);
  run_index_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getupvalue(L, -1, 1);  // the real globals
  lua_getfield(L, -1, "redis");
  int runtime_redis = lua_gettop(L);
  // The load API: redis = {register_function, log, LOG_*, REDIS_VERSION, REDIS_VERSION_NUM}.
  lua_newtable(L);
  int api = lua_gettop(L);
  lua_pushcfunction(L, LuaRegisterFunction);
  lua_setfield(L, api, "register_function");
  for (const char* name : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                           "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(L, runtime_redis, name);
    lua_setfield(L, api, name);
  }
  lua::PushReadOnlyProxy(L, api, true);  // strict: an unknown name is an error
  lua_newtable(L);
  int load_globals = lua_gettop(L);
  lua_pushvalue(L, -2);
  lua_setfield(L, load_globals, "redis");
  lua::PushReadOnlyProxy(L, load_globals, true);
  lua_getmetatable(L, -1);
  lua_getfield(L, -1, "__index");  // the strict lookup into load_globals
  load_index_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
}

void FunctionLibraries::SwitchGlobals(int index_ref) {
  lua_getmetatable(lua_, LUA_GLOBALSINDEX);
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, index_ref);
  lua_setfield(lua_, -2, "__index");
  lua_pop(lua_, 1);
}

void FunctionLibraries::LoadHook(lua_State* L, lua_Debug*) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryKey);
  auto* self = static_cast<FunctionLibraries*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (self->load_timed_out_ ||
      self->state_->clock->NowMs() - self->load_start_ms_ >= kLoadTimeoutMs) {
    self->load_timed_out_ = true;
    lua_sethook(L, LoadHook, LUA_MASKCOUNT, 1);  // no pcall can swallow it for long
    lua::PushSingleField(L, "err", "ERR FUNCTION LOAD timeout");
    lua_error(L);
  }
}

int FunctionLibraries::LuaRegisterFunction(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryKey);
  auto* self = static_cast<FunctionLibraries*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (!self->Register(L)) return lua_error(L);
  return 0;
}

// redis.register_function(name, callback) or redis.register_function{function_name=...,
// callback=..., flags={...}, description=...}. No C++ object is alive when the caller raises.
bool FunctionLibraries::Register(lua_State* L) {
  auto fail = [&](const char* message) {
    lua::PushSingleField(L, "err", std::string("ERR ") + message);
    return false;
  };
  if (loading_ == nullptr) {
    return fail("redis.register_function can only be called on FUNCTION LOAD command");
  }
  int argc = lua_gettop(L);
  if (argc < 1 || argc > 2) return fail("wrong number of arguments to redis.register_function");
  FunctionDef def;
  if (argc == 2) {
    if (!lua_isstring(L, 1))
      return fail("first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2)) {
      return fail("second argument to redis.register_function must be a function");
    }
    size_t len;
    const char* s = lua_tolstring(L, 1, &len);
    def.name.assign(s, len);  // a NUL inside is kept (and makes the name invalid)
    lua_pushvalue(L, 2);
  } else {
    if (!lua_istable(L, 1)) {
      return fail(
          "calling redis.register_function with a single argument is only applicable to Lua "
          "table (representing named arguments).");
    }
    bool named = false;
    bool callback = false;
    lua_settop(L, 1);
    lua_pushnil(L);  // index 2: the callback, once given
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
      if (!lua_isstring(L, -2)) {
        return fail("named argument key given to redis.register_function is not a string");
      }
      std::string key = text::ToLower(lua_tostring(L, -2));
      if (key == "function_name") {
        if (!lua_isstring(L, -1)) {
          return fail("function_name argument given to redis.register_function must be a string");
        }
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        def.name.assign(s, len);
        named = true;
      } else if (key == "description") {
        if (!lua_isstring(L, -1)) {
          return fail("description argument given to redis.register_function must be a string");
        }
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        def.description.assign(s, len);
        def.has_description = true;
      } else if (key == "callback") {
        if (!lua_isfunction(L, -1)) {
          return fail("callback argument given to redis.register_function must be a function");
        }
        lua_pushvalue(L, -1);
        lua_replace(L, 2);
        callback = true;
      } else if (key == "flags") {
        if (!lua_istable(L, -1)) {
          return fail(
              "flags argument to redis.register_function must be a table representing function "
              "flags");
        }
        for (int j = 1;; ++j) {
          lua_rawgeti(L, -1, j);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          const char* flag = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
          uint32_t bit = 0;
          for (const FlagName& f : kFlagNames) {
            if (flag != nullptr && strcasecmp(flag, f.name) == 0) bit = f.flag;
          }
          lua_pop(L, 1);
          if (bit == 0) return fail("unknown flag given");
          def.flags |= bit;
        }
      } else {
        return fail("unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (!named) return fail("redis.register_function must get a function name argument");
    if (!callback) return fail("redis.register_function must get a callback argument");
    lua_pushvalue(L, 2);
  }
  if (!ValidName(def.name)) return fail(std::string(kBadName).c_str());
  // Case matters within a library (FCALL's lookup ignores it; the first registered wins).
  for (const FunctionDef& f : loading_->functions) {
    if (f.name == def.name) return fail("Function already exists in the library");
  }
  def.ref = luaL_ref(L, LUA_REGISTRYINDEX);  // the callback on top
  loading_->functions.push_back(std::move(def));
  return true;
}

bool FunctionLibraries::Create(std::string_view payload, FunctionLibrary* lib, std::string* error) {
  std::string engine;
  size_t code_at = 0;
  if (!ParseMetadata(payload, &engine, &lib->name, &code_at, error)) return false;
  if (!ValidName(lib->name)) {
    *error = "ERR " + std::string(kBadName);
    return false;
  }
  if (text::ToLower(engine) != "lua") {
    *error = "ERR Engine '" + engine + "' not found";
    return false;
  }
  lib->code = std::string(payload);
  std::string_view code = payload.substr(code_at);
  lua_State* L = lua_;
  lua_settop(L, 0);
  if (LuaGuards::Load(L, code.data(), code.size(), "@user_function") != 0) {
    *error = std::string("ERR Error compiling function: ") + lua_tostring(L, -1);
    lua_settop(L, 0);
    return false;
  }
  // Run it in the load sandbox, under the load timeout.
  lua_Hook hook = lua_gethook(L);
  int mask = lua_gethookmask(L);
  int count = lua_gethookcount(L);
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, kLoadHookInstructions);
  load_start_ms_ = state_->clock->NowMs();
  load_timed_out_ = false;
  loading_ = lib;
  SwitchGlobals(load_index_ref_);
  int rc = lua_pcall(L, 0, 0, 0);
  SwitchGlobals(run_index_ref_);
  loading_ = nullptr;
  lua_sethook(L, hook, mask, count);
  if (rc != 0) {
    std::string message;
    if (lua_istable(L, -1)) {
      lua::RawField(L, -1, "err");
      const char* err = lua_tostring(L, -1);
      message = err != nullptr ? err : "ERR unknown error";
    } else {
      const char* err = lua_tostring(L, -1);
      message = std::string("ERR ") + (err != nullptr ? err : "unknown error");
    }
    lua_settop(L, 0);
    *error = "ERR Error registering functions: " + message;
    Release(*lib);
    return false;
  }
  lua_settop(L, 0);
  if (lib->functions.empty()) {
    *error = "ERR No functions registered";
    return false;
  }
  return true;
}

void FunctionLibraries::Release(FunctionLibrary& lib) {
  for (FunctionDef& f : lib.functions) {
    if (lua_ != nullptr) luaL_unref(lua_, LUA_REGISTRYINDEX, f.ref);
    f.ref = LUA_NOREF;
  }
  lib.functions.clear();
}

void FunctionLibraries::Reindex() {
  by_name_.clear();
  for (const auto& [name, lib] : libraries_) {
    for (const FunctionDef& f : lib.functions) by_name_.emplace(text::ToLower(f.name), &f);
  }
}

const FunctionDef* FunctionLibraries::Find(std::string_view name) const {
  auto it = by_name_.find(text::ToLower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

bool FunctionLibraries::Load(std::string_view payload, bool replace, std::string* name,
                             std::string* error) {
  FunctionLibrary lib;
  std::string engine;
  size_t code_at;
  // The metadata is checked before anything runs (an existing library is an error then).
  if (!ParseMetadata(payload, &engine, name, &code_at, error)) return false;
  if (ValidName(*name) && text::ToLower(engine) == "lua" && !replace &&
      libraries_.count(*name) != 0) {
    *error = "ERR Library '" + *name + "' already exists";
    return false;
  }
  if (!Create(payload, &lib, error)) {
    Release(lib);
    return false;
  }
  for (const FunctionDef& f : lib.functions) {
    const FunctionDef* old = Find(f.name);
    if (old == nullptr) continue;
    auto same = libraries_.find(lib.name);
    bool in_replaced = same != libraries_.end() && old >= same->second.functions.data() &&
                       old < same->second.functions.data() + same->second.functions.size();
    if (!in_replaced) {
      *error = "ERR Function " + f.name + " already exists";
      Release(lib);
      return false;
    }
  }
  if (auto it = libraries_.find(lib.name); it != libraries_.end()) {
    Release(it->second);
    libraries_.erase(it);
  }
  *name = lib.name;
  libraries_.emplace(lib.name, std::move(lib));
  Reindex();
  state_->keyspace.NoteNonKeyChange();
  return true;
}

bool FunctionLibraries::Delete(std::string_view name) {
  auto it = libraries_.find(std::string(name));
  if (it == libraries_.end()) return false;
  Release(it->second);
  libraries_.erase(it);
  Reindex();
  state_->keyspace.NoteNonKeyChange();
  return true;
}

void FunctionLibraries::Flush() {
  for (auto& [name, lib] : libraries_) Release(lib);
  libraries_.clear();
  by_name_.clear();
  state_->keyspace.NoteNonKeyChange();
}

std::string FunctionLibraries::Dump() const {
  std::string out;
  for (const auto& [name, lib] : libraries_) {
    out.push_back(static_cast<char>(kOpcodeFunction2));
    rdb::PutRdbLength(&out, lib.code.size());
    out.append(lib.code);
  }
  rdb::AppendDumpFooter(&out, kDumpRdbVersion);
  return out;
}

bool FunctionLibraries::Restore(std::string_view payload, RestorePolicy policy,
                                std::string* error) {
  if (!rdb::DumpFooterOk(payload, kMaxRdbVersion)) {
    *error = "ERR DUMP payload version or checksum are wrong";
    return false;
  }
  // Every library of the payload is created first, apart; then joined.
  std::vector<FunctionLibrary> loaded;
  auto fail = [&](std::string message) {
    for (FunctionLibrary& lib : loaded) Release(lib);
    *error = std::move(message);
    return false;
  };
  std::string_view body = payload.substr(0, payload.size() - 10);
  uint64_t max_bytes = static_cast<uint64_t>(state_->config.proto_max_bulk_len);
  for (size_t pos = 0; pos < body.size();) {
    auto type = static_cast<uint8_t>(body[pos++]);
    if (type == kOpcodeFunctionPreGa) return fail("ERR Pre-GA function format not supported");
    if (type != kOpcodeFunction2) return fail("ERR given type is not a function");
    std::string code;
    if (!ReadRdbString(body, &pos, max_bytes, &code)) {
      return fail("ERR Failed loading library payload");
    }
    FunctionLibrary lib;
    std::string err;
    if (!Create(code, &lib, &err)) {
      Release(lib);
      return fail(err);
    }
    for (const FunctionLibrary& other : loaded) {
      if (other.name == lib.name) {
        Release(lib);
        return fail("ERR Library '" + lib.name + "' already exists");
      }
      for (const FunctionDef& f : lib.functions) {
        for (const FunctionDef& g : other.functions) {
          if (text::ToLower(f.name) == text::ToLower(g.name)) {
            Release(lib);
            return fail("ERR Function " + f.name + " already exists");
          }
        }
      }
    }
    loaded.push_back(std::move(lib));
  }
  if (policy != RestorePolicy::kFlush) {
    for (const FunctionLibrary& lib : loaded) {
      if (policy == RestorePolicy::kAppend && libraries_.count(lib.name) != 0) {
        return fail("ERR Library " + lib.name + " already exists");
      }
    }
    for (const FunctionLibrary& lib : loaded) {
      for (const FunctionDef& f : lib.functions) {
        const FunctionDef* old = Find(f.name);
        if (old == nullptr) continue;
        // A function of a library this restore replaces does not collide.
        bool replaced = false;
        for (const FunctionLibrary& l : loaded) {
          auto it = libraries_.find(l.name);
          if (it == libraries_.end()) continue;
          const auto& fs = it->second.functions;
          if (old >= fs.data() && old < fs.data() + fs.size()) replaced = true;
        }
        if (!replaced) return fail("ERR Function " + f.name + " already exists");
      }
    }
  }
  if (policy == RestorePolicy::kFlush) {
    for (auto& [name, lib] : libraries_) Release(lib);
    libraries_.clear();
  }
  for (FunctionLibrary& lib : loaded) {
    if (auto it = libraries_.find(lib.name); it != libraries_.end()) {
      Release(it->second);
      libraries_.erase(it);
    }
    std::string name = lib.name;
    libraries_.emplace(std::move(name), std::move(lib));
  }
  Reindex();
  state_->keyspace.NoteNonKeyChange();
  return true;
}

void FunctionLibraries::List(resp::ReplyBuilder& reply, const std::string* pattern,
                             bool with_code) const {
  std::vector<const FunctionLibrary*> shown;
  std::string glob = pattern != nullptr ? text::ToLower(*pattern) : "";
  for (const auto& [name, lib] : libraries_) {
    if (pattern != nullptr && !engine::RedisGlobMatch(glob, text::ToLower(name))) continue;
    shown.push_back(&lib);
  }
  reply.ArrayHeader(shown.size());
  for (const FunctionLibrary* lib : shown) {
    reply.MapHeader(with_code ? 4 : 3);
    reply.Bulk("library_name");
    reply.Bulk(lib->name);
    reply.Bulk("engine");
    reply.Bulk("LUA");
    reply.Bulk("functions");
    reply.ArrayHeader(lib->functions.size());
    for (const FunctionDef& f : lib->functions) {
      reply.MapHeader(3);
      reply.Bulk("name");
      reply.Bulk(f.name);
      reply.Bulk("description");
      if (f.has_description) {
        reply.Bulk(f.description);
      } else {
        reply.Null();
      }
      reply.Bulk("flags");
      size_t n = 0;
      for (const FlagName& flag : kFlagNames) n += (f.flags & flag.flag) ? 1 : 0;
      reply.SetHeader(n);
      for (const FlagName& flag : kFlagNames) {
        if (f.flags & flag.flag) reply.Simple(flag.name);
      }
    }
    if (with_code) {
      reply.Bulk("library_code");
      reply.Bulk(lib->code);
    }
  }
}

}  // namespace dkv::server
