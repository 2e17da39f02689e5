using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SlotEngine.Serialization;

// System.Text.Json converters for the engine's public value types. Each type names its converter
// with [JsonConverter], so they apply with any JsonSerializerOptions (and with source generation,
// which is why the converters are public). Formats:
//   ProviderId, ClinicId, FacilityId, BranchId, CityCode   a JSON number          42
//   PatientKey                                             16 hex digits          "5eed00000000002a"
//   SlotRange                                              an object              {"first":10,"length":2}
//   CalendarKey                                            an object              {"provider":42,"day":"2026-11-23"}
// As dictionary keys (property names): ids as decimal text, PatientKey as its hex, CalendarKey as
// "42:2026-11-23". Reading is strict: a wrong token type, a missing or repeated member, or a value
// out of range is a JsonException.

/// <summary>Reads and writes a <see cref="ProviderId"/> as a JSON number.</summary>
public sealed class ProviderIdJsonConverter : JsonConverter<ProviderId>
{
    /// <inheritdoc />
    public override ProviderId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ProviderId value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);

    /// <inheritdoc />
    public override ProviderId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32Name(ref reader));

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, ProviderId value, JsonSerializerOptions options) => writer.WritePropertyName(JsonFormats.Name(value.Value));
}

/// <summary>Reads and writes a <see cref="ClinicId"/> as a JSON number.</summary>
public sealed class ClinicIdJsonConverter : JsonConverter<ClinicId>
{
    /// <inheritdoc />
    public override ClinicId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ClinicId value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);

    /// <inheritdoc />
    public override ClinicId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32Name(ref reader));

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, ClinicId value, JsonSerializerOptions options) => writer.WritePropertyName(JsonFormats.Name(value.Value));
}

/// <summary>Reads and writes a <see cref="FacilityId"/> as a JSON number.</summary>
public sealed class FacilityIdJsonConverter : JsonConverter<FacilityId>
{
    /// <inheritdoc />
    public override FacilityId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, FacilityId value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);

    /// <inheritdoc />
    public override FacilityId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32Name(ref reader));

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, FacilityId value, JsonSerializerOptions options) => writer.WritePropertyName(JsonFormats.Name(value.Value));
}

/// <summary>Reads and writes a <see cref="BranchId"/> as a JSON number.</summary>
public sealed class BranchIdJsonConverter : JsonConverter<BranchId>
{
    /// <inheritdoc />
    public override BranchId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, BranchId value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);

    /// <inheritdoc />
    public override BranchId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(JsonFormats.ReadInt32Name(ref reader));

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, BranchId value, JsonSerializerOptions options) => writer.WritePropertyName(JsonFormats.Name(value.Value));
}

/// <summary>Reads and writes a <see cref="CityCode"/> as a JSON number (1 to 81).</summary>
public sealed class CityCodeJsonConverter : JsonConverter<CityCode>
{
    /// <inheritdoc />
    public override CityCode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Make(JsonFormats.ReadInt32(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, CityCode value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);

    /// <inheritdoc />
    public override CityCode ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Make(JsonFormats.ReadInt32Name(ref reader));

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, CityCode value, JsonSerializerOptions options) => writer.WritePropertyName(JsonFormats.Name(value.Value));

    private static CityCode Make(int value) =>
        value is >= 1 and <= 81 ? new CityCode(value) : throw new JsonException($"A city code is a province plate code from 1 to 81, not {value}.");
}

/// <summary>Reads and writes a <see cref="PatientKey"/> as 16 lowercase hex digits (a 64-bit number does not fit a JSON number that JavaScript reads exactly).</summary>
public sealed class PatientKeyJsonConverter : JsonConverter<PatientKey>
{
    /// <inheritdoc />
    public override PatientKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A patient key is a string of 16 hex digits, not {reader.TokenType}.");
        }

        return Parse(reader.GetString());
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, PatientKey value, JsonSerializerOptions options) => writer.WriteStringValue(Format(value));

    /// <inheritdoc />
    public override PatientKey ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(reader.GetString());

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, PatientKey value, JsonSerializerOptions options) => writer.WritePropertyName(Format(value));

    private static string Format(PatientKey value) => value.Value.ToString("x16", CultureInfo.InvariantCulture);

    private static PatientKey Parse(string? text) =>
        text is { Length: 16 } && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            ? new PatientKey(value)
            : throw new JsonException("A patient key is a string of 16 hex digits.");
}

