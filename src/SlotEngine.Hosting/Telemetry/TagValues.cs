namespace SlotEngine.Hosting;

/// <summary>Tag values, computed once so that recording a measurement allocates no string.</summary>
internal static class TagValues
{
    public const string Hold = "hold";
    public const string Book = "book";
    public const string Confirm = "confirm";
    public const string Approve = "approve";
    public const string Release = "release";
    public const string Cancel = "cancel";
    public const string Invalid = "invalid";

    private static readonly string[] Statuses = BuildStatuses();

    private static readonly string[] Errors = BuildErrors();

    /// <summary>The snake-case name of a status, such as <c>quota_exceeded</c>.</summary>
    public static string Of(ClaimStatus status) =>
        (uint)status < (uint)Statuses.Length ? Statuses[(int)status] : "unknown";

    /// <summary>The snake-case name of an input error, such as <c>unknown_provider</c>.</summary>
    public static string Of(SlotEngineError error) =>
        (uint)error < (uint)Errors.Length ? Errors[(int)error] : "unknown";

    private static string[] BuildStatuses()
    {
        var values = Enum.GetValues<ClaimStatus>();
        var names = Enumerable.Repeat("unknown", values.Max(v => (int)v) + 1).ToArray();
        foreach (var value in values)
        {
            names[(int)value] = SnakeCase(value.ToString());
        }

        return names;
    }

    private static string[] BuildErrors()
    {
        var values = Enum.GetValues<SlotEngineError>();
        var names = Enumerable.Repeat("unknown", values.Max(v => (int)v) + 1).ToArray();
        foreach (var value in values)
        {
            names[(int)value] = SnakeCase(value.ToString());
        }

        return names;
    }

    internal static string SnakeCase(string pascal)
    {
        var builder = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
