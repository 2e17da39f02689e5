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

/// <summary>
/// The one shape of every integer id's converter: a JSON number, and decimal text as a dictionary key.
/// Derived converters say only how an id is made from its number and back (and may refuse a number).
/// </summary>
/// <typeparam name="T">The id type.</typeparam>
public abstract class Int32IdJsonConverter<T> : JsonConverter<T>
    where T : struct
{
    /// <inheritdoc />
    public sealed override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Create(JsonFormats.ReadInt32(ref reader));

    /// <inheritdoc />
    public sealed override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(ValueOf(value));
    }

    /// <inheritdoc />
    public sealed override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Create(JsonFormats.ReadInt32Name(ref reader));

    /// <inheritdoc />
    public sealed override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(JsonFormats.Name(ValueOf(value)));
    }

    /// <summary>The id of a number read (throws <see cref="JsonException"/> for a number no id has).</summary>
    /// <param name="value">The number.</param>
    /// <returns>The id.</returns>
    protected abstract T Create(int value);

    /// <summary>The number of an id.</summary>
    /// <param name="id">The id.</param>
    /// <returns>Its number.</returns>
    protected abstract int ValueOf(T id);
}

/// <summary>Reads and writes a <see cref="ProviderId"/> as a JSON number.</summary>
public sealed class ProviderIdJsonConverter : Int32IdJsonConverter<ProviderId>
{
    /// <inheritdoc />
    protected override ProviderId Create(int value) => new(value);

    /// <inheritdoc />
    protected override int ValueOf(ProviderId id) => id.Value;
}

/// <summary>Reads and writes a <see cref="ClinicId"/> as a JSON number.</summary>
public sealed class ClinicIdJsonConverter : Int32IdJsonConverter<ClinicId>
{
    /// <inheritdoc />
    protected override ClinicId Create(int value) => new(value);

    /// <inheritdoc />
    protected override int ValueOf(ClinicId id) => id.Value;
}

/// <summary>Reads and writes a <see cref="FacilityId"/> as a JSON number.</summary>
public sealed class FacilityIdJsonConverter : Int32IdJsonConverter<FacilityId>
{
    /// <inheritdoc />
    protected override FacilityId Create(int value) => new(value);

    /// <inheritdoc />
    protected override int ValueOf(FacilityId id) => id.Value;
}

/// <summary>Reads and writes a <see cref="BranchId"/> as a JSON number.</summary>
public sealed class BranchIdJsonConverter : Int32IdJsonConverter<BranchId>
{
    /// <inheritdoc />
    protected override BranchId Create(int value) => new(value);

    /// <inheritdoc />
    protected override int ValueOf(BranchId id) => id.Value;
}

/// <summary>Reads and writes a <see cref="CityCode"/> as a JSON number (1 to 81).</summary>
public sealed class CityCodeJsonConverter : Int32IdJsonConverter<CityCode>
{
    /// <inheritdoc />
    protected override CityCode Create(int value) =>
        value is >= 1 and <= 81 ? new CityCode(value) : throw new JsonException($"A city code is a province plate code from 1 to 81, not {value}.");

    /// <inheritdoc />
    protected override int ValueOf(CityCode id) => id.Value;
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