/// <summary>Reads and writes a <see cref="SlotRange"/> as <c>{"first":10,"length":2}</c>.</summary>
public sealed class SlotRangeJsonConverter : JsonConverter<SlotRange>
{
    /// <inheritdoc />
    public override SlotRange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        int? first = null, length = null;
        JsonFormats.ReadObject(ref reader, "slot range", (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "first" when first is null:
                    first = JsonFormats.ReadInt32(ref r);
                    return true;
                case "length" when length is null:
                    length = JsonFormats.ReadInt32(ref r);
                    return true;
                default:
                    return false;
            }
        });
        return first is { } f && length is { } l ? new SlotRange(f, l) : throw new JsonException("A slot range needs \"first\" and \"length\".");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, SlotRange value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("first"u8, value.First);
        writer.WriteNumber("length"u8, value.Length);
        writer.WriteEndObject();
    }
}

/// <summary>Reads and writes a <see cref="CalendarKey"/> as <c>{"provider":42,"day":"2026-11-23"}</c> (as a dictionary key: <c>"42:2026-11-23"</c>).</summary>
public sealed class CalendarKeyJsonConverter : JsonConverter<CalendarKey>
{
    /// <inheritdoc />
    public override CalendarKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        int? provider = null;
        DateOnly? day = null;
        JsonFormats.ReadObject(ref reader, "calendar key", (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "provider" when provider is null:
                    provider = JsonFormats.ReadInt32(ref r);
                    return true;
                case "day" when day is null:
                    day = JsonFormats.ParseDay(r.TokenType == JsonTokenType.String ? r.GetString() : null);
                    return true;
                default:
                    return false;
            }
        });
        return provider is { } p && day is { } d
            ? new CalendarKey(new ProviderId(p), d)
            : throw new JsonException("A calendar key needs \"provider\" and \"day\".");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, CalendarKey value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("provider"u8, value.Provider.Value);
        writer.WriteString("day"u8, JsonFormats.Day(value.Day));
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public override CalendarKey ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon < 1 || !int.TryParse(text.AsSpan(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var provider))
        {
            throw new JsonException("A calendar key as a property name is \"<provider>:<yyyy-MM-dd>\".");
        }

        return new CalendarKey(new ProviderId(provider), JsonFormats.ParseDay(text![(colon + 1)..]));
    }

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, CalendarKey value, JsonSerializerOptions options) =>
        writer.WritePropertyName(JsonFormats.Name(value.Provider.Value) + ":" + JsonFormats.Day(value.Day));
}

/// <summary>What the converters share.</summary>
internal static class JsonFormats
{
    public delegate bool MemberReader(ref Utf8JsonReader reader, string name);

    public static int ReadInt32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value)
            ? value
            : throw new JsonException($"Expected a 32-bit integer, not {reader.TokenType}.");

    public static int ReadInt32Name(ref Utf8JsonReader reader) =>
        int.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new JsonException("Expected a 32-bit integer as the property name.");

    public static string Name(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static DateOnly ParseDay(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new JsonException("Expected a day as \"yyyy-MM-dd\".");

    /// <summary>Reads an object member by member (names compared as written, camelCase); an unknown or repeated member is an error.</summary>
    public static void ReadObject(ref Utf8JsonReader reader, string what, MemberReader member)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A {what} is a JSON object, not {reader.TokenType}.");
        }

        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }

            var name = reader.GetString()!;
            if (!reader.Read() || !member(ref reader, name))
            {
                throw new JsonException($"A {what} has no member \"{name}\" (or has it twice).");
            }
        }

        throw new JsonException($"The {what} object is not closed.");
    }
}
