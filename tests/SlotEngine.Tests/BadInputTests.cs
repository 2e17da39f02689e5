using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>Every bad input of the issue: a typed error naming what was wrong, and no state change at all.</summary>
public class BadInputTests
{
    private static readonly ProviderId Unknown = new(999);
    private readonly TestWorld _world = new();
    private readonly CalendarKey _standard;
    private readonly CalendarKey _wide;
    private readonly CalendarKey _unpublished = new(TestWorld.P1, TestWorld.Today.AddDays(3));
    private readonly Reservation _hold;
    private readonly Reservation _booking;

    public BadInputTests()
    {
        _standard = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _wide = _world.Publish(TestWorld.P4, TestWorld.Tomorrow, TestWorld.Wide);
        _hold = _world.MustHold(_standard, 5, 2, 0);
        _booking = _world.MustBook(_wide, 62, 4, 1);
        _world.Book(_wide, 100, 1, 2, key: "known-key");
    }

    public static TheoryData<string> Cases() =>
    [
        "claim: unknown provider", "claim: unpublished day", "claim: slot -1", "claim: slot past the end",
        "claim: length 0", "claim: length -3", "claim: runs past the day's end", "claim: crosses sessions",
        "claim: ttl 0", "claim: ttl negative", "claim: ttl above the maximum", "claim: no patient",
        "claim: idempotency key reused",
        "confirm: default reservation", "release: default reservation", "cancel: default reservation",
        "confirm: slot out of range", "release: seat out of range", "confirm: unknown provider",
        "block: unknown provider", "block: unpublished day", "block: slot out of range", "block: length 0", "block: past the end",
        "reopen: slot out of range", "reopen: unpublished day", "withdraw: unpublished day", "withdraw: unknown provider",
        "publish: unknown provider", "publish: other template",
        "snapshot: unpublished day", "free counts: unknown provider", "free counts: range ends before it starts", "free counts: range too long",
        "earliest: unknown clinic", "earliest: unknown provider",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_is_refused_with_its_code_and_changes_nothing(string name)
    {
        var (expected, act) = Case(name);
        var before = _world.Fingerprint(_standard, _wide, _unpublished);
        var error = Assert.Throws<SlotEngineArgumentException>(act);
        Assert.Equal(expected, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Equal(before, _world.Fingerprint(_standard, _wide, _unpublished));
        AssertStillWorks();
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567890a")]
    [InlineData("02345678901")]
    [InlineData("10000000147")]
    public void A_malformed_national_id_is_a_clear_error(string text)
    {
        var error = Assert.Throws<SlotEngineArgumentException>(() => NationalId.Parse(text));
        Assert.Equal(SlotEngineError.MalformedNationalId, error.Code);
        Assert.Equal("text", error.ParamName);
        Assert.StartsWith("Not a valid national ID", error.Message, StringComparison.Ordinal);
        Assert.Equal(SlotEngineError.MissingPatient, Assert.Throws<SlotEngineArgumentException>(() => _world.Engine.PatientOf(default)).Code);
    }

    [Fact]
    public void Bad_queries_are_refused_when_built()
    {
        var d = TestWorld.Tomorrow;
        Assert.Equal(SlotEngineError.InvalidDateRange, Assert.Throws<SlotEngineArgumentException>(() => EarliestQuery.ForClinic(TestWorld.C10, d, d.AddDays(-1))).Code);
        Assert.Equal(SlotEngineError.InvalidLength, Assert.Throws<SlotEngineArgumentException>(() => EarliestQuery.ForClinic(TestWorld.C10, d, d, 0)).Code);
        Assert.Equal(SlotEngineError.InvalidLength, Assert.Throws<SlotEngineArgumentException>(() => EarliestQuery.ForClinic(TestWorld.C10, d, d, 289)).Code);
        Assert.Equal(SlotEngineError.InvalidCount, Assert.Throws<SlotEngineArgumentException>(() => EarliestQuery.ForClinic(TestWorld.C10, d, d, 1, 0)).Code);
        Assert.Equal(SlotEngineError.InvalidCount, Assert.Throws<SlotEngineArgumentException>(() => EarliestQuery.ForClinic(TestWorld.C10, d, d).WithStartsPerCalendar(0)).Code);
    }

    [Fact]
    public void Bad_options_are_refused_by_name()
    {
        Assert.Equal("EarliestBookableDayOffset", Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySlotEngine(new SlotEngineOptions { EarliestBookableDayOffset = -1 })).ParamName);
        Assert.Equal("BookingHorizonDays", Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySlotEngine(new SlotEngineOptions { EarliestBookableDayOffset = 5, BookingHorizonDays = 4 })).ParamName);
        Assert.Equal("PatientCancelCutoff", Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySlotEngine(new SlotEngineOptions { PatientCancelCutoff = TimeSpan.FromMinutes(-1) })).ParamName);
        Assert.Equal("MaxHoldDuration", Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySlotEngine(new SlotEngineOptions { MaxHoldDuration = TimeSpan.Zero })).ParamName);
        Assert.Equal("MaxOpenDaysPerProvider", Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySlotEngine(new SlotEngineOptions { MaxOpenDaysPerProvider = 0 })).ParamName);
    }

    [Fact]
    public void Registration_conflicts_are_refused()
    {
        var directory = _world.Engine.Directory;
        Assert.Equal(SlotEngineError.RegistrationConflict, Assert.Throws<SlotEngineArgumentException>(() => directory.AddFacility(new FacilityId(1), new CityCode(6))).Code);
        Assert.Equal(SlotEngineError.UnknownFacility, Assert.Throws<SlotEngineArgumentException>(() => directory.AddClinic(new ClinicId(77), new FacilityId(77), TestWorld.Branch5)).Code);
        Assert.Equal(SlotEngineError.RegistrationConflict, Assert.Throws<SlotEngineArgumentException>(() => directory.AddClinic(TestWorld.C10, new FacilityId(2), TestWorld.Branch5)).Code);
        Assert.Equal(SlotEngineError.UnknownClinic, Assert.Throws<SlotEngineArgumentException>(() => directory.AddProvider(new ProviderId(50), new ClinicId(77))).Code);
        Assert.Equal(SlotEngineError.RegistrationConflict, Assert.Throws<SlotEngineArgumentException>(() => directory.AddProvider(TestWorld.P1, TestWorld.C20)).Code);
        Assert.Equal(SlotEngineError.UnknownProvider, Assert.Throws<SlotEngineArgumentException>(() => directory.AddProvider(new ProviderId(-1), TestWorld.C10)).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CityCode(82));
    }

    [Fact]
    public void With_several_faults_the_first_check_names_the_error_and_the_message_names_the_input()
    {
        // The checks run inline and the messages are built in cold methods (BookingRules.ThrowBadRange, ThrowBadClaim):
        // the order of the checks and what each message says must be what one check after another gave.
        var engine = _world.Engine;
        var patient = _world.Patient(7);
        SlotEngineArgumentException Refused(ClaimRequest request) => Assert.Throws<SlotEngineArgumentException>(() => engine.TryClaim(request));

        var noPatientBadHold = Refused(ClaimRequest.Hold(_standard, SlotRange.Single(3), default, TimeSpan.Zero));
        Assert.Equal(SlotEngineError.MissingPatient, noPatientBadHold.Code);
        var badPoolNoPatient = Refused(ClaimRequest.Book(_standard, SlotRange.Single(3), default) with { Pool = "a{b}" });
        Assert.Equal(SlotEngineError.InvalidPool, badPoolNoPatient.Code);
        var badCallBadPool = Refused(ClaimRequest.Book(_standard, SlotRange.Single(3), patient) with { CallId = string.Empty, Pool = "a{b}" });
        Assert.Equal(SlotEngineError.InvalidCallId, badCallBadPool.Code);
        var longHold = Refused(ClaimRequest.Hold(_standard, SlotRange.Single(3), patient, TimeSpan.FromMinutes(31)));
        Assert.Equal(SlotEngineError.InvalidHoldDuration, longHold.Code);
        Assert.Contains("00:31:00", longHold.Message, StringComparison.Ordinal);

        var outsideAndEmpty = Refused(ClaimRequest.Book(_standard, new SlotRange(-1, 0), patient));
        Assert.Equal(SlotEngineError.SlotOutOfRange, outsideAndEmpty.Code);
        Assert.Contains("Slot -1 is outside", outsideAndEmpty.Message, StringComparison.Ordinal);
        var pastTheEnd = Refused(ClaimRequest.Book(_wide, new SlotRange(140, 5), patient));
        Assert.Equal(SlotEngineError.InvalidLength, pastTheEnd.Code);
        Assert.Contains("runs past the end", pastTheEnd.Message, StringComparison.Ordinal);
        var acrossSessions = Refused(ClaimRequest.Book(_standard, new SlotRange(20, 6), patient));
        Assert.Equal(SlotEngineError.CrossesSession, acrossSessions.Code);
        Assert.Contains("into the next", acrossSessions.Message, StringComparison.Ordinal);
        Assert.Equal("slots", acrossSessions.ParamName);

        var seat = Assert.Throws<SlotEngineArgumentException>(() => engine.TryRelease(_hold with { Seat = 9 }));
        Assert.Equal(SlotEngineError.SeatOutOfRange, seat.Code);
        Assert.Contains("Seat 9 is outside", seat.Message, StringComparison.Ordinal);
        var unpublished = Refused(ClaimRequest.Book(_unpublished, SlotRange.Single(3), patient));
        Assert.Equal(SlotEngineError.DayNotPublished, unpublished.Code);
        Assert.Contains("is not published", unpublished.Message, StringComparison.Ordinal);
        var unknown = Refused(ClaimRequest.Book(new CalendarKey(Unknown, TestWorld.Tomorrow), SlotRange.Single(3), patient));
        Assert.Equal(SlotEngineError.UnknownProvider, unknown.Code);
        Assert.Contains("is not registered", unknown.Message, StringComparison.Ordinal);
        AssertStillWorks();
    }

    private void AssertStillWorks()
    {
        Assert.True(_world.Engine.TryConfirm(_hold).Succeeded);
        Assert.True(_world.Engine.TryRelease(_booking).Succeeded);
        Assert.True(_world.Book(_wide, 62, 4, 3).Succeeded);
    }

    private (SlotEngineError, Action) Case(string name)
    {
        var engine = _world.Engine;
        var patient = _world.Patient(5);
        ClaimResult Claim(CalendarKey key, int first, int length, TimeSpan? ttl = null, PatientKey? who = null, string? idem = null) =>
            engine.TryClaim(new ClaimRequest(key, new SlotRange(first, length), who ?? patient, ttl, idem));
        var d = TestWorld.Tomorrow;
        return name switch
        {
            "claim: unknown provider" => (SlotEngineError.UnknownProvider, () => Claim(new CalendarKey(Unknown, d), 0, 1)),
            "claim: unpublished day" => (SlotEngineError.DayNotPublished, () => Claim(_unpublished, 0, 1)),
            "claim: slot -1" => (SlotEngineError.SlotOutOfRange, () => Claim(_standard, -1, 1)),
            "claim: slot past the end" => (SlotEngineError.SlotOutOfRange, () => Claim(_standard, 48, 1)),
            "claim: length 0" => (SlotEngineError.InvalidLength, () => Claim(_standard, 0, 0)),
            "claim: length -3" => (SlotEngineError.InvalidLength, () => Claim(_standard, 10, -3)),
            "claim: runs past the day's end" => (SlotEngineError.InvalidLength, () => Claim(_wide, 140, 5)),
            "claim: crosses sessions" => (SlotEngineError.CrossesSession, () => Claim(_standard, 20, 6)),
            "claim: ttl 0" => (SlotEngineError.InvalidHoldDuration, () => Claim(_standard, 0, 1, TimeSpan.Zero)),
            "claim: ttl negative" => (SlotEngineError.InvalidHoldDuration, () => Claim(_standard, 0, 1, TimeSpan.FromMinutes(-1))),
            "claim: ttl above the maximum" => (SlotEngineError.InvalidHoldDuration, () => Claim(_standard, 0, 1, TimeSpan.FromMinutes(31))),
            "claim: no patient" => (SlotEngineError.MissingPatient, () => Claim(_standard, 0, 1, who: default(PatientKey))),
            "claim: idempotency key reused" => (SlotEngineError.IdempotencyKeyReused, () => Claim(_wide, 101, 1, who: _world.Patient(2), idem: "known-key")),
            "confirm: default reservation" => (SlotEngineError.MissingReservation, () => engine.TryConfirm(default)),
            "release: default reservation" => (SlotEngineError.MissingReservation, () => engine.TryRelease(default)),
            "cancel: default reservation" => (SlotEngineError.MissingReservation, () => engine.TryCancel(default, CancelActor.Patient)),
            "confirm: slot out of range" => (SlotEngineError.SlotOutOfRange, () => engine.TryConfirm(_hold with { Slots = new SlotRange(48, 1) })),
            "release: seat out of range" => (SlotEngineError.SeatOutOfRange, () => engine.TryRelease(_booking with { Seat = 1 })),
            "confirm: unknown provider" => (SlotEngineError.UnknownProvider, () => engine.TryConfirm(_hold with { Calendar = new CalendarKey(Unknown, d) })),
            "block: unknown provider" => (SlotEngineError.UnknownProvider, () => engine.Block(new CalendarKey(Unknown, d), new SlotRange(0, 1))),
            "block: unpublished day" => (SlotEngineError.DayNotPublished, () => engine.Block(_unpublished, new SlotRange(0, 1))),
            "block: slot out of range" => (SlotEngineError.SlotOutOfRange, () => engine.Block(_standard, new SlotRange(-5, 10))),
            "block: length 0" => (SlotEngineError.InvalidLength, () => engine.Block(_standard, new SlotRange(5, 0))),
            "block: past the end" => (SlotEngineError.InvalidLength, () => engine.Block(_wide, new SlotRange(60, 100))),
            "reopen: slot out of range" => (SlotEngineError.SlotOutOfRange, () => engine.Reopen(_standard, new SlotRange(48, 1))),
            "reopen: unpublished day" => (SlotEngineError.DayNotPublished, () => engine.Reopen(_unpublished, new SlotRange(0, 1))),
            "withdraw: unpublished day" => (SlotEngineError.DayNotPublished, () => engine.Withdraw(_unpublished)),
            "withdraw: unknown provider" => (SlotEngineError.UnknownProvider, () => engine.Withdraw(new CalendarKey(Unknown, d))),
            "publish: unknown provider" => (SlotEngineError.UnknownProvider, () => engine.Publish(Unknown, d, DayTemplate.Standard)),
            "publish: other template" => (SlotEngineError.TemplateConflict, () => engine.Publish(TestWorld.P1, d, TestWorld.Wide)),
            "snapshot: unpublished day" => (SlotEngineError.DayNotPublished, () => engine.GetCalendar(_unpublished)),
            "free counts: unknown provider" => (SlotEngineError.UnknownProvider, () => engine.GetFreeCounts(Unknown, d, d)),
            "free counts: range ends before it starts" => (SlotEngineError.InvalidDateRange, () => engine.GetFreeCounts(TestWorld.P1, d, d.AddDays(-1))),
            "free counts: range too long" => (SlotEngineError.InvalidDateRange, () => engine.GetFreeCounts(TestWorld.P1, d, d.AddDays(400))),
            "earliest: unknown clinic" => (SlotEngineError.UnknownClinic, () => engine.FindEarliest(EarliestQuery.ForClinic(new ClinicId(77), d, d))),
            "earliest: unknown provider" => (SlotEngineError.UnknownProvider, () => engine.FindEarliest(EarliestQuery.ForProviders([TestWorld.P1, Unknown], d, d))),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
        };
    }
}
