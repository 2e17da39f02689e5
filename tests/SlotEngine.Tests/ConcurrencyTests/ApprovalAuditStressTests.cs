using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>
/// Confirms that leave holds awaiting approval (<see cref="ApprovalPolicy.Mhrs"/>), on a few cells whose holds expire and
/// are taken again all the time (lazily by claims, and by a sweeper), while the clock moves: the race of
/// <see cref="ApprovalRaceTests"/> left to the scheduler. After the threads: the audit stream agrees with the engine, and
/// once every plain hold's own expiry has passed, the only held seats are bookings awaiting approval.
/// </summary>
public sealed class ApprovalAuditStressTests
{
    private const int Slots = 4;

    [Fact]
    public void Holds_confirmed_into_unapproved_bookings_racing_expiry_and_the_next_hold_keep_state_and_audit_in_step()
    {
        for (var round = 0; round < 8; round++)
        {
            var world = new TestWorld(o =>
            {
                o.Approval = ApprovalPolicy.Mhrs;
                o.Quotas = QuotaPolicy.None;
                o.Audit = true;
            });
            var engine = world.Engine;
            var key = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(3), TestWorld.Wide);
            var threads = Math.Max(8, 2 * Environment.ProcessorCount); // more threads than cores: the scheduler preempts them mid-operation
            var done = 0;
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            using var start = new Barrier(threads + 2);
            var all = new List<Thread>();
            for (var t = 0; t < threads; t++)
            {
                var id = t;
                all.Add(new Thread(() => Guard(errors, () =>
                {
                    start.SignalAndWait();
                    for (var i = 0; i < 3_000; i++)
                    {
                        // Odd threads walk away from their holds; even ones confirm them (most become unapproved bookings,
                        // which the next lap releases so that the cells keep changing hands).
                        var slot = (i + id) % Slots;
                        var hold = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(slot), world.Patient((id * 7) + (i % 7)), TimeSpan.FromMinutes(1)));
                        if (hold.Succeeded && id % 2 == 0)
                        {
                            var confirmed = engine.TryConfirm(hold.Reservation);
                            if (confirmed.Succeeded && i % 3 == 0)
                            {
                                engine.TryRelease(confirmed.Reservation);
                            }
                        }
                    }

                    Interlocked.Increment(ref done);
                })));
            }

            all.Add(new Thread(() => Guard(errors, () =>
            {
                start.SignalAndWait();
                var spinner = default(SpinWait);
                while (Volatile.Read(ref done) < threads)
                {
                    world.Time.Advance(TimeSpan.FromSeconds(15)); // holds of a minute expire every few laps
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            })));
            all.Add(new Thread(() => Guard(errors, () =>
            {
                start.SignalAndWait();
                while (Volatile.Read(ref done) < threads)
                {
                    engine.Sweep();
                }
            })));
            all.ForEach(t => t.Start());
            all.ForEach(t => t.Join());
            Assert.Empty(errors);

            TestWorld.AssertInvariants(engine);
            Assert.Empty(AuditReading.ReplayAll(engine).Compare(engine.GetCalendar(key), world.Time.GetUtcNow()));

            // Past every plain hold's own expiry (a minute), well before the deadline (the evening before the day): a seat
            // still held is a booking awaiting approval, with the deadline as its expiry.
            world.Time.Advance(TimeSpan.FromMinutes(2));
            var deadline = engine.Rules.ApprovalOf(key.Day).DeadlineUtcTicks;
            var snapshot = engine.GetCalendar(key);
            for (var slot = 0; slot < Slots; slot++)
            {
                var seat = snapshot[slot];
                if (seat.Status == SlotStatus.Held)
                {
                    Assert.True(seat.AwaitsApproval, $"slot {slot}: a plain hold (token {seat.Token}) outlived its expiry, to {seat.HoldExpiresAt}");
                    Assert.Equal(deadline, seat.HoldExpiresAt?.UtcTicks);
                }
            }

            Assert.Empty(AuditReading.ReplayAll(engine).Compare(snapshot, world.Time.GetUtcNow()));
        }
    }

    private static void Guard(System.Collections.Concurrent.ConcurrentQueue<Exception> errors, Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            errors.Enqueue(e);
        }
    }
}
