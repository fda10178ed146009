print("cairn-demo: not yet")
