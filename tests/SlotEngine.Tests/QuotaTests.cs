using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>MHRS quotas: one live claim per patient per clinic per day, two per facility per day.</summary>
public class QuotaTests
{
    private readonly Action<SlotEngineOptions>? _configure;
    private readonly TestWorld _world;

    public QuotaTests()
        : this(null)
    {
    }

    /// <summary>The same tests on an engine configured by <paramref name="configure"/> (see <see cref="QuotaTestsUnderTheCap"/>).</summary>
    /// <param name="configure">Settings applied before each test's own.</param>
    protected QuotaTests(Action<SlotEngineOptions>? configure)
    {
        _configure = configure;
        _world = new TestWorld(configure);
    }

    private TestWorld World(Action<SlotEngineOptions> configure) => new(o =>
    {
        _configure?.Invoke(o);
        configure(o);
    });

    [Fact]
    public void One_claim_per_clinic_per_day()
    {
        var p1 = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var p2 = _world.Publish(TestWorld.P2, TestWorld.Tomorrow);
        _world.MustHold(p1, 0, 1, 0);
        var before = _world.Fingerprint(p1, p2);
        Assert.Equal(ClaimStatus.QuotaExceeded, _world.Book(p1, 5, 1, 0).Status);
        Assert.Equal(ClaimStatus.QuotaExceeded, _world.Hold(p2, 5, 1, 0).Status); // same clinic, other doctor
        Assert.Equal(before, _world.Fingerprint(p1, p2));
    }

    [Fact]
    public void Quota_is_checked_before_availability()
    {
        var p1 = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _world.MustBook(p1, 0, 1, 0);
        Assert.Equal(ClaimStatus.QuotaExceeded, _world.Book(p1, 0, 1, 0).Status);
    }

    [Fact]
    public void Two_claims_per_facility_per_day()
    {
        var c10 = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var c11 = _world.Publish(TestWorld.P3, TestWorld.Tomorrow);
        var otherFacility = _world.Publish(TestWorld.P4, TestWorld.Tomorrow);
        _world.MustBook(c10, 0, 1, 0);
        _world.MustBook(c11, 0, 1, 0);

        // A third clinic at facility 1 would be over the facility limit; make one.
        _world.Engine.Directory.AddClinic(new ClinicId(12), new FacilityId(1), new BranchId(9));
        _world.Engine.Directory.AddProvider(new ProviderId(6), new ClinicId(12));
        var c12 = _world.Publish(new ProviderId(6), TestWorld.Tomorrow);
        Assert.Equal(ClaimStatus.QuotaExceeded, _world.Book(c12, 0, 1, 0).Status);
        Assert.True(_world.Book(otherFacility, 0, 1, 0).Succeeded); // facility 2 is counted apart
    }

    [Fact]
    public void Quotas_are_per_day()
    {
        var tomorrow = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var later = _world.Publish(TestWorld.P1, TestWorld.Today.AddDays(2));
        _world.MustBook(tomorrow, 0, 1, 0);
        Assert.True(_world.Book(later, 0, 1, 0).Succeeded);
    }

    [Fact]
    public void Release_cancel_block_and_expiry_give_the_quota_back()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var r = _world.MustBook(key, 0, 1, 0);
        Assert.True(_world.Engine.TryRelease(r).Succeeded);
        r = _world.MustBook(key, 1, 1, 0);
        Assert.True(_world.Engine.TryCancel(r, CancelActor.Patient).Succeeded);
        _world.MustBook(key, 2, 1, 0);
        Assert.Single(_world.Engine.Block(key, new SlotRange(2, 1)).Displaced);
        _world.MustHold(key, 3, 1, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(_world.Book(key, 4, 1, 0).Succeeded);
    }

    [Fact]
    public void A_failed_claim_does_not_use_the_quota()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _world.MustBook(key, 0, 1, 1);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 0, 1, 0).Status);
        Assert.True(_world.Book(key, 1, 1, 0).Succeeded);
    }

    [Fact]
    public void Quotas_are_a_replaceable_policy()
    {
        var world = World(o => o.Quotas = new QuotaPolicy([new QuotaRule(QuotaScope.Provider, 2)]));
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var other = world.Publish(TestWorld.P2, TestWorld.Tomorrow);
        world.MustBook(key, 0, 1, 0);
        world.MustBook(key, 1, 1, 0);
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(key, 2, 1, 0).Status);
        Assert.True(world.Book(other, 2, 1, 0).Succeeded);

        var none = World(o => o.Quotas = QuotaPolicy.None);
        var free = none.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.All(Enumerable.Range(0, 8), s => Assert.True(none.Book(free, s, 1, 0).Succeeded)); // 8: the most a cap allows (the class below)
    }

    [Fact]
    public void Bad_policies_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuotaPolicy([new QuotaRule(QuotaScope.Clinic, 0)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuotaPolicy([new QuotaRule(QuotaScope.Clinic, 9)]));
        Assert.Throws<ArgumentException>(() => new QuotaPolicy([new QuotaRule(QuotaScope.Clinic, 1), new QuotaRule(QuotaScope.Clinic, 2)]));
        Assert.Equal([new QuotaRule(QuotaScope.Clinic, 1), new QuotaRule(QuotaScope.Facility, 2)], QuotaPolicy.Mhrs.Rules);
    }
}

/// <summary>
/// The quota tests again with the active cap on (8, above every test's claims), where the engine judges the quotas from
/// the patient's cap entries instead of the quota ledger's tables (ActiveLedger.Quotas.cs).
/// </summary>
public sealed class QuotaTestsUnderTheCap : QuotaTests
{
    public QuotaTestsUnderTheCap()
        : base(o => o.MaxActiveAppointments = 8)
    {
    }
}
