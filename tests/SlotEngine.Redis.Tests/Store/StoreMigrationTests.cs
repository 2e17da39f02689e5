using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// <see cref="RedisStoreMigration"/> on one primary: a layout-2 (and a layout-1) store with bookings, quota entries, cap
/// entries and a bar, written by hand in the old keys, is brought to layout 3, and a layout-3 engine then finds every
/// booking and still refuses what the rules refused; a run stopped part way leaves each patient whole and a re-run
/// finishes; a store already in layout 3 is left untouched; running nodes make it refuse.
/// </summary>
public sealed class StoreMigrationTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static string NewPrefix() => "mg" + Guid.NewGuid().ToString("N")[..10] + ":";

    [Fact]
    public async Task A_layout_2_store_is_migrated_and_every_booking_quota_cap_and_bar_holds()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        await world.WriteAsync();
        await world.RewriteAsLayout2Async();
        Assert.NotEmpty(await world.KeysAsync("{a:*}:q:*"));
        Assert.NotEmpty(await world.KeysAsync("{a:*}:b"));
        var refused = await Assert.ThrowsAsync<StoreLayoutException>(world.StartAsync);
        Assert.Equal(2, refused.StoredVersion);

        var reports = new List<StoreMigrationProgress>();
        var result = await RedisStoreMigration.MigrateAsync(world.Options(), new InlineProgress<StoreMigrationProgress>(reports.Add), batchSize: 16);

        Assert.Equal(2, result.FromVersion);
        Assert.Equal(3, result.ToVersion);
        Assert.False(result.Resumed);
        Assert.Equal(1, result.Primaries);
        Assert.Equal(StoreMigrationWorld.Booked + 2, result.PatientsMoved); // patients 10.., the barred one, the capped one
        Assert.Equal(0, result.CalendarsMoved);
        Assert.True(result.KeysScanned > 0);
        Assert.Equal(StoreMigrationPhase.Done, reports[^1].Phase);
        Assert.Contains(reports, r => r.Phase == StoreMigrationPhase.Moving && r.PatientsMoved > 0 && r.PatientsMoved < result.PatientsMoved);
        Assert.Equal(result.PatientsMoved, reports[^1].PatientsMoved);
        await world.AssertHoldsAsync();
    }

    [Fact]
    public async Task A_layout_1_store_has_its_calendars_claims_moved_into_meta_too()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        await world.WriteAsync();
        await world.RewriteAsLayout1Async();
        Assert.NotEmpty(await world.KeysAsync("{p:*}:c"));
        Assert.Equal(1, (await Assert.ThrowsAsync<StoreLayoutException>(world.StartAsync)).StoredVersion);

        var result = await RedisStoreMigration.MigrateAsync(world.Options());

        Assert.Equal(1, result.FromVersion);
        Assert.Equal(10, result.CalendarsMoved); // five providers, two days
        Assert.Equal(StoreMigrationWorld.Booked + 2, result.PatientsMoved);
        Assert.Empty(await world.KeysAsync("{p:*}:n"));
        await world.AssertHoldsAsync();
    }

    [Fact]
    public async Task A_migration_stopped_part_way_leaves_each_patient_whole_keeps_nodes_out_and_a_rerun_finishes()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        await world.WriteAsync();
        await world.RewriteAsLayout2Async();

        // Stop it (as a crash would) after the first page that moved a patient.
        using var stop = new CancellationTokenSource();
        var progress = new InlineProgress<StoreMigrationProgress>(p =>
        {
            if (p.Phase == StoreMigrationPhase.Moving && p.PatientsMoved > 0)
            {
                stop.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RedisStoreMigration.MigrateAsync(world.Options(), progress, batchSize: 2, stop.Token));

        // Part way: some patients moved, some not, none half; the layout key holds the marker and nodes refuse.
        var old = await world.KeysAsync("{a:*}:q:*");
        Assert.NotEmpty(old);
        var moved = 0;
        foreach (var records in await world.KeysAsync("{a:*}"))
        {
            var fields = (await world.Db.HashKeysAsync(records)).Select(f => (string)f!).ToList();
            var isNew = fields.Exists(f => f.StartsWith('q') || f.StartsWith("b:", StringComparison.Ordinal));
            var hasOld = old.Exists(k => k.StartsWith(records + ":", StringComparison.Ordinal)) || await world.Db.KeyExistsAsync(records + ":b");
            Assert.False(isNew && hasOld, records + " is half moved");
            moved += isNew ? 1 : 0;
        }

        Assert.True(moved > 0);
        Assert.StartsWith("migrating-from-2-to-3", (string?)await world.Db.StringGetAsync(StoreLayoutCheck.KeyOf(world.Prefix)), StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<StoreLayoutException>(world.StartAsync);
        Assert.Contains("being migrated", refused.Message, StringComparison.Ordinal);

        var result = await RedisStoreMigration.MigrateAsync(world.Options(), batchSize: 2);

        Assert.True(result.Resumed);
        Assert.Equal(2, result.FromVersion);
        Assert.True(result.PatientsMoved < StoreMigrationWorld.Booked + 2);
        Assert.Equal(StoreMigrationWorld.Booked + 2, result.PatientsMoved + moved);
        await world.AssertHoldsAsync();
    }

    [Fact]
    public async Task A_layout_3_store_is_refused_and_left_untouched_and_so_is_an_empty_prefix()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        await world.WriteAsync();
        var keys = (await world.KeysAsync("*")).Order(StringComparer.Ordinal).ToList();

        var error = await Assert.ThrowsAsync<StoreLayoutException>(() => RedisStoreMigration.MigrateAsync(world.Options()));

        Assert.Equal(3, error.StoredVersion);
        Assert.Contains("already in stored layout 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(keys, (await world.KeysAsync("*")).Order(StringComparer.Ordinal).ToList());
        var now = await world.RecordsAsync();
        foreach (var (key, fields) in world.Before)
        {
            Assert.Equal(fields, now[key]);
        }

        await world.Db.StringSetAsync(StoreLayoutCheck.KeyOf(world.Prefix), "4");
        Assert.Contains("newer", (await Assert.ThrowsAsync<StoreLayoutException>(() => RedisStoreMigration.MigrateAsync(world.Options()))).Message, StringComparison.Ordinal);
        Assert.Equal("4", (string?)await world.Db.StringGetAsync(StoreLayoutCheck.KeyOf(world.Prefix)));

        await using var empty = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        Assert.Contains("nothing under key prefix", (await Assert.ThrowsAsync<StoreLayoutException>(() => RedisStoreMigration.MigrateAsync(empty.Options()))).Message, StringComparison.Ordinal);
        Assert.Empty(await empty.KeysAsync("*"));
    }

    [Fact]
    public async Task Records_without_x_and_keys_without_a_ttl_get_their_expiry_from_the_rules()
    {
        // Hand-written layout 2: a patient with cap entries only (the records key's TTL, no x); a patient whose day quota
        // hash has no TTL (the engine always set one: 2 days after the day, local midnight) and whose bars hash has none.
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        var db = world.Db;
        var p = world.Prefix;
        await db.StringSetAsync(p + "patient-secret-fingerprint-v1", "f");
        await db.StringSetAsync(StoreLayoutCheck.KeyOf(p), "2");
        const long capOnly = 4_102_444_800_000; // 2100-01-01
        await db.HashSetAsync(p + "{a:aa}", "a:0", "100:20261210|n1|0");
        await db.ExecuteAsync("PEXPIREAT", (StackExchange.Redis.RedisKey)(p + "{a:aa}"), capOnly);
        await db.HashSetAsync(p + "{a:bb}:q:20261210", "c:10:0", "100:20261210|n2|0");
        const long barEnd = 4_000_000_000_000;
        await db.HashSetAsync(p + "{a:bb}:b", "1", barEnd.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.HashSetAsync(p + "{a:cc}:q:20261210", "f:1:1", "100:20261210|n3|0");

        var result = await RedisStoreMigration.MigrateAsync(world.Options());

        Assert.Equal(3, result.PatientsMoved);
        Assert.Equal(capOnly.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)await db.HashGetAsync(p + "{a:aa}", "x"));
        Assert.Equal(capOnly, (long)await db.ExecuteAsync("PEXPIRETIME", p + "{a:aa}"));

        // 2026-12-12 00:00 in Istanbul (UTC+3) is 2026-12-11 21:00 UTC.
        var dayEnd = new DateTimeOffset(2026, 12, 11, 21, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var bb = (await db.HashGetAllAsync(p + "{a:bb}")).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        Assert.Equal("100:20261210|n2|0", bb["q20261210:c:10:0"]);
        Assert.Equal(barEnd.ToString(System.Globalization.CultureInfo.InvariantCulture), bb["b:1"]);
        Assert.Equal("20261210" + dayEnd.ToString("D13", System.Globalization.CultureInfo.InvariantCulture), bb["qd"]);
        Assert.Equal(barEnd.ToString(System.Globalization.CultureInfo.InvariantCulture), bb["x"]);
        Assert.Equal(barEnd, (long)await db.ExecuteAsync("PEXPIRETIME", p + "{a:bb}"));
        Assert.Equal(dayEnd.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)await db.HashGetAsync(p + "{a:cc}", "x"));
        Assert.Equal(dayEnd, (long)await db.ExecuteAsync("PEXPIRETIME", p + "{a:cc}"));
        Assert.Empty(await world.OldKeysAsync());
    }

    [Fact]
    public async Task A_running_node_makes_the_migration_refuse_and_change_nothing()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Server.Endpoint, NewPrefix());
        await world.WriteAsync();
        await world.RewriteAsLayout2Async();
        var old = (await world.OldKeysAsync()).Order(StringComparer.Ordinal).ToList();

        // A node that started before the store was in layout 2's form, still listening to the feed.
        await world.Db.StringSetAsync(StoreLayoutCheck.KeyOf(world.Prefix), "3");
        await using (var running = await world.StartAsync())
        {
            await world.Db.StringSetAsync(StoreLayoutCheck.KeyOf(world.Prefix), "2");
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RedisStoreMigration.MigrateAsync(world.Options()));
            Assert.Contains("seem to be running", error.Message, StringComparison.Ordinal);
            Assert.Equal("2", (string?)await world.Db.StringGetAsync(StoreLayoutCheck.KeyOf(world.Prefix)));
            Assert.Equal(old, (await world.OldKeysAsync()).Order(StringComparer.Ordinal).ToList());
        }

        // Stopped: it runs.
        await world.NodesGoneAsync();
        Assert.Equal(2, (await RedisStoreMigration.MigrateAsync(world.Options())).FromVersion);
        await world.AssertHoldsAsync();
    }
}

