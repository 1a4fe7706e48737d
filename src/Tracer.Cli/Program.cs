using Tracer.Cli;
using Tracer.Output;

StandardOutput.Install();
return await Cli.RunAsync(args);
