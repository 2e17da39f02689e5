using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SlotEngine.Benchmarks.Infrastructure;

/// <summary>
/// What the benchmark's own server processes (redis-server, PostgreSQL) share: running a command-line
/// tool to its end within a time limit, and a free loopback port.
/// </summary>
internal static class ToolProcess
{
    /// <summary>
    /// Runs <paramref name="start"/> (output and error are redirected here) and returns its exit code
    /// and standard output followed by standard error; kills it and throws
    /// <see cref="TimeoutException"/> past <paramref name="limit"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start, TimeSpan limit)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException(start.FileName + " did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} took longer than {limit}.");
        }

        return (process.ExitCode, await output.ConfigureAwait(false) + await error.ConfigureAwait(false));
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
