using System.Reflection;
using System.Runtime.CompilerServices;

namespace SlotEngine.Hosting.Tests;

/// <summary>SlotEngine.Hosting does not pull the Redis store into in-memory hosts, and the Redis hosting package uses public API only.</summary>
public class PackageSeamTests
{
    [Fact]
    public void SlotEngine_Hosting_does_not_reference_the_Redis_store()
    {
        var references = typeof(SlotEngineServiceCollectionExtensions).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("SlotEngine", references);
        Assert.DoesNotContain("SlotEngine.Redis", references);
        Assert.DoesNotContain("Microsoft.Extensions.Diagnostics.HealthChecks", references);
    }

    [Fact]
    public void The_hosting_packages_show_their_internals_to_tests_only()
    {
        foreach (var assembly in new[] { typeof(SlotEngineServiceCollectionExtensions).Assembly, typeof(SlotEngineRedisServiceCollectionExtensions).Assembly })
        {
            Assert.All(assembly.GetCustomAttributes<InternalsVisibleToAttribute>(), a => Assert.EndsWith(".Tests", a.AssemblyName, StringComparison.Ordinal));
        }
    }
}