/// <summary>The migration on the three-primary cluster: every primary scanned, each patient moved on its own primary.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StoreMigrationClusterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_layout_2_store_on_three_primaries_is_migrated_after_a_stop_part_way_and_every_rule_holds()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Cluster.ConnectionString, "mc" + Guid.NewGuid().ToString("N")[..10] + ":");
        await world.WriteAsync();
        await world.RewriteAsLayout2Async();
        var primaries = new HashSet<string>();
        foreach (var key in await world.KeysAsync("{a:*}:q:*"))
        {
            primaries.Add(world.Db.Multiplexer.GetServer((StackExchange.Redis.RedisKey)key).EndPoint.ToString()!);
        }

        Assert.Equal(3, primaries.Count); // the old keys are spread over every primary

        using var stop = new CancellationTokenSource();
        var progress = new InlineProgress<StoreMigrationProgress>(p =>
        {
            if (p.Phase == StoreMigrationPhase.Moving && p.PatientsMoved > 0)
            {
                stop.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RedisStoreMigration.MigrateAsync(world.Options(), progress, batchSize: 2, stop.Token));
        Assert.NotEmpty(await world.OldKeysAsync());

        var result = await RedisStoreMigration.MigrateAsync(world.Options(), batchSize: 8);

        Assert.True(result.Resumed);
        Assert.Equal(3, result.Primaries);
        await world.AssertHoldsAsync();
    }

    [Fact]
    public async Task A_node_following_calendars_on_the_cluster_makes_the_migration_refuse()
    {
        await using var world = await StoreMigrationWorld.CreateAsync(fixture.Cluster.ConnectionString, "mr" + Guid.NewGuid().ToString("N")[..10] + ":");
        await world.WriteAsync();
        await world.RewriteAsLayout2Async();
        await world.Db.StringSetAsync(StoreLayoutCheck.KeyOf(world.Prefix), "3");
        await using (var running = await world.StartAsync())
        {
            // Following a calendar subscribes to its slot's shard channel (SSUBSCRIBE): what the migration looks for.
            Assert.Equal(ContractWorld.Standard.SlotCount, (await running.GetCalendarAsync(new CalendarKey(ContractWorld.Doctor, StoreMigrationWorld.Day))).SlotCount);
            await world.Db.StringSetAsync(StoreLayoutCheck.KeyOf(world.Prefix), "2");

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RedisStoreMigration.MigrateAsync(world.Options()));

            Assert.Contains("shard feed channel", error.Message, StringComparison.Ordinal);
            Assert.Equal("2", (string?)await world.Db.StringGetAsync(StoreLayoutCheck.KeyOf(world.Prefix)));
        }

        await world.NodesGoneAsync();
        Assert.Equal(3, (await RedisStoreMigration.MigrateAsync(world.Options())).Primaries);
        await world.AssertHoldsAsync();
    }
}
