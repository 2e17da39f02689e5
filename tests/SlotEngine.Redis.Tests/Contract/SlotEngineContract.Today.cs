using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task Today_is_the_local_date_in_the_engine_zone_by_the_real_clock()
    {
        var engine = await EngineAsync(publish: false);
        var before = ContractWorld.Today;
        var today = engine.Today;
        var after = ContractWorld.Today;
        Assert.InRange(today, before, after);
    }

    [Fact]
    public async Task Today_follows_the_engine_time_provider_and_zone()
    {
        // 22:30 UTC on 1 January is 01:30 on 2 January in Istanbul (UTC+3).
        var engine = await EngineAsync(o => o.TimeProvider = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 22, 30, 0, TimeSpan.Zero)), publish: false);
        Assert.Equal(new DateOnly(2030, 1, 2), engine.Today);
    }
}
