using FsCheck;
using FsCheck.Fluent;

namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// Random operation sequences (publish, withdraw, hold, book, confirm, release, cancel, block,
/// reopen, sweep, time moving, queries) run against the engine and the reference model; every
/// answer and every snapshot must agree.
/// </summary>
[Trait("Category", "Scan")]
public class ModelBasedTests
{
    [Fact]
    public void Engine_agrees_with_the_reference_model()
    {
        var property = Prop.ForAll(OperationGen.Scenarios(maxSteps: 60), ModelRunner.Run);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1_000).WithEndSize(60), property);
    }
}
