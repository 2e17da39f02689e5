using System.Reflection;
using System.Text.RegularExpressions;

namespace SlotEngine.Hosting.Tests;

/// <summary>A package a README block names: <c>// dotnet add package Id [--version V]</c>.</summary>
internal sealed record BlockPackage(string Id, string? Version);

/// <summary>One <c>```csharp</c> block of a README, as a program of its own.</summary>
/// <param name="Name">Where it is: <c>src/SlotEngine.Hosting/README.md, block 1</c>.</param>
/// <param name="ProjectName">A project name for it (Block1, Block2, …).</param>
/// <param name="Code">The block as written.</param>
/// <param name="Packages">The packages it names, in order.</param>
/// <param name="CompileOnly">Whether it says <c>// compile only</c> (it needs a live Redis server).</param>
internal sealed record ReadmeBlock(string Name, string ProjectName, string Code, IReadOnlyList<BlockPackage> Packages, bool CompileOnly);

/// <summary>
/// Finds every C# block of README.md, src/*/README.md and samples/README.md. The conventions a block
/// follows, so that it builds as written in a new console project (<c>dotnet new console</c>: implicit
/// usings and nullable on) and nothing is added quietly:
/// <list type="bullet">
/// <item>it is a whole program (top-level statements with its own <c>using</c> lines);</item>
/// <item>it names every package it needs with a line <c>// dotnet add package Id</c>, and a package
/// other than SlotEngine* with its version: <c>// dotnet add package Microsoft.Extensions.Hosting --version 10.0.0</c>;</item>
/// <item>a block that needs a live Redis server says <c>// compile only: …</c>; it is built, not run.</item>
/// </list>
/// </summary>
internal static partial class ReadmeBlocks
{
    /// <summary>The block whose output the packaging test checks line by line.</summary>
    public const string HostingQuickStart = "src/SlotEngine.Hosting/README.md, block 1";

    public static string RepositoryRoot => typeof(ReadmeBlocks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static bool IsOurs(string package) => package == "SlotEngine" || package.StartsWith("SlotEngine.", StringComparison.Ordinal);

    /// <summary>The READMEs whose blocks must build, relative to the repository root, in a fixed order.</summary>
    public static IReadOnlyList<string> Readmes(string repository)
    {
        var list = new List<string> { "README.md" };
        list.AddRange(Directory.GetDirectories(Path.Combine(repository, "src"))
            .Select(d => Path.Combine(d, "README.md"))
            .Where(File.Exists)
            .Select(f => Path.GetRelativePath(repository, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));
        if (File.Exists(Path.Combine(repository, "samples", "README.md")))
        {
            list.Add("samples/README.md");
        }

        return list;
    }

    public static IReadOnlyList<ReadmeBlock> All(string repository)
    {
        var blocks = new List<ReadmeBlock>();
        foreach (var readme in Readmes(repository))
        {
            var text = File.ReadAllText(Path.Combine(repository, readme)).ReplaceLineEndings("\n");
            var number = 0;
            foreach (Match match in CSharpBlock().Matches(text))
            {
                number++;
                var code = match.Groups["code"].Value;
                var packages = AddPackage().Matches(code)
                    .Select(m => new BlockPackage(m.Groups["id"].Value, m.Groups["version"].Success ? m.Groups["version"].Value : null))
                    .ToList();
                blocks.Add(new ReadmeBlock(
                    $"{readme}, block {number}",
                    "Block" + (blocks.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    code,
                    packages,
                    CompileOnly().IsMatch(code)));
            }
        }

        return blocks;
    }

    /// <summary>What is wrong with a block's declarations (empty when nothing), checked without building it.</summary>
    public static IEnumerable<string> Problems(ReadmeBlock block)
    {
        if (block.Packages.Count == 0)
        {
            yield return $"{block.Name} names no package: add a line \"// dotnet add package SlotEngine\" (or the packages it needs)";
        }

        foreach (var package in block.Packages.Where(p => !IsOurs(p.Id) && p.Version is null))
        {
            yield return $"{block.Name} names {package.Id} without a version: \"// dotnet add package {package.Id} --version X\"";
        }

        foreach (var package in block.Packages.Where(p => IsOurs(p.Id) && p.Version is not null))
        {
            yield return $"{block.Name} pins {package.Id} to a version: SlotEngine packages take the one being tested";
        }

        if (block.Packages.GroupBy(p => p.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            yield return $"{block.Name} names {twice.Key} twice";
        }

        if (!block.Code.Contains("using ", StringComparison.Ordinal))
        {
            yield return $"{block.Name} has no using line: a block is a whole program";
        }
    }

    [GeneratedRegex("^```csharp[ \\t]*\\n(?<code>.*?)^```[ \\t]*$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex("^[ \\t]*//[ \\t]*dotnet add package[ \\t]+(?<id>[A-Za-z0-9_.-]+)(?:[ \\t]+--version[ \\t]+(?<version>[^ \\t\\n]+))?[ \\t]*$", RegexOptions.Multiline)]
    private static partial Regex AddPackage();

    [GeneratedRegex("^[ \\t]*//[ \\t]*compile only\\b", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex CompileOnly();
}
