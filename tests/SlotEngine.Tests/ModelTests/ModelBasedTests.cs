using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// Random operation sequences (publish, withdraw, hold, book, confirm, release, cancel, block,
/// reopen, sweep, time moving, queries) run against the engine and the reference model; every
/// answer and every snapshot must agree, and every calendar's invariants hold after every step. A
/// failure names the step and prints the seed to replay it: <c>[Property(Replay = "(seed1,seed2)")]</c>.
/// </summary>
[Trait("Category", "Scan")]
public class ModelBasedTests
{
    [Property(MaxTest = 1_000, EndSize = 60)]
    public Property Engine_agrees_with_the_reference_model() =>
        Prop.ForAll(OperationGen.Scenarios(maxSteps: 60), ModelRunner.Run);
}
