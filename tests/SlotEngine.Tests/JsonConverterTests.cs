using System.Text.Json;

namespace SlotEngine.Tests;

/// <summary>The public value types read and write as plain JSON with any serializer options.</summary>
public class JsonConverterTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Ids_are_numbers_and_round_trip()
    {
        Assert.Equal("42", JsonSerializer.Serialize(new ProviderId(42)));
        Assert.Equal("10", JsonSerializer.Serialize(new ClinicId(10)));
        Assert.Equal("1", JsonSerializer.Serialize(new FacilityId(1)));
        Assert.Equal("7", JsonSerializer.Serialize(new BranchId(7)));
        Assert.Equal("34", JsonSerializer.Serialize(new CityCode(34)));
        Assert.Equal(new ProviderId(42), JsonSerializer.Deserialize<ProviderId>("42"));
        Assert.Equal(new ClinicId(10), JsonSerializer.Deserialize<ClinicId>("10", Web));
        Assert.Equal(new FacilityId(1), JsonSerializer.Deserialize<FacilityId>("1"));
        Assert.Equal(new BranchId(7), JsonSerializer.Deserialize<BranchId>("7"));
        Assert.Equal(new CityCode(34), JsonSerializer.Deserialize<CityCode>("34"));
    }

    [Fact]
    public void A_patient_key_is_sixteen_hex_digits()
    {
        var key = new PatientKey(0x5EED_0000_DEAD_BEEF);
        Assert.Equal("\"5eed0000deadbeef\"", JsonSerializer.Serialize(key));
        Assert.Equal(key, JsonSerializer.Deserialize<PatientKey>("\"5eed0000deadbeef\""));
        Assert.Equal(new PatientKey(ulong.MaxValue), JsonSerializer.Deserialize<PatientKey>(JsonSerializer.Serialize(new PatientKey(ulong.MaxValue))));
    }

    [Fact]
    public void A_slot_range_and_a_calendar_key_are_objects()
    {
        Assert.Equal("""{"first":10,"length":2}""", JsonSerializer.Serialize(new SlotRange(10, 2)));
        Assert.Equal(new SlotRange(10, 2), JsonSerializer.Deserialize<SlotRange>("""{"length":2,"first":10}"""));
        var calendar = new CalendarKey(new ProviderId(42), new DateOnly(2026, 11, 23));
        Assert.Equal("""{"provider":42,"day":"2026-11-23"}""", JsonSerializer.Serialize(calendar));
        Assert.Equal(calendar, JsonSerializer.Deserialize<CalendarKey>("""{"provider":42,"day":"2026-11-23"}"""));
    }

    [Fact]
    public void Types_serve_as_dictionary_keys()
    {
        var calendar = new CalendarKey(new ProviderId(42), new DateOnly(2026, 11, 23));
        var byCalendar = new Dictionary<CalendarKey, int> { [calendar] = 3 };
        Assert.Equal("""{"42:2026-11-23":3}""", JsonSerializer.Serialize(byCalendar));
        Assert.Equal(byCalendar, JsonSerializer.Deserialize<Dictionary<CalendarKey, int>>("""{"42:2026-11-23":3}"""));
        var byProvider = new Dictionary<ProviderId, int> { [new ProviderId(5)] = 1 };
        Assert.Equal(byProvider, JsonSerializer.Deserialize<Dictionary<ProviderId, int>>(JsonSerializer.Serialize(byProvider)));
        var byPatient = new Dictionary<PatientKey, int> { [new PatientKey(9)] = 1 };
        Assert.Equal("""{"0000000000000009":1}""", JsonSerializer.Serialize(byPatient));
        Assert.Equal(byPatient, JsonSerializer.Deserialize<Dictionary<PatientKey, int>>(JsonSerializer.Serialize(byPatient)));
    }

    [Fact]
    public void A_reservation_round_trips_with_its_parts_in_their_own_formats()
    {
        var reservation = new Reservation(
            new CalendarKey(new ProviderId(42), new DateOnly(2026, 11, 23)),
            new SlotRange(10, 2),
            1,
            77,
            new PatientKey(0x2A),
            new DateTimeOffset(2026, 11, 22, 6, 5, 0, TimeSpan.Zero));
        var json = JsonSerializer.Serialize(reservation, Web);
        Assert.Equal("""{"calendar":{"provider":42,"day":"2026-11-23"},"slots":{"first":10,"length":2},"seat":1,"token":77,"patient":"000000000000002a","holdExpiresAt":"2026-11-22T06:05:00+00:00"}""", json);
        Assert.Equal(reservation, JsonSerializer.Deserialize<Reservation>(json, Web));
    }

    [Theory]
    [InlineData(typeof(ProviderId), "\"42\"")]
    [InlineData(typeof(ProviderId), "4.5")]
    [InlineData(typeof(ProviderId), "99999999999")]
    [InlineData(typeof(CityCode), "82")]
    [InlineData(typeof(CityCode), "0")]
    [InlineData(typeof(PatientKey), "42")]
    [InlineData(typeof(PatientKey), "\"5eed\"")]
    [InlineData(typeof(PatientKey), "\"zzzzzzzzzzzzzzzz\"")]
    [InlineData(typeof(SlotRange), "[10,2]")]
    [InlineData(typeof(SlotRange), """{"first":10}""")]
    [InlineData(typeof(SlotRange), """{"first":10,"length":2,"end":12}""")]
    [InlineData(typeof(SlotRange), """{"first":10,"first":11,"length":2}""")]
    [InlineData(typeof(CalendarKey), """{"provider":42}""")]
    [InlineData(typeof(CalendarKey), """{"provider":42,"day":"23.11.2026"}""")]
    [InlineData(typeof(CalendarKey), """{"provider":42,"day":20261123}""")]
    public void Bad_json_is_a_json_exception(Type type, string json)
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, type));
    }
}
