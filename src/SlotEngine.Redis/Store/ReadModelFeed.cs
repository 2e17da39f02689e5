using StackExchange.Redis;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SlotEngine.Redis;

/// <summary>
/// Keeps a node's read model fresh: per calendar, the version loaded and the newest version heard of
/// (from the change feed or from this node's own scripts). A change that carries its delta (another node's
/// claim, confirm or release, or this node's own from the script's reply or its echo) is laid in when the
/// read model holds exactly the version before it (<see cref="Hear"/>, <see cref="EndOwnWrite(CalendarKey, long, in FeedDelta)"/>): no reload.
/// Otherwise (a gap, a change without a delta, a new generation), when the newest version heard passes the
/// one loaded, one reload runs (never two at once for a calendar), and runs again if more changes came
/// meanwhile; a burst costs one or two reloads, not one each. A reload reads the whole calendar, so it covers
/// every change up to the version it read. Queries wait only for this node's own changes not yet laid in
/// (<see cref="WhenOwnFreshAsync"/>), never for every calendar held.
/// </summary>
/// <remarks>
/// <b>Lag.</b> A feed message may carry when its change was made (Redis's <c>TIME</c>, in ms). While the lag
/// histogram is listened to, such a change is remembered until a reload has applied it, and its lag (this
/// node's clock minus Redis's) is recorded then. A reload applied it when the reload started after the
/// message was heard (it read Redis after the change), or when it loaded the change's version or a later one
/// of the same generation. One sample per change, however many changes one reload applies.
/// </remarks>
internal sealed class ReadModelFeed
{
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>Changes remembered per calendar for the lag; beyond this (reloads failing for long), no more samples until one succeeds.</summary>
    private const int MaxUnapplied = 1024;

    /// <summary>How long a feed message that may be this node's own echo waits for that write's reply before it reloads anyway.</summary>
    private static readonly TimeSpan OwnWriteGrace = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The grace is a bound on waiting for a reply in flight, a property of the network, not of the engine's notion of
    /// "now": real time by default (not the engine's <see cref="TimeProvider"/>), so that an engine run on a fake clock
    /// (tests driving holds by hand) still reloads. A test of the feed alone passes its own clock to drive the grace by
    /// hand: a real 50 ms timer fires whenever the test's thread is paused that long.
    /// </summary>
    private readonly TimeProvider _graceClock;
    private readonly Func<CalendarKey, CancellationToken, Task<long>> _load;
    private readonly ApplyDelta? _applyDelta;

    /// <summary>
    /// Calendars with a change of this node's own not yet in the read model (a reload, or a reply waiting for the
    /// echo before it): the only ones a query waits for. Counted apart so that the query's check is one read.
    /// </summary>
    private readonly ConcurrentDictionary<State, TaskCompletionSource> _ownPending = new();
    private int _ownPendingCount;
    private long _freshnessVisits;
    private long _deltas;
    private readonly ConcurrentDictionary<CalendarKey, State> _states = new();
    private readonly CancellationToken _stop;
    private readonly Action<string>? _warning;
    private readonly Histogram<double>? _lag;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(CalendarKey Key, State State, long Since)> _deferred = new();
    private ITimer? _graceTimer;
    private int _graceArmed;
    private long _reloads;
    private readonly Counter<long>? _reloadCounter;
    private long _published;
    private long _applied;

    /// <summary>
    /// Reloads that read Redis at once, per node (<see cref="_reloadSlots"/>); the others wait their turn here. Without a
    /// bound, a resync after a reconnect (<see cref="ReloadAll"/>) sent one read per calendar held at once: 2.25 M at
    /// national size, queued in the client's backlog, where they can time out before they are sent (30 s), be retried
    /// and time out again (a 1-node nationwide run had about a million commands queued in its client while its reloads
    /// timed out and retried, and grew past 19 GB; docs/redis-scale.md). Waiting here costs no timeout: the client's
    /// clock starts when a read is sent.
    /// </summary>
    public const int DefaultMaxReloadsInFlight = 1024;

