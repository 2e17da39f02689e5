using System.Diagnostics;

namespace SlotEngine.TestSupport;

/// <summary>Finds redis-server and redis-cli on PATH, and runs redis-cli.</summary>
public static class RedisTools
{
    private static readonly Lazy<string> ServerPath = new(() => Find("redis-server"));
    private static readonly Lazy<string> CliPath = new(() => Find("redis-cli"));

    public static string Server => ServerPath.Value;

    public static string Cli => CliPath.Value;

    private static string Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"'{name}' is not on PATH. The Redis tests start their own redis-server processes: run the test command " +
            "from README.md, which installs Redis (Debian: apt-get install -y redis-server) before running the tests.");
    }

    /// <summary>Runs redis-cli with <paramref name="args"/> and returns its standard output; a non-zero exit throws.</summary>
    public static async Task<string> RunCliAsync(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"redis-cli {string.Join(' ', start.ArgumentList)} did not finish.");
        }

        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {output} {await stderr}");
        }

        return output;
    }
}
