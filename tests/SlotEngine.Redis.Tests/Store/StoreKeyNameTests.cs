namespace SlotEngine.Redis.Tests.Store;

/// <summary>Key names are data: what a store wrote under them must be found again by the next version, so they are fixed here byte for byte.</summary>
public sealed class StoreKeyNameTests
{
    private static readonly PatientKey Patient = new(0x00ab_cdef_0123_4567);
    private static readonly DateOnly Day = new(2026, 3, 4);

    [Fact]
    public void Calendar_and_patient_keys_keep_their_names()
    {
        var keys = new StoreKeys("se:", cluster: false);
        Assert.Equal("1234:20260304", StoreKeys.CalendarRef(new CalendarKey(new ProviderId(1234), Day)));
        Assert.Equal("se:{a:00abcdef01234567}:q:20260304", keys.QuotaKey(Patient, Day));
        Assert.Equal("se:{a:00abcdef01234567}", keys.ActiveKey(Patient));
        Assert.Equal("se:{a:00abcdef01234567}:b", keys.BarKey(Patient));
        var set = keys.For(new CalendarKey(new ProviderId(7), Day));
        Assert.Equal("7:20260304", set.Reference);
        Assert.Equal("se:{p:7:20260304}:m", (string?)set.Meta);
        Assert.Equal("se:{p:7:20260304}:f", (string?)set.Free);
        Assert.Equal("se:{p:7:20260304}:m", (string?)set.Claims); // the claims and the nonce records are fields of meta
        Assert.Equal("se:{p:7:20260304}:m", (string?)set.Nonces);
        Assert.Equal("se:{p:7:20260304}:a", (string?)set.Audit);
        Assert.Equal("se:{p:7:20260304}:i:", set.IdempotencyPrefix);
        Assert.Equal("7:20260304", (string?)set.ReferenceValue);
        Assert.Equal("se:feed", set.Feed);
        // In a cluster a calendar's feed is its hash slot's channel (SlotChannels.cs), on the same slot as its keys.
        var clusterFeed = new StoreKeys("se:", cluster: true).For(new CalendarKey(new ProviderId(7), Day)).Feed;
        Assert.Equal("se:{" + SlotChannels.TagOf(SlotChannels.SlotOf("se:{p:7:20260304}")) + "}:feed", clusterFeed);
        Assert.Equal(SlotChannels.SlotOf("se:{p:7:20260304}"), SlotChannels.SlotOf(clusterFeed));
        Assert.True(StoreKeys.TryParseCalendarRef(set.Reference, out var parsed));
        Assert.Equal(new CalendarKey(new ProviderId(7), Day), parsed);
    }

    [Fact]
    public void A_claims_patient_names_made_in_one_array_are_the_same_keys()
    {
        var keys = new StoreKeys("se:", cluster: false);
        var names = keys.NamesOf(Patient, nonce: true);
        Assert.Equal(keys.ActiveKey(Patient), (string?)names.Active);
        Assert.Equal(keys.BarKey(Patient), (string?)names.Bar);
        Assert.Equal(keys.RateKey(Patient), (string?)names.Rate);
        Assert.Equal(keys.QuotaKey(Patient, Day), (string?)names.Quota(keys.QuotaSuffix(Day)));
        Assert.Equal("00abcdef01234567", (string?)names.Hex);
        var nonce = (string?)names.Nonce;
        Assert.Matches("^[0-9a-f]{32}$", nonce);
        Assert.NotEqual(nonce, (string?)keys.NamesOf(Patient, nonce: true).Nonce);
        Assert.True(keys.NamesOf(Patient, nonce: false).Nonce.IsNull);
    }
}
