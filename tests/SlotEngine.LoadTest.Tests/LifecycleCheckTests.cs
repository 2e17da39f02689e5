using SlotEngine.LoadTest.Run;
using SlotEngine.LoadTest.Scenario;
using static SlotEngine.LoadTest.Tests.TwoProviderDay;

namespace SlotEngine.LoadTest.Tests;

/// <summary>Each rule violation the check after a run counts comes with a description of what broke (which rule, citizen, seat, token, times).</summary>
public class LifecycleCheckTests
{
    [Fact]
    public async Task Every_rule_violation_is_counted_with_its_description()
    {
        var engine = NewEngine();
        var a = Book(engine, 0, 3, Ayse);
        var b = Book(engine, 1, 4, Mehmet);

        // The check's own inputs, each breaking one rule: a claim returned inside a bar registered before it, a call's
        // third claim with a limit of two, and a ledger giving Ayse two live appointments against a cap of one.
        var mix = new LifecycleMix(0, maxPerCall: 2, TimeSpan.FromHours(1));
        var dressed = CallCentreClaim(mix, a);

        mix.Claimed(dressed, a, Now.UtcTicks);
        mix.Claimed(dressed, a, Now.UtcTicks);
        mix.Claimed(dressed, a, Now.UtcTicks);
        var barUntil = Now.AddDays(15).UtcTicks;
        mix.CheckBar(barUntil, Now.UtcTicks, Now.UtcTicks + 1, new BranchId(8), a);
        mix.CheckBar(barUntil, Now.UtcTicks, barUntil, new BranchId(8), a); // the bar had ended when the claim returned: no breach

        var options = new SlotEngineOptions { TimeProvider = new ScenarioClock(Now), MaxActiveAppointments = 1, Bars = BarPolicy.Mhrs };
        var ledger = new LedgerEntry[] { new(a, LedgerState.Booked), new(b with { Patient = Ayse }, LedgerState.Booked) };
        var totals = await LifecycleCheck.RunAsync(engine, [mix], ledger, options, CancellationToken.None);

        Assert.Equal(3, totals.RuleViolations);
        Assert.Equal(3, totals.RuleBreaches.Count);
        Assert.Contains(totals.RuleBreaches, d => d.StartsWith("call limit: call " + dressed.CallId, StringComparison.Ordinal) && d.Contains("claim 3 of at most 2", StringComparison.Ordinal) && d.Contains($"token {a.Token}", StringComparison.Ordinal));
        Assert.Contains(totals.RuleBreaches, d => d.StartsWith("bar: patient 11 branch 8", StringComparison.Ordinal) && d.Contains(new DateTimeOffset(barUntil, TimeSpan.Zero).ToString("O"), StringComparison.Ordinal));
        Assert.Contains(totals.RuleBreaches, d => d.StartsWith("active cap: patient 11 has 2 live future appointments (cap 1)", StringComparison.Ordinal) && d.Contains($"token {b.Token}", StringComparison.Ordinal));
    }

