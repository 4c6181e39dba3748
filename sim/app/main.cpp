// citytwin: the command line program (run, validate, info, compare).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <citytwin/config.hpp>
#include <citytwin/io/result_writer.hpp>
#include <citytwin/io/scenario.hpp>
#include <citytwin/io/simulation.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/progress.hpp>

namespace {

namespace ct = citytwin;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int /*signal*/) { g_stop.store(true); }

constexpr std::string_view kUsage =
    "usage:\n"
    "  citytwin run SCENARIO [-o OUT.h5] [--threads N] [--set key.path=value]... [--quiet] [--progress bar|log]\n"
    "  citytwin validate SCENARIO [--set key.path=value]...\n"
    "  citytwin info RESULTS.h5\n"
    "  citytwin compare BASE.h5 VARIANT.h5...\n"
    "  citytwin --version\n"
    "exit status: 0 success, 2 bad input (scenario, data or arguments), 1 any other failure\n";

/// A command line that cannot be understood: exit status 2 with the usage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunArgs {
  std::string scenario;
  std::string output;
  int threads = 0;
  std::vector<std::string> sets;
  ct::sim::ProgressMode progress = ct::sim::ProgressMode::kAuto;
};

// parses the arguments of run and validate
RunArgs parse_run_args(const std::vector<std::string>& args, bool allow_run_options) {
  RunArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(std::string(flag) + " needs a value");
      return args[++i];
    };
    if (a == "--set") {
      out.sets.push_back(value("--set"));
    } else if (a.rfind("--set=", 0) == 0) {
      out.sets.push_back(a.substr(6));
    } else if (allow_run_options && (a == "-o" || a == "--output")) {
      out.output = value("-o");
    } else if (allow_run_options && a == "--threads") {
      const std::string& text = value("--threads");
      try {
        std::size_t used = 0;
        out.threads = std::stoi(text, &used);
        if (used != text.size() || out.threads < 0) throw std::invalid_argument(text);
      } catch (const std::exception&) {
        throw UsageError("--threads needs a whole number >= 0 (got '" + text + "')");
      }
    } else if (allow_run_options && a == "--quiet") {
      out.progress = ct::sim::ProgressMode::kQuiet;
    } else if (allow_run_options && a == "--progress") {
      const std::string& mode = value("--progress");
      if (mode == "bar") out.progress = ct::sim::ProgressMode::kBar;
      else if (mode == "log") out.progress = ct::sim::ProgressMode::kLog;
      else throw UsageError("--progress takes 'bar' or 'log' (got '" + mode + "')");
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError("unknown option '" + a + "'");
    } else if (out.scenario.empty()) {
      out.scenario = a;
    } else {
      throw UsageError("unexpected argument '" + a + "'");
    }
  }
  if (out.scenario.empty()) throw UsageError("missing SCENARIO");
  return out;
}

ct::io::Scenario load_scenario(const RunArgs& args) {
  ct::io::Scenario scenario = ct::io::Scenario::load(args.scenario);
  for (const auto& assignment : args.sets) scenario.set(assignment);
  return scenario;
}

int command_run(const std::vector<std::string>& argv) {
  const RunArgs args = parse_run_args(argv, true);
  const ct::io::Scenario scenario = load_scenario(args);
  const ct::io::ScenarioSettings settings = scenario.settings();
  // output: -o, else [output] path, else <name>.h5; relative to the working folder
  std::filesystem::path output = args.output;
  if (output.empty()) output = settings.output.path.empty() ? settings.name + ".h5" : settings.output.path;
  ct::io::Simulation simulation(scenario, {output, args.threads});

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool quiet = args.progress == ct::sim::ProgressMode::kQuiet;
  if (!quiet) {
    std::fprintf(stderr, "citytwin: %s: %lld ticks of %d s, %lld buildings, %d thread(s) -> %s\n",
                 settings.name.c_str(), static_cast<long long>(settings.n_ticks), settings.dt_s,
                 static_cast<long long>(simulation.city().buildings.size()), simulation.threads(),
                 output.string().c_str());
    if (!simulation.city_report().empty()) {
      std::fprintf(stderr, "citytwin: city read from %s:\n%s", settings.city_buildings.c_str(),
                   simulation.city_report().c_str());
    }
  }
  ct::sim::ProgressReporter progress(settings.n_ticks, args.progress);
  const bool completed = simulation.run({}, &g_stop, &progress);
  if (!completed) {
    simulation.abandon();
    std::fprintf(stderr, "citytwin: interrupted at tick %lld of %lld; results so far are in %s\n",
                 static_cast<long long>(simulation.engine().tick()), static_cast<long long>(settings.n_ticks),
                 simulation.writer() != nullptr ? simulation.writer()->partial_path().string().c_str() : "-");
    return kExitFailure;
  }
  const auto& warnings = simulation.engine().diagnostics().warnings();
  for (const auto& [key, w] : warnings) {
    std::fprintf(stderr, "citytwin: warning: %s: %lld times, first at tick %lld entity %lld: %s\n", key.c_str(),
                 static_cast<long long>(w.count), static_cast<long long>(w.first_tick),
                 static_cast<long long>(w.first_entity_id), w.first_message.c_str());
  }
  if (!quiet) {
    for (const auto& [model, text] : simulation.engine().summaries()) {
      std::fprintf(stderr, "citytwin: %s:\n%s", model.c_str(), text.c_str());
    }
    std::fprintf(stderr, "citytwin: wrote %s\n", output.string().c_str());
  }
  // the results file is complete, closed and renamed: leave without tearing the run down
  // piece by piece (freeing the network, the state and the libraries' caches, and the exit
  // handlers of HDF5 and OpenMP, ~1 ms of a short run); the kernel releases it all
  std::fflush(nullptr);
  std::_Exit(kExitOk);
}

