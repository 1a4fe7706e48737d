// The /proc owner tests measure rescan intervals: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

