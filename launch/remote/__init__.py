"""How stagger starts nodes on other hosts: host lists and placement, ssh and Slurm transports,
the connection file, the remote agent, log streams and the multi-host launcher."""
