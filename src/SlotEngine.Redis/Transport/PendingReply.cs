using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// The awaitable slot of one command waiting for its reply: a pooled <see cref="IValueTaskSource{TResult}"/>,
/// so sending a command allocates no Task.
/// </summary>
/// <remarks>
/// <para><b>Completion.</b> Four parties may try to complete a pending reply: the link's reader (the reply
/// came), the link's timeout scan, the caller's cancellation token, and the link's failure. Each calls
/// <see cref="TryComplete"/>, which claims <see cref="_completed"/> 0 → 1 with one CAS; only the winner
/// sets the result, so the source is completed exactly once per use.</para>
/// <para><b>Ownership and reuse.</b> Up to two parties hold the object: the link's FIFO of commands
/// awaiting replies (from enqueue until the reader dequeues it or the link fails) and the awaiter (until
/// <see cref="GetResult"/>). <see cref="_owners"/> counts them; each gives up its share with
/// <see cref="Release"/>, and whoever brings it to zero resets the object and returns it to the pool.
/// So a command that timed out stays in the FIFO, its late reply is matched to it and dropped, and the
/// object is not reused before that. Reuse bumps <see cref="ManualResetValueTaskSourceCore{TResult}.Version"/>,
/// so a stale <see cref="ValueTask{TResult}"/> fails instead of reading another command's reply.</para>
/// </remarks>
internal sealed class PendingReply : IValueTaskSource<RedisReply>
{
    private const int MaxPooled = 4096;
    private static readonly ConcurrentQueue<PendingReply> Pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<RedisReply> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;

    /// <summary>0 while waiting; 1 once a result or error is set. Moves only 0 → 1, by CAS.</summary>
    private int _completed;

    /// <summary>How many of {FIFO, awaiter} still hold this object; the one that drops it to 0 recycles it.</summary>
    private int _owners;

    private PendingReply()
    {
    }

    /// <summary>The timestamp (<see cref="TimeProvider.GetTimestamp"/>) after which the command times out.</summary>
    public long Deadline { get; private set; }

    /// <summary>The command's name, for the timeout message.</summary>
    public string CommandName { get; private set; } = string.Empty;

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public short Version => _core.Version;

    /// <summary>Takes a pending reply from the pool, owned by the FIFO and, unless <paramref name="awaited"/> is false, the awaiter.</summary>
    public static PendingReply Rent(string commandName, long deadline, bool awaited)
    {
        if (Pool.TryDequeue(out var pending))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            pending = new PendingReply();
        }

        pending.CommandName = commandName;
        pending.Deadline = deadline;
        Volatile.Write(ref pending._owners, awaited ? 2 : 1);
        return pending;
    }

    /// <summary>Completes the command when the caller's token fires (only if it can).</summary>
    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingReply)state!).TryFail(new OperationCanceledException(token)),
                this);
        }
    }

    public ValueTask<RedisReply> AsValueTask() => new(this, _core.Version);

    /// <summary>Sets the reply if nobody has completed the command yet.</summary>
    public bool TryComplete(in RedisReply reply)
    {
        if (Interlocked.CompareExchange(ref _completed, 1, 0) != 0)
        {
            return false;
        }

        _core.SetResult(reply);
        return true;
    }

    /// <summary>Fails the command if nobody has completed it yet.</summary>
    public bool TryFail(Exception error)
    {
        if (Interlocked.CompareExchange(ref _completed, 1, 0) != 0)
        {
            return false;
        }

        _core.SetException(error);
        return true;
    }

    /// <summary>Gives up one share of ownership; the last one out recycles the object.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _owners) != 0)
        {
            return;
        }

        _core.Reset();
        CommandName = string.Empty;
        Volatile.Write(ref _completed, 0);
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }

    public RedisReply GetResult(short token)
    {
        if (token != _core.Version)
        {
            throw new InvalidOperationException("A pending Redis reply was awaited twice, or after it was reused.");
        }

        // Dispose (not Unregister) waits for a callback already running, so no cancellation of this use can
        // land after the object is reused.
        _cancellation.Dispose();
        _cancellation = default;
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
