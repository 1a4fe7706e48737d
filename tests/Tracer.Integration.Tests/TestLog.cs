using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>Routes loader and libbpf messages into the test's output.</summary>
public sealed class TestLog(ITestOutputHelper output) : ILogger, ILoggerProvider
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{logLevel}: {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // the test already finished; the message has no one to go to
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }
}
