using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Audit retention on Redis (issue 11): a host trims a calendar's stream below a position it has read
/// (<see cref="RedisSlotEngine.TrimAuditAsync"/>, exact), and a sweep trims it to about
/// <see cref="RedisSlotEngineOptions.AuditStreamMaxLength"/> (<c>XTRIM MAXLEN ~</c> in the sweep script).
/// </summary>
public sealed class AuditRetentionTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    private static async Task HoldAndReleaseAsync(RedisSlotEngine node, int pairs)
    {
        for (var i = 0; i < pairs; i++)
        {
            var hold = await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(i % 8), ContractWorld.Patient(1 + (i % 8)), TimeSpan.FromMinutes(5)));
            Assert.True(hold.Succeeded);
            Assert.True((await node.ReleaseAsync(hold.Reservation)).Succeeded);
        }
    }

    private static async Task<List<AuditRecord>> ReadAllAsync(RedisSlotEngine node)
    {
        var all = new List<AuditRecord>();
        var after = -1L;
        while (await node.ReadAuditAsync(Calendar, after, 500) is { Count: > 0 } page)
        {
            all.AddRange(page);
            after = page[^1].Position;
        }

        return all;
    }

    private async Task<RedisSlotEngine> NodeAsync(StoreNodes nodes, int maxLength)
    {
        var node = await nodes.AddAsync(o => o.AuditStreamMaxLength = maxLength);
        await node.PublishAsync(Calendar.Provider, Calendar.Day, ContractWorld.Standard);
        return node;
    }

    [Fact]
    public async Task A_host_trims_a_calendars_stream_below_a_position_it_has_read()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.Engine.Audit = true; });
        var node = await NodeAsync(nodes, maxLength: 0);
        await HoldAndReleaseAsync(node, 100);
        var all = await ReadAllAsync(node);
        Assert.Equal(200, all.Count);

        Assert.Equal(120, await node.TrimAuditAsync(Calendar, all[120].Position));

        Assert.Equal(all.Skip(120).Select(r => r.Position), (await ReadAllAsync(node)).Select(r => r.Position));
        Assert.Equal(0, await node.TrimAuditAsync(Calendar, all[120].Position)); // again: nothing left below it
        Assert.Equal(0, await node.TrimAuditAsync(Calendar, 0));
        await node.SweepAsync(); // off: the sweep trims nothing
        Assert.Equal(80, (await ReadAllAsync(node)).Count);
    }

    [Fact]
    public async Task A_sweep_trims_each_stream_to_about_the_max_length_and_keeps_the_newest()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.Engine.Audit = true; });
        var node = await NodeAsync(nodes, maxLength: 20);
        await HoldAndReleaseAsync(node, 200);
        var all = await ReadAllAsync(node);
        Assert.Equal(400, all.Count); // appending never trims: no cost per transition

        await node.SweepAsync();

        var kept = await ReadAllAsync(node);
        Assert.InRange(kept.Count, 20, 20 + 100); // whole stream nodes (at most 100 entries each by default) go
        Assert.Equal(all[^1].Position, kept[^1].Position);
        Assert.Equal(all.Skip(all.Count - kept.Count).Select(r => r.Position), kept.Select(r => r.Position));
    }

    [Fact]
    public void A_negative_max_length_is_refused()
    {
        var options = new RedisSlotEngineOptions { ConnectionString = "127.0.0.1:1", AuditStreamMaxLength = -1 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(RedisSlotEngineOptions.AuditStreamMaxLength), e.ParamName);
    }
}
