using SlotEngine.LoadTest.Cli;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// <c>--approval-deadline-in</c> (issue 11): the nearest day needing approval gets its deadline that long after the start,
/// so deadlines pass during a Redis run by Redis <c>TIME</c>, and the check after the run judges them by that clock.
/// </summary>
public class ApprovalScenarioTests
{
    [Fact]
    public void The_option_binds_and_moves_the_nearest_days_deadline_to_that_long_after_the_start()
    {
        var command = new LoadCommand();
        var settings = command.Bind(command.Root.Parse(["--approval-deadline-in", "20s"]), out var errors);
        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(20), settings!.ApprovalDeadlineIn);
        command.Bind(command.Root.Parse(["--approval-deadline-in", "0s"]), out var refused);
        Assert.Contains(refused, e => e.Contains("--approval-deadline-in", StringComparison.Ordinal));

        var start = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.FromHours(3));
        var policy = ApprovalScenario.PolicyFor(settings, start);
        var rules = new BookingRules(new SlotEngineOptions { Approval = policy });

        Assert.Equal((start + TimeSpan.FromSeconds(20)).UtcTicks, rules.ApprovalOf(new DateOnly(2026, 12, 2)).DeadlineUtcTicks);
        Assert.Equal(ApprovalPolicy.Mhrs, ApprovalScenario.PolicyFor(settings with { ApprovalDeadlineIn = null }, start));
    }

    [Fact]
    public async Task On_redis_deadlines_pass_during_the_run_and_no_unapproved_booking_outlives_its_deadline()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = Runs.SmallRedis(redis) with
        {
            Providers = 81,
            BookingsTarget = null,
            Duration = TimeSpan.FromSeconds(8),
            ApprovalDeadlineIn = TimeSpan.FromSeconds(4),
        };

        var result = await Runs.RunAsync(settings);

        Assert.True(result.Lifecycle.UnapprovedChecked > 0, "some bookings were left unapproved past their deadline");
        // Each booking judged was released (once, by this one node); other lapses may have left the ledger otherwise.
        Assert.True(result.Lifecycle.UnapprovedReleased >= result.Lifecycle.UnapprovedChecked, $"{result.Lifecycle.UnapprovedReleased} released, {result.Lifecycle.UnapprovedChecked} judged");
        Assert.Equal(0, result.Lifecycle.RuleViolations);
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Invariants.Violations);
        Assert.Equal(0, result.Lifecycle.ReplayMismatches);
    }
}
