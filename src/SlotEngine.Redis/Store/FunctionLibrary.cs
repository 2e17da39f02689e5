using System.Security.Cryptography;
using System.Text;

namespace SlotEngine.Redis;

/// <summary>
/// The scripts as one Redis function library (Redis 7.0 and later: <c>FUNCTION LOAD</c> once per server, then
/// <c>FCALL</c>). Why: a script run by <c>EVALSHA</c> runs its whole text on every call, so each <c>lib.lua</c> function it
/// uses is made anew per call (a claim makes 26 closures, later garbage for Lua's collector); in a library they are made
/// once, when the library is loaded. The bodies and their atomicity are the same: a function runs as one step, as a
/// script does (docs/redis-scale.md, "Redis Functions").
/// </summary>
/// <remarks>
/// The library's text: <c>lib.lua</c> whole, then each script's body as a <c>local function</c> taking the call's keys
/// and arguments into the library-wide <c>KEYS</c> and <c>ARGV</c> (the names the bodies and lib.lua use), after
/// <c>reset_call</c> (lib.lua) has set the per-call memos back; each function registered as
/// <c>se_&lt;version&gt;_&lt;script&gt;</c>. The library's name carries the first 16 hex digits of the SHA-1 of its
/// text, so nodes of two builds on one server each call their own functions (a rolling upgrade); a library no build
/// uses any more stays until <c>FUNCTION DELETE</c> or a flush.
/// </remarks>
internal sealed class FunctionLibrary
{
    private readonly Dictionary<string, string> _functions;

    private FunctionLibrary(string version, string text, Dictionary<string, string> functions)
    {
        Name = "slotengine_" + version;
        Text = text;
        TextUtf8 = Encoding.UTF8.GetBytes(text);
        _functions = functions;
    }

    /// <summary>The library's name (<c>slotengine_&lt;version&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>The text <c>FUNCTION LOAD</c> takes (starting with the <c>#!lua name=</c> line).</summary>
    public string Text { get; }

    /// <summary><see cref="Text"/> in UTF-8.</summary>
    public byte[] TextUtf8 { get; }

    /// <summary>The function <c>FCALL</c> calls for the script <paramref name="script"/> (its file name without <c>.lua</c>).</summary>
    public string FunctionOf(string script) => _functions[script];

    /// <summary>Builds the library from lib.lua's text and the scripts' bodies, by script name.</summary>
    public static FunctionLibrary Build(string library, IReadOnlyList<KeyValuePair<string, string>> bodies)
    {
        var code = new StringBuilder();
        code.Append("local KEYS, ARGV\n");
        code.Append(library.Replace("\r\n", "\n", StringComparison.Ordinal)).Append('\n');
        foreach (var (name, body) in bodies)
        {
            // The body runs as it would as a script: a top-level 'return' returns the reply, locals stay its own.
            code.Append("local function fn_").Append(name).Append("(keys, args)\n")
                .Append("KEYS, ARGV = keys, args\n")
                .Append("reset_call()\n")
                .Append(body.Replace("\r\n", "\n", StringComparison.Ordinal)).Append("\nend\n");
        }

        var version = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(code.ToString())))[..16];
        var functions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in bodies)
        {
            var function = "se_" + version + "_" + name;
            functions[name] = function;
            code.Append("redis.register_function('").Append(function).Append("', fn_").Append(name).Append(")\n");
        }

        return new FunctionLibrary(version, "#!lua name=slotengine_" + version + "\n" + code, functions);
    }
}