int command_validate(const std::vector<std::string>& argv) {
  const RunArgs args = parse_run_args(argv, false);
  const ct::io::Scenario scenario = load_scenario(args);
  // building the simulation validates every section and builds the city
  const ct::io::Simulation simulation(scenario, {});
  const auto& s = simulation.settings();
  std::printf("%s: valid (%lld ticks of %d s from %s %s, %lld buildings, %zu model(s))\n",
              args.scenario.c_str(), static_cast<long long>(s.n_ticks), s.dt_s, s.start_text.c_str(),
              s.time_zone.c_str(), static_cast<long long>(simulation.city().buildings.size()),
              simulation.engine().models().size());
  return kExitOk;
}

int command_info(const std::vector<std::string>& argv) {
  if (argv.size() != 1) throw UsageError("info takes one results file");
  std::fputs(ct::io::describe_results(argv[0]).c_str(), stdout);
  return kExitOk;
}

int command_compare(const std::vector<std::string>& argv) {
  if (argv.size() < 2) throw UsageError("compare takes a base file and at least one variant");
  const std::vector<std::filesystem::path> variants(argv.begin() + 1, argv.end());
  std::fputs(ct::io::compare_results(argv[0], variants).c_str(), stdout);
  return kExitOk;
}

// Asks for transparent huge pages on the next 256 MiB of the main heap. A short run spends much
// of its system time faulting in fresh 4 KiB pages (the 20x20 SUMO benchmark: ~6,900 faults,
// ~10 ms of a 90 ms process); 2 MiB pages need 512 times fewer faults. The heap is grown by
// that much at once (address space only: pages are committed where touched), marked with
// madvise(MADV_HUGEPAGE) (a no-op where the kernel's THP mode is "never"), and kept: the mmap
// threshold is fixed at glibc's maximum (32 MiB) so that buffers below it come from this heap,
// and freed memory is not trimmed back below 512 MiB. The worker threads allocate from this heap
// too (one arena): each would otherwise get an arena of its own, grown in 4 KiB pages (two
// threads reading the 20x20 network and routes side by side: 12.5 ms instead of 9.3 ms, median
// of 10). Anything failing leaves malloc as it was.
void use_huge_pages_for_heap() {
  constexpr std::size_t kReserve = std::size_t{256} << 20;
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 0 || mallopt(M_TRIM_THRESHOLD, 2 * kReserve) == 0 ||
      mallopt(M_TOP_PAD, kReserve) == 0 || mallopt(M_ARENA_MAX, 1) == 0) {
    return;
  }
  // one allocation from the heap's top grows it by the pad (volatile: not optimised away)
  const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  void* volatile grow = std::malloc(std::size_t{1} << 20);
  std::free(grow);
  const auto end = reinterpret_cast<std::uintptr_t>(sbrk(0));
  mallopt(M_TOP_PAD, 0);
  const std::uintptr_t begin = (before + kHugePage - 1) & ~(kHugePage - 1);
  if (end > begin) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the heap's own address range
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
}

}  // namespace

int main(int argc, char** argv) {
  use_huge_pages_for_heap();
  const std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty() || all[0] == "-h" || all[0] == "--help" || all[0] == "help") {
    std::fputs(kUsage.data(), all.empty() ? stderr : stdout);
    return all.empty() ? kExitBadInput : kExitOk;
  }
  if (all[0] == "--version") {
    std::printf("citytwin %s (%s)\n", ct::kVersion, ct::kGitDescribe);
    return kExitOk;
  }
  const std::vector<std::string> rest(all.begin() + 1, all.end());
  try {
    if (all[0] == "run") return command_run(rest);
    if (all[0] == "validate") return command_validate(rest);
    if (all[0] == "info") return command_info(rest);
    if (all[0] == "compare") return command_compare(rest);
    throw UsageError("unknown command '" + all[0] + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "citytwin: %s\n%s", e.what(), kUsage.data());
    return kExitBadInput;
  } catch (const ct::InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "citytwin: error: %s\n", e.what());
    return kExitFailure;
  }
}
