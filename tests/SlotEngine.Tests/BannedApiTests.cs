using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace SlotEngine.Tests;

/// <summary>
/// Library code takes time from <see cref="TimeProvider"/> only. BannedApiAnalyzers enforce it at
/// build time; this test is the belt to those braces and scans the sources itself.
/// </summary>
public partial class BannedApiTests
{
    [Fact]
    public void Library_code_never_reads_the_wall_clock()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        var files = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        Assert.NotEmpty(files);
        Assert.Contains(files, f => f.EndsWith("InMemorySlotEngine.cs", StringComparison.Ordinal));

        var offences = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = StripComment(lines[i]);
                if (WallClock().IsMatch(code))
                {
                    offences.Add($"{Path.GetRelativePath(src, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(offences.Count == 0, "Wall-clock reads in library code (use TimeProvider):\n" + string.Join('\n', offences));
    }

    [Theory]
    [InlineData("var now = DateTime.Now;", true)]
    [InlineData("x = System.DateTime.UtcNow.Ticks;", true)]
    [InlineData("if (d == DateTime.Today)", true)]
    [InlineData("var t = DateTimeOffset.UtcNow;", true)]
    [InlineData("var t = DateTimeOffset . Now;", true)]
    [InlineData("var t = _time.GetUtcNow();", false)]
    [InlineData("var t = DateTime.Parse(s); // not DateTime.Now", false)]
    [InlineData("var nowTicks = DateTimeOffset.UtcNowish;", false)]
    public void The_scan_recognises_wall_clock_reads(string line, bool offends)
    {
        Assert.Equal(offends, WallClock().IsMatch(StripComment(line)));
    }

    private static string StripComment(string line)
    {
        var at = line.IndexOf("//", StringComparison.Ordinal);
        return at < 0 ? line : line[..at];
    }

    private static string RepositoryRoot([CallerFilePath] string thisFile = "")
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("SLOTENGINE_REPO_ROOT"), Path.GetDirectoryName(thisFile), Environment.CurrentDirectory, AppContext.BaseDirectory };
        foreach (var start in candidates)
        {
            for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SlotEngine.sln")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (SlotEngine.sln); set SLOTENGINE_REPO_ROOT.");
    }

    [GeneratedRegex(@"\bDateTime(Offset)?\s*\.\s*(Now|UtcNow|Today)\b")]
    private static partial Regex WallClock();
}
