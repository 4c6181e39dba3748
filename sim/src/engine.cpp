#include <citytwin/sim/engine.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace citytwin::sim {

namespace {
// [B] a commit copies its columns in parallel from this many bytes
constexpr std::size_t kParallelCommitBytes = std::size_t{4} << 20;
}  // namespace

Engine::Engine(Clock clock, std::vector<std::unique_ptr<Model>> models, const City* city,
               std::uint64_t seed)
    : clock_(std::move(clock)), models_(std::move(models)), city_(city), seed_(seed) {
  // declare every model's columns and remember which each owns
  for (std::size_t m = 0; m < models_.size(); ++m) {
    const Model& model = *models_[m];
    CITYTWIN_CHECK(model.period_ticks() >= 1, "model period must be >= 1 tick");
    for (std::size_t other = 0; other < m; ++other) {
      CITYTWIN_CHECK(models_[other]->name() != model.name(), "two models share a name");
    }
    models_[m]->declare(layout_);
  }
  owned_.resize(models_.size());
  for (ColumnId id = 0; id < layout_.n_columns(); ++id) {
    bool owner_found = false;
    for (std::size_t m = 0; m < models_.size(); ++m) {
      if (layout_.spec(id).model == models_[m]->name()) {
        owned_[m].push_back(id);
        owner_found = true;
      }
    }
    CITYTWIN_CHECK(owner_found, "column '" + layout_.spec(id).qualified_name() + "' has no model");
  }

  written_.assign(static_cast<std::size_t>(layout_.n_columns()), 0);
  changed_.assign(static_cast<std::size_t>(layout_.n_columns()), 1);
  entries_.assign(static_cast<std::size_t>(layout_.n_columns()), {});
  for (ColumnId id = 0; id < layout_.n_columns(); ++id) {
    if (layout_.spec(id).input) input_columns_.push_back(id);
  }

  // allocate and initialise; `next` always equals `now` between ticks
  now_ = State(layout_);
  next_ = State(layout_);
  for (auto& model : models_) {
    const StepContext ctx = context(0, *model);
    StateWriter writer(next_, layout_, model->name());
    model->init(ctx, writer);
  }
  now_ = next_;
}

StepContext Engine::context(std::int64_t tick, const Model& model) {
  StepContext ctx;
  ctx.tick = tick;
  ctx.dt_s = clock_.dt_s();
  ctx.period_ticks = model.period_ticks();
  ctx.utc_s = clock_.utc_s(tick);
  ctx.utc = clock_.utc(tick);
  ctx.local = clock_.local(tick);
  ctx.seed = seed_;
  ctx.city = city_;
  ctx.diagnostics = &diagnostics_;
  return ctx;
}

void Engine::step() {
  CITYTWIN_CHECK(!done(), "step() after the last tick");
  // input columns may have been set in `now` between steps (input_data()): `next` follows, so
  // that it equals `now` again before the models run
  for (const ColumnId id : input_columns_) next_.copy_column_from(now_, id);

  // phase 1: every due model reads `now` and writes its own columns of `next`; the civil
  // times are computed once per tick, only when a model is due. The writers record which
  // columns each model took for writing
  std::fill(written_.begin(), written_.end(), std::uint8_t{0});
  std::vector<std::size_t> ran;
  StepContext ctx;
  bool have_ctx = false;
  try {
    for (std::size_t m = 0; m < models_.size(); ++m) {
      const Model& model = *models_[m];
      if (tick_ % model.period_ticks() != 0) continue;
      if (!have_ctx) {
        ctx = context(tick_, model);
        have_ctx = true;
      }
      ctx.period_ticks = model.period_ticks();
      StateWriter writer(next_, layout_, model.name(), written_, entries_);
      model.step(ctx, now_, writer);
      ran.push_back(m);
    }
  } catch (...) {
    // a failed tick leaves `next` equal to `now` again (the columns the models had taken hold
    // partial writes), so that the state stays that of the last completed tick
    for (ColumnId id = 0; id < layout_.n_columns(); ++id) {
      const auto i = static_cast<std::size_t>(id);
      if (written_[i] == 1) next_.copy_column_from(now_, id);
      if (written_[i] == 2) next_.copy_entries_from(now_, id, entries_[i]);
    }
    throw;
  }
  // phase 2: commit the written columns; a column no model took for writing is unchanged in
  // `next`, which equalled `now` before the tick
  committed_.clear();
  std::size_t committed_bytes = 0;
  for (const std::size_t m : ran) {
    for (const ColumnId id : owned_[m]) {
      const auto i = static_cast<std::size_t>(id);
      if (written_[i] == 2) {  // only the listed entries
        now_.copy_entries_from(next_, id, entries_[i]);
        changed_[i] = 1;
        continue;
      }
      if (written_[i] == 0) continue;
      committed_.push_back(id);
      committed_bytes += now_.bytes(id);
    }
  }
  // large commits copy several columns at once (plain copies: the result is the same)
  const auto n_committed = static_cast<std::int64_t>(committed_.size());
#pragma omp parallel for schedule(dynamic) if (committed_bytes >= kParallelCommitBytes)
  for (std::int64_t i = 0; i < n_committed; ++i) {
    now_.copy_column_from(next_, committed_[static_cast<std::size_t>(i)]);
  }
  for (const ColumnId id : committed_) changed_[static_cast<std::size_t>(id)] = 1;
  ++tick_;
}

std::vector<std::pair<std::string, Kpi>> Engine::kpis() const {
  std::vector<std::pair<std::string, Kpi>> out;
  for (const auto& model : models_) {
    std::vector<Kpi> list;
    model->kpis(now_, list);
    for (auto& kpi : list) out.emplace_back(std::string(model->name()), std::move(kpi));
  }
  return out;
}

void* Engine::input_data(ColumnId id) {
  if (id < 0 || id >= layout_.n_columns() || !layout_.spec(id).input) {
    throw std::invalid_argument("column " + std::to_string(id) + " is not an input column");
  }
  changed_[static_cast<std::size_t>(id)] = 1;  // handed out for writing
  return now_.data(id);
}

void Engine::clear_columns_changed() {
  std::fill(changed_.begin(), changed_.end(), std::uint8_t{0});
}

std::vector<std::pair<std::string, std::string>> Engine::summaries() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& model : models_) {
    std::string text = model->summary(now_);
    if (!text.empty()) out.emplace_back(std::string(model->name()), std::move(text));
  }
  return out;
}

Checkpoint Engine::checkpoint() const { return Checkpoint{tick_, now_}; }

void Engine::restore(const Checkpoint& checkpoint) {
  if (checkpoint.state.n_columns() != now_.n_columns()) {
    throw std::invalid_argument("checkpoint: it has " + std::to_string(checkpoint.state.n_columns()) +
                                " columns, this run has " + std::to_string(now_.n_columns()));
  }
  for (ColumnId id = 0; id < now_.n_columns(); ++id) {
    if (checkpoint.state.bytes(id) != now_.bytes(id)) {
      throw std::invalid_argument("checkpoint: column '" + layout_.spec(id).qualified_name() +
                                  "' has another size");
    }
  }
  if (checkpoint.tick < 0 || checkpoint.tick > clock_.n_ticks()) {
    throw std::invalid_argument("checkpoint: tick " + std::to_string(checkpoint.tick) + " is outside the run");
  }
  now_ = checkpoint.state;
  next_ = checkpoint.state;
  tick_ = checkpoint.tick;
  std::fill(changed_.begin(), changed_.end(), std::uint8_t{1});
}

}  // namespace citytwin::sim
