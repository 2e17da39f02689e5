using System.Security.Cryptography;
using System.Text;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// A Lua script with its SHA-1, the name by which Redis caches it. Create one per script and keep it
/// (e.g. in a static field): <see cref="RedisConnection.EvalShaAsync"/> sends only the SHA-1 while the
/// server has the script cached, and the text when it has not.
/// </summary>
internal sealed class RedisScript
{
    public RedisScript(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        Text = text;
        TextUtf8 = Encoding.UTF8.GetBytes(text);
        Sha1Hex = Convert.ToHexStringLower(SHA1.HashData(TextUtf8));
        Sha1Utf8 = Encoding.ASCII.GetBytes(Sha1Hex);
    }

    public string Text { get; }

    public byte[] TextUtf8 { get; }

    /// <summary>40 lower-case hex digits, as <c>SCRIPT LOAD</c> returns.</summary>
    public string Sha1Hex { get; }

    public byte[] Sha1Utf8 { get; }

    public override string ToString() => $"script {Sha1Hex}";
}
