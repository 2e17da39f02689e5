namespace SlotEngine;

/// <summary>
/// The engine refused a request as bad input: an unknown provider or day, a slot out of range, a
/// length or hold time that makes no sense, a default value where a real one is needed. Nothing was
/// changed. <see cref="Code"/> says what was wrong, the message says it in words.
/// </summary>
public sealed class SlotEngineArgumentException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">What was wrong.</param>
    /// <param name="message">The message.</param>
    /// <param name="paramName">The parameter at fault.</param>
    public SlotEngineArgumentException(SlotEngineError code, string message, string? paramName = null)
        : base(message, paramName)
    {
        Code = code;
    }

    /// <summary>Creates the exception with an unspecified code (for serializers and frameworks).</summary>
    public SlotEngineArgumentException()
        : this(SlotEngineError.InvalidLength, "Bad input.")
    {
    }

    /// <summary>Creates the exception (for frameworks).</summary>
    /// <param name="message">The message.</param>
    public SlotEngineArgumentException(string message)
        : this(SlotEngineError.InvalidLength, message)
    {
    }

    /// <summary>Creates the exception (for frameworks).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SlotEngineArgumentException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = SlotEngineError.InvalidLength;
    }

    /// <summary>What was wrong.</summary>
    public SlotEngineError Code { get; }
}
