using System.CommandLine;
using System.Text.Json;
using SlotEngine.LoadTest.Reports;
using Spectre.Console;

namespace SlotEngine.LoadTest.Cli;

/// <summary>
/// <c>slotengine-load compare A.json B.json [--html out.html]</c>: two runs side by side, every
/// figure with its ratio B/A and the changes beyond the runs' own noise marked, on the console and
/// optionally as a page. Exit 0 when compared, 2 when a file is missing or not a report.
/// </summary>
internal static class CompareCommand
{
    /// <summary>Makes the subcommand.</summary>
    /// <param name="console">Where the comparison is written.</param>
    /// <returns>The command.</returns>
    public static Command Create(Func<IAnsiConsole> console)
    {
        var a = new Argument<string>("A") { Description = "The baseline run's JSON report." };
        var b = new Argument<string>("B") { Description = "The run to compare with it." };
        var html = new Option<string?>("--html") { Description = "Also write the comparison as a self-contained web page here." };
        var command = new Command("compare", "Two runs side by side: every figure with its ratio B/A, changes beyond the runs' own noise marked.") { a, b, html };
        command.SetAction(parse => Run(console(), parse.GetValue(a)!, parse.GetValue(b)!, parse.GetValue(html)));
        return command;
    }

    /// <summary>Compares two report files.</summary>
    /// <param name="console">The console.</param>
    /// <param name="pathA">Run A's JSON.</param>
    /// <param name="pathB">Run B's JSON.</param>
    /// <param name="html">The page to write, if any.</param>
    /// <returns>The exit code.</returns>
    public static int Run(IAnsiConsole console, string pathA, string pathB, string? html)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (html is not null && !LoadCommand.FolderExists(html))
        {
            Console.Error.WriteLine($"error: --html: the folder of '{html}' does not exist.");
            return LoadCommand.BadOptions;
        }

        RunDocument a, b;
        try
        {
            a = RunDocument.Load(pathA);
            b = RunDocument.Load(pathB);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return LoadCommand.BadOptions;
        }

        if (a.Source == b.Source)
        {
            // Same file name in two folders: tell them apart by their folders.
            a = RunDocument.Load(pathA).WithSource(Path.GetFullPath(pathA));
            b = RunDocument.Load(pathB).WithSource(Path.GetFullPath(pathB));
        }

        var rows = Comparison.Compare(a, b);
        CompareReport.Write(console, a, b, rows);
        if (html is not null)
        {
            CompareReport.WriteHtml(html, a, b, rows);
            console.WriteLine($"Wrote {html}.");
        }

        return 0;
    }
}
