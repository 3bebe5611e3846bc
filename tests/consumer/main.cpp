// consumer CONFIG OUT: the analysis of CONFIG (`permrsa simulate`'s), its arrays read in memory
// and handed to the engine, the results written to OUT.
#include <permrsa/array_io.hpp>
#include <permrsa/config.hpp>
#include <permrsa/engine.hpp>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const permrsa::RunSpec spec = permrsa::load_run_spec(argv[1], {});
  permrsa::ProblemArrays arrays{permrsa::read_real_array(spec.brain.file, "brain.file"),
                                permrsa::read_real_array(spec.models.file, "models.file"),
                                permrsa::read_real_array(spec.brain.times, "brain.times").values,
                                permrsa::read_names(spec.models.names, "models.names")};
  const auto world = permrsa::make_serial_communicator();
  const permrsa::EngineOptions options;
  const auto a = permrsa::prepare_analysis([&] { return spec; }, arrays, options, *world);
  auto result = permrsa::run_prepared(a, permrsa::run_options_for(a, options), *world);
  permrsa::summarize(a, result, *world);
  permrsa::write_results_file(a, result, argv[2], *world);
}
