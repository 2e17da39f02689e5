using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>The store on a three-primary cluster: calendars spread over the shards, quotas on other shards, SPUBLISH feed, a slot migrated under load.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StoreClusterTests(ClusterFixture fixture)
{
    private static readonly ProviderId[] Extra = Enumerable.Range(300, 12).Select(i => new ProviderId(i)).ToArray();

    [Fact]
    public async Task Claims_on_many_calendars_across_shards_from_two_nodes_keep_every_rule()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString);
        var writer = await AddNodeAsync(nodes);
        var other = await AddNodeAsync(nodes);
        var days = Enumerable.Range(1, 3).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        var calendars = Extra.SelectMany(p => days.Select(d => new CalendarKey(p, d))).ToArray();
        foreach (var calendar in calendars)
        {
            await writer.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        }

        var shards = calendars.Select(c => (RedisKey)(nodes.Prefix + "{p:" + c.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + c.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}"))
            .Select(key => writer.Multiplexer.GetServer(key).EndPoint.ToString()).Distinct().Count();
        Assert.Equal(3, shards);

        foreach (var provider in Extra)
        {
            await other.WatchAsync(provider, days[0], days[^1]);
        }

        var ledger = new ClaimLedger();
        var results = await Task.WhenAll(Enumerable.Range(0, 360).Select(async n =>
        {
            var node = n % 2 == 0 ? writer : other;
            // Blocks of 120 requests per day; within a day each (provider, slot) is asked once, and 30 of
            // the 90 patients ask twice (the second is refused by the quota).
            var calendar = new CalendarKey(Extra[n % 12], days[n / 120]);
            var result = await node.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single((n / 12) % 48), ContractWorld.Patient(n % 90), TimeSpan.FromMinutes(5)));
            if (result.Succeeded)
            {
                var booked = await node.ConfirmAsync(result.Reservation);
                Assert.True(booked.Succeeded, booked.ToString());
                ledger.Booked(booked.Reservation);
            }

            return result;
        }));

        // All twelve providers are in clinic 20 of facility 2: one claim per patient per day there.
        var perPatientDay = results.Where(r => r.Succeeded).GroupBy(r => (r.Reservation.Patient, r.Reservation.Calendar.Day));
        Assert.All(perPatientDay, g => Assert.Single(g));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ClaimStatus.QuotaExceeded, r.Status));
        Assert.Equal(90 * 3, ledger.Acknowledged); // every patient got one booking on each day

        // The other node's read model follows the writer's changes through the shard channels.
        await Eventually.TrueAsync(
            () => calendars.All(c => other.ReadModel.GetCalendar(c).FreeSeatCount == writer.ReadModel.GetCalendar(c).FreeSeatCount),
            "the other node's read model to agree");
        var reader = await AddNodeAsync(nodes);
        await ledger.VerifyAsync(reader, calendars, k => reader.WatchAsync(k.Provider, k.Day, k.Day));
    }

    [Fact]
    public async Task A_calendars_slot_migrated_under_load_loses_nothing()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await AddNodeAsync(nodes);
        var watcher = await AddNodeAsync(nodes);
        var calendar = new CalendarKey(Extra[0], ContractWorld.Day);
        await writer.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        await watcher.WatchAsync(calendar.Provider, calendar.Day, calendar.Day);

        var tag = nodes.Prefix + "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";
        var slot = writer.Multiplexer.HashSlot(tag);
        var cluster = fixture.Cluster;
        var source = await cluster.OwnerOfAsync(slot);
        var target = cluster.Nodes.First(n => n != source);

        var ledger = new ClaimLedger();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
        {
            // Until the migration is over (bounded): once the 48 slots are taken, claims keep coming back Taken.
            for (var i = 0; !stop.IsCancellationRequested && i < 20_000; i++)
            {
                var s = ((worker * 8) + i) % 48;
                var request = ClaimRequest.Hold(calendar, SlotRange.Single(s), ContractWorld.Patient((worker * 100_000) + i), TimeSpan.FromMinutes(5), $"mig-{nodes.Prefix}-{worker}-{i}");
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        var held = await writer.ClaimAsync(request);
                        if (held.Succeeded)
                        {
                            var booked = await writer.ConfirmAsync(held.Reservation);
                            Assert.True(booked.Succeeded, booked.ToString());
                            ledger.Booked(booked.Reservation);
                            if (i % 4 == 0)
                            {
                                Assert.True((await writer.ReleaseAsync(booked.Reservation)).Succeeded);
                                ledger.Released(booked.Reservation);
                            }
                        }

                        break;
                    }
                    catch (Exception e) when (attempt < 50 && e is RedisException or TimeoutException)
                    {
                        await Task.Delay(20); // retry pacing, not a wait for a condition
                    }
                }
            }
        })).ToArray();

        await Eventually.TrueAsync(() => ledger.Acknowledged > 5, "load before the migration");
        var slotText = slot.ToString(CultureInfo.InvariantCulture);
        await cluster.BeginSlotMigrationAsync(slot, source, target);
        while (true)
        {
            var keys = (await source.CliAsync("CLUSTER", "GETKEYSINSLOT", slotText, "100")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (keys.Length == 0)
            {
                break;
            }

            await source.CliAsync(["MIGRATE", "127.0.0.1", target.Port.ToString(CultureInfo.InvariantCulture), string.Empty, "0", "5000", "KEYS", .. keys]);
        }

        await cluster.FinishSlotMigrationAsync(slot, source, target);
        // The client learns the new owner from MOVED (or a topology refresh) and routes the slot there.
        await Eventually.TrueAsync(() => ((System.Net.IPEndPoint)writer.Multiplexer.GetServer((RedisKey)tag).EndPoint).Port == target.Port, "the client to route the moved slot to its new owner");
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Equal("1", (await target.CliAsync("EXISTS", tag + ":m")).Trim());
        var reader = await AddNodeAsync(nodes);
        await ledger.VerifyAsync(reader, [calendar], k => reader.WatchAsync(k.Provider, k.Day, k.Day));

        // The watcher's shard subscription moved with the slot, and it caught up.
        var after = await writer.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(47), ContractWorld.Patient(9999)));
        await Eventually.TrueAsync(
            () => watcher.ReadModel.GetCalendar(calendar).FreeSeatCount == reader.ReadModel.GetCalendar(calendar).FreeSeatCount - (after.Succeeded ? 1 : 0),
            "the watcher to follow the calendar on its new shard");
    }

    private static async Task<RedisSlotEngine> AddNodeAsync(StoreNodes nodes)
    {
        var node = await nodes.AddAsync();
        foreach (var provider in Extra)
        {
            node.Directory.AddProvider(provider, new ClinicId(20));
        }

        return node;
    }
}
