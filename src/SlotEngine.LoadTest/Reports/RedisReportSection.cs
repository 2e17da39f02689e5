using System.Globalization;
using System.Text.Json;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// The Redis part of the reports: the JSON's <c>redis</c> object and the console's Redis rows.
/// Names in the JSON: <c>round_trips_per_booking</c>, <c>round_trips_by_command</c> (per booking; by the
/// store's meter: commands sent), <c>server_commands_per_booking</c>, <c>server_commands_by_command</c>
/// (INFO commandstats on every primary: round trips and the commands scripts ran), <c>server_cpu_us_per_booking</c>, <c>reloads_per_booking</c>
/// (null when the store's meter has no reload instrument), <c>staleness_ms</c> (<c>p50</c>, <c>p99</c>,
/// <c>max</c>, <c>samples</c>; null without samples), <c>nodes</c>, <c>node_id</c>, <c>node_count</c>,
/// <c>shards</c>, <c>bookings_by_shard</c>, <c>other_nodes_seats</c>, and on node 0 of several processes
/// <c>all_processes_ledger_bookings</c> and <c>all_processes_engine_booked_seats</c> (the cross-check).
/// </summary>
internal static class RedisReportSection
{
    /// <summary>Writes the <c>redis</c> object (nothing without Redis figures).</summary>
    /// <param name="json">The writer, inside the report's object.</param>
    /// <param name="result">The run's result.</param>
    public static void Write(Utf8JsonWriter json, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(result);
        if (result.Redis is not { } r)
        {
            return;
        }

        json.WriteStartObject("redis");
        json.WriteNumber("round_trips_per_booking", Math.Round(r.RoundTripsPerBooking, 3));
        json.WriteStartObject("round_trips_by_command");
        foreach (var (command, perBooking) in r.RoundTripsByCommand)
        {
            json.WriteNumber(command, Math.Round(perBooking, 3));
        }

        json.WriteEndObject();
        json.WriteNumber("server_commands_per_booking", Math.Round(r.ServerCommandsPerBooking, 3));
        json.WriteStartObject("server_commands_by_command");
        foreach (var (command, perBooking) in r.ServerCommandsByCommand)
        {
            json.WriteNumber(command, Math.Round(perBooking, 3));
        }

        json.WriteEndObject();
        json.WriteNumber("server_cpu_us_per_booking", Math.Round(r.ServerCpuMicrosPerBooking, 3));
        if (r.ReloadsPerBooking is { } reloads)
        {
            json.WriteNumber("reloads_per_booking", Math.Round(reloads, 3));
        }
        else
        {
            json.WriteNull("reloads_per_booking");
        }

        if (r.StalenessMs is { } s)
        {
            json.WriteStartObject("staleness_ms");
            json.WriteNumber("p50", Math.Round(s.P50, 3));
            json.WriteNumber("p99", Math.Round(s.P99, 3));
            json.WriteNumber("max", Math.Round(s.Max, 3));
            json.WriteNumber("samples", s.Samples);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("staleness_ms");
        }

        json.WriteNumber("nodes", r.Nodes);
        json.WriteNumber("node_id", r.Process.Id);
        json.WriteNumber("node_count", r.Process.Count);
        json.WriteNumber("shards", r.Shards);
        json.WriteStartObject("bookings_by_shard");
        foreach (var (shard, bookings) in r.BookingsByShard)
        {
            json.WriteNumber(shard, bookings);
        }

        json.WriteEndObject();
        json.WriteNumber("other_nodes_seats", result.Invariants.OtherNodesSeats);
        if (result.Invariants.AllProcessesLedgerBookings is { } ledgers && result.Invariants.AllProcessesEngineBookedSeats is { } seats)
        {
            json.WriteNumber("all_processes_ledger_bookings", ledgers);
            json.WriteNumber("all_processes_engine_booked_seats", seats);
        }

        json.WriteBoolean("server_shared_with_other_processes", r.SharedServer);
        json.WriteEndObject();
    }

    /// <summary>Adds the Redis rows to the console's run table (nothing without Redis figures).</summary>
    /// <param name="table">The run table.</param>
    /// <param name="result">The run's result.</param>
    public static void AddRows(Table table, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(result);
        if (result.Redis is not { } r)
        {
            return;
        }

        static string Top(SortedDictionary<string, double> byCommand) =>
            string.Join(", ", byCommand.OrderByDescending(c => c.Value).Take(6).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value:0.00}")));
        table.AddRow("redis round trips", Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{r.RoundTripsPerBooking:0.00} per booking by the store's meter ({Top(r.RoundTripsByCommand)}); the servers ran {r.ServerCommandsPerBooking:0.00} commands per booking, scripts' inside included ({Top(r.ServerCommandsByCommand)})")));
        table.AddRow("redis server cpu", Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{r.ServerCpuMicrosPerBooking:0.0} µs per booking (INFO cpu, {r.Shards} primar{(r.Shards == 1 ? "y" : "ies")}){(r.SharedServer ? "; other load processes shared these servers" : string.Empty)}")));
        table.AddRow("read model", Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{(r.ReloadsPerBooking is { } reloads ? $"{reloads:0.00} reloads per booking" : "reloads: the store's meter has none")}; staleness {(r.StalenessMs is { } s ? $"p50 {s.P50:0.00} ms, p99 {s.P99:0.00} ms, max {s.Max:0.00} ms ({s.Samples:N0} feed changes)" : "not measured (no feed lag samples)")}")));
        table.AddRow("nodes and shards", Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{r.Nodes} engine(s) in this process{(r.Process.Count > 1 ? $", process {r.Process.Id} of {r.Process.Count}" : string.Empty)}; {r.Shards} shard{(r.Shards == 1 ? string.Empty : "s")}, bookings by shard: {string.Join(", ", r.BookingsByShard.Select(b => $"{b.Key} {b.Value:N0}"))}")));
    }
}
