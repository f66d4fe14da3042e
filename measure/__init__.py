"""How a run is measured: summary.json and details.json from the env's records and the nodes'
stats, plots, and the one-run report."""
