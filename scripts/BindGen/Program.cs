using Tracer.BindGen;

// Usage: BindGen --api <api list> --out <file.cs> [--headers <libbpf header dir>]
string? api = null, output = null;
var headerDir = BindingGenerator.DefaultHeaderDir;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--api" when value is not null:
            api = value;
            i++;
            break;
        case "--out" when value is not null:
            output = value;
            i++;
            break;
        case "--headers" when value is not null:
            headerDir = value;
            i++;
            break;
        default:
            Console.Error.WriteLine($"BindGen: unexpected argument '{args[i]}'");
            return 2;
    }
}
if (api is null || output is null)
{
    Console.Error.WriteLine("usage: BindGen --api <api list> --out <file.cs> [--headers <libbpf header dir>]");
    return 2;
}

try
{
    var source = BindingGenerator.Generate(headerDir, BindingGenerator.ReadApiList(api));
    File.WriteAllText(output, source);
    Console.WriteLine($"BindGen: wrote {output}");
    return 0;
}
catch (BindingGenerationException e)
{
    Console.Error.WriteLine($"BindGen: error: {e.Message}");
    return 1;
}
