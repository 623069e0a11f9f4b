"""tinyprune host tools: the CLI, builds, emulator launchers, serial link, benchmarks."""
