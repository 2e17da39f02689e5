using System.Diagnostics;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// Debian's <c>chromium</c>, headless: dumps a page's DOM after its scripts ran, or takes a
/// screenshot. Each call gets its own profile folder, so parallel calls (and other users of the
/// machine) do not share one.
/// </summary>
internal static class Chromium
{
    /// <summary>The browser: <c>SLOTENGINE_CHROMIUM</c>, else the first of chromium, chromium-browser, google-chrome on the PATH.</summary>
    public static string Executable
    {
        get
        {
            if (Environment.GetEnvironmentVariable("SLOTENGINE_CHROMIUM") is { Length: > 0 } configured)
            {
                return configured;
            }

            foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
            {
                foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                {
                    var candidate = Path.Combine(folder, name);
                    if (File.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }

            throw new InvalidOperationException("No headless browser: install Debian's chromium (apt-get install -y chromium; tests/run.sh does) or set SLOTENGINE_CHROMIUM.");
        }
    }

    /// <summary>The page's DOM after its scripts ran, and what its scripts wrote to the console.</summary>
    /// <param name="page">The HTML file.</param>
    /// <returns>The serialized DOM and the browser's console lines (an uncaught error shows as <c>Uncaught …</c>).</returns>
    public static (string Dom, IReadOnlyList<string> Console) DumpDom(string page)
    {
        var (output, errors) = Run(page, "--dump-dom", "--enable-logging=stderr", "--v=0");
        var console = errors.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        return (output, console);
    }

    /// <summary>Takes a screenshot of the page.</summary>
    /// <param name="page">The HTML file.</param>
    /// <param name="png">Where to write the PNG.</param>
    /// <param name="width">Window width.</param>
    /// <param name="height">Window height (the screenshot's).</param>
    public static void Screenshot(string page, string png, int width = 1100, int height = 2400) =>
        Run(page, $"--screenshot={png}", $"--window-size={width},{height}");

    private static (string Output, string Errors) Run(string page, params string[] arguments)
    {
        var profile = Path.Combine(Path.GetTempPath(), "slotengine-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run", "--mute-audio", $"--user-data-dir={profile}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add(new Uri(Path.GetFullPath(page)).AbsoluteUri);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();

            // A safety net for a hung browser on a crowded machine, not a measurement.
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 3 minutes: " + errors.Result);
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {errors.Result}");
            }

            return (output.Result, errors.Result);
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A helper process may still hold a file for a moment; the folder is in temp.
            }
        }
    }
}
