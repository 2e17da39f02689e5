using System.Reflection;
using System.Runtime.CompilerServices;

namespace SlotEngine.Tests;

/// <summary>The core opens its internals to tests and benchmarks only: a store uses its public API (issue 9.6).</summary>
public class PackageSeamTests
{
    [Fact]
    public void The_core_shows_its_internals_to_no_shipped_package()
    {
        var friends = typeof(InMemorySlotEngine).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();

        Assert.NotEmpty(friends);
        Assert.All(friends, name => Assert.True(name.EndsWith(".Tests", StringComparison.Ordinal) || name.EndsWith(".Benchmarks", StringComparison.Ordinal), $"InternalsVisibleTo {name}"));
    }
}
