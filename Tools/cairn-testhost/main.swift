print("cairn-testhost: not yet")
