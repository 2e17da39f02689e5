using System.Globalization;
using System.Text;

namespace SlotEngine.Redis;

/// <summary>A day template as text in a calendar's meta hash, so that every node can rebuild it: <c>10|1|08:00-12:00,13:00-17:00</c> (minutes per slot, capacity, sessions), followed, when the day has them, by its release schedule and reservation (see <see cref="Parse"/>).</summary>
internal static class TemplateText
{
    public static string Format(DayTemplate template)
    {
        var text = new StringBuilder();
        text.Append(((int)template.SlotLength.TotalMinutes).ToString(CultureInfo.InvariantCulture)).Append('|')
            .Append(template.Capacity.ToString(CultureInfo.InvariantCulture)).Append('|');
        for (var i = 0; i < template.Sessions.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(template.Sessions[i].Start.ToString("HH:mm", CultureInfo.InvariantCulture)).Append('-')
                .Append(template.Sessions[i].End.ToString("HH:mm", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>
    /// Parses a stored template: its three fields, then the day's rush stamp if any (RedisSlotEngine.RushStamp:
    /// <c>|o:…</c> the release schedule, which only the claim script reads; <c>|r:&lt;released at ms&gt;:&lt;seats&gt;:&lt;every
    /// nth&gt;:&lt;release-before ticks&gt;:&lt;pool&gt;</c> the reservation, which becomes
    /// <see cref="DayTemplate.Reserved"/>; the pool comes last because it may hold any character).
    /// </summary>
    public static DayTemplate Parse(string text)
    {
        var end = text.IndexOf('|', text.IndexOf('|', text.IndexOf('|') + 1) + 1);
        var tail = end < 0 ? string.Empty : text[end..];
        var parts = (end < 0 ? text : text[..end]).Split('|');
        if (parts.Length != 3)
        {
            throw new FormatException($"'{text}' is not a stored day template.");
        }

        ReservedCapacity? reserved = null;
        if (tail.IndexOf("|r:", StringComparison.Ordinal) is var r and >= 0)
        {
            var f = tail[(r + 3)..].Split(':', 5);
            reserved = new ReservedCapacity(
                f[4],
                int.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                TimeSpan.FromTicks(long.Parse(f[3], CultureInfo.InvariantCulture)));
        }

        var sessions = parts[2].Split(',').Select(s =>
        {
            var bounds = s.Split('-');
            return new Session(
                TimeOnly.ParseExact(bounds[0], "HH:mm", CultureInfo.InvariantCulture),
                TimeOnly.ParseExact(bounds[1], "HH:mm", CultureInfo.InvariantCulture));
        });
        return new DayTemplate(
            sessions,
            TimeSpan.FromMinutes(int.Parse(parts[0], CultureInfo.InvariantCulture)),
            int.Parse(parts[1], CultureInfo.InvariantCulture))
        {
            Reserved = reserved,
        };
    }
}
