// tracer report runs where tracer does: Linux; its files are created owner-only with Unix modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
