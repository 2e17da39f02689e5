using System.Buffers.Binary;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using Xunit.Abstractions;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>The Redis layout and the read model: one GET loads a calendar; every node follows every other through the change feed.</summary>
public sealed class ReadModelTests(StandaloneServerFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task The_bitmap_in_Redis_has_the_in_memory_bit_order_and_loads_with_one_GET()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        foreach (var slot in new[] { 0, 5, 9, 47 })
        {
            Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(slot), ContractWorld.Patient(slot)))).Succeeded);
        }

        var raw = await RawGetAsync(nodes.Prefix + "{p:100:" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:f");
        Assert.Equal(8, raw.Length);
        var expected = ((1UL << 48) - 1) & ~((1UL << 0) | (1UL << 5) | (1UL << 9) | (1UL << 47));
        Assert.Equal(expected, BinaryPrimitives.ReadUInt64LittleEndian(raw));

        // GETBIT counts from the most significant bit of each byte: slot s is offset s XOR 7.
        var key = nodes.Prefix + "{p:100:" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:f";
        Assert.Equal("0", (await fixture.Server.CliAsync("GETBIT", key, (5 ^ 7).ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim());
        Assert.Equal("1", (await fixture.Server.CliAsync("GETBIT", key, (6 ^ 7).ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim());

        // And the read model holds the same words as a calendar built in memory by the same claims.
        var memory = new InMemorySlotEngine(new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, Quotas = QuotaPolicy.None });
        ContractWorld.Register(memory.Directory);
        memory.Publish(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        foreach (var slot in new[] { 0, 5, 9, 47 })
        {
            Assert.True(memory.TryClaim(ClaimRequest.Book(Calendar, SlotRange.Single(slot), ContractWorld.Patient(slot))).Succeeded);
        }

        Assert.Equal(memory.FindReadModel(Calendar)!.CountFreeBits(), node.ReadModel.FindReadModel(Calendar)!.CountFreeBits());
        Assert.Equal(44, node.ReadModel.FindReadModel(Calendar)!.CountFreeBits());
    }

    [Fact]
    public async Task A_node_follows_changes_made_by_another_node()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await Eventually.TrueAsync(() => reader.ReadModel.FindReadModel(Calendar) is not null, "the reader to learn of the published day from the feed");

        var hold = (await writer.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(3, 2), ContractWorld.Patient(1), TimeSpan.FromMinutes(5)))).Reservation;
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(Calendar)[4].Status == SlotStatus.Held, "the hold to reach the reader");
        Assert.Equal(ClaimStatus.Taken, (await reader.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(4), ContractWorld.Patient(2)))).Status);

        Assert.True((await reader.ConfirmAsync(hold)).Succeeded); // any node can confirm: the reservation is the proof
        await Eventually.TrueAsync(() => writer.ReadModel.GetCalendar(Calendar)[3].Status == SlotStatus.Booked, "the confirm to reach the writer");
        await writer.BlockAsync(Calendar, new SlotRange(40, 8));
        await Eventually.TrueAsync(() => reader.ReadModel.GetFreeCounts(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day)[0].FreeSeats == 48 - 2 - 8, "the block to reach the reader");

        await writer.WithdrawAsync(Calendar);
        await Eventually.TrueAsync(() => reader.ReadModel.FindReadModel(Calendar) is null, "the withdrawal to reach the reader");
    }

    [Fact]
    public async Task A_node_cut_off_from_the_feed_reloads_what_it_missed_when_it_comes_back()
    {
        await using var proxy = new TcpFaultProxy(fixture.Server.Port);
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync(connectionString: proxy.Endpoint);
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await Eventually.TrueAsync(() => reader.ReadModel.FindReadModel(Calendar) is not null, "the reader to load the day");

        proxy.Blackhole = true; // the reader hears nothing now
        for (var slot = 0; slot < 10; slot++)
        {
            Assert.True((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(slot), ContractWorld.Patient(slot)))).Succeeded);
        }

        Assert.Equal(48, reader.ReadModel.GetCalendar(Calendar).FreeSeatCount); // stale while cut off
        proxy.Blackhole = false;
        proxy.CutAll(); // the reader's connections drop and come back: it reloads every calendar it holds
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(Calendar).FreeSeatCount == 38, "the reader to reload after the reconnect");
    }

    [Fact]
    public async Task Staleness_of_another_node_from_acknowledged_write_to_visible_under_load()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var loadDays = Enumerable.Range(1, 8).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        foreach (var provider in new[] { ContractWorld.SameClinic, ContractWorld.OtherClinic })
        {
            foreach (var day in loadDays)
            {
                await writer.PublishAsync(provider, day, ContractWorld.Standard);
            }
        }

        var probe = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day);
        await writer.PublishAsync(probe.Provider, probe.Day, ContractWorld.Standard);
        await Eventually.TrueAsync(() => reader.ReadModel.FindReadModel(probe) is not null, "the reader to load the probe day");

        // Background load: 32 claimers booking and releasing on 16 calendars.
        using var stop = new CancellationTokenSource();
        long loadClaims = 0;
        var load = Enumerable.Range(0, 32).Select(worker => Task.Run(async () =>
        {
            var provider = worker % 2 == 0 ? ContractWorld.SameClinic : ContractWorld.OtherClinic;
            var day = loadDays[worker % loadDays.Length];
            for (var i = 0; !stop.IsCancellationRequested && i < 100_000; i++)
            {
                var result = await writer.ClaimAsync(ClaimRequest.Book(new CalendarKey(provider, day), SlotRange.Single((worker + i) % 48), ContractWorld.Patient(worker)));
                if (result.Succeeded)
                {
                    await writer.ReleaseAsync(result.Reservation);
                }

                Interlocked.Increment(ref loadClaims);
            }
        })).ToArray();

        var lags = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var slot = i % 48;
            var booked = (await writer.ClaimAsync(ClaimRequest.Book(probe, SlotRange.Single(slot), ContractWorld.Patient(1000 + i)))).Reservation;
            var acknowledged = TimeProvider.System.GetTimestamp();
            var deadline = acknowledged + (10 * TimeProvider.System.TimestampFrequency);
            while (reader.ReadModel.GetCalendar(probe)[slot].Token != booked.Token)
            {
                Assert.True(TimeProvider.System.GetTimestamp() < deadline, "The probe booking never reached the reader.");
                await Task.Delay(1); // the probe's resolution, not a wait for a condition
            }

            lags.Add(TimeProvider.System.GetElapsedTime(acknowledged).TotalMilliseconds);
            await writer.ReleaseAsync(booked);
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);
        lags.Sort();
        output.WriteLine($"staleness (acknowledged write on one node -> visible in another node's read model), 40 probes under {loadClaims} background claims+releases: " +
            $"p50 {lags[lags.Count / 2]:0.0} ms, p90 {lags[(int)(lags.Count * 0.9)]:0.0} ms, max {lags[^1]:0.0} ms (polled every ~1 ms)");
        Assert.Equal(40, lags.Count);
    }

    private async Task<byte[]> RawGetAsync(string key)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        return (byte[])(await redis.GetDatabase().StringGetAsync(key))!;
    }
}
