// FunctionLibraries: Redis 7 Functions' library registry (FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/
// RESTORE, and the lookup FCALL does).
//
// Libraries live in the functions interpreter, a Lua state of their own that the ScriptEngine
// (src/scripting/scripting.h) opens with the same sandbox and guards as the EVAL one, so functions
// never see EVAL scripts' globals. A library's code runs once, at load, in Redis' load sandbox:
// its globals are only `redis` with register_function, log, the LOG_* levels and REDIS_VERSION*
// (anything else is "Script attempted to access nonexistent global variable"), nothing can be
// written, and it must finish within 500 ms ("FUNCTION LOAD timeout"). The callbacks it registers
// run later, by FCALL, with the full runtime API; the globals table is one read-only proxy whose
// lookup the registry switches between the load API and the runtime globals.
//
// A load is all or nothing: a failure (compile error, registration error, name collision) drops
// what the new code registered and leaves the libraries as they were. The DUMP payload is Redis':
// per library the RDB opcode 245 (FUNCTION2) and the library's code as an RDB string, then the
// RDB version (2 bytes, little endian) and a CRC-64 (8 bytes, little endian), so payloads move
// between Redis 7 and dkv both ways. The snapshot stores the same payload
// (docs/snapshot-format.md).
//
// The registry owns the libraries and the registry references of their callbacks in the
// functions interpreter (which the engine owns and outlives it). Loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resp/reply.h"

struct lua_State;
struct lua_Debug;

namespace dkv::server {

struct ServerState;

// Function flags, in Redis' order (FUNCTION LIST shows them in this order).
inline constexpr uint32_t kFnNoWrites = 1u << 0;
inline constexpr uint32_t kFnAllowOom = 1u << 1;
inline constexpr uint32_t kFnAllowStale = 1u << 2;
inline constexpr uint32_t kFnNoCluster = 1u << 3;
inline constexpr uint32_t kFnAllowCrossSlot = 1u << 4;

struct FunctionDef {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;
  int ref = -2;  // the callback in the interpreter's registry (LUA_NOREF when none)
};

struct FunctionLibrary {
  std::string name;
  std::string code;                    // the whole payload, shebang line included
  std::vector<FunctionDef> functions;  // in registration order
};

class FunctionLibraries {
 public:
  enum class RestorePolicy { kAppend, kReplace, kFlush };

  explicit FunctionLibraries(ServerState* state) : state_(state) {}
  ~FunctionLibraries() = default;
  FunctionLibraries(const FunctionLibraries&) = delete;
  FunctionLibraries& operator=(const FunctionLibraries&) = delete;

  // Prepares the load API in `L`, the functions interpreter (its sandbox already installed).
  void Attach(lua_State* L);

  // FUNCTION LOAD. Returns false with the error reply text in *error.
  bool Load(std::string_view payload, bool replace, std::string* name, std::string* error);
  // FUNCTION DELETE: false when there is no such library.
  bool Delete(std::string_view name);
  // FUNCTION FLUSH.
  void Flush();
  // FUNCTION DUMP's payload.
  std::string Dump() const;
  // FUNCTION RESTORE. Returns false with the error reply text in *error (nothing changed).
  bool Restore(std::string_view payload, RestorePolicy policy, std::string* error);
  // FUNCTION LIST's reply.
  void List(resp::ReplyBuilder& reply, const std::string* pattern, bool with_code) const;

  // By name, case-insensitively; nullptr when unknown.
  const FunctionDef* Find(std::string_view name) const;
  size_t library_count() const { return libraries_.size(); }
  size_t function_count() const { return by_name_.size(); }

 private:
  // Compiles and runs one library's code; fills *lib. Returns false with *error set (and
  // nothing left registered).
  bool Create(std::string_view payload, FunctionLibrary* lib, std::string* error);
  // Drops the callbacks of `lib` from the interpreter.
  void Release(FunctionLibrary& lib);
  void Reindex();
  // Reads redis.register_function's arguments into loading_. Returns false with the error (a
  // Lua value) on the stack.
  bool Register(lua_State* L);
  void SwitchGlobals(int index_ref);

  static int LuaRegisterFunction(lua_State* L);
  static void LoadHook(lua_State* L, lua_Debug* ar);

  ServerState* state_;
  lua_State* lua_ = nullptr;
  int load_index_ref_ = -2;  // __index of the globals while a library loads
  int run_index_ref_ = -2;   // ... while functions run
  std::map<std::string, FunctionLibrary> libraries_;
  std::unordered_map<std::string, const FunctionDef*> by_name_;  // lower-case name
  FunctionLibrary* loading_ = nullptr;                           // the library whose code runs now
  int64_t load_start_ms_ = 0;
  bool load_timed_out_ = false;
};

}  // namespace dkv::server
