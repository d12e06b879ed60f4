"""Provider fakes on 127.0.0.1 (Canvas, Moodle) for tests, the demo and benchmarks."""
