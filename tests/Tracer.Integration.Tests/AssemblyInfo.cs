// Real-kernel tests measure timings and drive loopback traffic: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
