"""How stagger starts: the `stagger` command line, the run supervisor, node processes."""
