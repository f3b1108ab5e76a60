// Shared oneDNN state for the layerwise kernels: one CPU engine, one stream per calling thread,
// a per-thread scratch area, and a cache of primitives keyed by problem shape.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "xla/ffi/api/ffi.h"

namespace layerwise {

namespace ffi = xla::ffi;
using dnnl::memory;

inline dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// XLA calls a handler from its own worker threads (several at once with several CPU devices);
// a stream per thread keeps executions independent.
inline dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

// Grows and keeps a per-thread buffer, so steady-state calls allocate nothing.
inline void* Scratch(int slot, size_t bytes) {
  thread_local std::vector<char> buffers[8];
  std::vector<char>& buffer = buffers[slot];
  if (buffer.size() < bytes) buffer.resize(bytes);
  return buffer.data();
}

// Builds each primitive once per distinct key; concurrent callers share the cached value.
template <typename Value>
class Cache {
 public:
  template <typename Make>
  std::shared_ptr<const Value> Get(const std::string& key, Make make) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = values_.find(key);
      if (found != values_.end()) return found->second;
    }
    auto value = std::make_shared<const Value>(make());
    std::lock_guard<std::mutex> lock(mutex_);
    return values_.emplace(key, std::move(value)).first->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Value>> values_;
};

// Scratch space is passed in by the caller (from `Scratch`), never held by a shared primitive.
inline dnnl::primitive_attr UserScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

inline memory Bind(const memory::desc& desc, void* data) { return memory(desc, Engine(), data); }

inline std::string Key(std::initializer_list<int64_t> values) {
  std::string key;
  for (int64_t v : values) key += std::to_string(v) + ",";
  return key;
}

}  // namespace layerwise
