using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The release rush, reserved pools and admission rate in the nationwide scenario (issue 12).</summary>
public class RushRunTests
{
    [Fact]
    public async Task A_run_with_the_rush_refuses_early_claims_serves_the_pool_and_breaks_no_reservation()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 3_000, Duration = null, Concurrency = 2, Citizens = 1_500, Seed = 5 };
        var result = await LoadRun.ExecuteAsync(settings, Runs.Quiet(), CancellationToken.None);
        Assert.NotNull(result);
        Assert.True(result.Rush.Enabled);
        Assert.True(result.Rush.RefusedNotOpen > 0, "no claim met the cohorts' opening");
        Assert.True(result.Rush.PoolClaims > 0, "no referral claimed");
        Assert.Equal(0, result.Rush.PoolViolations);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);

        var path = Path.Combine(Path.GetTempPath(), "slotengine-rush-test-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            Assert.True(root.GetProperty("rush").GetBoolean());
            Assert.Equal(result.Rush.RefusedNotOpen, root.GetProperty("claims_refused_not_open").GetInt64());
            Assert.Equal(result.Rush.RefusedRate, root.GetProperty("claims_refused_rate").GetInt64());
            Assert.Equal(0, root.GetProperty("pool_violations").GetInt64());
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileNameWithoutExtension(path) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task Without_the_rush_nothing_is_refused_for_it()
    {
        var settings = new LoadSettings { Providers = 200, BookingsTarget = 1_000, Duration = null, Concurrency = 2, Citizens = 1_000, Rush = false };
        var result = await LoadRun.ExecuteAsync(settings, Runs.Quiet(), CancellationToken.None);
        Assert.NotNull(result);
        Assert.False(result.Rush.Enabled);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);
    }
}
