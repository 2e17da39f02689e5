using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Xml.Linq;

namespace SlotEngine.Hosting.Tests;

/// <summary>
/// Proof that the packages install and the READMEs say true: packs SlotEngine, SlotEngine.Redis and
/// SlotEngine.Hosting into a temporary folder, checks their metadata, then builds every C# block of
/// README.md, src/*/README.md and samples/README.md from those packages as written, each in a console
/// project of its own with exactly the packages its <c>// dotnet add package</c> lines name (no
/// framework or package added quietly), and runs each block not marked <c>// compile only</c>.
/// Blocks that need a live Redis server say <c>// compile only</c>: they are built, not run (this test
/// starts no Redis). A nuget.config lets SlotEngine* come from the temporary folder only; other
/// packages come from the machine's sources and cache, as for a user.
/// </summary>
public sealed class PackageInstallTests : IDisposable
{
    private static readonly string[] Shipped = ["SlotEngine", "SlotEngine.Redis", "SlotEngine.Hosting", "SlotEngine.Hosting.Redis"];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "slotengine-pack-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the temp folder is cleaned by the system later.
        }
    }

    [PackagingFact]
    [Trait("Category", "Packaging")]
    public async Task The_packages_install_from_a_local_folder_and_the_readme_quick_start_runs()
    {
        var repository = typeof(PackageInstallTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!;
        var feed = Path.Combine(_root, "feed");
        var version = "0.1.0-packtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        Directory.CreateDirectory(feed);

        // 1. Pack the three shipped projects (one MSBuild run through a solution filter).
        var filter = Path.Combine(_root, "shipped.slnf");
        await File.WriteAllTextAsync(filter, $$"""
            { "solution": { "path": "{{Path.Combine(repository, "SlotEngine.sln").Replace("\\", "/", StringComparison.Ordinal)}}",
              "projects": [ "src/SlotEngine/SlotEngine.csproj", "src/SlotEngine.Redis/SlotEngine.Redis.csproj", "src/SlotEngine.Hosting/SlotEngine.Hosting.csproj", "src/SlotEngine.Hosting.Redis/SlotEngine.Hosting.Redis.csproj" ] } }
            """);
        await RunAsync(_root, "dotnet", "pack", filter, "-c", "Release", "-nologo", "--artifacts-path", Path.Combine(_root, "artifacts"), $"-p:PackageOutputPath={feed}", $"-p:Version={version}");

        foreach (var id in Shipped)
        {
            Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), $"{id}.{version}.nupkg was not packed");
            Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id}.{version}.snupkg was not packed");
            var nuspec = ReadNuspec(Path.Combine(feed, $"{id}.{version}.nupkg"), out var files);
            Assert.Equal(id, Element(nuspec, "id"));
            Assert.Equal("MIT", Element(nuspec, "license"));
            Assert.Equal("README.md", Element(nuspec, "readme"));
            Assert.Contains("README.md", files);
            Assert.Contains($"lib/net10.0/{id}.xml", files);
            Assert.False(string.IsNullOrWhiteSpace(Element(nuspec, "description")));
            Assert.Contains("appointments", Element(nuspec, "tags"), StringComparison.Ordinal);
        }

        var core = ReadNuspec(Path.Combine(feed, $"SlotEngine.{version}.nupkg"), out _);
        Assert.DoesNotContain(core.Descendants(), e => e.Name.LocalName == "dependency");

        // 2. Every C# block of the READMEs as a program of its own, in a new console project that takes
        //    exactly the packages the block names (its "// dotnet add package" lines) and nothing else:
        //    SlotEngine* from the feed, others at the version the line gives. All are built in one
        //    MSBuild run; blocks marked "// compile only" (they need a live Redis server) are built,
        //    the others are run too, and each must exit with 0.
        var blocks = ReadmeBlocks.All(repository);
        Assert.NotEmpty(blocks);
        var apps = Path.Combine(_root, "blocks");
        Directory.CreateDirectory(apps);
        await File.WriteAllTextAsync(Path.Combine(apps, "nuget.config"), await NuGetConfigAsync(feed));
        var solution = new StringBuilder("<Solution>\n");
        foreach (var block in blocks)
        {
            var folder = Path.Combine(apps, block.ProjectName);
            Directory.CreateDirectory(folder);
            var references = string.Concat(block.Packages.Select(p =>
                $"\n    <PackageReference Include=\"{p.Id}\" Version=\"{(ReadmeBlocks.IsOurs(p.Id) ? version : p.Version)}\" />"));
            await File.WriteAllTextAsync(Path.Combine(folder, block.ProjectName + ".csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <!-- {block.Name}: what `dotnet new console` makes, plus the packages the block names. -->
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>{references}
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(folder, "Program.cs"), block.Code);
            solution.Append($"  <Project Path=\"{block.ProjectName}/{block.ProjectName}.csproj\" />\n");
        }

        solution.Append("</Solution>\n");
        await File.WriteAllTextAsync(Path.Combine(apps, "blocks.slnx"), solution.ToString());
        var index = string.Join('\n', blocks.Select(b => $"  {b.ProjectName} = {b.Name}"));
        await RunExplainedAsync(apps, $"the README blocks did not build (projects:\n{index})", "dotnet", "build", "blocks.slnx", "-c", "Release", "-nologo");

        foreach (var block in blocks)
        {
            var assets = await File.ReadAllTextAsync(Path.Combine(apps, block.ProjectName, "obj", "project.assets.json"));
            foreach (var package in block.Packages.Where(p => ReadmeBlocks.IsOurs(p.Id)))
            {
                Assert.Contains($"\"{package.Id}/{version}\"", assets, StringComparison.Ordinal);
            }

            if (block.Name == ReadmeBlocks.HostingQuickStart)
            {
                Assert.DoesNotContain("\"SlotEngine.Redis/", assets, StringComparison.Ordinal); // an in-memory host does not pull in the Redis store
            }
        }

        var outputs = new Dictionary<string, string>();
        foreach (var block in blocks.Where(b => !b.CompileOnly))
        {
            var dll = Path.Combine(apps, block.ProjectName, "bin", "Release", "net10.0", block.ProjectName + ".dll");
            var output = await RunExplainedAsync(apps, $"{block.Name} failed when run", "dotnet", dll);
            Assert.DoesNotContain("10000000146", output, StringComparison.Ordinal);
            outputs[block.Name] = output;
        }

        // The Hosting quick start prints what happened; the others must simply run to the end.
        var quickStart = outputs[ReadmeBlocks.HostingQuickStart];
        Assert.Contains("hold: Succeeded", quickStart, StringComparison.Ordinal);
        Assert.Contains("confirm: Succeeded", quickStart, StringComparison.Ordinal);
        Assert.Contains("second citizen: Taken", quickStart, StringComparison.Ordinal);
    }

    /// <summary>
    /// Sources: the feed for SlotEngine* (package source mapping makes it the only one for them) and
    /// the machine's own enabled sources for everything else; the machine's package folder serves as a
    /// fallback, so nothing already there is downloaded again and nothing is added to it.
    /// </summary>
    private async Task<string> NuGetConfigAsync(string feed)
    {
        var list = await RunAsync(_root, "dotnet", "nuget", "list", "source", "--format", "short");
        var sources = list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('E'))
            .Select(l => l[1..].Trim())
            .ToList();
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var config = new StringBuilder();
        config.AppendLine("<configuration>");
        config.AppendLine($"  <config><add key=\"globalPackagesFolder\" value=\"{Path.Combine(_root, "packages")}\" /></config>");
        config.AppendLine($"  <fallbackPackageFolders><clear /><add key=\"machine\" value=\"{machinePackages}\" /></fallbackPackageFolders>");
        config.AppendLine("  <packageSources><clear />");
        config.AppendLine($"    <add key=\"slotengine-feed\" value=\"{feed}\" />");
        for (var i = 0; i < sources.Count; i++)
        {
            config.AppendLine($"    <add key=\"machine{i}\" value=\"{sources[i]}\" />");
        }

        config.AppendLine("  </packageSources>");
        config.AppendLine("  <packageSourceMapping>");
        config.AppendLine("    <packageSource key=\"slotengine-feed\"><package pattern=\"SlotEngine\" /><package pattern=\"SlotEngine.*\" /></packageSource>");
        for (var i = 0; i < sources.Count; i++)
        {
            config.AppendLine($"    <packageSource key=\"machine{i}\"><package pattern=\"*\" /></packageSource>");
        }

        config.AppendLine("  </packageSourceMapping>");
        config.AppendLine("</configuration>");
        return config.ToString();
    }

    private static XElement ReadNuspec(string package, out List<string> files)
    {
        using var zip = ZipFile.OpenRead(package);
        files = [.. zip.Entries.Select(e => e.FullName)];
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XElement.Load(stream);
    }

    private static string Element(XElement nuspec, string name) =>
        nuspec.Descendants().First(e => e.Name.LocalName == name).Value;

    private static Task<string> RunAsync(string directory, string file, params string[] args) => RunExplainedAsync(directory, null, file, args);

    /// <summary>Runs a program; on a non-zero exit code fails with <paramref name="what"/> (or the command line) and its output.</summary>
    private static async Task<string> RunExplainedAsync(string directory, string? what, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{what ?? file + " " + string.Join(' ', args)}: exit code {process.ExitCode}:\n{output}");
        return output;
    }

}
