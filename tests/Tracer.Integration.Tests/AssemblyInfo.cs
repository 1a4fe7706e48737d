// Real-kernel tests measure timings and drive loopback traffic: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// They load BPF programs into the Linux kernel, as tracer does.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
