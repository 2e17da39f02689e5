using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// The waitlist against a plain model: random sequences of register, cancel wish, free a slot (release a
/// booking), accept an offer (confirm it) and let every live offer lapse (time passes the offer window, then a
/// sweep) on one clinic's one calendar of six 10-minute slots, all booked at the start. The model serves wishes
/// in (group, arrival) order, each at the earliest free run of its length; after every step the engine's view of
/// every wish (state, place, offered slots) must be the model's.
/// </summary>
public class WaitlistModelTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private static readonly DayTemplate Six = new([new Session(new TimeOnly(9, 0), new TimeOnly(10, 0))], TimeSpan.FromMinutes(10));

    [Property(MaxTest = 300, EndSize = 40)]
    public Property Offers_follow_the_models_FIFO_assignment() =>
        Prop.ForAll(Arb.From(Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(Step, n))), (WaitOp[] ops) => Run(ops));

    private static Gen<WaitOp> Step => Gen.Frequency(
        (5, from patient in Gen.Choose(0, 5) from g in Gen.Choose(0, 1) from length in Gen.Frequency((4, Gen.Constant(1)), (1, Gen.Constant(2))) select (WaitOp)new RegisterOp(patient, g, length)),
        (1, Gen.Choose(0, 30).Select(i => (WaitOp)new CancelWishOp(i))),
        (4, Gen.Choose(0, 5).Select(s => (WaitOp)new FreeOp(s))),
        (2, Gen.Choose(0, 30).Select(i => (WaitOp)new AcceptOp(i))),
        (1, Gen.Constant((WaitOp)new LapseOp())));

    private static void Run(WaitOp[] ops)
    {
        var world = new TestWorld(o =>
        {
            o.Quotas = QuotaPolicy.None;
            o.Waitlist = new WaitlistPolicy(Window, priorityGroups: 2);
        });
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, Six);
        var model = new Model();
        var live = new Reservation?[6];
        for (var slot = 0; slot < 6; slot++)
        {
            live[slot] = world.MustBook(calendar, slot, 1, 100 + slot);
            model.Slots[slot] = Model.Booked;
        }

        var tickets = new List<WishTicket>();
        for (var step = 0; step < ops.Length; step++)
        {
            var op = ops[step];
            switch (op)
            {
                case RegisterOp r:
                    tickets.Add(engine.RegisterWish(new WishRequest(WaitlistScope.ForClinic(TestWorld.C10), TestWorld.Tomorrow, TestWorld.Tomorrow, r.Length, world.Patient(r.Patient), r.Group)));
                    model.Register(tickets.Count - 1, r.Group, r.Length);
                    break;
                case CancelWishOp c when c.Index < tickets.Count:
                    var was = model.Wishes[c.Index].State;
                    Assert.Equal(was is WishState.Waiting or WishState.Offered, engine.CancelWish(tickets[c.Index]));
                    model.Cancel(c.Index);
                    break;
                case FreeOp f when model.Slots[f.Slot] == Model.Booked:
                    var booking = live[f.Slot] ?? engine.GetWish(tickets[model.AcceptedAt(f.Slot)])!.Offer!.Value;
                    Assert.True(engine.TryRelease(booking).Succeeded, $"step {step}: release {booking}");
                    live[f.Slot] = null;
                    model.Free(f.Slot);
                    break;
                case AcceptOp a when a.Index < tickets.Count && model.Wishes[a.Index].State == WishState.Offered:
                    var offer = engine.GetWish(tickets[a.Index])!.Offer!.Value;
                    Assert.True(engine.TryConfirm(offer).Succeeded, $"step {step}: confirm {offer}");
                    model.Accept(a.Index);
                    break;
                case LapseOp:
                    world.Time.Advance(Window + TimeSpan.FromSeconds(1));
                    engine.SweepExpiredHolds();
                    model.Lapse();
                    break;
                default:
                    continue;
            }

            for (var i = 0; i < tickets.Count; i++)
            {
                var view = engine.GetWish(tickets[i])!;
                var expected = model.Wishes[i];
                var what = $"step {step} ({op}), wish {i} after [{string.Join(", ", ops.Take(step + 1))}]";
                Assert.True(expected.State == view.State, $"{what}: state {view.State}, model {expected.State}");
                if (expected.State == WishState.Waiting)
                {
                    Assert.True(model.PositionOf(i) == view.Position, $"{what}: position {view.Position}, model {model.PositionOf(i)}");
                }

                if (expected.State is WishState.Offered or WishState.Accepted)
                {
                    Assert.True(new SlotRange(expected.First, expected.Length) == view.Offer!.Value.Slots, $"{what}: offered {view.Offer}, model {expected.First}+{expected.Length}");
                }
            }

            TestWorld.AssertInvariants(engine);
        }
    }

    private abstract record WaitOp;

    private sealed record RegisterOp(int Patient, int Group, int Length) : WaitOp;

    private sealed record CancelWishOp(int Index) : WaitOp;

    private sealed record FreeOp(int Slot) : WaitOp;

    private sealed record AcceptOp(int Index) : WaitOp;

    private sealed record LapseOp : WaitOp;

    /// <summary>The reference: six slots (free, booked, or offered to wish n), and the wishes in arrival order.</summary>
    private sealed class Model
    {
        public const int FreeSlot = -1;
        public const int Booked = -2;

        public int[] Slots { get; } = new int[6];

        public List<WishModel> Wishes { get; } = [];

        private readonly Dictionary<int, int> _acceptedAt = [];

        public int AcceptedAt(int slot) => _acceptedAt[slot];

        public void Register(int index, int group, int length)
        {
            Wishes.Add(new WishModel(index, group, length));
            Assign();
        }

        public int PositionOf(int index)
        {
            var wish = Wishes[index];
            return Wishes.Count(w => w.State == WishState.Waiting && (w.Group < wish.Group || (w.Group == wish.Group && w.Index < wish.Index)));
        }

        public void Cancel(int index)
        {
            var wish = Wishes[index];
            if (wish.State == WishState.Offered)
            {
                wish.State = WishState.Cancelled;
                FreeRange(wish.First, wish.Length);
                Assign();
            }
            else if (wish.State == WishState.Waiting)
            {
                wish.State = WishState.Cancelled;
            }
        }

        /// <summary>Releases the booking on a slot: a background one, or an accepted offer (all its slots; the wish then reads Lapsed, as its booking is gone).</summary>
        public void Free(int slot)
        {
            if (_acceptedAt.TryGetValue(slot, out var index))
            {
                var wish = Wishes[index];
                wish.State = WishState.Lapsed;
                for (var s = wish.First; s < wish.First + wish.Length; s++)
                {
                    _acceptedAt.Remove(s);
                }

                FreeRange(wish.First, wish.Length);
            }
            else
            {
                Slots[slot] = FreeSlot;
            }

            Assign();
        }

        public void Accept(int index)
        {
            var wish = Wishes[index];
            wish.State = WishState.Accepted;
            for (var s = wish.First; s < wish.First + wish.Length; s++)
            {
                Slots[s] = Booked;
                _acceptedAt[s] = index;
            }
        }

        public void Lapse()
        {
            foreach (var wish in Wishes.Where(w => w.State == WishState.Offered))
            {
                wish.State = WishState.Lapsed;
                FreeRange(wish.First, wish.Length);
            }

            Assign();
        }

        private void FreeRange(int first, int length)
        {
            for (var s = first; s < first + length; s++)
            {
                Slots[s] = FreeSlot;
            }
        }

        /// <summary>Waiting wishes in (group, arrival) order, each offered the earliest free run of its length.</summary>
        private void Assign()
        {
            foreach (var wish in Wishes.Where(w => w.State == WishState.Waiting).OrderBy(w => w.Group).ThenBy(w => w.Index).ToList())
            {
                for (var first = 0; first + wish.Length <= Slots.Length; first++)
                {
                    if (Enumerable.Range(first, wish.Length).All(s => Slots[s] == FreeSlot))
                    {
                        wish.State = WishState.Offered;
                        wish.First = first;
                        for (var s = first; s < first + wish.Length; s++)
                        {
                            Slots[s] = wish.Index;
                        }

                        break;
                    }
                }
            }
        }
    }

    private sealed class WishModel(int index, int group, int length)
    {
        public int Index { get; } = index;

        public int Group { get; } = group;

        public int Length { get; } = length;

        public WishState State { get; set; }

        public int First { get; set; }
    }
}
