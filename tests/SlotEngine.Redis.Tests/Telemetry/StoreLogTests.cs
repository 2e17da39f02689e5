using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Store;

namespace SlotEngine.Redis.Tests.Telemetry;

/// <summary>The store's logs (issue 9.5) and its replica-shortfall health (issue 8.7), against real servers.</summary>
public sealed class StoreLogTests
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task Fewer_replicas_than_WaitForReplicas_is_logged_at_start_and_reported_as_degraded()
    {
        await using var server = await RedisServer.StartAsync();
        var logs = new ListLoggerFactory();
        await using var nodes = new StoreNodes(server.Endpoint, o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromMilliseconds(100); o.LoggerFactory = logs; });
        var node = await nodes.AddAsync();

        var shortfall = Assert.Single(logs.Entries, e => e.EventName == "ReplicaShortfall");
        Assert.Equal(LogLevel.Warning, shortfall.Level);
        Assert.Contains("0 connected replicas", shortfall.Message, StringComparison.Ordinal);
        var health = await node.CheckHealthAsync();
        Assert.Equal(RedisSlotEngineHealthStatus.Degraded, health.Status);
        Assert.Contains("WaitForReplicas is 1", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_lost_and_restored_and_the_resync_are_logged_without_anything_about_a_patient()
    {
        await using var server = await RedisServer.StartAsync();
        var logs = new ListLoggerFactory();
        await using var nodes = new StoreNodes(server.Endpoint + ",abortConnect=false,connectTimeout=1000,syncTimeout=1000", o => o.LoggerFactory = logs);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var patient = ContractWorld.Patient(77);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(5), patient, "log-test-key"))).Succeeded);

        await server.RestartAsync(); // no persistence: the restarted server is empty
        await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventName == "RedisConnectionLost"), "the lost connection to be logged");
        await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventName == "RedisConnectionRestored"), "the restored connection to be logged");
        await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventName == "ReadModelResync"), "the read-model resync to be logged");

        // The day is gone from the empty server: the resync drops it from the read model.
        await Eventually.TrueAsync(() => node.ReadModel.FindReadModel(Calendar) is null, "the read model to drop the day Redis lost");

        var patientHex = patient.Value.ToString("x", CultureInfo.InvariantCulture);
        Assert.All(logs.Entries, e =>
        {
            Assert.DoesNotContain(patientHex, e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("log-test-key", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("}:q:", e.Message, StringComparison.Ordinal); // a quota key
        });
    }

    /// <summary>A real (if minimal) logger factory that keeps every entry, for asserting on logs.</summary>
    private sealed class ListLoggerFactory : ILoggerFactory
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Entries => [.. _entries];

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public ILogger CreateLogger(string categoryName) => new ListLogger(this);

        public void Dispose()
        {
        }

        internal sealed record Entry(LogLevel Level, string? EventName, string Message);

        private sealed class ListLogger(ListLoggerFactory owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._entries.Enqueue(new Entry(logLevel, eventId.Name, formatter(state, exception)));
        }
    }
}
