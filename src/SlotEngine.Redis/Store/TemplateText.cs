using System.Globalization;
using System.Text;

namespace SlotEngine.Redis;

/// <summary>A day template as text in a calendar's meta hash, so that every node can rebuild it: <c>10|1|08:00-12:00,13:00-17:00</c> (minutes per slot, capacity, sessions).</summary>
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

    public static DayTemplate Parse(string text)
    {
        var parts = text.Split('|');
        if (parts.Length != 3)
        {
            throw new FormatException($"'{text}' is not a stored day template.");
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
            int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