    private readonly SemaphoreSlim _reloadSlots;

    public ReadModelFeed(Func<CalendarKey, CancellationToken, Task<long>> load, CancellationToken stop, Action<string>? warning, Histogram<double>? lag = null, TimeProvider? time = null, ApplyDelta? applyDelta = null, Counter<long>? reloads = null, int maxReloadsInFlight = DefaultMaxReloadsInFlight, TimeProvider? graceClock = null)
    {
        _graceClock = graceClock ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReloadsInFlight, 1);
        _reloadSlots = new SemaphoreSlim(maxReloadsInFlight, maxReloadsInFlight);
        _reloadCounter = reloads;
        _load = load;
        _applyDelta = applyDelta;
        _stop = stop;
        _warning = warning;
        _lag = lag;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How many reloads have completed (for tests and measurements).</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>How many of this node's own changes were laid into the read model without a reload (for tests and measurements).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>How many changes heard from the feed (another node's, or this node's echo before its reply) were laid in as deltas, without a reload.</summary>
    public long Deltas => Interlocked.Read(ref _deltas);

    /// <summary>How many days opened by another node were laid in from their <c>reset</c> message, without a reload.</summary>
    public long PublishedLaidIn => Interlocked.Read(ref _published);

    /// <summary>How many calendar states the freshness checks have looked at (a query's check looks only at calendars with an own change pending; for tests).</summary>
    public long FreshnessVisits => Interlocked.Read(ref _freshnessVisits);

    /// <summary>How many calendars have an own change of this node not yet in the read model.</summary>
    public int OwnPending => Volatile.Read(ref _ownPendingCount);

    /// <summary>How many reloads of one calendar have started (for tests).</summary>
    public long ReloadsOf(CalendarKey key)
    {
        if (!_states.TryGetValue(key, out var state))
        {
            return 0;
        }

        lock (state)
        {
            return state.Runs;
        }
    }

    /// <summary>The version of a calendar this node has loaded (0: none).</summary>
    public long LoadedVersion(CalendarKey key) => _states.TryGetValue(key, out var state) ? Volatile.Read(ref state.Loaded) : 0;

    /// <summary>
    /// A change with this version happened (at <paramref name="changedAtMs"/> by Redis's clock, 0 if unknown);
    /// reload unless it is already loaded. Quick: safe on the pub/sub reader.
    /// </summary>
    public void Observe(CalendarKey key, long version, long changedAtMs = 0)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            if (version <= state.Loaded && state.Running is null)
            {
                return;
            }

            RememberChange(state, version, changedAtMs);
            state.Wanted = Math.Max(state.Wanted, version);
            if (state.Running is null && state.OwnWrites > 0 && state.Wanted <= state.Loaded + state.OwnWrites)
            {
                // Maybe the echo of this node's own write, whose reply has not been read yet: that write's
                // completion applies it (or starts the reload); a grace timer bounds the wait.
                DeferStart(key, state);
                return;
            }

