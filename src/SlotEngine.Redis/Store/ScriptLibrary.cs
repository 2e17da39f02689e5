using System.Text;

namespace SlotEngine.Redis;

/// <summary>
/// Builds a script's text from <c>lib.lua</c> and its body with only the library definitions the body uses (directly or
/// through other definitions), in the library's order. Why: Redis runs a script's whole text on every <c>EVALSHA</c>, so
/// every <c>local function</c> of the library is made anew (a closure and its upvalues, later garbage for Lua's collector)
/// on every call, used or not; a confirm needs 14 of the library's 30 functions (docs/redis-scale.md).
/// </summary>
/// <remarks>
/// The library's shape this relies on (lib.lua says so at its top): every top-level statement starts at column 0 with
/// <c>local</c> and is a <c>local function name</c> (ending at the next column-0 <c>end</c>) or a one-line
/// <c>local a, b = ...</c>; between them only comments and blank lines, which are left out. A definition is kept when one
/// of its names occurs as an identifier outside comments in the body or in a kept definition, so a use is never missed
/// (Lua reaches a local only by its name); a name mentioned in a string keeps a definition it did not need, which costs
/// only its closure.
/// </remarks>
internal static class ScriptLibrary
{
    private sealed record Definition(string Text, string[] Names, HashSet<string> Uses);

    /// <summary>The text Redis runs: the library's definitions <paramref name="body"/> needs, a newline, then the body.</summary>
    public static string Compose(string library, string body)
    {
        var definitions = Split(library);
        var needed = Identifiers(body);
        var keep = new bool[definitions.Count];
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < definitions.Count; i++)
            {
                if (!keep[i] && definitions[i].Names.Any(needed.Contains))
                {
                    keep[i] = true;
                    needed.UnionWith(definitions[i].Uses);
                    changed = true;
                }
            }
        }

        var text = new StringBuilder();
        for (var i = 0; i < definitions.Count; i++)
        {
            if (keep[i])
            {
                text.Append(definitions[i].Text).Append('\n');
            }
        }

        return text.Append(body).ToString();
    }

    private static List<Definition> Split(string library)
    {
        var definitions = new List<Definition>();
        var lines = library.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }

            if (!line.StartsWith("local ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"lib.lua line {i + 1}: a top-level statement must start with 'local ' at column 0: {line}");
            }

            var start = i;
            string[] names;
            if (line.StartsWith("local function ", StringComparison.Ordinal))
            {
                names = [NameAt(line, "local function ".Length)];
                while (i < lines.Length && lines[i] != "end")
                {
                    i++;
                }

                if (i == lines.Length)
                {
                    throw new InvalidOperationException($"lib.lua line {start + 1}: no column-0 'end' closes {names[0]}.");
                }
            }
            else
            {
                var equals = line.IndexOf('=', StringComparison.Ordinal);
                var list = equals < 0 ? line["local ".Length..] : line["local ".Length..equals];
                names = [.. list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            }

            var text = string.Join('\n', lines, start, i - start + 1);
            definitions.Add(new Definition(text, names, Identifiers(text)));
        }

        return definitions;
    }

    private static string NameAt(string line, int at)
    {
        var end = at;
        while (end < line.Length && IsIdentifierChar(line[end]))
        {
            end++;
        }

        return line[at..end];
    }

    /// <summary>Every identifier-like word of <paramref name="code"/> outside comments and strings' quotes are kept as code.</summary>
    private static HashSet<string> Identifiers(string code)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        char quote = '\0';
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '-' && i + 1 < code.Length && code[i + 1] == '-')
            {
                var end = code.IndexOf('\n', i);
                i = end < 0 ? code.Length : end;
            }
            else if (IsIdentifierChar(c) && !char.IsAsciiDigit(c) && (i == 0 || !IsIdentifierChar(code[i - 1])))
            {
                var start = i;
                while (i + 1 < code.Length && IsIdentifierChar(code[i + 1]))
                {
                    i++;
                }

                words.Add(code[start..(i + 1)]);
            }
        }

        return words;
    }

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
