"""What a run is made of and records about its inputs: the run spec (templates and parameter sets), the
templates' text pairs, the fingerprint of what each notebook reads, and the provenance of the machine and data.

Below ``build`` (which executes and publishes) and ``simulate`` (which replays the claims' analyses on many
replicas): both read the run spec and fingerprint their inputs the same way.
"""
