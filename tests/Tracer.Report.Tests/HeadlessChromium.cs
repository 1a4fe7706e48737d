using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tracer.Report.Tests;

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol: one page, its console errors,
/// uncaught exceptions and every request it makes recorded. The debugging port is chosen by
/// chromium (port 0) and read from its stderr; the profile is a fresh temporary directory.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly string profile;
    private readonly ClientWebSocket socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly CancellationTokenSource closing = new();
    private Task? receiving;
    private TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int nextId;
    private string? session;

    private HeadlessChromium(Process process, string profile)
    {
        this.process = process;
        this.profile = profile;
    }

    /// <summary>Console errors and uncaught exceptions of the page, and errors the page logged (a refused load among them).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>URLs of every request the page made, the page itself included.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<HeadlessChromium> Start()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: scripts/install-deps.sh installs Debian's chromium");
        }

        var profile = Path.Combine(Path.GetTempPath(), $"tracer-report-chromium-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions", "--mute-audio",
            $"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1280,1600", "about:blank",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"starting {Executable} failed");
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                endpoint.TrySetException(new InvalidOperationException($"chromium exited before it listened: {stderr}"));
                return;
            }

            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }

            const string listening = "DevTools listening on ";
            if (e.Data.StartsWith(listening, StringComparison.Ordinal))
            {
                endpoint.TrySetResult(e.Data[listening.Length..].Trim());
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.Connect(new Uri(await endpoint.Task.WaitAsync(Timeout)));
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }

        return browser;
    }

    /// <summary>Opens <paramref name="path"/> and waits until the report says it has drawn everything.</summary>
    public async Task Open(string path)
    {
        loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await Send("Page.navigate", new JsonObject { ["url"] = new Uri(path).AbsoluteUri });
        await loaded.Task.WaitAsync(Timeout);
        var deadline = DateTime.UtcNow + Timeout;
        while (!(await Evaluate("document.body?.dataset.rendered === 'true'")).GetBoolean())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path}: the report did not finish drawing; errors: {string.Join("; ", Errors)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Every request fails from now on, as on a machine with no network.</summary>
    public Task Offline() => Send("Network.emulateNetworkConditions", new JsonObject
    {
        ["offline"] = true,
        ["latency"] = 0,
        ["downloadThroughput"] = 0,
        ["uploadThroughput"] = 0,
    });

    /// <summary>The value of a JavaScript expression in the page (promises awaited).</summary>
    public async Task<JsonElement> Evaluate(string expression)
    {
        var result = await Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"evaluating {expression}: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>A PNG of the whole page.</summary>
    public async Task Screenshot(string path)
    {
        var shot = await Send("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
    }

    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync();
        if (receiving is not null)
        {
            await receiving.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        socket.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        closing.Dispose();
        for (var attempt = 0; attempt < 5 && Directory.Exists(profile); attempt++)
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(100);
            }
        }
    }

    private async Task Connect(Uri endpoint)
    {
        await socket.ConnectAsync(endpoint, CancellationToken.None).WaitAsync(Timeout);
        receiving = Task.Run(Receive);
        var target = await Send("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, browserLevel: true);
        var attached = await Send("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true }, browserLevel: true);
        session = attached.GetProperty("sessionId").GetString();
        foreach (var domain in new[] { "Page", "Runtime", "Log", "Network" })
        {
            await Send($"{domain}.enable", new JsonObject());
        }
    }

    private async Task<JsonElement> Send(string method, JsonObject parameters, bool browserLevel = false)
    {
        var id = Interlocked.Increment(ref nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (!browserLevel)
        {
            message["sessionId"] = session;
        }

        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        return await reply.Task.WaitAsync(Timeout);
    }

    private async Task Receive()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (!closing.IsCancellationRequested && socket.State == WebSocketState.Open)
        {
            var part = await socket.ReceiveAsync(buffer, closing.Token);
            message.Write(buffer, 0, part.Count);
            if (!part.EndOfMessage)
            {
                continue;
            }

            using var document = JsonDocument.Parse(message.ToArray());
            message.SetLength(0);
            Handle(document.RootElement);
        }
    }

    private void Handle(JsonElement message)
    {
        if (message.TryGetProperty("id", out var id))
        {
            if (pending.TryRemove(id.GetInt32(), out var reply))
            {
                if (message.TryGetProperty("error", out var error))
                {
                    reply.SetException(new InvalidOperationException($"DevTools: {error}"));
                }
                else
                {
                    reply.SetResult(message.GetProperty("result").Clone());
                }
            }

            return;
        }

        var parameters = message.TryGetProperty("params", out var p) ? p : default;
        switch (message.GetProperty("method").GetString())
        {
            case "Page.loadEventFired":
                loaded.TrySetResult();
                break;
            case "Runtime.consoleAPICalled" when parameters.GetProperty("type").GetString() is "error" or "assert":
                Errors.Enqueue($"console.error: {parameters.GetProperty("args")}");
                break;
            case "Runtime.exceptionThrown":
                Errors.Enqueue($"exception: {parameters.GetProperty("exceptionDetails")}");
                break;
            case "Log.entryAdded" when parameters.GetProperty("entry").GetProperty("level").GetString() == "error":
                Errors.Enqueue($"log: {parameters.GetProperty("entry").GetProperty("text").GetString()}");
                break;
            case "Network.requestWillBeSent":
                Requests.Enqueue(parameters.GetProperty("request").GetProperty("url").GetString()!);
                break;
        }
    }
}
