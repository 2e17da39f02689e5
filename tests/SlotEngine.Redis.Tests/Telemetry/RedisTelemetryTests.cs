using StackExchange.Redis;
using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Tests.Store;

namespace SlotEngine.Redis.Tests.Telemetry;

/// <summary>The store's round-trip and change-feed lag histograms, and <see cref="RedisSlotEngine.PingAsync"/>, against a real redis-server.</summary>
public sealed class RedisTelemetryTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    private static string DayText => ContractWorld.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Round_trips_are_recorded_by_command_name_and_no_tag_carries_a_key_or_a_patient()
    {
        using var meters = new MeterScope();
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.MeterFactory = meters;
        });
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var patient = ContractWorld.Patient(7);
        Assert.True((await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(3), patient, TimeSpan.FromMinutes(5), idempotencyKey: "citizen-7-try-1"))).Succeeded);
        await node.PingAsync();

        var samples = meters.Of(RedisSlotEngineTelemetry.RoundTripDuration);
        Assert.All(samples, s => Assert.Contains(s.Tags, t => t.Key == RedisSlotEngineTelemetry.SystemTag && (string?)t.Value == "redis"));
        var names = samples.Select(s => Assert.IsType<string>(Assert.Single(s.Tags, t => t.Key == RedisSlotEngineTelemetry.CommandTag).Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("SCRIPT", names);   // SCRIPT LOAD at start
        Assert.Contains("EVALSHA", names);  // publish, claim, calendar loads
        Assert.Contains("SET", names);      // the idempotency key's owner
        Assert.Contains("PING", names);
        Assert.All(names, name => Assert.Matches("^[A-Z]+$", name));

        // OpenTelemetry database-client conventions: a command sent to one server names it.
        var evalSha = samples.First(s => s.Tags.Any(t => (string?)t.Value == "EVALSHA"));
        Assert.Contains(evalSha.Tags, t => t.Key == RedisSlotEngineTelemetry.ServerAddressTag && (string?)t.Value == "127.0.0.1");
        Assert.Contains(evalSha.Tags, t => t.Key == RedisSlotEngineTelemetry.ServerPortTag && (int?)t.Value == fixture.Server.Port);
        Assert.All(samples, s => Assert.True(s.Value >= 0));

        // Nothing of a key, the prefix, the idempotency key or the patient in any tag of either instrument.
        var patientHex = patient.Value.ToString("x", CultureInfo.InvariantCulture);
        foreach (var value in meters.Of(RedisSlotEngineTelemetry.RoundTripDuration).Concat(meters.Of(RedisSlotEngineTelemetry.ChangeFeedLag))
                     .SelectMany(s => s.Tags).Select(t => t.Value?.ToString() ?? string.Empty))
        {
            Assert.DoesNotContain(nodes.Prefix, value, StringComparison.Ordinal);
            Assert.DoesNotContain(DayText, value, StringComparison.Ordinal);
            Assert.DoesNotContain("citizen", value, StringComparison.Ordinal);
            Assert.DoesNotContain(patientHex, value, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_second_node_records_change_feed_lag_for_a_claim_made_on_the_first_and_none_for_an_old_style_message()
    {
        using var writerMeters = new MeterScope();
        using var readerMeters = new MeterScope();
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync(o => o.MeterFactory = writerMeters);
        var reader = await nodes.AddAsync(o => o.MeterFactory = readerMeters);
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await Eventually.TrueAsync(() => reader.ReadModel.FindReadModel(Calendar) is not null, "the reader to learn of the published day");
        await Eventually.TrueAsync(() => readerMeters.Of(RedisSlotEngineTelemetry.ChangeFeedLag).Count >= 1, "a lag sample for the publish ('reset' message)");
        var before = readerMeters.Of(RedisSlotEngineTelemetry.ChangeFeedLag).Count;

        Assert.True((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(4), ContractWorld.Patient(1)))).Succeeded);
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(Calendar)[4].Status == SlotStatus.Booked, "the claim to reach the reader");
        await Eventually.TrueAsync(() => readerMeters.Of(RedisSlotEngineTelemetry.ChangeFeedLag).Count > before, "a lag sample for the claim");
        var lag = readerMeters.Of(RedisSlotEngineTelemetry.ChangeFeedLag);
        Assert.All(lag, s => Assert.True(s.Value >= 0 && double.IsFinite(s.Value)));
        Assert.All(lag, s => Assert.Empty(s.Tags));

        // A message of an older script, without the time field: understood (a reload runs), but no lag sample.
        var samples = lag.Count;
        var reloads = reader.Feed.Reloads;
        var version = reader.Feed.LoadedVersion(Calendar);
        await fixture.Server.CliAsync("PUBLISH", nodes.Prefix + "feed", $"{ContractWorld.Doctor.Value}:{DayText}|{version + 1}");
        await Eventually.TrueAsync(() => reader.Feed.Reloads > reloads, "the old-style message to make the reader reload");
        Assert.Equal(samples, readerMeters.Of(RedisSlotEngineTelemetry.ChangeFeedLag).Count);
    }

    [Fact]
    public async Task PingAsync_answers_while_the_server_runs_and_fails_cleanly_once_it_is_killed()
    {
        await using var server = await RedisServer.StartAsync();
        await using var nodes = new StoreNodes(server.Endpoint + ",syncTimeout=1000");
        var node = await nodes.AddAsync();

        var ping = await node.PingAsync();
        Assert.True(ping > TimeSpan.Zero);

        server.Kill();
        await Assert.ThrowsAnyAsync<RedisException>(async () => await node.PingAsync());

        await node.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await node.PingAsync());
    }
}
