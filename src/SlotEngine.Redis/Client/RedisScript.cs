using System.Security.Cryptography;
using System.Text;

namespace SlotEngine.Redis.Client;

/// <summary>
/// A Lua script with its SHA-1, the name by which Redis caches it. Create one per script and keep it
/// (e.g. in a static field): <c>StoreConnection.EvalShaAsync</c> sends only the SHA-1 while the
/// server has the script cached, and the text when it answers <c>NOSCRIPT</c>.
/// </summary>
internal sealed class RedisScript
{
    public RedisScript(string text, string? functionName = null, FunctionLibrary? library = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if ((functionName is null) != (library is null))
        {
            throw new ArgumentException("A function name comes with its library.", nameof(functionName));
        }

        FunctionName = functionName;
        Library = library;
        Text = text;
        TextUtf8 = Encoding.UTF8.GetBytes(text);
        Sha1 = SHA1.HashData(TextUtf8);
        Sha1Hex = Convert.ToHexStringLower(Sha1);
    }

    public string Text { get; }

    /// <summary>
    /// The same script as a function of <see cref="Library"/>, called with <c>FCALL</c> where the server has Redis
    /// Functions (the raw call, <c>StoreConnection.EvalRawAsync</c>); null: always <c>EVALSHA</c>.
    /// </summary>
    public string? FunctionName { get; }

    /// <summary>The function library <see cref="FunctionName"/> belongs to (loaded on a server that does not have it).</summary>
    public FunctionLibrary? Library { get; }

    public byte[] TextUtf8 { get; }

    /// <summary>The 20 bytes of the SHA-1 (StackExchange.Redis sends them as hex with <c>EVALSHA</c>).</summary>
    public byte[] Sha1 { get; }

    /// <summary>40 lower-case hex digits, as <c>SCRIPT LOAD</c> returns.</summary>
    public string Sha1Hex { get; }

    public override string ToString() => $"script {Sha1Hex}";
}
