#include "distributed/lazarus/runtime/protocol.h"

namespace warden::lazarus::protocol {

std::string Get(c10d::Store& store, const std::string& key) {
  const std::vector<uint8_t> v = store.get(key);
  return std::string(v.begin(), v.end());
}

void Set(c10d::Store& store, const std::string& key, const std::string& value) {
  store.set(key, std::vector<uint8_t>(value.begin(), value.end()));
}

}  // namespace warden::lazarus::protocol
