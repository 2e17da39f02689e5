using System.Globalization;
using SlotEngine.LoadTest.Run;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// Where the run talks while it works: a live Spectre.Console panel on an interactive terminal,
/// or one plain line per second when output is redirected (CI logs) or <c>--plain</c> is given.
/// </summary>
internal sealed class ProgressOutput(IAnsiConsole console, bool live)
{
    /// <summary>The console.</summary>
    public IAnsiConsole Console { get; } = console;

    /// <summary>Whether the live panel is used.</summary>
    public bool Live { get; } = live;

    /// <summary>Writes a line of text.</summary>
    /// <param name="text">The text (not markup).</param>
    public void Line(string text) => Console.WriteLine(text);

    /// <summary>Writes an error line.</summary>
    /// <param name="text">The text (not markup).</param>
    public void Error(string text) => Console.MarkupLine("[red]error:[/] " + Markup.Escape(text));

    /// <summary>Shows progress until the load completes.</summary>
    /// <param name="sampler">Looks at the workers.</param>
    /// <param name="load">Completes when the workers stop.</param>
    /// <returns>A task that completes with the load.</returns>
    public async Task ShowProgressAsync(LiveSampler sampler, Task load)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(load);
        if (Live)
        {
            await Console.Live(Render(sampler.Sample()))
                .AutoClear(false)
                .StartAsync(async ctx =>
                {
                    while (!load.IsCompleted)
                    {
                        await Task.WhenAny(load, Task.Delay(250)).ConfigureAwait(false);
                        ctx.UpdateTarget(Render(sampler.Sample()));
                        ctx.Refresh();
                    }
                }).ConfigureAwait(false);
            return;
        }

        while (!load.IsCompleted)
        {
            await Task.WhenAny(load, Task.Delay(1000)).ConfigureAwait(false);
            if (!load.IsCompleted)
            {
                System.Console.Out.WriteLine(PlainLine(sampler.Sample()));
            }
        }
    }

    /// <summary>The plain progress line.</summary>
    /// <param name="s">A sample.</param>
    /// <returns>The line.</returns>
    public static string PlainLine(ProgressSample s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{s.Elapsed.TotalSeconds,6:0.0}s] {s.Progress,4:P0} bookings {s.Bookings,10:N0} ({s.BookingsPerSecond,9:N0}/s)  ops {s.OpsPerSecond,10:N0}/s  fill {s.FillRatio:P2}  p99 search {LiveSampler.FormatMicros(s.P99Micros[0])} hold {LiveSampler.FormatMicros(s.P99Micros[1])} confirm {LiveSampler.FormatMicros(s.P99Micros[2])}  scenario {s.ScenarioNow:ddd HH:mm}");
    }

    private static IRenderable Render(ProgressSample s)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]slotengine-load[/] nationwide scenario").HideHeaders();
        table.AddColumn("what");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddColumn("what");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("elapsed", $"{s.Elapsed.TotalSeconds:0.0} s", "p99 search", LiveSampler.FormatMicros(s.P99Micros[(int)Operation.Search]));
        table.AddRow("progress", $"{s.Progress:P0}", "p99 hold", LiveSampler.FormatMicros(s.P99Micros[(int)Operation.Hold]));
        table.AddRow("bookings", $"{s.Bookings:N0}", "p99 confirm", LiveSampler.FormatMicros(s.P99Micros[(int)Operation.Confirm]));
        table.AddRow("bookings/s", $"{s.BookingsPerSecond:N0}", "p99 cancel", LiveSampler.FormatMicros(s.P99Micros[(int)Operation.Cancel]));
        table.AddRow("ops/s", $"{s.OpsPerSecond:N0}", "p99 booking", LiveSampler.FormatMicros(s.P99Micros[(int)Operation.Booking]));
        table.AddRow("fill ratio", $"{s.FillRatio:P2}", "scenario time", Markup.Escape($"{s.ScenarioNow:ddd dd MMM HH:mm}"));
        return table;
    }
}
