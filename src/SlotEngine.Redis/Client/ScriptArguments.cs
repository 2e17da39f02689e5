using System.Collections.Concurrent;
using StackExchange.Redis;

namespace SlotEngine.Redis.Client;

/// <summary>
/// Argument and key arrays for script calls, reused: StackExchange.Redis sends an array whole (its length is the argument
/// count), so these are of exact lengths, one queue per length. A claim's arguments are some twenty values (forty with
/// the patient's admission on a standalone server), its keys five to eleven; making new arrays for each call was one to
/// three kilobytes of garbage per booking. Thread-safe.
/// </summary>
/// <remarks>
/// An array is given back only once the call that used it has <b>completed</b> (the client wrote it and read the
/// reply: <see cref="StoreConnection.EvalShaAsync(StoreConnection.Link, RedisScript, RedisKey[], RedisValue[], bool, CancellationToken)"/>
/// with <c>giveBack</c>); a call that failed, timed out or was cancelled may still be queued in the client, which would
/// then write what the next renter put there, so its arrays are left to the garbage collector.
/// </remarks>
internal static class ScriptArguments
{
    /// <summary>An array of exactly <paramref name="length"/> values, cleared (reused when one is free).</summary>
    public static RedisValue[] Rent(int length) => ExactArrays<RedisValue>.Rent(length);

    /// <summary>Gives an array back (cleared first, so a kept array holds no strings alive). The caller must not use it again.</summary>
    public static void Return(RedisValue[] array) => ExactArrays<RedisValue>.Return(array);

    /// <summary>A key array of exactly <paramref name="length"/> keys, cleared (reused when one is free).</summary>
    public static RedisKey[] RentKeys(int length) => ExactArrays<RedisKey>.Rent(length);

    /// <summary>Gives a key array back (cleared first). Never one that is shared (a calendar's cached KEYS).</summary>
    public static void ReturnKeys(RedisKey[] array) => ExactArrays<RedisKey>.Return(array);

    /// <summary>A command array (<c>EVALSHA</c>'s sha, key count, keys and arguments) of exactly <paramref name="length"/> elements.</summary>
    public static RedisKeyOrValue[] RentCommand(int length) => ExactArrays<RedisKeyOrValue>.Rent(length);

    /// <summary>Gives a command array back (cleared first). The caller must not use it again.</summary>
    public static void ReturnCommand(RedisKeyOrValue[] array) => ExactArrays<RedisKeyOrValue>.Return(array);

    /// <summary>The pool of one element type.</summary>
    private static class ExactArrays<T>
    {
        /// <summary>The longest array kept (longer ones are made and dropped).</summary>
        private const int MaxLength = 64;

        /// <summary>Arrays kept per length: about the calls in flight at once on one node.</summary>
        private const int MaxPerLength = 256;

        /// <summary>Arrays a thread keeps for itself per length, in front of the shared queues.</summary>
        private const int PerThread = 2;

        private static readonly ConcurrentQueue<T[]>[] Free = CreateQueues();

        /// <summary>
        /// How many arrays each queue holds, or is about to (a return counts itself before it enqueues); one cache line
        /// (16 ints) per length, so the counters of lengths used at once by other threads do not share a line.
        /// </summary>
        private static readonly int[] Counts = new int[(MaxLength + 1) * 16];

        /// <summary>
        /// This thread's own arrays: <see cref="PerThread"/> slots per length (length × PerThread + i), null when empty. A call's
        /// arrays are rented by the thread that sends it and given back by the one that reads its reply, both pool workers in
        /// the steady state, so each thread's slots fill and drain about evenly; only past them does a rent or a return touch
        /// the shared queue (two interlocked operations and the queue's own). Only the owning thread reads or writes its slots.
        /// </summary>
        [ThreadStatic]
        private static T[]?[]? s_own;

        public static T[] Rent(int length)
        {
            if (length <= 0 || length > MaxLength)
            {
                return length == 0 ? [] : new T[length];
            }

            if (s_own is { } own)
            {
                var at = length * PerThread;
                for (var i = at; i < at + PerThread; i++)
                {
                    if (own[i] is { } mine)
                    {
                        own[i] = null;
                        return mine;
                    }
                }
            }

            if (Free[length].TryDequeue(out var array))
            {
                Interlocked.Decrement(ref Counts[length * 16]);
                return array;
            }

            return new T[length];
        }

        public static void Return(T[] array)
        {
            var length = array.Length;
            if (length == 0 || length > MaxLength)
            {
                return;
            }

            Array.Clear(array);

            var own = s_own ??= new T[]?[(MaxLength + 1) * PerThread];
            var at = length * PerThread;
            for (var i = at; i < at + PerThread; i++)
            {
                if (own[i] is null)
                {
                    own[i] = array;
                    return;
                }
            }

            // The count is reserved before the enqueue and released after a dequeue, so it never falls below what the
            // queue holds and the queue never grows past MaxPerLength; a return that finds it full drops the array.
            if (Interlocked.Increment(ref Counts[length * 16]) > MaxPerLength)
            {
                Interlocked.Decrement(ref Counts[length * 16]);
                return;
            }

            Free[length].Enqueue(array);
        }

        private static ConcurrentQueue<T[]>[] CreateQueues()
        {
            var queues = new ConcurrentQueue<T[]>[MaxLength + 1];
            for (var i = 0; i < queues.Length; i++)
            {
                queues[i] = new ConcurrentQueue<T[]>();
            }

            return queues;
        }
    }
}
