namespace SlotEngine.Hosting;

/// <summary>Span names: <c>slotengine.</c> and the operation, precomputed.</summary>
internal static class ActivityNames
{
    public const string Hold = "slotengine.hold";
    public const string Book = "slotengine.book";
    public const string Confirm = "slotengine.confirm";
    public const string Approve = "slotengine.approve";
    public const string Release = "slotengine.release";
    public const string Cancel = "slotengine.cancel";
    public const string Publish = "slotengine.publish";
    public const string Withdraw = "slotengine.withdraw";
    public const string Block = "slotengine.block";
    public const string Reopen = "slotengine.reopen";
    public const string Sweep = "slotengine.sweep";
    public const string QueryCalendar = "slotengine.query.calendar";
    public const string QueryFreeCounts = "slotengine.query.free_counts";
    public const string QueryEarliest = "slotengine.query.earliest";

    public static string Of(string operation) => operation switch
    {
        TagValues.Hold => Hold,
        TagValues.Book => Book,
        TagValues.Confirm => Confirm,
        TagValues.Approve => Approve,
        TagValues.Release => Release,
        _ => Cancel,
    };
}
