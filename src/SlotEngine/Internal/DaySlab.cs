namespace SlotEngine;

/// <summary>
/// The slot state of many calendars of one day layout in one array: each calendar takes one place of
/// <see cref="Stride"/> longs (its free words, its cells' 32-bit state words, its cells' 16-bit patient low
/// halves; see <see cref="Calendar"/>), so a calendar costs no array header of its own. A place is taken once
/// and never given back: a withdrawn calendar's place stays unused until the slab goes, and a calendar's id
/// (<see cref="FirstId"/> + place) is never another calendar's. Slabs hang off their <see cref="DayLayout"/>
/// and go with it (and with the day's calendars) when the day is past: a day's calendars are dropped whole.
/// </summary>
/// <remarks>
/// Lock-free: <see cref="TryTake"/> hands out places with one atomic increment (a place past the end means
/// the slab is full; the layout then makes the next one). Places are disjoint runs of whole longs, so a
/// calendar's plain writes while it is being made (before it is published) and its CASes afterwards never
/// touch a neighbour's words.
/// </remarks>
internal sealed class DaySlab
{
    /// <summary>Calendars in a layout's first slab; each next slab is twice the last, up to <see cref="MaxPlaces"/> (or <see cref="MaxFittedPlaces"/>, see <see cref="DayLayout.NextSlabPlaces"/>).</summary>
    public const int FirstPlaces = 16;

    /// <summary>The most calendars one slab holds when the layout does not know how many calendars to expect (4,096 × 37 longs = 1.2 MB for a 48-slot template).</summary>
    public const int MaxPlaces = 4096;

    /// <summary>
    /// The most calendars one slab holds when the layout expects many calendars (<see cref="DayLayout.ExpectedCalendars"/>):
    /// 65,536 × 37 longs = 19 MB for a 48-slot template, large enough for 2 MiB pages (<see cref="HugePages"/>).
    /// </summary>
    public const int MaxFittedPlaces = 65536;

    /// <summary>The most longs a fitted slab holds (19 MB: 65,536 places of a 48-slot, one-seat template); a template with wider places gets fewer of them, never fewer than <see cref="MaxPlaces"/>.</summary>
    public const int MaxFittedLongs = MaxFittedPlaces * 37;

    private static int s_lastId;
    private int _taken;
    private ushort[]? _patientHigh;
    private int[]? _tokenFloors;
    private CalendarExtras?[]? _extras;

    public DaySlab(DayLayout layout, int places, int placesBefore = 0)
    {
        PlacesBefore = placesBefore;
        Layout = layout;
        var template = layout.Template;
        SlotCount = template.SlotCount;
        Capacity = template.Capacity;
        WordsPerSeat = (SlotCount + 63) >> 6;
        FreeWordCount = WordsPerSeat * Capacity;
        CellCount = SlotCount * Capacity;
        StatesAt = FreeWordCount;
        PatientsAt = FreeWordCount + ((CellCount + 1) >> 1);
        Stride = PatientsAt + ((CellCount + 3) >> 2);
        Places = places;
        // A slab of 8 MiB or more (a fitted one, see DayLayout.TakeCalendarPlace) is pinned and advised onto 2 MiB pages:
        // claims and searches touch the day's slabs at random, and with 4 KiB pages nearly every touch of a slab was a TLB
        // miss (on this VM a two-level page walk). A smaller slab cannot take them: the GC commits the memory around it as it
        // allocates, so no whole 2 MiB page around a 1.2 MB array is free of 4 KiB pages by its first touch (measured).
        var length = places * Stride;
        Words = (long)length * sizeof(ulong) >= HugePages.MinBytes ? GC.AllocateArray<ulong>(length, pinned: true) : new ulong[length];
        HugePages.Advise(Words, (long)length * sizeof(ulong));

        // A directory with indices above 16 bits will need the page on nearly every slab: made now, at publish, so
        // that no claim allocates it.
        if (layout.WidePatients)
        {
            _patientHigh = new ushort[places * CellCount];
        }

        // Ids for every place at once (wrapping after 2^32 calendars, as calendar ids always did).
        FirstId = unchecked((uint)(Interlocked.Add(ref s_lastId, places) - places + 1));
    }

    /// <summary>The layout whose calendars these are.</summary>
    public DayLayout Layout { get; }

