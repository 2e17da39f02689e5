using SlotEngine.Redis.Tests.Fixtures;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>The audit payload's one parse/format pair, held to itself and to what a real server's scripts write.</summary>
public sealed class AuditFormatTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public void Format_then_parse_gives_the_record_back()
    {
        var calendar = new CalendarKey(new ProviderId(7), new DateOnly(2026, 12, 1));
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_123);
        foreach (var record in new[]
        {
            new AuditRecord(5, AuditAction.Claim, calendar, new SlotRange(3, 2), 1, 536_000_000, new PatientKey(ulong.MaxValue), false, at.AddMinutes(10), Actor.Guardian, BookingChannel.Mobile, at),
            new AuditRecord(6, AuditAction.Displace, calendar, new SlotRange(0, 1), 0, 1, new PatientKey(1), true, null, Actor.Administrator, BookingChannel.InPerson, at),
            new AuditRecord(7, AuditAction.Outcome, calendar, new SlotRange(0, 1), 0, 1, new PatientKey(1), true, null, Actor.Administrator, BookingChannel.Web, at) { Outcome = AppointmentOutcome.SeenElsewhere },
        })
        {
            Assert.Equal(record, AuditFormat.Parse(AuditFormat.Format(record), calendar, record.Position));
        }
    }

    [Fact]
    public void A_stream_id_and_a_position_convert_both_ways()
    {
        Assert.Equal("1780000000123-7", AuditFormat.IdOf(AuditFormat.PositionOf("1780000000123-7")));
        Assert.True(AuditFormat.PositionOf("5-0") > AuditFormat.PositionOf("4-999"));
    }

    [Fact]
    public async Task What_the_scripts_write_is_byte_for_byte_what_the_formatter_writes()
    {
        var prefix = "af" + Guid.NewGuid().ToString("N")[..8] + ":";
        var options = new SlotEngineOptions { Audit = true, PatientKeyHasher = PatientKeyHasher.FromSecret("audit-format-test-secret") };
        await using var engine = await RedisSlotEngine.ConnectAsync(new RedisSlotEngineOptions
        {
            ConnectionString = fixture.Server.Endpoint,
            Engine = options,
            KeyPrefix = prefix,
            PersistenceCheck = PersistenceCheckMode.Off,
        });
        engine.Directory.AddFacility(new FacilityId(1), new CityCode(34));
        engine.Directory.AddClinic(new ClinicId(10), new FacilityId(1), new BranchId(1));
        engine.Directory.AddProvider(new ProviderId(100), new ClinicId(10));
        var day = engine.Today.AddDays(2);
        await engine.PublishAsync(new ProviderId(100), day, DayTemplate.Standard);
        var calendar = new CalendarKey(new ProviderId(100), day);
        var hold = (await engine.ClaimAsync(ClaimRequest.Hold(calendar, new SlotRange(2, 2), new PatientKey(0xFEDC_BA98_7654_3210), TimeSpan.FromMinutes(5)) with { Actor = Actor.FamilyDoctor, Channel = BookingChannel.FamilyDoctor })).Reservation;
        await engine.ConfirmAsync(hold);
        await engine.RecordOutcomeAsync(hold with { HoldExpiresAt = null }, AppointmentOutcome.NoShow);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var entries = await redis.GetDatabase().StreamRangeAsync(prefix + "{p:" + "100:" + day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:a");
        Assert.Equal(3, entries.Length);
        foreach (var entry in entries)
        {
            var written = (byte[])entry[AuditFormat.Field]!;
            var parsed = AuditFormat.Parse(written, calendar, AuditFormat.PositionOf(entry.Id!));
            Assert.Equal(written, AuditFormat.Format(parsed));
        }

        var claim = AuditFormat.Parse((byte[])entries[0][AuditFormat.Field]!, calendar, 0);
        Assert.Equal((AuditAction.Claim, hold.Token, new PatientKey(0xFEDC_BA98_7654_3210), Actor.FamilyDoctor, BookingChannel.FamilyDoctor), (claim.Action, claim.Token, claim.Patient, claim.Actor, claim.Channel));
        var outcome = AuditFormat.Parse((byte[])entries[2][AuditFormat.Field]!, calendar, 0);
        Assert.Equal((AuditAction.Outcome, hold.Token, AppointmentOutcome.NoShow), (outcome.Action, outcome.Token, outcome.Outcome));
    }
}
