// The telemetry model is process-wide (one ActivitySource, one Meter): tests observe it one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
