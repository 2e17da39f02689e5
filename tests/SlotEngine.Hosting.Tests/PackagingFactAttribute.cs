namespace SlotEngine.Hosting.Tests;

/// <summary>
/// A fact that packs and builds whole projects (about two minutes on two cores), so it runs only when
/// <c>SLOTENGINE_PACKAGING_TESTS=1</c>: tests/run.sh sets it in a step of its own, and the ordinary
/// test run stays short.
/// </summary>
public sealed class PackagingFactAttribute : FactAttribute
{
    public const string Variable = "SLOTENGINE_PACKAGING_TESTS";

    public PackagingFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"Packaging proof: runs with {Variable}=1 (a step of tests/run.sh).";
        }
    }
}
