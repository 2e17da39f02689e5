namespace SlotEngine.Stores;

/// <summary>
/// One calendar of a <see cref="ReadModel"/>, as a store sees it (advanced: for store authors): which day, which
/// template laid out how, and the store version the read model holds. The calendar's slots are read through
/// the engine's queries (<see cref="ReadModel.Engine"/>); they change only by <see cref="ReadModel.Load"/> and the
/// <c>Apply…</c> methods.
/// </summary>
/// <remarks>One object per open calendar (the same one each time it is asked for); a calendar withdrawn and
/// published again is a new one. Thread-safe: <see cref="Version"/> and <see cref="LastToken"/> are read volatile.</remarks>
public sealed class ReadModelCalendar
{
    private readonly Calendar _calendar;

    internal ReadModelCalendar(Calendar calendar) => _calendar = calendar;

    /// <summary>The engine's calendar behind this view.</summary>
    internal Calendar Inner => _calendar;

    /// <summary>The calendar's key.</summary>
    public CalendarKey Key => _calendar.Key;

    /// <summary>The local day.</summary>
    public DateOnly Day => _calendar.Day;

    /// <summary>The provider's clinic (per-clinic quotas count by it).</summary>
    public ClinicId Clinic => _calendar.Provider.Clinic.Id;

    /// <summary>The branch of the calendar's clinic.</summary>
    public BranchId Branch => _calendar.Provider.Clinic.Branch;

    /// <summary>The clinic's facility (per-facility quotas count by it).</summary>
    public FacilityId Facility => _calendar.Provider.Clinic.Facility;

    /// <summary>The day's template.</summary>
    public DayTemplate Template => _calendar.Layout.Template;

    /// <summary>The template laid onto the day: each slot's UTC start, which slots are offered.</summary>
    public DayLayout Layout => _calendar.Layout;

    /// <summary>How many slots the day has.</summary>
    public int SlotCount => _calendar.SlotCount;

    /// <summary>How many seats each slot has.</summary>
    public int Capacity => _calendar.Capacity;

    /// <summary>The store's version of the calendar that the read model holds (the last one loaded or applied).</summary>
    public long Version => _calendar.Version;

    /// <summary>The highest fencing token the read model has seen on the calendar.</summary>
    public long LastToken => _calendar.LastToken;

    /// <inheritdoc />
    public override string ToString() => $"{Key} v{Version}";
}
