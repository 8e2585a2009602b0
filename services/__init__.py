"""loadshed's microservices, their ports and adapters, the topology and the CLI."""