    /// <summary>
    /// A call-limit breach carries the engine's own time for its claim (the claim's audit record), so that a claim the engine
    /// took inside the call's hour can be told from one it took after the generator stalled; a claim the stream has no
    /// record of says so.
    /// </summary>
    [Fact]
    public async Task A_call_limit_breach_carries_the_engines_claim_record_time()
    {
        var engine = NewEngine(audit: true);
        var clock = (ScenarioClock)engine.Options.TimeProvider;
        var a = Book(engine, 0, 3, Ayse);
        var claimedAt = clock.GetUtcNow();
        clock.AdvanceTo(Now.AddMinutes(7).UtcTicks); // the generator sees the claim return later than the engine took it
        var b = Book(engine, 1, 4, Mehmet);
        var mix = new LifecycleMix(0, maxPerCall: 1, TimeSpan.FromHours(1));
        var dressed = CallCentreClaim(mix, a);

        var returned = clock.GetUtcNow().UtcTicks;
        mix.Claimed(dressed, b, returned);
        mix.Claimed(dressed, a, returned); // the second claim of a one-claim call: a breach, with a's claim record
        mix.Claimed(dressed, a with { Token = a.Token + 1000 }, returned); // a claim the engine never made: no record

        var options = new SlotEngineOptions { TimeProvider = clock };
        var totals = await LifecycleCheck.RunAsync(engine, [mix], [new(a, LedgerState.Booked), new(b, LedgerState.Booked)], options, CancellationToken.None);

        Assert.Equal(0, totals.ReplayMismatches);
        Assert.Equal(2, totals.RuleBreaches.Count);
        var at = claimedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(totals.RuleBreaches, d => d.Contains("claim 2 of at most 1", StringComparison.Ordinal) && d.EndsWith("engine's claim record at " + at, StringComparison.Ordinal));
        Assert.Contains(totals.RuleBreaches, d => d.Contains("claim 3 of at most 1", StringComparison.Ordinal) && d.EndsWith("no engine claim record in the audit stream", StringComparison.Ordinal));
        Assert.NotEqual(claimedAt.UtcTicks, returned); // the time added is the engine's, not the generator's
    }

    [Fact]
    public async Task A_run_without_breaches_describes_none()
    {
        var engine = NewEngine();
        var a = Book(engine, 0, 3, Ayse);
        var b = Book(engine, 1, 4, Mehmet);
        var options = new SlotEngineOptions { TimeProvider = new ScenarioClock(Now), MaxActiveAppointments = 1 };
        var totals = await LifecycleCheck.RunAsync(engine, [new LifecycleMix(0, 2, TimeSpan.FromHours(1))], [new(a, LedgerState.Booked), new(b, LedgerState.Booked)], options, CancellationToken.None);
        Assert.Equal(0, totals.RuleViolations);
        Assert.Empty(totals.RuleBreaches);
    }

    /// <summary>
    /// The call-limit check judges by the engine's rule: a call's count lasts <see cref="ActorPolicy.CallRetention"/> after
    /// its first claim. The loop that found it: a worker stalled between dressing a call's fifth claim and making it while
    /// the other moved the scenario clock on two hours; the engine had forgotten the call and rightly took the claim.
    /// </summary>
    [Fact]
    public void A_claim_beyond_the_limit_after_the_calls_retention_is_no_breach()
    {
        var mix = new LifecycleMix(0, maxPerCall: 2, TimeSpan.FromHours(1));
        var a = new Reservation(new CalendarKey(new ProviderId(0), Tomorrow), SlotRange.Single(3), 0, 7, Ayse, Now.AddMinutes(5));
        var dressed = CallCentreClaim(mix, a);

        mix.Claimed(dressed, a, Now.AddMinutes(1).UtcTicks);
        mix.Claimed(dressed, a, Now.AddMinutes(2).UtcTicks);
        mix.Claimed(dressed, a, Now.AddHours(1).UtcTicks); // returned a retention after the call started: the engine may count afresh
        Assert.Equal(0, mix.CallLimitBreaches);
        Assert.Empty(mix.Breaches);

        mix.Claimed(dressed, a, Now.AddHours(1).UtcTicks - 1); // just inside it: the engine had to refuse
        Assert.Equal(1, mix.CallLimitBreaches);
        Assert.Single(mix.Breaches);
    }

    /// <summary>A's hold dressed by the mix until it is a call centre's claim (one with a call id), at <see cref="Now"/>.</summary>
    private static ClaimRequest CallCentreClaim(LifecycleMix mix, Reservation a)
    {
        var random = new FastRandom(1, 0);
        var call = ClaimRequest.Hold(a.Calendar, a.Slots, Ayse, TimeSpan.FromMinutes(5));
        ClaimRequest dressed;
        do
        {
            dressed = mix.Dress(call, ref random, Now.UtcTicks);
        }
        while (dressed.CallId is null);

        return dressed;
    }
}
