using System.Collections.Concurrent;

namespace SlotEngine.Redis;

/// <summary>
/// The template field of a publish's <c>reset</c> message: <c>|n&lt;template text with '|' written '/'&gt;</c> (after the
/// <c>t</c> field). A day just opened is empty (version 1, every offered seat free, no token issued), so a node that hears
/// it lays the day in from this template as the publishing node does, without reading it back. Lua side: <c>open_day</c>
/// in <c>lib.lua</c> (publish.lua) and <c>publish_many.lua</c> (one message for many days: <see cref="PublishedBatch"/>). A <c>reset</c> without it (a rebuild, older scripts) reloads;
/// readers older than this field ignore it (any field after <c>reset</c> is).
/// </summary>
internal sealed class FeedPublished
{
    private readonly ConcurrentDictionary<string, DayTemplate> _templates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DayTemplate>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public FeedPublished() => _bySpan = _templates.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The field as the scripts write it for a stored template text.</summary>
    public static string Field(string templateText) => "|n" + templateText.Replace('|', '/');

    /// <summary>The template a <c>reset</c> message names (parsed once per distinct text; no allocation after), or null when it names none or cannot be read.</summary>
    public DayTemplate? TemplateOf(ReadOnlySpan<char> message)
    {
        var at = message.IndexOf("|n", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var text = message[(at + 2)..];
        var end = text.IndexOf('|');
        if (end >= 0)
        {
            text = text[..end];
        }

        if (_bySpan.TryGetValue(text, out var known))
        {
            return known;
        }

        try
        {
            var template = TemplateText.Parse(text.ToString().Replace('/', '|'));
            _templates.TryAdd(text.ToString(), template);
            return template;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return null; // a newer writer's form: reload instead
        }
    }
}
