using System.Threading.Tasks.Sources;

namespace SlotEngine.Redis.Client;

/// <summary>
/// Bounds how many scripts one node has in flight to Redis at once; the callers past the bound wait here, in arrival
/// order, and each one that completes hands its place to the first waiter. Thread-safe; allocates nothing in the
/// steady state (waiters are pooled).
/// </summary>
/// <remarks>
/// <para>
/// <b>Why.</b> Redis runs every command that arrived in one turn of its event loop before it writes any reply or feed
/// message (they are written when the turn ends). A script's feed message therefore waits for every script that
/// arrived with it: with 64 requests in flight across three nodes, a turn held ~64 scripts, and a third-party
/// <c>PING</c> waited 7.7 ms (p50) against 0.6 ms with 16 (docs/redis-scale.md, "Staleness at 64 workers"). Redis needs
/// only a few scripts queued to stay busy; past that, more in flight only lengthens the turn the feed waits for, and
/// the node's requests queue here instead, where they cost Redis nothing and hold no feed message back.
/// </para>
/// <para>
/// <b>Protocol</b> (all under <see cref="_lock"/>): <see cref="_inFlight"/> is the number of places taken, never above
/// <see cref="_limit"/>; a waiter is queued only while all places are taken. <see cref="Exit"/> either hands its place
/// to the first waiter (the count does not change: the waiter owns it once dequeued) or frees it; so a place is never
/// free while someone waits. A waiter is completed outside the lock, and its continuation runs on the thread that
/// completed it (the one leaving the gate), which only sends the next script and returns at its first await (no thread
/// pool hop; past <see cref="MaxInlineDepth"/> nested hand-overs on one thread, on the pool).
/// </para>
/// <para>
/// A waiter does not observe cancellation: the wait lasts one turn of a script at most (the time one in flight takes
/// to complete), and the caller's token is honoured by the call it makes next.
/// </para>
/// </remarks>
internal sealed class ScriptGate
{
    private readonly int _limit;
    private readonly Lock _lock = new();
    private readonly Queue<Waiter> _waiting = new();
    private readonly Stack<Waiter> _pool = new();
    private const int MaxInlineDepth = 8;

    [ThreadStatic]
    private static int s_inlineDepth;

    private int _inFlight;
    private long _waits;

    /// <summary>Creates a gate with <paramref name="limit"/> places.</summary>
    public ScriptGate(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
    }

    /// <summary>How many entries had to wait for a place (for tests and measurements).</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>How many places are taken now.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Takes a place: completes at once when one is free, otherwise when one is handed over. Pair with <see cref="Exit"/>.</summary>
    public ValueTask EnterAsync()
    {
        Waiter waiter;
        lock (_lock)
        {
            if (_inFlight < _limit)
            {
                _inFlight++;
                return default;
            }

            waiter = _pool.Count > 0 ? _pool.Pop() : new Waiter(this);
            _waiting.Enqueue(waiter);
        }

        Interlocked.Increment(ref _waits);
        return new ValueTask(waiter, waiter.Version);
    }

    /// <summary>Gives a place back: to the first waiter, or free.</summary>
    public void Exit()
    {
        Waiter? next;
        lock (_lock)
        {
            if (!_waiting.TryDequeue(out next))
            {
                _inFlight--;
                System.Diagnostics.Debug.Assert(_inFlight >= 0, "a place given back that was not taken");
                return;
            }
        }

        // The waiter's continuation runs here, inline, up to its next await (it sends its script). A call that fails at
        // once (no connection) exits again from inside that continuation and completes the next waiter inline too: past
        // a small depth the rest go to the thread pool, so that a queue of failing calls cannot grow the stack.
        if (s_inlineDepth >= MaxInlineDepth)
        {
            next.Complete(inline: false);
            return;
        }

        s_inlineDepth++;
        try
        {
            next.Complete(inline: true);
        }
        finally
        {
            s_inlineDepth--;
        }
    }

    private void Recycle(Waiter waiter)
    {
        lock (_lock)
        {
            _pool.Push(waiter);
        }
    }

    /// <summary>One wait for a place, reused after its <see cref="GetResult"/> (a value task is awaited once).</summary>
    private sealed class Waiter(ScriptGate gate) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core; // continuations inline unless Complete says otherwise

        public short Version => _core.Version;

        public void Complete(bool inline)
        {
            _core.RunContinuationsAsynchronously = !inline;
            _core.SetResult(true);
        }

        public void GetResult(short token)
        {
            _core.GetResult(token);
            _core.Reset();
            gate.Recycle(this);
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
