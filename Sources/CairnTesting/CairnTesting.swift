// The determinism test kit.
