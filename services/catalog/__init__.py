"""The event catalog: the contract (`schemas/`, published snapshots) and the topology as a static
site a developer can browse from `file://` — no server, no network at view time."""
