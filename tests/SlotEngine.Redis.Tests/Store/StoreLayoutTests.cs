using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The stored-layout guard: a store records the layout it was written in, and a build refuses a store in another
/// layout (or an older build's, which recorded none) instead of misreading its calendars and claims.
/// </summary>
public sealed class StoreLayoutTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private RedisSlotEngineOptions Options(string prefix) => new()
    {
        ConnectionString = fixture.Server.Endpoint,
        KeyPrefix = prefix,
        PersistenceCheck = PersistenceCheckMode.Off,
        Engine = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, PatientKeyHasher = StoreNodes.SharedPatientKeys },
    };

    private static string NewPrefix() => "sl" + Guid.NewGuid().ToString("N")[..10] + ":";

    private Task<string> StoredAsync(string prefix) => fixture.Server.CliAsync("GET", StoreLayoutCheck.KeyOf(prefix));

    [Fact]
    public async Task A_fresh_store_starts_records_its_layout_and_starts_again_with_it()
    {
        var prefix = NewPrefix();
        await using (var first = await RedisSlotEngine.ConnectAsync(Options(prefix)))
        {
            ContractWorld.Register(first.Directory);
            await first.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        }

        Assert.Equal("3", (await StoredAsync(prefix)).Trim());
        Assert.Equal(prefix + "layout{" + prefix + "patient-secret-fingerprint-v1}", StoreLayoutCheck.KeyOf(prefix));

        await using var again = await RedisSlotEngine.ConnectAsync(Options(prefix));
        ContractWorld.Register(again.Directory);
        var calendar = await again.GetCalendarAsync(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day));
        Assert.Equal(ContractWorld.Standard.SlotCount, calendar.SlotCount);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("2")]
    [InlineData("1")]
    public async Task A_store_with_another_recorded_layout_refuses_to_start_naming_both_versions(string stored)
    {
        var prefix = NewPrefix();
        await fixture.Server.CliAsync("SET", StoreLayoutCheck.KeyOf(prefix), stored);

        var error = await Assert.ThrowsAsync<StoreLayoutException>(() => RedisSlotEngine.ConnectAsync(Options(prefix)));

        Assert.Equal(int.Parse(stored, System.Globalization.CultureInfo.InvariantCulture), error.StoredVersion);
        Assert.Equal(StoreLayoutCheck.Version, error.ExpectedVersion);
        Assert.Equal(prefix, error.KeyPrefix);
        Assert.Contains("stored layout version " + stored, error.Message, StringComparison.Ordinal);
        Assert.Contains("stored layout version 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("docs/redis.md", error.Message, StringComparison.Ordinal);
        Assert.Equal(stored, (await StoredAsync(prefix)).Trim()); // left as it was
        Assert.Equal("0", (await fixture.Server.CliAsync("EXISTS", prefix + "patient-secret-fingerprint-v1")).Trim());
    }

    [Fact]
    public async Task A_store_an_older_build_wrote_has_no_recorded_layout_and_is_refused_untouched()
    {
        // What a build before the guard leaves: the secret's fingerprint (stored at its first start) and a calendar
        // with its claims in a ':c' hash; no layout key.
        var prefix = NewPrefix();
        var fingerprint = StoreNodes.SharedPatientKeys.ComputeFingerprint(PatientSecretCheck.Label);
        await fixture.Server.CliAsync("SET", prefix + "patient-secret-fingerprint-v1", fingerprint);
        await fixture.Server.CliAsync("HSET", prefix + "{p:1:20261201}:c", "3", "hold|0|nonce");

        var error = await Assert.ThrowsAsync<StoreLayoutException>(() => RedisSlotEngine.ConnectAsync(Options(prefix)));

        Assert.Equal(1, error.StoredVersion);
        Assert.Equal(3, error.ExpectedVersion);
        Assert.Contains("no layout version", error.Message, StringComparison.Ordinal);
        Assert.Contains("Migrate", error.Message, StringComparison.Ordinal);
        Assert.Equal("0", (await fixture.Server.CliAsync("EXISTS", StoreLayoutCheck.KeyOf(prefix))).Trim());
    }

    [Fact]
    public async Task Nodes_starting_at_once_on_a_fresh_store_all_start_and_agree_on_one_layout()
    {
        var prefix = NewPrefix();
        var nodes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => RedisSlotEngine.ConnectAsync(Options(prefix)))));
        try
        {
            Assert.Equal(8, nodes.Length);
            Assert.Equal("3", (await StoredAsync(prefix)).Trim());
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_flushed_store_is_empty_again_and_the_next_node_records_the_layout_anew()
    {
        var prefix = NewPrefix();
        await using var running = await RedisSlotEngine.ConnectAsync(Options(prefix));
        await fixture.Server.CliAsync("FLUSHALL");
        Assert.Equal("0", (await fixture.Server.CliAsync("EXISTS", StoreLayoutCheck.KeyOf(prefix))).Trim());

        await using var next = await RedisSlotEngine.ConnectAsync(Options(prefix));

        Assert.Equal("3", (await StoredAsync(prefix)).Trim());
    }

    [Fact]
    public void The_layout_key_is_on_the_fingerprint_keys_cluster_slot()
    {
        foreach (var prefix in new[] { "se:", "tenant-7:", NewPrefix() })
        {
            Assert.Equal(SlotChannels.SlotOf(PatientSecretCheck.KeyOf(prefix)), SlotChannels.SlotOf(StoreLayoutCheck.KeyOf(prefix)));
        }
    }
}

/// <summary>The guard on a three-primary cluster: the one key lives on one primary, and nodes agree through it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StoreLayoutClusterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Nodes_starting_at_once_on_a_cluster_record_one_layout_and_a_changed_one_is_refused()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString);
        var started = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => RedisSlotEngine.ConnectAsync(new RedisSlotEngineOptions
        {
            ConnectionString = fixture.Cluster.ConnectionString,
            KeyPrefix = nodes.Prefix,
            PersistenceCheck = PersistenceCheckMode.Off,
            Engine = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, PatientKeyHasher = StoreNodes.SharedPatientKeys },
        }))));
        try
        {
            var db = started[0].Multiplexer.GetDatabase();
            RedisKey layout = StoreLayoutCheck.KeyOf(nodes.Prefix);
            Assert.Equal("3", (string?)await db.StringGetAsync(layout));
            Assert.Equal(
                started[0].Multiplexer.GetServer((RedisKey)PatientSecretCheck.KeyOf(nodes.Prefix)).EndPoint.ToString(),
                started[0].Multiplexer.GetServer(layout).EndPoint.ToString());

            await db.StringSetAsync(layout, "9");
            var error = await Assert.ThrowsAsync<StoreLayoutException>(() => nodes.AddAsync());
            Assert.Equal(9, error.StoredVersion);
        }
        finally
        {
            foreach (var node in started)
            {
                await node.DisposeAsync();
            }
        }
    }
}
