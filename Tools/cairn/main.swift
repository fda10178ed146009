print("cairn: not yet")
