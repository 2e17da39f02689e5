using System.Diagnostics.CodeAnalysis;

namespace SlotEngine;

/// <summary>
/// A validated Turkish national ID number (T.C. Kimlik No): 11 digits, the first not zero, the
/// tenth and eleventh check digits by the published algorithm. The engine never stores it: it keeps
/// only a keyed hash (<see cref="PatientKey"/>) made by <see cref="PatientKeyHasher"/>.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> masks all but the last two digits so that an ID does not leak into logs
/// by accident; <see cref="Digits"/> gives the full number where it is really needed.
/// </remarks>
public readonly struct NationalId : IEquatable<NationalId>
{
    private readonly long _value;

    private NationalId(long value) => _value = value;

    /// <summary>The 11 digits as a number.</summary>
    public long Value => _value;

    /// <summary>Whether this is the default value (no ID).</summary>
    public bool IsDefault => _value == 0;

    /// <summary>The full 11-digit number. Personal data: do not log it.</summary>
    public string Digits => _value.ToString("D11", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Parses and validates an ID.</summary>
    /// <param name="text">Eleven digits.</param>
    /// <returns>The validated ID.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="SlotEngineArgumentException">The text is not a valid T.C. Kimlik No: <see cref="SlotEngineArgumentException.Code"/>
    /// is <see cref="SlotEngineError.MalformedNationalId"/> and the message says which rule failed. Like every
    /// bad input the engine refuses, a caller maps it to a 400 by its code (or uses <see cref="TryParse(string?, out NationalId, out string?)"/>).</exception>
    public static NationalId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var id, out var reason))
        {
            throw new SlotEngineArgumentException(SlotEngineError.MalformedNationalId, "Not a valid national ID (T.C. Kimlik No): " + reason + ".", nameof(text));
        }

        return id;
    }

    /// <summary>Tries to parse and validate an ID.</summary>
    /// <param name="text">Eleven digits.</param>
    /// <param name="id">The ID, when valid.</param>
    /// <returns>Whether the text is a valid ID.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out NationalId id) => TryParse(text, out id, out _);

    /// <summary>Tries to parse and validate an ID, saying why it is not valid.</summary>
    /// <param name="text">Eleven digits.</param>
    /// <param name="id">The ID, when valid.</param>
    /// <param name="reason">Why the text is not valid, or null.</param>
    /// <returns>Whether the text is a valid ID.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out NationalId id, [NotNullWhen(false)] out string? reason)
    {
        id = default;
        if (text is null)
        {
            reason = "no text";
            return false;
        }

        return TryParse(text.AsSpan(), out id, out reason);
    }

    /// <summary>Tries to parse and validate an ID from characters.</summary>
    /// <param name="text">Eleven digits.</param>
    /// <param name="id">The ID, when valid.</param>
    /// <param name="reason">Why the text is not valid, or null.</param>
    /// <returns>Whether the text is a valid ID.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out NationalId id, [NotNullWhen(false)] out string? reason)
    {
        id = default;
        if (text.Length != 11)
        {
            reason = "it must have exactly 11 digits";
            return false;
        }

        Span<int> d = stackalloc int[11];
        for (var i = 0; i < 11; i++)
        {
            var c = text[i];
            if (c < '0' || c > '9')
            {
                reason = "it must contain digits only";
                return false;
            }

            d[i] = c - '0';
        }

        if (d[0] == 0)
        {
            reason = "the first digit cannot be 0";
            return false;
        }

        var odd = d[0] + d[2] + d[4] + d[6] + d[8];
        var even = d[1] + d[3] + d[5] + d[7];
        var tenth = (((odd * 7) - even) % 10 + 10) % 10;
        if (d[9] != tenth)
        {
            reason = "the 10th digit (first check digit) is wrong";
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            sum += d[i];
        }

        if (d[10] != sum % 10)
        {
            reason = "the 11th digit (second check digit) is wrong";
            return false;
        }

        long value = 0;
        for (var i = 0; i < 11; i++)
        {
            value = (value * 10) + d[i];
        }

        id = new NationalId(value);
        reason = null;
        return true;
    }

    /// <summary>
    /// Makes a valid ID from its first nine digits by computing the two check digits. Useful for
    /// test data and load generation.
    /// </summary>
    /// <param name="firstNineDigits">A number from 100,000,000 to 999,999,999.</param>
    /// <returns>The valid ID that starts with those digits.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The number does not have nine digits.</exception>
    public static NationalId FromFirstNineDigits(int firstNineDigits)
    {
        if (firstNineDigits < 100_000_000 || firstNineDigits > 999_999_999)
        {
            throw new ArgumentOutOfRangeException(nameof(firstNineDigits), firstNineDigits, "Nine digits with a non-zero first digit are required.");
        }

        Span<int> d = stackalloc int[11];
        var n = firstNineDigits;
        for (var i = 8; i >= 0; i--)
        {
            d[i] = n % 10;
            n /= 10;
        }

        var odd = d[0] + d[2] + d[4] + d[6] + d[8];
        var even = d[1] + d[3] + d[5] + d[7];
        d[9] = (((odd * 7) - even) % 10 + 10) % 10;
        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            sum += d[i];
        }

        d[10] = sum % 10;
        long value = 0;
        for (var i = 0; i < 11; i++)
        {
            value = (value * 10) + d[i];
        }

        return new NationalId(value);
    }

    /// <inheritdoc />
    public bool Equals(NationalId other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NationalId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>A masked form, such as <c>*********46</c>, safe for logs.</summary>
    /// <returns>The masked ID.</returns>
    public override string ToString() => IsDefault ? "(none)" : "*********" + (_value % 100).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Equality.</summary>
    /// <param name="left">One ID.</param>
    /// <param name="right">Another ID.</param>
    /// <returns>Whether they are the same number.</returns>
    public static bool operator ==(NationalId left, NationalId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">One ID.</param>
    /// <param name="right">Another ID.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(NationalId left, NationalId right) => !left.Equals(right);
}
