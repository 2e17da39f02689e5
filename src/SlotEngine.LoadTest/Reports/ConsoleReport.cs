using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Reports;

/// <summary>The end-of-run summary on the console: throughput, latency percentiles, failures, invariants.</summary>
internal static class ConsoleReport
{
    /// <summary>The percentiles reported for every operation.</summary>
    public static readonly (string Name, double Value)[] Percentiles = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)];

    /// <summary>Writes the summary.</summary>
    /// <param name="console">The console.</param>
    /// <param name="result">The run's result.</param>
    public static void Write(IAnsiConsole console, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Settings;
        var stats = result.Stats;
        console.WriteLine();
        var summary = new Table().Border(TableBorder.Rounded).Title("[bold]Run[/]").HideHeaders();
        summary.AddColumn("what");
        summary.AddColumn(new TableColumn("value"));
        summary.AddRow("backend", Backends.Name(s.Backend));
        summary.AddRow("scenario", Markup.Escape($"{s.Providers:N0} providers, {result.Scale.Clinics:N0} clinics, {result.Scale.Facilities:N0} facilities in 81 provinces; {s.DaysOpen} days × {s.Template.SlotCount} slots of {s.SlotLength.TotalMinutes:0} min; {result.Scale.Citizens:N0} citizens; largest city-and-branch search: {result.LargestGroup:N0} providers"));
        summary.AddRow("load", Markup.Escape(s.Rate is { } rate ? $"open loop, {rate:N0} citizens/s, {s.Concurrency} workers" : $"closed loop, {s.Concurrency} workers") + $", seed {s.Seed}; stopped by {StopReason(result)}");
        summary.AddRow("setup", Markup.Escape($"{result.SetupSeconds:0.00} s ({string.Join(", ", result.SetupSteps.Select(x => $"{x.Step} {x.Seconds:0.00} s"))})"));
        summary.AddRow("[bold]bookings[/]", $"[bold]{stats.Bookings:N0}[/] in [bold]{result.ElapsedSeconds:0.000} s[/] = [bold]{result.BookingsPerSecond:N0}/s[/]");
        summary.AddRow("citizens", $"{stats.Citizens:N0} arrived; {stats.WalkAways:N0} walked away from a hold; {stats.Cancelled:N0} cancelled; {result.CancelsPending:N0} cancels not yet due");
        summary.AddRow("fill ratio", $"{result.FillRatio:P3} of all seats");
        summary.AddRow("scenario time", Markup.Escape($"{result.ScenarioTime.Start:ddd dd MMM HH:mm} → {result.ScenarioTime.End.ToOffset(result.ScenarioTime.Start.Offset):ddd dd MMM HH:mm} (UTC{result.ScenarioTime.Start:zzz})"));
        var gc = result.Gc;
        summary.AddRow("garbage collector", Markup.Escape($"{gc.Gen0:N0} gen0, {gc.Gen1:N0} gen1, {gc.Gen2:N0} gen2 collections; paused {gc.Paused.TotalSeconds:0.000} s ({(result.ElapsedSeconds > 0 ? gc.Paused.TotalSeconds / result.ElapsedSeconds : 0):P0} of the load); {gc.AllocatedBytes / 1048576.0:N0} MiB allocated ({result.BytesPerBooking:N0} B per booking); {gc.GcMode}"));
        summary.AddRow("cpu", $"{gc.Cpu.TotalSeconds:0.00} s of process CPU in {result.ElapsedSeconds:0.00} s of load on {Environment.ProcessorCount} cores: {result.CpuMicrosPerBooking:0.00} µs per booking");
        if (result.Generator is { } g)
        {
            summary.AddRow("generator", $"{g.GeneratorShare:P0} of the workers' time outside engine calls: {g.GeneratorCpuMicrosPerBooking:0.00} µs of the CPU per booking is the generator's, {g.EngineCpuMicrosPerBooking:0.00} µs the engine's (worker time per booking: engine calls {g.EngineMicrosPerBooking:0.00} µs, generator {g.GeneratorMicrosPerBooking:0.00} µs){(g.BytesSplitHolds ? $"; allocated per booking on the workers: engine calls {g.EngineBytesPerBooking:N0} B, generator {g.GeneratorBytesPerBooking:N0} B" : "; bytes are not split on an async backend (see the garbage collector row)")}");
        }

        if (result.BookingsPerSecond > 0)
        {
            var day = LoadSettings.MhrsDay / result.BookingsPerSecond;
            summary.AddRow("MHRS day", $"1.7 M bookings at this rate: [bold]{day:0.00} s[/] (goal ≤ 2 s: {(day <= 2 ? "[green]met[/]" : "[yellow]not met[/]")})");
        }

        RedisReportSection.AddRows(summary, result);
        if (result.Interrupted)
        {
            summary.AddRow("[yellow]interrupted[/]", "stopped early by the user");
        }

        if (result.Stalled is { } stalled)
        {
            summary.AddRow("[red]stalled[/]", Markup.Escape(stalled));
        }

        console.Write(summary);
        console.Write(OperationsTable(result));
        var failures = FailuresTable(stats);
        if (failures is not null)
        {
            console.Write(failures);
        }

        console.Write(InvariantsTable(result.Invariants, result.CheckSeconds));
        foreach (var error in stats.Errors)
        {
            console.MarkupLine("[red]error:[/] " + Markup.Escape(error));
        }
    }

    private static string StopReason(RunResult result) =>
        result.Interrupted ? "the user"
        : result.Stalled is not null ? "a stall (no booking possible)"
        : result.Settings.BookingsTarget is { } target && result.Stats.Bookings >= target ? $"the bookings target ({target:N0})"
        : result.Settings.Duration is { } d ? $"the time limit ({d.TotalSeconds:0.#} s)"
        : "the end";

    private static Table OperationsTable(RunResult result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Throughput and latency[/] (µs; booking = first search to confirm)");
        table.AddColumn("operation");
        table.AddColumn(new TableColumn("count").RightAligned());
        table.AddColumn(new TableColumn("per second").RightAligned());
        foreach (var (name, _) in Percentiles)
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        table.AddColumn(new TableColumn("max").RightAligned());
        for (var i = 0; i < OperationNames.Count; i++)
        {
            var h = result.Stats.Latency[i];
            var cells = new List<string>
            {
                OperationNames.Name((Operation)i),
                $"{h.TotalCount:N0}",
                $"{(result.ElapsedSeconds > 0 ? h.TotalCount / result.ElapsedSeconds : 0):N0}",
            };
            foreach (var (_, p) in Percentiles)
            {
                cells.Add($"{h.ValueAtPercentile(p) / 1000.0:N1}");
            }

            cells.Add($"{h.Max / 1000.0:N1}");
            table.AddRow(cells.ToArray());
        }

        return table;
    }

    private static Table? FailuresTable(WorkerStats stats)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Failures by reason[/] (expected outcomes of a contended, quota-limited system)");
        table.AddColumn("operation");
        table.AddColumn("reason");
        table.AddColumn(new TableColumn("count").RightAligned());
        var any = false;
        for (var op = 0; op < OperationNames.Count; op++)
        {
            for (var r = 0; r < OperationNames.ReasonCount; r++)
            {
                var count = stats.Failures((Operation)op, (FailureReason)r);
                if (count > 0)
                {
                    any = true;
                    table.AddRow(OperationNames.Name((Operation)op), OperationNames.Name((FailureReason)r), $"{count:N0}");
                }
            }
        }

        return any ? table : null;
    }

    private static Table InvariantsTable(InvariantReport report, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Invariants[/] (engine recounted against the ledger in {seconds:0.00} s)").HideHeaders();
        table.AddColumn("what");
        table.AddColumn(new TableColumn("value"));
        table.AddRow("live bookings in the ledger", $"{report.LedgerBookings:N0}");
        table.AddRow("booked seats in the engine", $"{report.EngineBookedSeats:N0} on {report.CalendarsRecounted:N0} calendars recounted seat by seat");
        table.AddRow("untouched calendars wholly free", $"{report.CalendarsCheckedFree:N0} checked");
        table.AddRow("double_bookings", report.DoubleBookings == 0 ? "[green]0[/]" : $"[red]{report.DoubleBookings:N0}[/]");
        table.AddRow("invariant_violations", report.Violations == 0 ? "[green]0[/]" : $"[red]{report.Violations:N0}[/]");
        foreach (var (kind, count) in report.Problems)
        {
            table.AddRow("  " + Markup.Escape(kind), $"[red]{count:N0}[/]");
        }

        return table;
    }
}
