namespace SlotEngine.Hosting.Tests;

/// <summary>
/// The quick check of the READMEs' C# blocks, in every test run: each is found and declares what it
/// needs (<see cref="ReadmeBlocks"/>). The packaging test (<see cref="PackageInstallTests"/>) then
/// builds them all from the packed packages and runs those that need no Redis.
/// </summary>
public class ReadmeBlockTests
{
    [Fact]
    public void Every_csharp_block_of_the_readmes_names_its_packages_and_usings()
    {
        var blocks = ReadmeBlocks.All(ReadmeBlocks.RepositoryRoot);
        Assert.Contains(blocks, b => b.Name == ReadmeBlocks.HostingQuickStart);
        Assert.Contains(blocks, b => b.Name.StartsWith("README.md", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.CompileOnly);
        Assert.Contains(blocks, b => !b.CompileOnly);
        var problems = blocks.SelectMany(ReadmeBlocks.Problems).ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_hosting_quick_start_names_the_generic_host_it_uses()
    {
        var quickStart = ReadmeBlocks.All(ReadmeBlocks.RepositoryRoot).Single(b => b.Name == ReadmeBlocks.HostingQuickStart);
        Assert.Contains(quickStart.Packages, p => p.Id == "SlotEngine.Hosting");
        Assert.Contains(quickStart.Packages, p => p.Id == "Microsoft.Extensions.Hosting");
        Assert.False(quickStart.CompileOnly);
    }
}
