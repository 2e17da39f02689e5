using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Every provider of one branch in one city (what a citizen searches as "cardiology in İstanbul"),
/// and the group's availability index per day. Members are appended under the directory's write
/// lock and read lock-free; a provider's place in the group (<see cref="ProviderEntry.GroupMember"/>)
/// never changes.
/// </summary>
internal sealed class BranchGroup
{
    private readonly ConcurrentDictionary<int, BranchDayIndex> _days = new();

    /// <summary>
    /// The day indexes last looked up, by day number modulo <see cref="RecentDays"/>: a search reads one array element
    /// instead of probing <see cref="_days"/>. Each element is null or an index that <see cref="_days"/> holds or held for
    /// its day (a day's index is never replaced, only dropped by <see cref="PurgeBefore"/>, which clears its element
    /// too); a reader checks the day, so an element of another day (two days on one element) is a miss.
    /// </summary>
    private readonly BranchDayIndex?[] _recent = new BranchDayIndex?[RecentDays];

    private const int RecentDays = 32;
    private ProviderEntry[] _members = [];

    /// <summary>Makes a group of <paramref name="owner"/>'s whose members keep at most <paramref name="maxOpenDays"/> open days each.</summary>
    public BranchGroup(int maxOpenDays, SlotDirectory owner)
    {
        MaxOpenDays = maxOpenDays;
        Owner = owner;
    }

    /// <summary>The directory that made the group (a query that remembers its group checks that it is this engine's; see <see cref="EarliestQuery.CachedGroup"/>).</summary>
    public SlotDirectory Owner { get; }

    /// <summary>How many days each member may keep open (the directory's limit; kept here rather than on every provider).</summary>
    public int MaxOpenDays { get; }

    /// <summary>The providers, in registration order.</summary>
    public ProviderEntry[] Members => Volatile.Read(ref _members);

    /// <summary>Appends a provider; called under the directory's write lock only. Returns its place.</summary>
    public int Add(ProviderEntry provider)
    {
        var members = _members;
        Volatile.Write(ref _members, [.. members, provider]);
        return members.Length;
    }

    public BranchDayIndex? TryGetIndex(DateOnly day)
    {
        var dayNumber = day.DayNumber;
        ref var recent = ref _recent[dayNumber & (RecentDays - 1)];
        var cached = Volatile.Read(ref recent);
        if (cached is not null && cached.DayNumber == dayNumber)
        {
            return cached;
        }

        if (!_days.TryGetValue(dayNumber, out var index))
        {
            return null;
        }

        Volatile.Write(ref recent, index);
        return index;
    }

    /// <summary>
    /// The day's index, made on the first search of that day: every member's calendar of that day
    /// joins it. A calendar published later joins at its publication (see
    /// <see cref="ProviderEntry.Publish"/>); the full fences on both sides make sure that one of the
    /// two always sees the other.
    /// </summary>
    public BranchDayIndex IndexFor(DateOnly day, DayLayout layout)
    {
        if (_days.TryGetValue(day.DayNumber, out var existing))
        {
            return existing;
        }

        var index = _days.GetOrAdd(day.DayNumber, static (_, state) => new BranchDayIndex(state.Members, state.Layout, state.Group), (Members: Members, Layout: layout, Group: this));
        Interlocked.MemoryBarrier();
        foreach (var member in index.Members)
        {
            member.GetCalendar(day)?.AttachIndex(index);
        }

        return index;
    }

    /// <summary>Drops the indexes of days before <paramref name="firstKeptDay"/>.</summary>
    public void PurgeBefore(DateOnly firstKeptDay)
    {
        foreach (var day in _days.Keys)
        {
            if (day < firstKeptDay.DayNumber && _days.TryRemove(day, out var removed))
            {
                // Only this day's own index is cleared (CAS from it); another day's on the same element stays.
                Interlocked.CompareExchange(ref _recent[day & (RecentDays - 1)], null, removed);
            }
        }
    }
}
