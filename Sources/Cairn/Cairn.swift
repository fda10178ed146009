// The engine (issue: durable workflows on the log).
