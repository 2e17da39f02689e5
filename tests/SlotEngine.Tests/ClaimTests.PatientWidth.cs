using System.Reflection;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    /// <summary>
    /// Registers patients straight in the engine's directory (an index is the key's address in its table, so the first
    /// 2^16 places fill and later keys spill above 65,535), and returns two whose indices differ only above the 16 bits
    /// a calendar stores beside each cell (the rest is on a page made on first need).
    /// </summary>
    private static (PatientKey High, PatientKey Low) PatientsSharingLowHalf(TestWorld world)
    {
        var directory = (PatientDirectory)typeof(InMemorySlotEngine).GetField("_patients", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(world.Engine)!;
        var byIndex = new Dictionary<uint, PatientKey>();
        for (var i = 1UL; i <= 80_000; i++)
        {
            var key = new PatientKey(0x5EED_0000_0000UL + i);
            byIndex[directory.IndexOf(key)] = key;
        }

        var high = byIndex.Keys.Where(index => index > ushort.MaxValue && byIndex.ContainsKey(index & ushort.MaxValue)).Min();
        return (byIndex[high], byIndex[high & ushort.MaxValue]);
    }

    [Fact]
    public void A_patient_index_above_16_bits_is_kept_whole_and_compared_whole()
    {
        // No quotas: one patient holds and books several claims of the same day here.
        var world = new TestWorld(o => o.Quotas = QuotaPolicy.None);
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var (high, low) = PatientsSharingLowHalf(world);

        // A slot first booked by a low index, then by a high one: the page of high halves is made then.
        var lowFirst = MustClaim(world, ClaimRequest.Book(key, SlotRange.Single(4), low));
        var booked = MustClaim(world, ClaimRequest.Book(key, new SlotRange(10, 2), high));
        var held = MustClaim(world, ClaimRequest.Hold(key, SlotRange.Single(20), high, TimeSpan.FromMinutes(5)));
        var snapshot = world.Engine.GetCalendar(key);
        Assert.Equal(low, snapshot[4].Owner);
        Assert.Equal(high, snapshot[10].Owner);
        Assert.Equal(high, snapshot[11].Owner);
        Assert.Equal(high, snapshot[20].Owner);
        world.AssertInvariants();

        // The other patient of the same low half owns nothing of these claims.
        var before = world.Fingerprint(key);
        Assert.Equal(ClaimStatus.Stale, world.Engine.TryRelease(booked with { Patient = low }).Status);
        Assert.Equal(ClaimStatus.Stale, world.Engine.TryConfirm(held with { Patient = low }).Status);
        Assert.Equal(ClaimStatus.Stale, world.Engine.TryRelease(lowFirst with { Patient = high }).Status);
        Assert.Equal(before, world.Fingerprint(key));

        // The owners do; a slot a high index freed and a low index took again reads the low one (its high half rewritten).
        Assert.True(world.Engine.TryConfirm(held).Succeeded);
        Assert.True(world.Engine.TryRelease(booked).Succeeded);
        var again = MustClaim(world, ClaimRequest.Book(key, new SlotRange(10, 2), low));
        snapshot = world.Engine.GetCalendar(key);
        Assert.Equal(low, snapshot[10].Owner);
        Assert.Equal(low, snapshot[11].Owner);
        Assert.Equal(SlotStatus.Booked, snapshot[20].Status);
        Assert.Equal(high, snapshot[20].Owner);
        Assert.Equal(ClaimStatus.Stale, world.Engine.TryRelease(again with { Patient = high }).Status);
        Assert.True(world.Engine.TryRelease(again).Succeeded);
        world.AssertInvariants();
    }

    private static Reservation MustClaim(TestWorld world, ClaimRequest request)
    {
        var result = world.Engine.TryClaim(in request);
        Assert.True(result.Succeeded, $"{request.Slots} for {request.Patient}: {result}");
        return result.Reservation;
    }
}
