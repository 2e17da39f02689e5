using System.Text;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// One argument of a command: bytes, text (sent as UTF-8) or an integer (sent as its decimal digits).
/// A struct, so a <c>params ReadOnlySpan&lt;RedisArgument&gt;</c> call allocates nothing.
/// </summary>
internal readonly struct RedisArgument
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly string? _text;
    private readonly long _number;
    private readonly Form _form;

    private RedisArgument(ReadOnlyMemory<byte> bytes, string? text, long number, Form form)
    {
        _bytes = bytes;
        _text = text;
        _number = number;
        _form = form;
    }

    private enum Form : byte
    {
        Bytes,
        Text,
        Number,
    }

    public static implicit operator RedisArgument(string text) => new(default, text ?? throw new ArgumentNullException(nameof(text)), 0, Form.Text);

    public static implicit operator RedisArgument(long number) => new(default, null, number, Form.Number);

    public static implicit operator RedisArgument(int number) => new(default, null, number, Form.Number);

    public static implicit operator RedisArgument(byte[] bytes) => new(bytes ?? throw new ArgumentNullException(nameof(bytes)), null, 0, Form.Bytes);

    public static implicit operator RedisArgument(ReadOnlyMemory<byte> bytes) => new(bytes, null, 0, Form.Bytes);

    /// <summary>How many bytes the argument's value takes on the wire (without the bulk-string framing).</summary>
    public int ByteCount => _form switch
    {
        Form.Bytes => _bytes.Length,
        Form.Text => Encoding.UTF8.GetByteCount(_text!),
        _ => DigitCount(_number),
    };

    /// <summary>Writes the value into <paramref name="destination"/>, which holds at least <see cref="ByteCount"/> bytes.</summary>
    public int WriteTo(Span<byte> destination)
    {
        switch (_form)
        {
            case Form.Bytes:
                _bytes.Span.CopyTo(destination);
                return _bytes.Length;
            case Form.Text:
                return Encoding.UTF8.GetBytes(_text!, destination);
            default:
                _number.TryFormat(destination, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
                return written;
        }
    }

    /// <summary>The value as text, for diagnostics and routing.</summary>
    public override string ToString() => _form switch
    {
        Form.Bytes => Encoding.UTF8.GetString(_bytes.Span),
        Form.Text => _text!,
        _ => _number.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The Redis Cluster slot of this argument taken as a key.</summary>
    public int HashSlot()
    {
        switch (_form)
        {
            case Form.Bytes:
                return Cluster.HashSlot.Of(_bytes.Span);
            case Form.Text:
                return Cluster.HashSlot.Of(_text!);
            default:
                Span<byte> digits = stackalloc byte[20];
                return Cluster.HashSlot.Of(digits[..WriteTo(digits)]);
        }
    }

    internal static int DigitCount(long value)
    {
        if (value == long.MinValue)
        {
            return 20;
        }

        var count = value < 0 ? 2 : 1;
        var magnitude = (ulong)Math.Abs(value);
        while (magnitude >= 10)
        {
            magnitude /= 10;
            count++;
        }

        return count;
    }
}
