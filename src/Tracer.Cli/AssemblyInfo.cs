// tracer loads BPF programs into the Linux kernel: Linux is the only platform it runs on.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