    /// <summary>The calendars' words, place after place.</summary>
    public ulong[] Words { get; }

    /// <summary>How many places (calendars) the slab has.</summary>
    public int Places { get; }

    /// <summary>Places of the layout's slabs made before this one (the sum of their <see cref="Places"/>).</summary>
    public int PlacesBefore { get; }

    /// <summary>The id of the calendar in place 0; place p's calendar is <see cref="FirstId"/> + p.</summary>
    public uint FirstId { get; }

    /// <summary>Longs per place.</summary>
    public int Stride { get; }

    public int SlotCount { get; }

    public int Capacity { get; }

    public int WordsPerSeat { get; }

    /// <summary>Free words per place, at offset 0 of the place.</summary>
    public int FreeWordCount { get; }

    /// <summary>Cells per place (slots × seats).</summary>
    public int CellCount { get; }

    /// <summary>Where in a place the 32-bit state words start, in longs.</summary>
    public int StatesAt { get; }

    /// <summary>Where in a place the 16-bit patient low halves start, in longs.</summary>
    public int PatientsAt { get; }

    /// <summary>
    /// The high 15 bits of every cell's patient index, cell <c>c</c> of place <c>p</c> at <c>p × CellCount + c</c>; null
    /// (all 0) until the first claim of an index above 65,535 in the slab. Never taken back once made, so the next owner of
    /// a cell whose last claim wrote a high half there sees the page (that claim made it before publishing its state word).
    /// </summary>
    public ushort[]? PatientHigh => Volatile.Read(ref _patientHigh);

    /// <summary>The page of patient high halves, made on first need (the CAS publishes one; a loser takes the winner's).</summary>
    public ushort[] EnsurePatientHigh() =>
        Volatile.Read(ref _patientHigh) ?? Interlocked.CompareExchange(ref _patientHigh, new ushort[Places * CellCount], null) ?? _patientHigh!;

    /// <summary>The token floor of the calendar in <paramref name="place"/> (see <see cref="Calendar.TokenFloor"/>): 0 unless the day was published again after a withdrawal.</summary>
    public int TokenFloorAt(int place) => Volatile.Read(ref _tokenFloors) is { } floors ? Volatile.Read(ref floors[place]) : 0;

    /// <summary>
    /// Sets the token floor of a calendar being made in <paramref name="place"/> (before it is published; the ring's publish is the
    /// release that makes it visible). The array is made on the first floor above 0 (a day published again: rare).
    /// </summary>
    public void SetTokenFloor(int place, int floor)
    {
        if (floor == 0)
        {
            return;
        }

        var floors = Volatile.Read(ref _tokenFloors) ?? Interlocked.CompareExchange(ref _tokenFloors, new int[Places], null) ?? _tokenFloors!;
        Volatile.Write(ref floors[place], floor);
    }

    /// <summary>Place <paramref name="place"/>'s extras if made, or null.</summary>
    public CalendarExtras? ExtrasAt(int place) => Volatile.Read(ref _extras) is { } all ? Volatile.Read(ref all[place]) : null;

    /// <summary>Place <paramref name="place"/>'s extras, made on first need (each level by one CAS from null; losers take the winner's).</summary>
    public CalendarExtras EnsureExtras(int place)
    {
        var all = Volatile.Read(ref _extras) ?? Interlocked.CompareExchange(ref _extras, new CalendarExtras?[Places], null) ?? _extras!;
        return Volatile.Read(ref all[place]) ?? Interlocked.CompareExchange(ref all[place], new CalendarExtras(), null) ?? all[place]!;
    }

    /// <summary>Takes the next place, or −1 when the slab is full.</summary>
    public int TryTake()
    {
        // Atomic +1: each caller gets a place nobody else got; past the end the slab is full (the counter only grows).
        var place = Interlocked.Increment(ref _taken) - 1;
        return place < Places ? place : -1;
    }
}

/// <summary>What few calendars need, kept beside the slab (<see cref="DaySlab.EnsureExtras"/>) so that a calendar has no field for it: a read model's view and lock.</summary>
internal sealed class CalendarExtras
{
    /// <summary>The calendar's public view for store authors, made on first use.</summary>
    public Stores.ReadModelCalendar? View;

    /// <summary>Serializes loads of a read-model calendar (a store's feed may reload it from two threads); set only on a read model.</summary>
    public Lock? ReadModelLock;
}
