using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// Audit retention in memory (issue 11): the host forgets what it has read (<see cref="InMemorySlotEngine.TrimAudit"/>), or
/// a sweep keeps about the newest <see cref="SlotEngineOptions.AuditMaxRecords"/>; what is kept still reads in order.
/// </summary>
public sealed class AuditRetentionTests
{
    /// <summary>Makes <paramref name="pairs"/> holds and releases on one calendar: two records each.</summary>
    private static void HoldAndRelease(TestWorld world, CalendarKey key, int pairs)
    {
        for (var i = 0; i < pairs; i++)
        {
            var hold = world.Engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(i % 8), world.Patient(1 + (i % 8)), TimeSpan.FromMinutes(5)));
            Assert.True(hold.Succeeded);
            Assert.True(world.Engine.TryRelease(hold.Reservation).Succeeded);
        }
    }

    private static List<AuditRecord> ReadAll(InMemorySlotEngine engine)
    {
        var all = new List<AuditRecord>();
        var buffer = new AuditRecord[256];
        var from = 0L;
        int read;
        while ((read = engine.ReadAudit(from, buffer)) > 0)
        {
            all.AddRange(buffer.AsSpan(0, read).ToArray());
            from = buffer[read - 1].Position + 1;
        }

        return all;
    }

    [Fact]
    public void A_host_trims_what_it_has_read_and_the_rest_reads_on_in_order()
    {
        var world = new TestWorld(o => o.Audit = true);
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        HoldAndRelease(world, key, 1_000);
        Assert.Equal(2_000, world.Engine.AuditCount);

        world.Engine.TrimAudit(1_500); // the host has read positions 0..1499

        var kept = ReadAll(world.Engine);
        Assert.InRange(kept[0].Position, 1_024, 1_500); // whole segments of 512 go
        Assert.Equal(1_999, kept[^1].Position);
        Assert.Equal(Enumerable.Range((int)kept[0].Position, kept.Count).Select(p => (long)p), kept.Select(r => r.Position));
        HoldAndRelease(world, key, 1);
        Assert.Equal(2_001, ReadAll(world.Engine)[^1].Position); // appends go on after a trim
    }

    [Fact]
    public void A_sweep_keeps_about_the_newest_audit_max_records_and_none_when_off()
    {
        var limited = new TestWorld(o => { o.Audit = true; o.AuditMaxRecords = 100; });
        var unlimited = new TestWorld(o => o.Audit = true);
        foreach (var world in new[] { limited, unlimited })
        {
            HoldAndRelease(world, world.Publish(TestWorld.P1, TestWorld.Tomorrow), 1_500);
            Assert.Equal(3_000, ReadAll(world.Engine).Count); // nothing is forgotten until a sweep
            world.Engine.Sweep();
        }

        var kept = ReadAll(limited.Engine);
        Assert.InRange(kept.Count, 100, 100 + 511);
        Assert.Equal(2_999, kept[^1].Position);
        Assert.Equal(3_000, ReadAll(unlimited.Engine).Count);
    }

    [Fact]
    public void A_negative_audit_max_records_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SlotEngineOptions { AuditMaxRecords = -1 }.Validate());
        Assert.Equal(nameof(SlotEngineOptions.AuditMaxRecords), e.ParamName);
    }
}
