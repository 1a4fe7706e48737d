using Tracer.Cli;

return await Cli.RunAsync(args);