            StartIfNeeded(key, state);
        }
    }

    /// <summary>
    /// A feed message: a change that carries its delta is laid in when the read model holds exactly the version
    /// before it (no reload); one it already holds (this node's own change, applied from the script's reply) is
    /// dropped; anything else (a gap, a reload under way, a change without a delta) goes to <see cref="Observe"/>.
    /// Quick: safe on the pub/sub reader.
    /// </summary>
    public void Hear(in FeedMessage message)
    {
        if (message.Delta.Op == FeedOp.None || _applyDelta is null)
        {
            Observe(message.Calendar, message.Version, message.ChangedAtMs);
            return;
        }

        var state = _states.GetOrAdd(message.Calendar, static _ => new State());
        lock (state)
        {
            if (state.Running is null && !state.Forced && state.Loaded > 0)
            {
                if (message.Version == state.Loaded + 1 && _applyDelta(message))
                {
                    SetLoaded(state, message.Version);
                    state.Wanted = Math.Max(state.Wanted, message.Version);
                    Interlocked.Increment(ref _deltas);
                    if (message.ChangedAtMs > 0 && _lag is { Enabled: true })
                    {
                        _lag.Record(Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() - message.ChangedAtMs) / 1000.0);
                    }

                    return;
                }

                if (message.Version <= state.Loaded)
                {
                    return;
                }
            }
        }

        Observe(message.Calendar, message.Version, message.ChangedAtMs);
    }

    /// <summary>As <see cref="Observe"/>, for a change this node made itself (block, reopen, sweep): queries wait for it.</summary>
    public void ObserveOwn(CalendarKey key, long version)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            if (version > state.Loaded)
            {
                MarkOwn(state, version);
            }
        }

        Observe(key, version);
    }

    /// <summary>
    /// Lays in a calendar this node just opened (<paramref name="version"/> of a new generation, state known without
    /// reading it) by <paramref name="load"/>, unless a reload is under way; its "reset" echo is then dropped once.
    /// </summary>
    /// <returns>Whether it was laid in (false: load it).</returns>
    public bool LoadedLocally(CalendarKey key, long version, Func<bool> load)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            if (state.Running is not null || !load())
            {
                return false;
            }

            if (state.HeardReset == version)
            {
                state.HeardReset = 0; // the echo came first and was held back
            }
            else
            {
                state.ExpectReset = version;
            }

            state.Forced = false;
            state.Wanted = version;
            SetLoaded(state, version);
            return true;
        }
    }

    /// <summary>This node is about to open the calendar (<see cref="LoadedLocally"/> after): its "reset" echo may come before the reply.</summary>
    public void BeginOwnPublish(CalendarKey key)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            state.Publishing++;
        }
    }

    /// <summary>The publish is done (<paramref name="version"/> 0: it failed or found the day open); a reset held back meanwhile that was not its echo reloads now.</summary>
    public void EndOwnPublish(CalendarKey key, long version)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        var reload = false;
        lock (state)
        {
            state.Publishing--;
            if (state.HeardReset != 0 && (version == 0 || state.HeardReset != version))
            {
                state.HeardReset = 0;
                reload = true;
            }
        }

        if (reload)
        {
            _ = RefreshAsync(key);
        }
    }

    /// <summary>
    /// A calendar's feed state, made on first use and kept for good (never removed: the same object for the key's whole life),
    /// so a caller may keep it beside its other per-calendar objects (<see cref="CalendarKeySet.FeedState"/>) and pass it to the
    /// overloads that take one instead of looking it up again by key.
    /// </summary>
    public State StateOf(CalendarKey key) => _states.GetOrAdd(key, static _ => new State());

    /// <summary>This node is about to run a script that may change the calendar (call an <c>EndOwnWrite</c> after, always).</summary>
    public void BeginOwnWrite(CalendarKey key) => BeginOwnWrite(StateOf(key));

    /// <summary>As <see cref="BeginOwnWrite(CalendarKey)"/>, with the calendar's state in hand (<see cref="StateOf"/>).</summary>
    public void BeginOwnWrite(State state)
    {
        lock (state)
        {
            state.OwnWrites++;
        }
    }

    /// <summary>
    /// This node's script is done. When it changed the calendar from <paramref name="toVersion"/> − 1 to
    /// <paramref name="toVersion"/> and the read model holds exactly the former (no reload under way),
    /// <paramref name="apply"/> lays the change in (under the state's lock, so no reload overwrites it meanwhile) and
    /// nothing is reloaded; otherwise (a gap, a reload running, or <paramref name="apply"/> refusing) the
    /// version is observed as any other. <paramref name="toVersion"/> 0: it changed nothing.
    /// </summary>
    public void EndOwnWrite(CalendarKey key, long toVersion, Func<bool>? apply) =>
        EndOwnWriteCore(key, StateOf(key), toVersion, apply, default);

    /// <summary>
    /// As <see cref="EndOwnWrite(CalendarKey, long, Func{bool}?)"/>, with the change described by <paramref name="delta"/>
    /// (<see cref="FeedOp.None"/>: not described, reload) and laid in as a feed message carrying it would be (<see cref="ApplyDelta"/>):
    /// the same path as another node's change, and no closure per write.
    /// </summary>
    public void EndOwnWrite(CalendarKey key, long toVersion, in FeedDelta delta) =>
        EndOwnWriteCore(key, StateOf(key), toVersion, null, new FeedMessage(key, toVersion, FeedChange.Change, 0, delta));

    /// <summary>As <see cref="EndOwnWrite(CalendarKey, long, in FeedDelta)"/>, with the calendar's state in hand (<see cref="StateOf"/> of <paramref name="key"/>).</summary>
    public void EndOwnWrite(CalendarKey key, State state, long toVersion, in FeedDelta delta) =>
        EndOwnWriteCore(key, state, toVersion, null, new FeedMessage(key, toVersion, FeedChange.Change, 0, delta));

    /// <summary>The one body of the <c>EndOwnWrite</c> overloads: the change is laid in by <paramref name="apply"/>, else by <paramref name="delta"/>'s delta, else not described.</summary>
    private void EndOwnWriteCore(CalendarKey key, State state, long toVersion, Func<bool>? apply, in FeedMessage delta)
    {
        Debug.Assert(ReferenceEquals(state, StateOf(key)), "the state passed is the key's own");
        var described = apply is not null || (delta.Delta.Op != FeedOp.None && _applyDelta is not null);
        lock (state)
        {
            state.OwnWrites--;
            var applied = false;
            var gap = false;
            if (toVersion > 0)
            {
                var quiet = state.Running is null && !state.Forced;
                if (described && quiet && state.Loaded == toVersion - 1 && (apply is not null ? apply() : _applyDelta!(delta)))
                {
                    SetLoaded(state, toVersion);
                    RecordApplied(state, run: 0, toVersion);
                    Interlocked.Increment(ref _applied);
                    applied = true;
                }
                else if (quiet && state.Loaded >= toVersion)
                {
                    applied = true; // its echo (a delta) came first and laid it in
                }
                else if (described && quiet && state.Loaded > 0)
                {
                    // A gap: the changes before this one are on their way through the feed (deltas), and so is this
                    // one's echo, which lays it in after them. Queries wait for it; the grace timer reloads if they never come.
                    // Often the change before is this node's own too, its reply read second: this one is then held and
                    // laid in as soon as that one is (SetLoaded), without waiting for the echo or reloading.
                    gap = true;
                    MarkOwn(state, toVersion);
                    if (state.HeldApply is null)
                    {
                        state.HeldApply = apply;
                        state.HeldVersion = toVersion;
                    }
                }
                else
                {
                    MarkOwn(state, toVersion);
                }

                state.Wanted = Math.Max(state.Wanted, toVersion);
            }

            if (gap)
            {
                DeferStart(key, state);
            }
            else if ((toVersion > 0 && !applied) || state.OwnWrites == 0 || state.Wanted > state.Loaded + state.OwnWrites)
            {
                // Not applied: a reload is due now. Applied, or nothing changed: a change heard meanwhile that may be
                // another own write's echo waits for that write (or the grace timer), as in Observe.
                StartIfNeeded(key, state);
            }
        }
    }

    /// <summary>
    /// Reloads a calendar whatever version is loaded (a new generation of it, made at <paramref name="changedAtMs"/>
    /// by Redis's clock, 0 if unknown, at <paramref name="version"/>, 0 if unknown), unless it is the echo of this
    /// node's own publish (<see cref="LoadedLocally"/>). Quick: safe on the pub/sub reader.
    /// </summary>
    public void Force(CalendarKey key, long changedAtMs = 0, long version = 0)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            if (version > 0 && state.ExpectReset == version && state.Running is null)
            {
                state.ExpectReset = 0; // the echo of this node's own publish, laid in already
                return;
            }

            if (version > 0 && state.Publishing > 0 && state.HeardReset == 0)
            {
                state.HeardReset = version; // maybe the echo of this node's publish under way: its end decides
                return;
            }

            RememberChange(state, version: 0, changedAtMs);
        }

        _ = RefreshAsync(key);
    }

    /// <summary>
    /// A day opened by another node (a <c>reset</c> that carries the day's template: its state is known without reading it):
    /// laid in by <paramref name="layIn"/> at <paramref name="version"/> when nothing of this node's is under way on the
    /// calendar (no reload, own write or publish); otherwise as <see cref="Force"/>. Quick: safe on the pub/sub reader.
    /// </summary>
    /// <returns>Whether it was laid in without a reload.</returns>
    public bool HearPublished<TState>(CalendarKey key, long version, long changedAtMs, TState with, Func<TState, CalendarKey, long, bool> layIn)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            if (state.ExpectReset == version && state.Running is null)
            {
                state.ExpectReset = 0; // the echo of this node's own publish, laid in already
                return true;
            }

            if (state.Running is null && state.Publishing == 0 && state.OwnWrites == 0 && state.HeldApply is null && layIn(with, key, version))
            {
                state.ExpectReset = 0;
                state.HeardReset = 0;
                state.Forced = false;
                state.Wanted = version;
                state.Unapplied = null; // changes of the old generation: this state covers them
                SetLoaded(state, version);
                Interlocked.Increment(ref _published);
                if (changedAtMs > 0 && _lag is { Enabled: true })
                {
                    _lag.Record(Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() - changedAtMs) / 1000.0);
                }

                return true;
            }
        }

        Force(key, changedAtMs, version);
        return false;
    }

    /// <summary>Reloads a calendar now, whatever is loaded; returns the version loaded (0 when it is not published).</summary>
    public Task<long> RefreshAsync(CalendarKey key)
    {
        var state = _states.GetOrAdd(key, static _ => new State());
        lock (state)
        {
            state.Wanted = Math.Max(state.Wanted, state.Loaded + 1);
            state.Forced = true;
            StartIfNeeded(key, state);
            return state.Running!;
        }
    }

    /// <summary>After a reconnect of the feed: everything may have been missed.</summary>
    public void ReloadAll(IEnumerable<CalendarKey> alsoThese)
    {
        foreach (var key in alsoThese)
        {
            _states.GetOrAdd(key, static _ => new State());
        }

        foreach (var (key, state) in _states)
        {
            lock (state)
            {
                state.ExpectReset = 0;
                state.Wanted = Math.Max(state.Wanted, state.Loaded + 1);
                state.Forced = true;
                StartIfNeeded(key, state);
            }
        }
    }

    /// <summary>Waits (at most <paramref name="bound"/>) for a reload of this calendar already under way.</summary>
    public Task WhenFreshAsync(CalendarKey key, TimeSpan bound)
    {
        if (!_states.TryGetValue(key, out var state))
        {
            return Task.CompletedTask;
        }

        Task? running;
        lock (state)
        {
            running = state.Running;
        }

        return running is null ? Task.CompletedTask : WaitBoundedAsync(running, bound);
    }

    /// <summary>
    /// Waits (at most <paramref name="bound"/>) until this node's own changes are in its read model (read your own
    /// writes): the calendars with one pending only, never every calendar held. One read when there are none.
    /// </summary>
    public Task WhenOwnFreshAsync(TimeSpan bound)
    {
        if (Volatile.Read(ref _ownPendingCount) == 0)
        {
            return Task.CompletedTask;
        }

        // Mostly one (a reply waiting for its echo): waited for alone, without a list and a WhenAll.
        Task? first = null;
        List<Task>? more = null;
        foreach (var (_, done) in _ownPending)
        {
            Interlocked.Increment(ref _freshnessVisits);
            if (first is null)
            {
                first = done.Task;
            }
            else
            {
                (more ??= [first]).Add(done.Task);
            }
        }

        return first is null ? Task.CompletedTask : first.IsCompletedSuccessfully && more is null ? Task.CompletedTask : WaitBoundedAsync(more is null ? first : Task.WhenAll(more), bound);
    }

    /// <summary>Waits (at most <paramref name="bound"/>) for every reload under way. Looks at every calendar held: for tests and tools, never on a query's path.</summary>
    public Task WhenAllFreshAsync(TimeSpan bound)
    {
        var running = new List<Task>();
        foreach (var state in _states.Values)
        {
            Interlocked.Increment(ref _freshnessVisits);
            lock (state)
            {
                if (state.Running is { } task)
                {
                    running.Add(task);
                }
            }
        }

        return running.Count == 0 ? Task.CompletedTask : WaitBoundedAsync(running, bound);
    }

    private static Task WaitBoundedAsync(List<Task> tasks, TimeSpan bound) => WaitBoundedAsync(Task.WhenAll(tasks), bound);

    private static async Task WaitBoundedAsync(Task task, TimeSpan bound)
    {
        try
        {
            await task.WaitAsync(bound).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or RedisException or OperationCanceledException)
        {
            // A query answers from what is loaded: a hint, never a promise.
        }
    }

    /// <summary>Starts the reload held back for own writes after <see cref="OwnWriteGrace"/>, if it is still needed (under the state's lock).</summary>
    private void DeferStart(CalendarKey key, State state)
    {
        if (state.Deferred)
        {
            return;
        }

        // One timer for every deferred calendar (not a Task.Delay per feed echo: in a rush most echoes of this node's own
        // writes come before the write's reply, and each would otherwise cost a task and a timer). The queue is in
        // the order of deferral, so its head is always the first due.
        state.Deferred = true;
        _deferred.Enqueue((key, state, _graceClock.GetTimestamp()));
        ArmGraceTimer(OwnWriteGrace);
    }

    /// <summary>Arms the grace timer to fire after <paramref name="due"/> unless it is armed already.</summary>
    private void ArmGraceTimer(TimeSpan due)
    {
        if (Interlocked.Exchange(ref _graceArmed, 1) != 0 || _stop.IsCancellationRequested)
        {
            return;
        }

        var timer = Volatile.Read(ref _graceTimer);
        if (timer is null)
        {
            var created = _graceClock.CreateTimer(static feed => ((ReadModelFeed)feed!).OnGrace(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            timer = Interlocked.CompareExchange(ref _graceTimer, created, null) ?? created;
            if (timer != created)
            {
                created.Dispose();
            }
            else
            {
                _stop.Register(static t => ((ITimer)t!).Dispose(), created);
            }
        }

        timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts the reloads whose grace has passed (if still needed), and re-arms for the next one.</summary>
    private void OnGrace()
    {
        Volatile.Write(ref _graceArmed, 0);
        while (_deferred.TryPeek(out var head))
        {
            var waited = _graceClock.GetElapsedTime(head.Since);
            if (waited < OwnWriteGrace)
            {
                ArmGraceTimer(OwnWriteGrace - waited);
                return;
            }

            if (!_deferred.TryDequeue(out var due))
            {
                return;
            }

            lock (due.State)
            {
                due.State.Deferred = false;
                StartIfNeeded(due.Key, due.State);
            }
        }
    }

    private void StartIfNeeded(CalendarKey key, State state)
    {
        if (state.Running is null && (state.Wanted > state.Loaded || state.Forced))
        {
            state.Running = StartReload(key, state);
        }
    }

    /// <summary>
    /// Starts a reload. Apart from <see cref="StartIfNeeded"/> because its closure is made on entry to the method that holds
    /// it: there, every own write's end (which calls <see cref="StartIfNeeded"/> and rarely starts anything) paid for it.
    /// </summary>
    private Task<long> StartReload(CalendarKey key, State state) => Task.Run(() => RunAsync(key, state));

    private async Task<long> RunAsync(CalendarKey key, State state)
    {
        var delay = MinRetryDelay;
        while (true)
        {
            long target;
            long run;
            lock (state)
            {
                target = state.Wanted;
                state.Forced = false;
                state.HeldApply = null; // a reload reads every change, and a new generation must not get an old one's delta
                run = ++state.Runs;
            }

            long loaded;
            try
            {
                // A bounded number of reads in flight (DefaultMaxReloadsInFlight); the version to reach was taken above,
                // so changes heard while waiting here are read by this run or make another.
                await _reloadSlots.WaitAsync(_stop).ConfigureAwait(false);
                try
                {
                    loaded = await _load(key, _stop).ConfigureAwait(false);
                }
                finally
                {
                    _reloadSlots.Release();
                }

                delay = MinRetryDelay;
            }
            catch (Exception e) when (!_stop.IsCancellationRequested && e is RedisException or IOException or TimeoutException)
            {
                _warning?.Invoke($"Reloading {key} failed ({e.Message}); retrying.");
                try
                {
                    await Task.Delay(delay, _stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return Finish(state);
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                continue;
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return Finish(state);
            }
            catch
            {
                Finish(state);
                throw;
            }

            Interlocked.Increment(ref _reloads);
            _reloadCounter?.Add(1);

            lock (state)
            {
                SetLoaded(state, loaded);
                RecordApplied(state, run, loaded);

                // Nothing newer was heard while loading: what was read is the latest (even if it is lower,
                // as after a withdraw and a new publish of the day, whose versions start again).
                if (state.Wanted == target)
                {
                    state.Wanted = loaded;
                }

                if (state.Wanted <= state.Loaded && !state.Forced)
                {
                    state.Running = null;
                    ClearOwn(state); // this reload read Redis after every own change it was waiting for
                    return loaded;
                }
            }
        }
    }

    /// <summary>Remembers a timed change for the lag histogram (under the state's lock); version 0: a new generation.</summary>
    private void RememberChange(State state, long version, long changedAtMs)
    {
        if (changedAtMs > 0 && _lag is { Enabled: true } && (state.Unapplied?.Count ?? 0) < MaxUnapplied)
        {
            (state.Unapplied ??= []).Add(new UnappliedChange(changedAtMs, version, state.Runs));
        }
    }

    /// <summary>Records the lag of every remembered change that reload number <paramref name="run"/> applied (under the state's lock).</summary>
    private void RecordApplied(State state, long run, long loaded)
    {
        if (state.Unapplied is not { Count: > 0 } unapplied)
        {
            return;
        }

        // A loop, not RemoveAll with a lambda: the lambda's closure (over the parameters) was made on every call, even
        // when nothing is remembered, i.e. on every own change laid in.
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var kept = 0;
        for (var i = 0; i < unapplied.Count; i++)
        {
            var change = unapplied[i];

            // Heard before this reload began, so it read Redis after the change; or it read the change's version.
            if (change.HeardBeforeRun < run || (change.Version > 0 && loaded >= change.Version))
            {
                _lag!.Record(Math.Max(0, nowMs - change.ChangedAtMs) / 1000.0);
            }
            else
            {
                unapplied[kept++] = change;
            }
        }

        unapplied.RemoveRange(kept, unapplied.Count - kept);
    }

    private long Finish(State state)
    {
        lock (state)
        {
            state.Running = null;
            state.Forced = false;
            ClearOwn(state);
            return state.Loaded;
        }
    }

    /// <summary>Writes the version held (under the state's lock); an own change it covers is no longer pending.</summary>
    private void SetLoaded(State state, long version)
    {
        Volatile.Write(ref state.Loaded, version);
        if (state.HeldApply is { } held && version >= state.HeldVersion - 1)
        {
            // The own change held back for the one before it (EndOwnWrite's gap): that one is in now, so this one
            // follows, version-checked by the read model; if it cannot, its echo or a reload lays it in as before.
            state.HeldApply = null;
            if (version == state.HeldVersion - 1 && state.Running is null && !state.Forced && held())
            {
                version = state.HeldVersion;
                Volatile.Write(ref state.Loaded, version);
                RecordApplied(state, run: 0, version);
                Interlocked.Increment(ref _applied);
            }
        }

        if (state.OwnTarget > 0 && version >= state.OwnTarget)
        {
            ClearOwn(state);
        }
    }

    /// <summary>An own change (up to <paramref name="version"/>) is not in the read model yet: queries wait for it (under the state's lock).</summary>
    private void MarkOwn(State state, long version)
    {
        if (state.OwnTarget == 0)
        {
            _ownPending[state] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Increment(ref _ownPendingCount);
        }

        state.OwnTarget = Math.Max(state.OwnTarget, version);
    }

    /// <summary>No own change of the calendar is pending any more (under the state's lock).</summary>
    private void ClearOwn(State state)
    {
        if (state.OwnTarget == 0)
        {
            return;
        }

        state.OwnTarget = 0;
        if (_ownPending.TryRemove(state, out var done))
        {
            Interlocked.Decrement(ref _ownPendingCount);
            done.TrySetResult();
        }
    }

    /// <summary>
    /// A calendar's feed state; the object itself is its lock (<c>lock (state)</c>: a monitor in the object's header, no
    /// lock object of its own). A node holds one per calendar, 2.25 M at national size, so every field costs 2.25 MB per
    /// node: a <see cref="Lock"/> object of its own cost 48 of the 222 bytes retained per calendar (ReadModelFeedMemoryTests: 174 without it).
    /// Internal only so that callers can hold it (<see cref="StateOf"/>); nothing outside the feed reads or writes its fields.
    /// </summary>
    internal sealed class State
    {
#pragma warning disable SA1401, CA1051 // fields: read with Volatile, written under the state's lock
        public long Loaded;
        public long Wanted;
        public bool Forced;

        /// <summary>This node's scripts on the calendar under way (their echoes may come before their replies).</summary>
        public int OwnWrites;

        /// <summary>The newest own change not yet in the read model (0: none); queries wait for it.</summary>
        public long OwnTarget;

        /// <summary>
        /// An own change whose reply was read before the change ahead of it was laid in (version <see cref="HeldVersion"/>):
        /// laid in by <see cref="SetLoaded"/> when the read model reaches the version before it; null: none.
        /// </summary>
        public Func<bool>? HeldApply;

        /// <summary>The version <see cref="HeldApply"/> makes.</summary>
        public long HeldVersion;

        /// <summary>This node's publishes of the calendar under way (their "reset" echo may come before the reply).</summary>
        public int Publishing;

        /// <summary>A "reset" heard while <see cref="Publishing"/>, held back until the publish ends (its version).</summary>
        public long HeardReset;

        /// <summary>The version of this node's own publish laid in locally, whose "reset" echo is to be dropped once.</summary>
        public long ExpectReset;

        /// <summary>Whether a grace timer (<see cref="DeferStart"/>) is pending.</summary>
        public bool Deferred;
        public Task<long>? Running;

        /// <summary>How many reloads have started; a change heard when this was n is applied by any reload numbered above n.</summary>
        public long Runs;

        /// <summary>Timed changes not yet applied (only while the lag histogram is listened to).</summary>
        public List<UnappliedChange>? Unapplied;
#pragma warning restore SA1401, CA1051
    }

    /// <summary>Lays a feed message's delta into the read model (version-checked); false: it could not (reload).</summary>
    public delegate bool ApplyDelta(in FeedMessage message);

    /// <summary>A change heard with its Redis time: to be measured when a reload has applied it.</summary>
    internal readonly record struct UnappliedChange(long ChangedAtMs, long Version, long HeardBeforeRun);
}
