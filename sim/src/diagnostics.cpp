#include <citytwin/sim/diagnostics.hpp>

#include <algorithm>
#include <numeric>

namespace citytwin::sim {

void Diagnostics::error(InputIssue issue) { errors_.push_back(std::move(issue)); }

void Diagnostics::error(const std::string& file, int line, int column, const std::string& key,
                        const std::string& message) {
  errors_.push_back(InputIssue{file, line, column, key, message});
}

void Diagnostics::throw_if_errors() const {
  if (!errors_.empty()) throw InputError(errors_);
}

void Diagnostics::warn(std::string_view model, std::string_view column, std::int64_t entity_id,
                       std::int64_t tick, std::string_view message) {
  const std::lock_guard<std::mutex> lock(warn_mutex_);
  std::string key = std::string(model) + "." + std::string(column);
  auto [it, inserted] = warnings_.try_emplace(std::move(key));
  WarningCount& counter = it->second;
  // keep the earliest occurrence so that the report does not depend on thread timing
  if (inserted || tick < counter.first_tick ||
      (tick == counter.first_tick && entity_id < counter.first_entity_id)) {
    counter.first_entity_id = entity_id;
    counter.first_tick = tick;
    counter.first_message = std::string(message);
  }
  ++counter.count;
}

std::int64_t Diagnostics::n_warnings() const {
  std::int64_t total = 0;
  for (const auto& [key, counter] : warnings_) total += counter.count;
  return total;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // classic two-row dynamic programme
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitution});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // plausible typo: at most a third of the word's letters wrong (and at least 1 allowed)
  const std::size_t limit = std::max<std::size_t>(1, (word.size() + 2) / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best_distance <= limit ? best : std::string();
}

}  // namespace citytwin::sim
