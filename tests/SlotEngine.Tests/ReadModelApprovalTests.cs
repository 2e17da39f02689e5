using Microsoft.Extensions.Time.Testing;
using System.Buffers.Binary;
using SlotEngine.Stores;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The approval flag in a store's read model (issue 11), through the public seam: laid in from the stored claim
/// (<see cref="ReadModelClaim.AwaitsApproval"/>), from a claim delta, and from a confirm that leaves a hold awaiting
/// approval (<see cref="ReadModel.ApplyAwaitApproval"/>); a confirm delta (the approval) clears it. Never inferred from
/// an expiry equal to the deadline.
/// </summary>
public class ReadModelApprovalTests
{
    private static readonly CalendarKey Key = new(TestWorld.P1, TestWorld.Today.AddDays(3));

    private static ReadModel NewModel()
    {
        var model = new ReadModel(new SlotEngineOptions
        {
            TimeProvider = new FakeTimeProvider(TestWorld.Start),
            PatientKeyHasher = PatientKeyHasher.FromSecret("read-model-tests-secret-0001"),
            Approval = ApprovalPolicy.Mhrs,
        });
        model.Engine.Directory.AddFacility(new FacilityId(1), TestWorld.Istanbul34);
        model.Engine.Directory.AddClinic(TestWorld.C10, new FacilityId(1), TestWorld.Branch5);
        model.Engine.Directory.AddProvider(TestWorld.P1, TestWorld.C10);
        return model;
    }

    private static byte[] Bitmap(DayLayout layout, params int[] claimedOnSeat0)
    {
        var wordsPerSeat = (layout.SlotCount + 63) / 64;
        var words = new ulong[wordsPerSeat * layout.Template.Capacity];
        for (var slot = 0; slot < layout.SlotCount; slot++)
        {
            if (layout.IsOffered(slot) && !claimedOnSeat0.Contains(slot))
            {
                words[slot / 64] |= 1UL << (slot % 64);
            }
        }

        var bytes = new byte[words.Length * 8];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), words[i]);
        }

        return bytes;
    }

    [Fact]
    public void The_flag_is_laid_in_from_stored_claims_and_deltas_and_an_approval_clears_it()
    {
        var model = NewModel();
        var deadline = model.Rules.ApprovalOf(Key.Day).DeadlineUtcTicks;
        var patient = new PatientKey(7);
        var layout = model.LayoutOf(DayTemplate.Standard, Key.Day);
        model.Load(Key, DayTemplate.Standard, version: 5, lastToken: 2, Bitmap(layout, 0, 1), [
            new ReadModelClaim(0, 0, 1, 1, patient, Booked: false, deadline) { AwaitsApproval = true },
            new ReadModelClaim(0, 1, 1, 2, patient, Booked: false, deadline), // a plain hold expiring at the same instant
        ]);

        var loaded = model.Engine.GetCalendar(Key);
        Assert.True(loaded[0].AwaitsApproval);
        Assert.False(loaded[1].AwaitsApproval); // not inferred from the expiry

        Assert.True(model.ApplyClaim(Key, 5, 6, new ReadModelClaim(0, 2, 1, 3, patient, Booked: false, deadline) { AwaitsApproval = true }));
        var holdExpiry = TestWorld.Start.AddMinutes(5).UtcTicks;
        Assert.True(model.ApplyClaim(Key, 6, 7, new ReadModelClaim(0, 3, 1, 4, patient, Booked: false, holdExpiry)));
        Assert.False(model.Engine.GetCalendar(Key)[3].AwaitsApproval);
        Assert.False(model.ApplyAwaitApproval(Key, 6, 8, 0, 3, 4, deadline)); // not at the version before: reload
        Assert.False(model.ApplyAwaitApproval(Key, 7, 8, 0, 3, 99, deadline)); // not this token's hold
        Assert.True(model.ApplyAwaitApproval(Key, 7, 8, 0, 3, 4, deadline));

        var awaiting = model.Engine.GetCalendar(Key);
        Assert.True(awaiting[2].AwaitsApproval);
        Assert.Equal(new SeatView(SlotStatus.Held, patient, 4, new DateTimeOffset(deadline, TimeSpan.Zero)) { AwaitsApproval = true }, awaiting[3]);
        Assert.Equal(8, awaiting.Version);

        Assert.True(model.ApplyConfirm(Key, 8, 9, 0, 3, 4)); // the approval
        Assert.Equal(new SeatView(SlotStatus.Booked, patient, 4, null), model.Engine.GetCalendar(Key)[3]);
    }
}
