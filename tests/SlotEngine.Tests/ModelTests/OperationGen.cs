using FsCheck;
using FsCheck.Fluent;

namespace SlotEngine.Tests.ModelTests;

/// <summary>Generators of scenarios, and a shrinker that drops steps so a counterexample reads short.</summary>
internal static class OperationGen
{
    private static readonly string?[] Keys = [null, null, null, null, null, "k0", "k1", "k2"];

    public static Arbitrary<Scenario> Scenarios(int maxSteps) => Arb.From(ScenarioGen(maxSteps), Shrink);

    private static Gen<Scenario> ScenarioGen(int maxSteps) =>
        from quotas in Gen.Elements(true, false)
        from count in Gen.Choose(1, maxSteps)
        from ops in Gen.ArrayOf(Step, count)
        select new Scenario(quotas, ops);

    private static Gen<Operation> Step => Gen.Frequency(
        (2, Publish),
        (1, Withdraw),
        (14, Claim),
        (4, Gen.Choose(0, 99).Select(r => (Operation)new ConfirmOp(r))),
        (3, Gen.Choose(0, 99).Select(r => (Operation)new ReleaseOp(r))),
        (3, from r in Gen.Choose(0, 99) from a in Gen.Elements(CancelActor.Patient, CancelActor.Administrator) select (Operation)new CancelOp(r, a)),
        (2, Block),
        (2, Reopen),
        (1, Gen.Constant((Operation)new SweepOp())),
        (4, Gen.Elements(1, 3, 10, 30, 120, 600, 1440).Select(m => (Operation)new AdvanceOp(m))),
        (1, Gen.Choose(1, 4).Select(p => (Operation)new FreeCountsOp(p))),
        (2, Earliest));

    private static Gen<int> Provider => Gen.Choose(1, 4);

    private static Gen<int> Day => Gen.Frequency((1, Gen.Constant(0)), (5, Gen.Choose(1, 2)));

    private static Gen<Operation> Publish => from p in Provider from d in Day select (Operation)new PublishOp(p, d);

    private static Gen<Operation> Withdraw => from p in Provider from d in Day select (Operation)new WithdrawOp(p, d);

    private static Gen<Operation> Claim =>
        from p in Provider
        from d in Day
        from first in First(ModelWorld.Provider(p).SlotCount)
        from length in Length(ModelWorld.Provider(p).SlotCount)
        from patient in Gen.Choose(0, 4)
        from hold in Gen.Frequency((4, Gen.Constant<int?>(null)), (6, Gen.Elements<int?>(1, 5, 10, 30)), (1, Gen.Elements<int?>(0, 31)))
        from key in Gen.Elements(Keys)
        select (Operation)new ClaimOp(p, d, first, length, patient, hold, key);

    private static Gen<Operation> Block =>
        from p in Provider
        from d in Day
        from first in First(ModelWorld.Provider(p).SlotCount)
        from length in Gen.Frequency((5, Gen.Choose(1, 4)), (1, Gen.Choose(5, 30)))
        select (Operation)new BlockOp(p, d, first, length);

    private static Gen<Operation> Reopen =>
        from p in Provider
        from d in Day
        from first in First(ModelWorld.Provider(p).SlotCount)
        from length in Gen.Choose(1, 12)
        select (Operation)new ReopenOp(p, d, first, length);

    private static Gen<Operation> Earliest =>
        from scope in Gen.Choose(0, 2)
        from length in Gen.Frequency((4, Gen.Choose(1, 3)), (1, Gen.Choose(4, 12)))
        from count in Gen.Choose(1, 12)
        from per in Gen.Frequency((2, Gen.Constant(1)), (1, Gen.Choose(2, 8)))
        select (Operation)new EarliestOp(scope, length, count, per);

    /// <summary>Mostly any slot, often around the 64-bit word boundaries, now and then out of range.</summary>
    private static Gen<int> First(int slotCount)
    {
        var boundaries = new[] { 60, 61, 62, 63, 64, 65, 124, 125, 126, 127, 128, 129 }.Where(s => s < slotCount).ToArray();
        return Gen.Frequency(
            (8, Gen.Choose(0, slotCount - 1)),
            (4, boundaries.Length > 0 ? Gen.Elements(boundaries) : Gen.Choose(0, slotCount - 1)),
            (1, Gen.Elements(-1, slotCount)));
    }

    private static Gen<int> Length(int slotCount) => Gen.Frequency(
        (10, Gen.Constant(1)),
        (6, Gen.Choose(2, 4)),
        (2, Gen.Choose(5, 20)),
        (1, Gen.Elements(0, slotCount)));

    /// <summary>Drops halves, then quarters, then single steps.</summary>
    private static IEnumerable<Scenario> Shrink(Scenario scenario)
    {
        var ops = scenario.Operations;
        for (var chunk = ops.Count / 2; chunk >= 1; chunk /= 2)
        {
            for (var start = 0; start + chunk <= ops.Count; start += chunk)
            {
                yield return scenario with { Operations = [.. ops.Take(start), .. ops.Skip(start + chunk)] };
            }
        }

        if (scenario.Quotas)
        {
            yield return scenario with { Quotas = false };
        }
    }
}
