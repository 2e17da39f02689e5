using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// Purging the waitlist against a model: random registrations (last days from today to three days ahead), cancels,
/// time moving by hours and purges, with a random retention. The model purges a wish when today is after its last day,
/// or when it was cancelled at least the retention ago; every purge's count and every wish's presence and state must
/// be the model's, and the scope's queue must keep the unpurged waiting wishes in order.
/// </summary>
public class WishPurgeModelTests
{
    private static readonly TimeSpan[] Retentions = [TimeSpan.Zero, TimeSpan.FromHours(5), TimeSpan.FromDays(1)];

    [Property(MaxTest = 200, EndSize = 40)]
    public Property Purges_follow_the_model() =>
        Prop.ForAll(
            Arb.From(Gen.Choose(0, 2).SelectMany(r => Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(Step, n)).Select(ops => (r, ops)))),
            ((int Retention, PurgeOp[] Ops) input) => Run(Retentions[input.Retention], input.Ops));

    private static Gen<PurgeOp> Step => Gen.Frequency(
        (4, from patient in Gen.Choose(0, 5) from days in Gen.Choose(0, 3) select (PurgeOp)new RegisterOp(patient, days)),
        (2, Gen.Choose(0, 30).Select(i => (PurgeOp)new CancelOp(i))),
        (2, Gen.Choose(1, 20).Select(h => (PurgeOp)new AdvanceOp(h))),
        (2, Gen.Constant((PurgeOp)new PurgeNowOp())));

    private static void Run(TimeSpan retention, PurgeOp[] ops)
    {
        var world = new TestWorld(o =>
        {
            o.Quotas = QuotaPolicy.None;
            o.Waitlist = new WaitlistPolicy(TimeSpan.FromMinutes(15)) { FinishedRetention = retention };
        });
        var engine = world.Engine;
        var tickets = new List<(WishTicket Ticket, DateOnly To)>();
        var cancelledAt = new Dictionary<int, DateTimeOffset>();
        var purged = new HashSet<int>();
        for (var step = 0; step < ops.Length; step++)
        {
            var what = $"step {step} of [{string.Join(", ", ops)}], retention {retention}";
            var now = world.Time.GetUtcNow();
            var today = DateOnly.FromDateTime(now.ToOffset(TestWorld.Istanbul).DateTime);
            switch (ops[step])
            {
                case RegisterOp r:
                    var to = today.AddDays(r.Days);
                    tickets.Add((engine.RegisterWish(new WishRequest(WaitlistScope.ForClinic(TestWorld.C10), today, to, 1, world.Patient(r.Patient))), to));
                    break;
                case CancelOp c when c.Index < tickets.Count:
                    var cancellable = !purged.Contains(c.Index) && !cancelledAt.ContainsKey(c.Index);
                    Assert.True(cancellable == engine.CancelWish(tickets[c.Index].Ticket), what);
                    if (cancellable)
                    {
                        cancelledAt[c.Index] = now;
                    }

                    break;
                case AdvanceOp a:
                    world.Time.Advance(TimeSpan.FromHours(a.Hours));
                    break;
                case PurgeNowOp:
                    var expected = 0;
                    for (var i = 0; i < tickets.Count; i++)
                    {
                        if (!purged.Contains(i) && (tickets[i].To < today || (cancelledAt.TryGetValue(i, out var at) && now - at >= retention)))
                        {
                            purged.Add(i);
                            expected++;
                        }
                    }

                    Assert.True(expected == engine.PurgeWishes(), what);
                    break;
            }

            var waiting = 0;
            for (var i = 0; i < tickets.Count; i++)
            {
                var view = engine.GetWish(tickets[i].Ticket);
                Assert.True(purged.Contains(i) == view is null, $"{what}: wish {i} purged {purged.Contains(i)}");
                if (view is not null)
                {
                    var state = cancelledAt.ContainsKey(i) ? WishState.Cancelled : WishState.Waiting;
                    Assert.True(state == view.State, $"{what}: wish {i} is {view.State}, model {state}");
                    if (state == WishState.Waiting)
                    {
                        Assert.True(waiting++ == view.Position, $"{what}: wish {i} at {view.Position}");
                    }
                }
            }
        }
    }

    private abstract record PurgeOp;

    private sealed record RegisterOp(int Patient, int Days) : PurgeOp;

    private sealed record CancelOp(int Index) : PurgeOp;

    private sealed record AdvanceOp(int Hours) : PurgeOp;

    private sealed record PurgeNowOp : PurgeOp;
}
