package dev.baton.cli.arch;

import dev.baton.internal.engine.Engine;

/** A planted boundary break for ArchitectureTest: baton-cli code holding the core's internal Engine. */
final class PlantedInternalImport {
  Engine engine;

  PlantedInternalImport(Engine engine) {
    this.engine = engine;
  }
}
