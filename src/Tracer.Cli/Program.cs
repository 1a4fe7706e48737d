using Tracer.Cli;
using Tracer.Cli.Output;

StandardOutput.Install();
return await Cli.RunAsync(args);
